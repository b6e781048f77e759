"""Speech to text behind one small interface, with vosk (offline, Kaldi) as the engine.

Why these rules (each one measured on vosk 0.3.45, see DESIGN.md):

* The model folder is checked before vosk is touched (``core.model_folders``) so the administrator
  reads exactly which part is missing; ``vosk.Model`` is only ever given a path — with no path it
  downloads from the internet (``Model(lang=...)``), which this terminal must never do.
* Decoding is slower than real time on a 2-core kiosk, so a recogniser is fed only the speech the VAD
  cut, on the speech worker's decoder thread, never on the UI thread.
* Command (grammar) mode forces any speech onto the command words: out-of-grammar speech comes back
  as a command with confidence 1.0 surprisingly often. A command is accepted only when the whole
  result is exactly one listed phrase, every word reaches ``min_confidence``, and no ``[unk]`` was
  heard. Phrases with words missing from the model's vocabulary are dropped and reported here
  (vosk would only print a warning and silently shorten the phrase into a different one).
* Grammar JSON goes to vosk with ``ensure_ascii=False``: vosk does not decode ``\\uXXXX`` escapes, so
  every non-ASCII command word would be "missing from the vocabulary".
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.model_folders import vosk_fix, vosk_model_problems
from robot_assistant.audio import SAMPLE_RATE

UNK = "[unk]"


class ModelFolderError(RuntimeError):
    """A model folder is missing or incomplete; ``problems`` lists each missing part."""

    def __init__(self, language: str, folder: Path, problems: list[str]) -> None:
        self.language, self.folder, self.problems = language, folder, problems
        self.fix = vosk_fix(language, folder)
        super().__init__("; ".join(problems) + f" — {self.fix}")


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Recognition:
    """The final result for one utterance."""

    text: str
    """What was heard (in command mode: the accepted command, or "" when rejected)."""
    language: str
    words: tuple[Word, ...] = ()
    confidence: float | None = None
    """Lowest word confidence (a sentence is as trustworthy as its weakest word); None without words."""
    raw_text: str = ""
    """vosk's text before the command check (what a naive grammar decoder would have acted on)."""
    accepted: bool = True
    reason: str = ""
    """Why a command was rejected, in words for the log."""
    audio_s: float = 0.0
    decode_s: float = 0.0
    """Wall seconds spent inside the recogniser (grows when other processes take the CPU)."""
    cpu_s: float = 0.0
    """CPU seconds of the decoding thread: the load-independent cost."""
    final_latency_s: float = 0.0
    """From the last audio fed to the final result (what the visitor waits after they stop talking)."""

    @property
    def rtf(self) -> float:
        """Real-time factor: decoding seconds per second of audio (below 1 keeps up with speech)."""
        return self.decode_s / self.audio_s if self.audio_s else 0.0


class SpeechToText(ABC):
    """Streaming recogniser: ``accept`` chunks of one utterance, then ``finish`` it."""

    language: str = "zh"

    @abstractmethod
    def accept(self, pcm: bytes) -> str | None:
        """Feed 16 kHz mono int16 PCM; returns the partial text when it changed, else None."""

    @abstractmethod
    def finish(self) -> Recognition:
        """End the utterance and return its result; the recogniser is ready for the next one."""

    def transcribe(self, chunks: Iterable[bytes]) -> Recognition:
        for chunk in chunks:
            self.accept(chunk)
        return self.finish()


# ---------------------------------------------------------------------------------------- commands


@dataclass
class CommandGrammar:
    """A closed list of spoken commands and the check that keeps other speech from becoming one."""

    phrases: list[str]
    min_confidence: float = 0.85
    use_unk: bool = True
    """Add ``[unk]`` so out-of-grammar speech has somewhere to go (when the model has it)."""
    decoys: list[str] = field(default_factory=list)
    """Ordinary words that are never a command: a garbage model for a model without ``[unk]``.
    Measured on the Korean model with espeak speech: 10 decoys cut false accepts from 3/12 to 1/12
    but lost 1 of 6 true commands; 40 decoys lost 4 of 6. Prefer ``[unk]`` where the model has it."""
    dropped: dict[str, list[str]] = field(default_factory=dict)
    """Phrase → its words missing from the model's vocabulary (filled by ``fit_to``)."""
    has_unk: bool = False
    _decoys: list[str] = field(default_factory=list, repr=False)

    def fit_to(self, model: Any) -> list[str]:
        """Keep the phrases whose words the model knows; returns the phrases usable with vosk."""
        self.dropped = {}
        usable = []
        for phrase in self.phrases:
            missing = [w for w in phrase.split() if model.vosk_model_find_word(w) < 0]
            if missing:
                self.dropped[phrase] = missing
            else:
                usable.append(phrase)
        self.has_unk = self.use_unk and model.vosk_model_find_word(UNK) >= 0
        self._decoys = [d for d in self.decoys if d not in usable and all(
            model.vosk_model_find_word(w) >= 0 for w in d.split())]
        return usable

    def vosk_json(self, usable: list[str]) -> str:
        """What vosk decodes against: the commands, the decoys, and ``[unk]`` when the model has it."""
        return json.dumps(usable + self._decoys + ([UNK] if self.has_unk else []), ensure_ascii=False)

    @property
    def problems(self) -> list[str]:
        return [f"command {p!r} dropped: the model has no word {', '.join(map(repr, m))}"
                for p, m in self.dropped.items()]

    def judge(self, words: list[Word], usable: list[str]) -> tuple[str, str]:
        """(accepted command or "", reason for rejection or "")."""
        heard = " ".join(w.word for w in words)
        if not words:
            return "", "nothing heard"
        if any(w.word == UNK for w in words):
            return "", f"out-of-grammar speech ([unk]) in {heard!r}"
        if heard in self._decoys:
            return "", f"out-of-grammar speech (decoy {heard!r})"
        if heard not in usable:
            return "", f"{heard!r} is not exactly one command (grammar decoding strings words together)"
        weakest = min(w.conf for w in words)
        if weakest < self.min_confidence:
            return "", f"{heard!r} confidence {weakest:.2f} < {self.min_confidence:.2f}"
        return heard, ""


# -------------------------------------------------------------------------------------------- vosk

_MODELS: dict[Path, Any] = {}
_MODELS_LOCK = threading.Lock()


def check_model_folder(folder: Path | str, language: str) -> Path:
    """The folder as a resolved Path, or ModelFolderError naming every missing part and the fix."""
    folder = Path(folder).resolve()
    problems = vosk_model_problems(folder)
    if problems:
        raise ModelFolderError(language, folder, problems)
    return folder


def load_vosk_model(folder: Path | str, language: str = "zh") -> Any:
    """Load (once per folder, ~1.5 s and ~250 MB for a small model) after checking the folder."""
    folder = check_model_folder(folder, language)
    with _MODELS_LOCK:
        if folder not in _MODELS:
            import vosk  # lazily: it loads libvosk, and only the speech worker needs it

            vosk.SetLogLevel(-1)  # our own messages say what matters; Kaldi's LOG lines are noise
            try:
                _MODELS[folder] = vosk.Model(model_path=str(folder))
            except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
                raise ModelFolderError(language, folder, [f"vosk could not load {folder}: {exc}"]) from exc
        return _MODELS[folder]


class VoskRecognizer(SpeechToText):
    """vosk's KaldiRecognizer with word confidences, partials, and an optional command grammar."""

    def __init__(self, model_folder: Path | str, language: str = "zh", *,
                 grammar: CommandGrammar | None = None, sample_rate: int = SAMPLE_RATE,
                 partial_every_s: float = 0.2) -> None:
        self.language = language
        self.partial_every_bytes = int(partial_every_s * sample_rate) * 2
        """A partial needs a lattice traceback: asking every 30 ms VAD frame wastes a slow CPU."""
        self.model_folder = Path(model_folder)
        self.model = load_vosk_model(model_folder, language)
        self.grammar = grammar
        self.sample_rate = sample_rate
        self.usable = grammar.fit_to(self.model) if grammar else []
        if grammar is not None and not self.usable:
            raise ValueError("no usable command: " + "; ".join(grammar.problems))
        self._recognizer = self._new_recognizer()
        self._reset_utterance()

    def _new_recognizer(self) -> Any:
        import vosk

        if self.grammar is not None:
            rec = vosk.KaldiRecognizer(self.model, self.sample_rate, self.grammar.vosk_json(self.usable))
        else:
            rec = vosk.KaldiRecognizer(self.model, self.sample_rate)
        rec.SetWords(True)
        return rec

    def _reset_utterance(self) -> None:
        self._segments: list[dict] = []
        self._partial = ""
        self._audio_bytes = 0
        self._since_partial = 0
        self._decode_s = 0.0
        self._cpu_s = 0.0
        self._last_feed = 0.0

    def accept(self, pcm: bytes) -> str | None:
        t0, c0 = time.perf_counter(), time.thread_time()
        endpoint = self._recognizer.AcceptWaveform(pcm)
        self._audio_bytes += len(pcm)
        self._since_partial += len(pcm)
        if endpoint:  # vosk's own endpointing closed a segment inside our utterance: keep it
            self._segments.append(json.loads(self._recognizer.Result()))
            partial = ""
        elif self._since_partial >= self.partial_every_bytes:
            self._since_partial = 0
            partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        else:
            self._last_feed = time.perf_counter()
            self._decode_s += self._last_feed - t0
            self._cpu_s += time.thread_time() - c0
            return None
        self._last_feed = time.perf_counter()
        self._decode_s += self._last_feed - t0
        self._cpu_s += time.thread_time() - c0
        shown = " ".join([s.get("text", "") for s in self._segments if s.get("text")] + ([partial] if partial else []))
        if shown != self._partial:
            self._partial = shown
            return shown
        return None

    def finish(self) -> Recognition:
        t0, c0 = time.perf_counter(), time.thread_time()
        self._segments.append(json.loads(self._recognizer.FinalResult()))
        t1 = time.perf_counter()
        cpu_s = self._cpu_s + time.thread_time() - c0
        words = [Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
                 for s in self._segments for w in s.get("result", [])]
        raw_text = " ".join(s.get("text", "") for s in self._segments if s.get("text"))
        conf = min((w.conf for w in words), default=None)
        text, accepted, reason = raw_text, True, ""
        if self.grammar is not None:
            text, reason = self.grammar.judge(words, self.usable)
            accepted = bool(text)
        result = Recognition(
            text=text, language=self.language, words=tuple(words), confidence=conf, raw_text=raw_text,
            accepted=accepted, reason=reason, audio_s=self._audio_bytes / 2 / self.sample_rate,
            decode_s=self._decode_s + (t1 - t0), cpu_s=cpu_s,
            final_latency_s=(t1 - self._last_feed) if self._last_feed else t1 - t0,
        )
        self._reset_utterance()
        return result


@dataclass(frozen=True)
class RtfReport:
    """How fast a recogniser decodes one clip fed as fast as possible."""

    audio_s: float
    decode_s: float
    rtf: float
    first_partial_s: float | None
    """Seconds from the first chunk to the first partial text (None when none appeared)."""
    final_latency_s: float
    """From the last chunk fed to the final result: the wait after the speaker stops."""
    text: str
    cpu_rtf: float = 0.0
    """CPU seconds per audio second (independent of other processes; ``rtf`` is wall time)."""


def measure_rtf(stt: SpeechToText, pcm: bytes, chunk_bytes: int = 3200) -> RtfReport:
    """Decode ``pcm`` in 100 ms chunks as fast as possible and time it (the recogniser is left ready)."""
    t0 = time.perf_counter()
    first_partial = None
    for i in range(0, len(pcm), chunk_bytes):
        if stt.accept(pcm[i : i + chunk_bytes]) and first_partial is None:
            first_partial = time.perf_counter() - t0
    result = stt.finish()
    wall = time.perf_counter() - t0
    audio_s = len(pcm) / 2 / SAMPLE_RATE
    return RtfReport(audio_s, wall, wall / audio_s if audio_s else 0.0, first_partial,
                     result.final_latency_s, result.text, result.cpu_s / audio_s if audio_s else 0.0)


def vosk_for(config: Any, language: str | None = None, grammar: CommandGrammar | None = None) -> VoskRecognizer:
    """The recogniser for a loaded Config (``assistant.vosk_models[language]``)."""
    language = language or config.site.language
    return VoskRecognizer(config.assistant.vosk_models[language], language, grammar=grammar)


if __name__ == "__main__":  # demo: python -m robot_assistant.stt MODEL_DIR clip.wav [language]
    import sys

    from robot_assistant.audio import WavFileSource

    rec = VoskRecognizer(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else "zh")
    print(measure_rtf(rec, WavFileSource(sys.argv[2]).pcm))

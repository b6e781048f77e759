"""Silero VAD (from faster-whisper's assets) streamed by the Segmenter, on a real clip in steady noise."""

from __future__ import annotations

import numpy as np

from robot_assistant.audio import SAMPLE_RATE, read_audio, resample, to_int16_bytes
from robot_assistant.vad import SileroDetector, cut_utterances
from tests.assistant.test_whisper_support import SPEECH, need_whisper


def noisy_scene() -> tuple[bytes, float, float]:
    """3 s of noise, the clip (noise under it, 10 dB below the speech), 3 s of noise."""
    samples, rate = read_audio(SPEECH / "zh_paddlespeech.wav")
    clip = resample(samples, rate) / 32768.0
    rng = np.random.default_rng(1)
    gap = 3 * SAMPLE_RATE
    noise = rng.normal(0, 1, gap + clip.size + gap)
    noise *= np.sqrt((clip**2).mean()) * 10 ** (-10 / 20) / noise.std()
    noise[gap : gap + clip.size] += clip
    return to_int16_bytes(noise * 32767), gap / SAMPLE_RATE, (gap + clip.size) / SAMPLE_RATE


def test_silero_cuts_the_visitor_out_of_steady_noise_where_the_energy_vad_keeps_the_noise():
    need_whisper()
    pcm, start, end = noisy_scene()
    silero = cut_utterances(pcm, detector="silero")
    assert len(silero) == 1
    u = silero[0]
    assert start - 0.5 <= u.start_s <= start + 0.5 and end - 0.3 <= u.end_s <= end + 1.0

    def background(utterances) -> float:
        return sum(max(0.0, min(x.end_s, start) - x.start_s) + max(0.0, x.end_s - max(x.start_s, end))
                   for x in utterances)

    assert background(silero) < 1.0
    assert background(cut_utterances(pcm)) > 2.0  # the energy VAD never sees the noise end: it keeps it


def test_silero_detector_streams_any_frame_size():
    need_whisper()
    pcm, start, _end = noisy_scene()
    detector = SileroDetector()
    probs = [detector.update(pcm[i : i + 960]) for i in range(0, len(pcm), 960)]  # 30 ms frames
    t = np.arange(len(probs)) * 0.03
    assert max(p for p, s in zip(probs, t, strict=True) if s < start - 0.2) < 0.35
    assert max(probs) > 0.9

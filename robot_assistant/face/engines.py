"""Face engines by name (config ``face.engine``): SFace + YuNet (default) or dlib's ResNet.

Why its own module: the engines import the shared types of ``face.engine``; choosing one by name needs
them all, so the choice lives above them and ``face.engine`` imports no engine module.
"""

from __future__ import annotations

from pathlib import Path

from robot_assistant.face.engine import ENGINES, DlibEngine, FaceEngine, FaceEngineUnavailable
from robot_assistant.face.sface import SFaceEngine


def make_engine(name: str = "sface", model_dir: Path | str | None = None) -> FaceEngine:
    """The engine called ``name`` (``face.engine``), not yet loaded (it loads on first use)."""
    if name == "sface":
        return SFaceEngine(model_dir)
    if name == "dlib":
        return DlibEngine()
    raise FaceEngineUnavailable(f"unknown face engine {name!r}: use one of {', '.join(ENGINES)}")

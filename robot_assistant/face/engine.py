"""The face engine interface and its face_recognition (dlib) implementation.

Why an interface: the pipeline, enrolment and tests talk to ``FaceEngine`` only, so a caching wrapper
(tests) or another engine can stand in, and nothing imports dlib until a face is actually looked at.

Why the import is guarded: ``face_recognition_models`` imports ``pkg_resources``; when setuptools is
missing (or >= 82) ``import face_recognition`` prints a hint and calls ``quit()`` — the process would
exit with status 0 in silence. We check for ``pkg_resources`` first and turn ``SystemExit`` into a
clear ``FaceEngineUnavailable``.

Boxes are ``(top, right, bottom, left)`` in pixels, as face_recognition returns them.

Licence caveat: ``landmarks`` uses dlib's 68-point shape predictor (blink and pose checks), which was
trained on the iBUG 300-W data set, whose licence excludes commercial use. A commercial deployment
needs a licence for it or another landmark model; the README must say so.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any, Protocol

import numpy as np

Box = tuple[int, int, int, int]
Landmarks = dict[str, list[tuple[int, int]]]

#: Name stored with every template so a later engine/model change can tell old templates apart.
MODEL_NAME = "dlib_face_recognition_resnet_model_v1"


class FaceEngineUnavailable(RuntimeError):
    """The face engine cannot be loaded; the message says what to install."""


class FaceEngine(Protocol):
    """Detection, 68-point landmarks and 128-d encodings on RGB uint8 images."""

    def detect(self, rgb: np.ndarray, upsample: int = 0) -> list[Box]: ...

    def landmarks(self, rgb: np.ndarray, boxes: list[Box]) -> list[Landmarks]: ...

    def encode(self, rgb: np.ndarray, boxes: list[Box], jitters: int = 1) -> np.ndarray:
        """One float32 row of 128 values per box."""
        ...


_lock = threading.Lock()
_module: Any = None


def load_face_recognition() -> Any:
    """Import face_recognition once (thread-safe), never letting it ``quit()`` the process."""
    global _module
    with _lock:
        if _module is not None:
            return _module
        if importlib.util.find_spec("pkg_resources") is None:
            raise FaceEngineUnavailable(
                "face_recognition needs pkg_resources: install setuptools<82 (pip install 'setuptools<82')")
        if importlib.util.find_spec("face_recognition") is None:
            raise FaceEngineUnavailable(
                "face_recognition is not installed: pip install dlib-bin face-recognition-models "
                "and pip install --no-deps face-recognition==1.3.0")
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import face_recognition
        except SystemExit as exc:  # its import calls quit() when the models package is unusable
            raise FaceEngineUnavailable(
                "face_recognition refused to load (face_recognition_models missing or unusable): "
                "pip install face-recognition-models 'setuptools<82'") from exc
        _module = face_recognition
        return _module


class DlibEngine:
    """face_recognition's HOG detector, 68-point landmarks and ResNet encoder.

    ``upsample`` doubles the image per step before HOG detection: HOG finds faces of about 80 px and
    more, so small faces need it, at about 4x the cost per step.
    """

    name = MODEL_NAME

    def __init__(self) -> None:
        self._fr: Any = None

    @property
    def fr(self) -> Any:
        if self._fr is None:
            self._fr = load_face_recognition()
        return self._fr

    def detect(self, rgb: np.ndarray, upsample: int = 0) -> list[Box]:
        return [tuple(int(v) for v in b) for b in self.fr.face_locations(rgb, number_of_times_to_upsample=upsample)]

    def landmarks(self, rgb: np.ndarray, boxes: list[Box]) -> list[Landmarks]:
        if not boxes:
            return []
        return self.fr.face_landmarks(rgb, face_locations=list(boxes), model="large")

    def encode(self, rgb: np.ndarray, boxes: list[Box], jitters: int = 1) -> np.ndarray:
        if not boxes:
            return np.zeros((0, 128), np.float32)
        rows = self.fr.face_encodings(rgb, known_face_locations=list(boxes), num_jitters=jitters)
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), 128)


def box_height(box: Box) -> int:
    return box[2] - box[0]


def largest(boxes: list[Box]) -> Box | None:
    return max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]), default=None)


def scale_box(box: Box, factor: float) -> Box:
    return tuple(int(round(v * factor)) for v in box)  # type: ignore[return-value]


if __name__ == "__main__":  # a runnable demo: python -m robot_assistant.face.engine IMAGE
    import sys

    import cv2

    engine = DlibEngine()
    image = cv2.cvtColor(cv2.imread(sys.argv[1]), cv2.COLOR_BGR2RGB)
    found = engine.detect(image, upsample=1)
    print(f"{len(found)} face(s): {found}")
    print(engine.encode(image, found)[:, :4])

"""The face engine interface, the template model identity, and the face_recognition (dlib) engine.

Why an interface: the pipeline, enrolment and tests talk to ``FaceEngine`` only, so a caching wrapper
(tests) or another engine can stand in, and nothing imports dlib until a face is actually looked at.
Two engines implement it: ``SFaceEngine`` (robot_assistant/face/sface.py: YuNet detector + SFace
recogniser through OpenCV; the default, because on East Asian faces it separates members from strangers
where dlib's 128-d model cannot, see README "Face recognition engines") and ``DlibEngine`` (here).
``make_engine`` picks one by name (``face.engine``).

Why ``TemplateModel``: an encoding means something only to the model that made it (SFace and dlib are
both 128-d, but their spaces have nothing in common, and SFace compares by cosine). Every stored template
records engine, model-file hash and dimension; a 1:N index is built only from templates whose model is
the running engine's.

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

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

Box = tuple[int, int, int, int]
Landmarks = dict[str, list[tuple[int, int]]]

#: What templates made by dlib before engines were recorded carry in ``face_templates.model``.
MODEL_NAME = "dlib_face_recognition_resnet_model_v1"
ENGINES = ("sface", "dlib")
METRICS = {"sface": "cosine", "dlib": "euclidean"}


@dataclass(frozen=True)
class TemplateModel:
    """Which model made an encoding: engine name, the first 16 hex digits of the model file's sha256,
    and the dimension. Stored as ``key`` (``sface:fb143eea07838aa5:128``) in ``face_templates.model``."""

    engine: str
    model_hash: str
    dim: int

    @property
    def key(self) -> str:
        return f"{self.engine}:{self.model_hash}:{self.dim}"

    @property
    def metric(self) -> str:
        """``cosine`` (distance 1 - cos, SFace) or ``euclidean`` (dlib)."""
        return METRICS.get(self.engine, "euclidean")

    @classmethod
    def parse(cls, key: str) -> TemplateModel:
        """The model of a stored key; templates from before engines were recorded are dlib's."""
        if key == MODEL_NAME:
            return cls("dlib", "legacy", 128)
        parts = (key or "").split(":")
        if len(parts) == 3 and parts[2].isdigit():
            return cls(parts[0], parts[1], int(parts[2]))
        return cls(key or "unknown", "", 0)

    def accepts(self, key: str) -> bool:
        """Whether a stored template of model ``key`` can be compared with this model's encodings."""
        other = TemplateModel.parse(key)
        if other.engine != self.engine or other.dim != self.dim:
            return False
        return other.model_hash == self.model_hash or (self.engine == "dlib" and other.model_hash == "legacy")

    def stored_keys(self) -> tuple[str, ...]:
        """Every ``face_templates.model`` value this model accepts (for a SQL ``IN``)."""
        return (self.key, MODEL_NAME) if self.engine == "dlib" else (self.key,)


class FaceEngineUnavailable(RuntimeError):
    """The face engine cannot be loaded; the message says what to install."""


class FaceEngine(Protocol):
    """Detection, landmarks and fixed-size encodings on RGB uint8 images.

    ``landmarks`` returns dlib's 68-point groups (DlibEngine) or the five YuNet points in the same group
    names (SFaceEngine: one point per eye, so blink liveness needs dlib; head turn works with both)."""

    name: str

    @property
    def template_model(self) -> TemplateModel: ...

    def detect(self, rgb: np.ndarray, upsample: int = 0) -> list[Box]: ...

    def landmarks(self, rgb: np.ndarray, boxes: list[Box]) -> list[Landmarks]: ...

    def encode(self, rgb: np.ndarray, boxes: list[Box], jitters: int = 1) -> np.ndarray:
        """One float32 row of ``template_model.dim`` values per box."""
        ...


def sha256_prefix(path: Path, n: int = 16) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:n]


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

    name = "dlib"
    needs_upsample = True
    """HOG misses faces under ~80 px unless the image is upsampled (quality.detect_all uses this)."""

    def __init__(self) -> None:
        self._fr: Any = None
        self._model: TemplateModel | None = None
        self.load_s: float | None = None

    @property
    def fr(self) -> Any:
        if self._fr is None:
            import time

            start = time.perf_counter()
            self._fr = load_face_recognition()
            self.load_s = time.perf_counter() - start
        return self._fr

    def load(self) -> DlibEngine:
        """Import face_recognition now (2.2 s, ~130 MB), not at the first face."""
        self.fr  # noqa: B018
        return self

    @property
    def template_model(self) -> TemplateModel:
        """dlib's ResNet file hashed once (22 MB, ~60 ms); found without importing face_recognition."""
        if self._model is None:
            spec = importlib.util.find_spec("face_recognition_models")
            path = (Path(next(iter(spec.submodule_search_locations))) / "models" /
                    "dlib_face_recognition_resnet_model_v1.dat") if spec and spec.submodule_search_locations else None
            self._model = TemplateModel("dlib", sha256_prefix(path) if path and path.is_file() else "legacy", 128)
        return self._model

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

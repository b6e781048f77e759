"""SFace + YuNet through OpenCV: the default face engine.

Why: dlib's 128-d model cannot separate East Asian members from strangers (issue #13: genuine and
stranger distances overlap on unseen photos); OpenCV Zoo's SFace accepted every genuine pair of
``faces_east_asian/`` with no stranger pair (DESIGN, "Better engines on the registries"). Both networks
run in OpenCV's own DNN module (``cv2.FaceDetectorYN``, ``cv2.FaceRecognizerSF``): no torch, no
onnxruntime, and faster than dlib's HOG + ResNet on two cores.

How: YuNet returns a box and five points (eyes, nose tip, mouth corners) per face; SFace aligns the face
on those five points (``alignCrop``, a similarity transform to its 112x112 template) and returns 128
values, which are L2-normalised here; faces are compared by cosine (distance ``1 - cos``, see
``TemplateIndex``). The interface hands boxes around, so ``detect`` remembers the five points of the
boxes it found in the last image it saw (by a cheap fingerprint of the pixels); ``encode`` on a box it
did not find in that image runs YuNet again on a region around the box.

``jitters`` > 1 also encodes the mirror image of the aligned face and averages the two (a common
test-time augmentation; the enrolment default).

``landmarks`` gives the five points under dlib's group names (one point per eye, ``nose_bridge[-1]``
the nose tip), enough for yaw and roll (quality checks, head-turn liveness). Eye-aspect-ratio blinks
need dlib's 68 points, so with this engine liveness is by head turn (the real test clip passes that
way; it shows no clean blink). Measured on 87 test photos, yaw from these five points correlates 0.90
with yaw from dlib's 68 (dlib ~= 0.76 x this), so ``max_yaw`` is a little stricter with SFace.

OpenCV 4.x: a direct ``FaceRecognizerSF.feature()`` call failed on OpenCV 5.1 (DESIGN); requirements pin
``opencv-python-headless`` 4.14.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from robot_assistant.face.engine import Box, FaceEngineUnavailable, Landmarks, TemplateModel
from robot_assistant.face.sface_model import (
    DETECTOR,
    RECOGNIZER,
    SFaceModelError,
    default_model_dir,
    model_problems,
    setup_fix,
)

DIM = 128
_XS = [0, 4, 6, 8, 10, 12]
_YS = [1, 5, 7, 9, 11, 13]
"""Columns of a YuNet row that are x (box left, five points) and y coordinates; 2 and 3 are width and
height, which a shift must not change."""

#: Where YuNet's five points fall inside its box on a frontal face (measured on the test photos);
#: used only when a box comes from elsewhere and YuNet finds no face around it.
_MEAN_POINTS = np.array([[0.32, 0.42], [0.68, 0.42], [0.50, 0.60], [0.36, 0.78], [0.64, 0.78]], np.float32)


def _fingerprint(rgb: np.ndarray) -> bytes:
    """Cheap identity of an image: its shape and a sparse sample of its pixels (microseconds)."""
    sample = np.ascontiguousarray(rgb[::23, ::19])
    return hashlib.blake2b(sample.data, digest_size=16, person=str(rgb.shape).encode()[:16]).digest()


def _iou(a: Box, b: Box) -> float:
    top, right, bottom, left = max(a[0], b[0]), min(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    union = (a[1] - a[3]) * (a[2] - a[0]) + (b[1] - b[3]) * (b[2] - b[0]) - inter
    return inter / union if union > 0 else 0.0


class SFaceEngine:
    """YuNet detection, five-point landmarks and SFace 128-d unit encodings (RGB in, like dlib's)."""

    name = "sface"
    needs_upsample = False
    """YuNet finds faces down to ~20 px at the image's own size: upsampling only costs time."""

    def __init__(self, model_dir: Path | str | None = None, score_threshold: float = 0.6,
                 nms_threshold: float = 0.3):
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.score_threshold = score_threshold
        self.nms_threshold = nms_threshold
        self._det = None
        self._rec = None
        self._lock = threading.Lock()
        self._last: tuple[bytes, dict[Box, np.ndarray]] = (b"", {})
        self.load_s: float | None = None
        self._model = TemplateModel("sface", RECOGNIZER.sha256[:16], DIM)

    @property
    def template_model(self) -> TemplateModel:
        return self._model

    def load(self) -> SFaceEngine:
        """Check both files (size and sha256) and create the OpenCV objects, once. Raises
        FaceEngineUnavailable naming the package, the file and the command that fixes it."""
        with self._lock:
            if self._rec is not None:
                return self
            start = time.perf_counter()
            problems = model_problems(self.model_dir)
            if problems:
                raise FaceEngineUnavailable("SFace/YuNet model files: " + "; ".join(problems) + f" — {setup_fix()}")
            if not hasattr(cv2, "FaceRecognizerSF") or not hasattr(cv2, "FaceDetectorYN"):
                raise FaceEngineUnavailable(f"OpenCV {cv2.__version__} has no FaceDetectorYN/FaceRecognizerSF: "
                                            "pip install opencv-python-headless==4.14.0.94")
            try:
                self._det = cv2.FaceDetectorYN.create(str(self.model_dir / DETECTOR.file), "", (320, 320),
                                                      self.score_threshold, self.nms_threshold, 5000)
                self._rec = cv2.FaceRecognizerSF.create(str(self.model_dir / RECOGNIZER.file), "")
            except cv2.error as exc:
                raise FaceEngineUnavailable(f"OpenCV {cv2.__version__} cannot load the SFace/YuNet files in "
                                            f"{self.model_dir}: {exc}".strip()) from exc
            self.load_s = time.perf_counter() - start
            return self

    # ------------------------------------------------------------------------------------ detection

    def _faces(self, rgb: np.ndarray) -> np.ndarray:
        """YuNet's rows (x, y, w, h, 5 x (x, y), score) for an RGB image."""
        self.load()
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        h, w = bgr.shape[:2]
        with self._lock:
            self._det.setInputSize((w, h))
            _, faces = self._det.detect(bgr)
        return np.zeros((0, 15), np.float32) if faces is None else faces

    @staticmethod
    def _box(row: np.ndarray, shape: tuple[int, ...]) -> Box:
        x, y, w, h = (float(v) for v in row[:4])
        H, W = shape[:2]
        return (int(max(0, round(y))), int(min(W, round(x + w))), int(min(H, round(y + h))), int(max(0, round(x))))

    def detect(self, rgb: np.ndarray, upsample: int = 0) -> list[Box]:
        """Boxes ``(top, right, bottom, left)``; ``upsample`` is ignored (see ``needs_upsample``)."""
        faces = self._faces(rgb)
        found = {self._box(r, rgb.shape): r for r in faces}
        self._last = (_fingerprint(rgb), found)
        return list(found)

    def _remember(self, rgb: np.ndarray, rows: dict[Box, np.ndarray]) -> None:
        fp = _fingerprint(rgb)
        known = self._last[1] if self._last[0] == fp else {}
        self._last = (fp, {**known, **rows})

    def _rows(self, rgb: np.ndarray, boxes: list[Box]) -> list[np.ndarray]:
        """YuNet's row (with the five points) for each box, in full-image coordinates; a box not found
        in this image is looked for again around itself, once (landmarks and encode share the result)."""
        fp = _fingerprint(rgb)
        known = self._last[1] if self._last[0] == fp else {}
        missing = {tuple(b): self._redetect(rgb, tuple(b)) for b in boxes if tuple(b) not in known}
        if missing:
            known = {**known, **missing}
            self._last = (fp, known)
        return [known[tuple(b)] for b in boxes]

    def detect_near(self, rgb: np.ndarray, box: Box, side: int = 240) -> Box | None:
        """Follow a face between full detections: YuNet on a region 2.2x the box, scaled to ``side`` px,
        mapped back to full-image coordinates. The pipeline calls this instead of ``detect`` on a crop, so
        the five points found here serve ``landmarks`` and ``encode`` on the same frame without a
        second detection."""
        top, right, bottom, left = box
        h, w = rgb.shape[:2]
        cy, cx, size = (top + bottom) / 2, (left + right) / 2, max(bottom - top, right - left) * 2.2
        y0, y1 = int(max(0, cy - size / 2)), int(min(h, cy + size / 2))
        x0, x1 = int(max(0, cx - size / 2)), int(min(w, cx + size / 2))
        if y1 - y0 < 8 or x1 - x0 < 8:
            return None
        scale = side / max(y1 - y0, x1 - x0)
        crop = cv2.resize(rgb[y0:y1, x0:x1], None, fx=scale, fy=scale,
                          interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        faces = self._faces(crop)
        if not len(faces):
            return None
        rows = faces.copy()
        rows[:, :14] /= scale
        rows[:, _XS] += x0
        rows[:, _YS] += y0
        best = max(rows, key=lambda r: _iou(self._box(r, rgb.shape), box))
        found = self._box(best, rgb.shape)
        self._remember(rgb, {found: best})
        return found

    def _redetect(self, rgb: np.ndarray, box: Box) -> np.ndarray:
        top, right, bottom, left = box
        h, w = rgb.shape[:2]
        pad = 0.4 * max(bottom - top, right - left)
        y0, y1 = int(max(0, top - pad)), int(min(h, bottom + pad))
        x0, x1 = int(max(0, left - pad)), int(min(w, right + pad))
        if y1 - y0 >= 16 and x1 - x0 >= 16:
            faces = self._faces(rgb[y0:y1, x0:x1])
            if len(faces):
                shifted = faces.copy()
                shifted[:, _XS] += x0
                shifted[:, _YS] += y0
                best = max(shifted, key=lambda r: _iou(self._box(r, rgb.shape), box))
                if _iou(self._box(best, rgb.shape), box) > 0.3:
                    return best
        row = np.zeros(15, np.float32)  # no face found near the box: the average points inside it
        row[:4] = (left, top, right - left, bottom - top)
        row[4:14] = (_MEAN_POINTS * (right - left, bottom - top) + (left, top)).reshape(-1)
        return row

    def landmarks(self, rgb: np.ndarray, boxes: list[Box]) -> list[Landmarks]:
        out = []
        for row in self._rows(rgb, boxes):
            # Sub-pixel: on a 40-80 px face one pixel of rounding is 3% of the eye distance, as much as the
            # foreshortening that liveness looks for in a small turn.
            p = [(float(row[4 + 2 * i]), float(row[5 + 2 * i])) for i in range(5)]
            # YuNet: right eye (image left), left eye, nose tip, right and left mouth corners. dlib's
            # "left_eye" is the eye on the image's left, so the names line up with geometry.yaw.
            x, y, w, h = (float(v) for v in row[:4])
            out.append({"left_eye": [p[0]], "right_eye": [p[1]], "nose_bridge": [p[2]], "nose_tip": [p[2]],
                        "top_lip": [p[3], p[4]], "face_box": [(x, y), (x + w, y + h)]})
        return out

    # ------------------------------------------------------------------------------------- encoding

    def encode(self, rgb: np.ndarray, boxes: list[Box], jitters: int = 1) -> np.ndarray:
        if not boxes:
            return np.zeros((0, DIM), np.float32)
        self.load()
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        rows = []
        for face in self._rows(rgb, boxes):
            with self._lock:
                aligned = self._rec.alignCrop(bgr, face)
                feats = [self._rec.feature(aligned).reshape(DIM)]
                if jitters > 1:
                    feats.append(self._rec.feature(np.ascontiguousarray(aligned[:, ::-1])).reshape(DIM))
            v = np.mean([f / (np.linalg.norm(f) or 1.0) for f in feats], axis=0)
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.asarray(rows, np.float32).reshape(len(rows), DIM)


def check(model_dir: Path | str | None = None) -> tuple[SFaceEngine, float]:
    """Load the engine and encode one synthetic image; returns it and the load time (doctor)."""
    engine = SFaceEngine(model_dir)
    try:
        engine.load()
    except SFaceModelError as exc:  # pragma: no cover - load() turns problems into FaceEngineUnavailable
        raise FaceEngineUnavailable(str(exc)) from exc
    return engine, engine.load_s or 0.0


if __name__ == "__main__":  # a runnable demo: python -m robot_assistant.face.sface IMAGE [IMAGE2]
    import sys

    from robot_assistant.face.quality import read_rgb

    eng = SFaceEngine()
    encs = []
    for arg in sys.argv[1:]:
        image = read_rgb(arg)
        found = eng.detect(image)
        print(f"{arg}: {len(found)} face(s) {found}")
        if found:
            encs.append(eng.encode(image, found[:1])[0])
    if len(encs) == 2:
        print(f"cosine distance {1 - float(encs[0] @ encs[1]):.3f}")

"""Is this photo (or frame) good enough to make or match a template?

Why: a blurred, tiny, turned or crowded photo makes a template that later matches strangers or misses
the member. Enrolment rejects such photos with a reason the administrator can act on; the pipeline uses
the same checks (more leniently) to skip frames not worth encoding.

Checks, in order (the first failure is the reason): exactly one clear face (a second face at least half
the size of the largest makes the photo ambiguous), minimum face height, sharpness (variance of the
Laplacian on the face crop scaled to a fixed size, so it does not depend on resolution), near-frontal
pose (yaw and roll from the 68 landmarks).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from robot_assistant.face.engine import Box, FaceEngine, Landmarks, box_height
from robot_assistant.face.geometry import roll_degrees, yaw

#: Rejection reasons (stable codes; ``REASON_TEXT`` holds the words shown to people).
NO_FACE = "no_face"
MULTIPLE_FACES = "multiple_faces"
FACE_TOO_SMALL = "face_too_small"
BLURRY = "blurry"
NOT_FRONTAL = "not_frontal"
UNREADABLE = "unreadable"

REASON_TEXT = {
    NO_FACE: "未检测到人脸 / no face found",
    MULTIPLE_FACES: "照片中有多张人脸 / more than one face in the photo",
    FACE_TOO_SMALL: "人脸太小 / the face is too small",
    BLURRY: "照片模糊 / the photo is blurred",
    NOT_FRONTAL: "请使用正脸照片 / the face is not frontal",
    UNREADABLE: "无法读取图片 / the image cannot be read",
}


@dataclass(frozen=True)
class QualityLimits:
    """Thresholds, measured on the test photos: every usable face scored a sharpness of 46 or more at
    150 px (median ~250); the same photos blurred with a Gaussian of sigma 3 mostly fell to 4–15.
    Faces under ~70 px carry too little detail for the 150 px chip the encoder aligns to. Roll 25°:
    the one test photo beyond it (30°) is a tilted-head pose shot."""

    min_face_px: int = 70
    min_sharpness: float = 25.0
    max_yaw: float = 0.3
    max_roll_deg: float = 25.0
    second_face_ratio: float = 0.5


@dataclass
class QualityReport:
    ok: bool
    reason: str | None = None
    box: Box | None = None
    landmarks: Landmarks | None = field(default=None, repr=False)
    face_px: int = 0
    sharpness: float = 0.0
    yaw: float = 0.0
    roll: float = 0.0
    faces: int = 0

    @property
    def text(self) -> str:
        return REASON_TEXT.get(self.reason or "", "")

    def summary(self) -> dict:
        """What is stored with a template (no image data)."""
        d = asdict(self)
        d.pop("landmarks")
        d["box"] = list(self.box) if self.box else None
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()}


MAX_PIXELS = 50_000_000
"""Photos declaring more pixels than this (a 50 MP camera's) are not decoded. A PNG of a few kB can
declare 60000x60000 (a decompression bomb): OpenCV would allocate gigabytes for it below its own limit
of 2**30 pixels, and raise cv2.error instead of returning None above it."""


def _declared_pixels(data: np.ndarray) -> int:
    """Width x height from the file's header (Pillow reads only the header here); 0 when Pillow does
    not know the format, which OpenCV then decides on alone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data.tobytes())) as im:
                return im.width * im.height
    except Image.DecompressionBombError:  # above twice Pillow's own limit
        return MAX_PIXELS + 1
    except Exception:  # not an image Pillow can identify, or a header it cannot parse
        return 0


def read_rgb(path: str | Path, max_side: int = 1024) -> np.ndarray | None:
    """Read an image as RGB (np.fromfile copes with non-ASCII paths), shrinking its longer side to
    ``max_side``: detection cost grows with pixels while faces this large gain nothing past it.
    None for anything that is not a readable picture of at most MAX_PIXELS pixels."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    if not data.size or _declared_pixels(data) > MAX_PIXELS:
        return None
    try:
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:  # a decoder that gives up by raising, not by returning None
        return None
    if bgr is None:
        return None
    scale = max_side / max(bgr.shape[:2])
    if scale < 1:
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def sharpness(rgb: np.ndarray, box: Box, size: int = 150) -> float:
    """Variance of the Laplacian of the face crop resized to ``size`` px square."""
    top, right, bottom, left = box
    h, w = rgb.shape[:2]
    crop = rgb[max(top, 0):min(bottom, h), max(left, 0):min(right, w)]
    if crop.size == 0:
        return 0.0
    gray = cv2.cvtColor(cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def detect_all(rgb: np.ndarray, engine: FaceEngine, min_face_px: int) -> list[Box]:
    """Every face that matters, cheaply: HOG without upsampling finds faces of ~80 px and more, so when
    it finds a face at least twice that, any second face big enough to matter was found too; otherwise
    look again at twice the resolution (4x the cost) for small or second faces. Engines that need no
    upsampling (YuNet) are asked once."""
    boxes = engine.detect(rgb, upsample=0)
    if not getattr(engine, "needs_upsample", True):
        return boxes
    if boxes and max(box_height(b) for b in boxes) >= 2 * max(80, min_face_px):
        return boxes
    return engine.detect(rgb, upsample=1)


def assess(rgb: np.ndarray, engine: FaceEngine, limits: QualityLimits = QualityLimits(),
           boxes: list[Box] | None = None) -> QualityReport:
    """Check one image; ``boxes`` skips detection when the caller already ran it."""
    if boxes is None:
        boxes = detect_all(rgb, engine, limits.min_face_px)
    if not boxes:
        return QualityReport(False, NO_FACE)
    ordered = sorted(boxes, key=box_height, reverse=True)
    box = ordered[0]
    report = QualityReport(False, None, box=box, face_px=box_height(box), faces=len(boxes))
    if len(ordered) > 1 and box_height(ordered[1]) >= limits.second_face_ratio * box_height(box):
        report.reason = MULTIPLE_FACES
        return report
    if report.face_px < limits.min_face_px:
        report.reason = FACE_TOO_SMALL
        return report
    report.sharpness = sharpness(rgb, box)
    if report.sharpness < limits.min_sharpness:
        report.reason = BLURRY
        return report
    lm = engine.landmarks(rgb, [box])[0]
    report.landmarks = lm
    report.yaw, report.roll = yaw(lm), roll_degrees(lm)
    if abs(report.yaw) > limits.max_yaw or abs(report.roll) > limits.max_roll_deg:
        report.reason = NOT_FRONTAL
        return report
    report.ok = True
    return report

"""Open-set calibration: how many strangers would be signed in, and how many members would not?

Why open-set: a closed-set test (is the nearest member the right one?) says nothing about strangers,
and strangers are what a tolerance calibrated on Western faces lets in at a Chinese site. Protocol,
on a folder with one sub-folder of photos per identity:

* **genuine**: each photo in turn is held back; the identity is enrolled from its *other* photos
  (those passing enrolment quality), every other identity from all of theirs; the held-back photo is
  the probe.
* **stranger**: each identity in turn is not enrolled at all; all its photos are probes against the
  others.

A probe is ``frames`` slightly different camera-like frames made from the photo (shift, scale,
rotation, brightness, noise, JPEG), fed through the same ``Agreement`` the pipeline uses.

Encodings are cached by file content, engine model and settings, so re-running with another policy
(``face-check``, the bench's sweeps) costs only the matching.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from robot_assistant.face.engine import FaceEngine, TemplateModel, largest
from robot_assistant.face.matcher import ACCEPT, ASK, REJECT, Agreement, MatchPolicy
from robot_assistant.face.quality import QualityLimits, assess, read_rgb
from robot_assistant.face.templates import TemplateIndex

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass
class PhotoData:
    identity: str
    path: Path
    enrollable: bool
    gallery: np.ndarray | None
    """Enrolment encoding (``enroll_jitters``), None when the photo fails enrolment quality."""
    frames: list[np.ndarray] = field(default_factory=list)
    """Probe encodings, one per simulated frame where a face was found."""
    metric: str = "euclidean"
    reason: str | None = None
    """Why the photo cannot be enrolled (a quality reason code), None when it can."""


def identity_folders(root: Path) -> dict[str, list[Path]]:
    """``root/<identity>/<photo>``; folders starting with ``_`` (no face, several faces) are skipped."""
    out: dict[str, list[Path]] = {}
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith("_")):
        photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if photos:
            out[folder.name] = photos
    return out


def camera_like(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One simulated camera frame of a photo: small shift/scale/rotation, light change, noise, JPEG."""
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-3, 3), 1 + rng.uniform(-0.04, 0.04))
    m[:, 2] += rng.uniform(-0.03, 0.03, 2) * (w, h)
    out = cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    out = np.clip(out.astype(np.float32) * rng.uniform(0.9, 1.1) + rng.uniform(-10, 10)
                  + rng.normal(0, 3, out.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 75])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else out


def load_photos(root: Path, engine: FaceEngine, *, frames: int = 3, enroll_jitters: int = 10,
                limits: QualityLimits | None = None, cache_dir: Path | None = None,
                progress: Callable[[str], None] | None = None) -> list[PhotoData]:
    """Encode every photo once (enrolment encoding + probe frames), cached by file content."""
    limits = limits or QualityLimits()
    model: TemplateModel | None = getattr(engine, "template_model", None)
    metric = model.metric if model else "euclidean"
    dim = model.dim if model else 128
    tag = f"{model.key if model else 'engine'}:{frames}:{enroll_jitters}:{limits}".encode()
    photos = []
    folders = identity_folders(root) if isinstance(root, (str, Path)) else root
    for identity, paths in folders.items():
        for path in paths:
            key = hashlib.sha1(path.read_bytes() + tag).hexdigest()[:16]
            cached = cache_dir / f"{key}.npz" if cache_dir else None
            if cached and cached.is_file():
                z = np.load(cached)
                gallery = z["gallery"] if z["gallery"].size else None
                reason = str(z["reason"]) or None if "reason" in z else None
                photos.append(PhotoData(identity, path, bool(z["enrollable"]), gallery, list(z["frames"]), metric,
                                        reason))
                continue
            if progress:
                progress(f"{identity}/{path.name}")
            photos.append(_encode_photo(identity, path, engine, frames, enroll_jitters, limits))
            photos[-1].metric = metric
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                p = photos[-1]
                np.savez(cached, enrollable=p.enrollable,
                         gallery=p.gallery if p.gallery is not None else np.zeros(0, np.float32),
                         frames=np.array(p.frames, np.float32).reshape(-1, dim), reason=p.reason or "")
    return photos


def _encode_photo(identity: str, path: Path, engine: FaceEngine, frames: int, jitters: int,
                  limits: QualityLimits) -> PhotoData:
    rgb = read_rgb(path)
    if rgb is None:
        return PhotoData(identity, path, False, None, reason="unreadable")
    report = assess(rgb, engine, limits)
    gallery = engine.encode(rgb, [report.box], jitters)[0] if report.ok else None
    rng = np.random.default_rng(int(hashlib.sha1(path.name.encode()).hexdigest()[:8], 16))
    encs = []
    for _ in range(frames):
        frame = camera_like(rgb, rng)
        box = largest(engine.detect(frame, upsample=0) or engine.detect(frame, upsample=1))
        if box is not None:
            encs.append(engine.encode(frame, [box], 1)[0])
    return PhotoData(identity, path, report.ok, gallery, encs, reason=report.reason)


# -------------------------------------------------------------------------------------- evaluation


@dataclass
class Outcomes:
    accepted: int = 0
    wrong: int = 0
    """Accepted as somebody else (genuine probes only)."""
    asked: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.wrong + self.asked + self.rejected

    def rate(self, n: int) -> float:
        return n / self.total if self.total else 0.0

    def line(self) -> str:
        t = self.total or 1
        return (f"n={self.total:3d}  accepted {self.accepted:3d} ({self.accepted / t:6.1%})  "
                f"wrong {self.wrong:2d}  asked {self.asked:3d} ({self.asked / t:6.1%})  "
                f"rejected {self.rejected:3d} ({self.rejected / t:6.1%})")


@dataclass
class OpenSetResult:
    policy: MatchPolicy
    genuine: Outcomes
    stranger: Outcomes
    genuine_distances: list[float] = field(default_factory=list)
    """Per genuine probe: distance of its frame-averaged encoding to its own identity."""
    stranger_distances: list[float] = field(default_factory=list)
    """Per stranger probe: distance to the nearest enrolled identity."""


def _index(photos: Iterable[PhotoData], aggregate: str) -> TemplateIndex:
    photos = list(photos)
    metric = photos[0].metric if photos else "euclidean"
    rows, members, ids = [], {}, {}
    for p in photos:
        if p.gallery is None:
            continue
        mid = ids.setdefault(p.identity, len(ids) + 1)
        members[mid] = (p.identity, p.identity)
        rows.append((mid, p.gallery))
    return TemplateIndex.from_templates(rows, members, aggregate, metric)


@dataclass
class _Probe:
    kind: str
    truth: str
    index: TemplateIndex
    frames: list[np.ndarray]


def _probes(photos: list[PhotoData], aggregate: str) -> list[_Probe]:
    out = []
    identities = sorted({p.identity for p in photos})
    for ident in identities:
        strangers_gallery = _index((p for p in photos if p.identity != ident), aggregate)
        for p in photos:
            if p.identity != ident or not p.frames:
                continue
            out.append(_Probe("stranger", ident, strangers_gallery, p.frames))
            others = [q for q in photos if q is not p]
            if any(q.identity == ident and q.gallery is not None for q in others):
                out.append(_Probe("genuine", ident, _index(others, aggregate), p.frames))
    return out


def evaluate(photos: list[PhotoData], policy: MatchPolicy, aggregate: str = "centroid",
             probes: list[_Probe] | None = None) -> OpenSetResult:
    genuine, stranger = Outcomes(), Outcomes()
    gd, sd = [], []
    for probe in probes if probes is not None else _probes(photos, aggregate):
        agreement = Agreement(probe.index, policy)
        frames = probe.frames[:policy.frames_to_agree]
        if len(frames) < policy.frames_to_agree:  # a face missed in some frames: repeat the ones found
            frames = list(itertools.islice(itertools.cycle(probe.frames), policy.frames_to_agree))
        for enc in frames:
            decision = agreement.add(enc)
        out = genuine if probe.kind == "genuine" else stranger
        mean = np.mean(frames, axis=0)
        d = probe.index.distances(mean)
        if probe.kind == "genuine":
            own = [i for i, m in enumerate(probe.index.member_ids) if probe.index.members[int(m)][0] == probe.truth]
            gd.append(float(d[own].min()))
        elif len(d):
            sd.append(float(d.min()))
        if decision.outcome == ACCEPT:
            if probe.kind == "genuine" and decision.best.number != probe.truth:
                out.wrong += 1
            else:
                out.accepted += 1
        elif decision.outcome == ASK:
            out.asked += 1
        elif decision.outcome == REJECT:
            out.rejected += 1
    return OpenSetResult(policy, genuine, stranger, gd, sd)


def grid_search(photos: list[PhotoData], *, frames_to_agree: int = 3, max_stranger_accept: float = 0.01,
                ask_tolerance: float = 0.46, aggregate: str = "centroid",
                tolerances: Iterable[float] | None = None,
                margins: Iterable[float] = np.arange(0.0, 0.121, 0.01)) -> list[OpenSetResult]:
    """Every (tolerance, margin) with strangers accepted ≤ ``max_stranger_accept`` and no genuine
    probe accepted as someone else, best first: most genuine accepted, then the most conservative
    (lowest tolerance, widest margin) among equals — with test sets this small, safety wins ties.
    ``tolerances`` default: steps of 0.005 from 0.1 below the closest genuine distance to just past
    the closest stranger (the scale differs per engine)."""
    probes = _probes(photos, aggregate)
    if tolerances is None:
        base = evaluate(photos, MatchPolicy(1.0, 1.0, 0.0, frames_to_agree), aggregate, probes)
        lo = min(base.genuine_distances or [0.3]) - 0.1
        hi = min(base.stranger_distances or [1.0]) + 0.02
        tolerances = np.arange(max(0.005, round(lo, 2)), hi, 0.005)
    ok = []
    for t, m in itertools.product(tolerances, margins):
        policy = MatchPolicy(round(float(t), 3), max(ask_tolerance, round(float(t), 3)), round(float(m), 3),
                             frames_to_agree)
        r = evaluate(photos, policy, aggregate, probes)
        if r.stranger.rate(r.stranger.accepted) <= max_stranger_accept and r.genuine.wrong == 0:
            ok.append(r)
    ok.sort(key=lambda r: (-r.genuine.accepted, r.policy.accept_tolerance, -r.policy.min_margin))
    return ok

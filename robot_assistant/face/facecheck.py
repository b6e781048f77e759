"""``launcher.py face-check DIR``: a site measures face sign-in on its own photos before going live.

Why: the thresholds shipped were calibrated on two small public photo sets; a site's members, cameras
and light differ. This runs the same leave-one-out open-set evaluation as the calibration
(robot_assistant/face/calibration.py) with the site's configuration (engine, policy, quality limits),
and says what would happen: members signed in without a question, asked to confirm, taken for another
member, turned away; strangers let in or asked. It also prints the distance distributions and the
tolerance range that would have let in no stranger, so a site can see how much room its policy has.

Folder layout: ``DIR/<person>/<photo>`` (one sub-folder per person; top-level files and folders starting
with ``_`` or ``.`` are ignored). A person with a single photo cannot be a genuine probe (nothing would
be left to enrol): they serve only as a stranger, and the report says so. Problems that make the run
meaningless (an empty folder, files that are not images) stop it with exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from robot_assistant.face.calibration import (
    IMAGE_SUFFIXES,
    OpenSetResult,
    Outcomes,
    PhotoData,
    evaluate,
    grid_search,
    load_photos,
)
from robot_assistant.face.engine import FaceEngine
from robot_assistant.face.quality import REASON_TEXT, read_rgb
from robot_assistant.face.settings import FaceSettings


class FaceCheckError(ValueError):
    """The folder cannot be evaluated; the message says why (exit status 2)."""


def scan(root: Path) -> dict[str, list[Path]]:
    """Person -> photos; FaceCheckError for a missing or empty folder, or files that are not images."""
    root = Path(root)
    if not root.is_dir():
        raise FaceCheckError(f"{root}: not a folder (give a folder with one sub-folder of photos per person)")
    people: dict[str, list[Path]] = {}
    bad: list[str] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        photos = []
        for f in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
            if f.is_dir():
                continue
            if f.suffix.lower() not in IMAGE_SUFFIXES or read_rgb(f) is None:
                bad.append(str(f))
            else:
                photos.append(f)
        if photos:
            people[folder.name] = photos
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise FaceCheckError(f"{len(bad)} file(s) are not readable images ({', '.join(sorted(IMAGE_SUFFIXES))}): "
                             f"{shown} — remove them or convert them to JPEG")
    if not people:
        raise FaceCheckError(f"{root}: no photos found (expected {root}/<person>/<photo>.jpg, one sub-folder "
                             "per person)")
    if len(people) < 2:
        raise FaceCheckError(f"{root}: only one person ({next(iter(people))}); an open-set check needs at "
                             "least two (each person in turn is the stranger)")
    return people


@dataclass
class SetReport:
    name: str
    photos: int
    identities: int
    single_photo: list[str]
    refused: list[tuple[str, str]]
    """(photo, reason text) of photos that would be refused at enrolment."""
    result: OpenSetResult
    recommended: dict | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "photos": self.photos, "identities": self.identities,
                **_rates(self.result), "single_photo_identities": self.single_photo,
                "refused_at_enrolment": [{"photo": p, "reason": r} for p, r in self.refused],
                "genuine_distances": _dist(self.result.genuine_distances),
                "stranger_distances": _dist(self.result.stranger_distances),
                "recommended": self.recommended}


@dataclass
class CheckReport:
    engine: str
    model: str
    policy: dict
    sets: list[SetReport] = field(default_factory=list)

    def overall(self) -> OpenSetResult:
        g, s = Outcomes(), Outcomes()
        gd, sd = [], []
        for x in self.sets:
            for out, src in ((g, x.result.genuine), (s, x.result.stranger)):
                out.accepted += src.accepted
                out.wrong += src.wrong
                out.asked += src.asked
                out.rejected += src.rejected
            gd += x.result.genuine_distances
            sd += x.result.stranger_distances
        return OpenSetResult(self.sets[0].result.policy, g, s, gd, sd)

    def to_dict(self) -> dict:
        overall = self.overall()
        return {"engine": self.engine, "model": self.model, "policy": self.policy, **_rates(overall),
                "photos": sum(x.photos for x in self.sets), "identities": sum(x.identities for x in self.sets),
                "genuine_distances": _dist(overall.genuine_distances),
                "stranger_distances": _dist(overall.stranger_distances),
                "sets": [x.to_dict() for x in self.sets]}

    def lines(self) -> list[str]:
        p = self.policy
        out = [f"engine {self.engine} ({self.model}); policy: accept <= {p['accept_tolerance']}, margin >= "
               f"{p['min_margin']}, ask <= {p['ask_tolerance']}, {p['frames_to_agree']} frames agreeing"]
        blocks = [(x.name, x.result, x) for x in self.sets]
        if len(self.sets) > 1:
            blocks.append(("overall", self.overall(), None))
        for name, r, x in blocks:
            d = _rates(r)
            out.append("")
            head = f"== {name}"
            if x is not None:
                head += f": {x.identities} people, {x.photos} photos"
            out.append(head)
            g, s = r.genuine, r.stranger
            out.append(f"  members (genuine, {g.total} probes): signed in without a question {g.accepted} "
                       f"({d['genuine_auto_rate']:.1%}), asked to confirm {g.asked} ({d['genuine_asked_rate']:.1%}), "
                       f"taken for another member {g.wrong}, not recognised {g.rejected}")
            out.append(f"  strangers ({s.total} probes): signed in {s.accepted}, asked to confirm {s.asked} "
                       f"({d['strangers_asked_rate']:.1%}), turned away {s.rejected}")
            out.append(f"  distances: members {_dist_text(r.genuine_distances)}; nearest member to a stranger "
                       f"{_dist_text(r.stranger_distances)}")
            if x is None:
                continue
            if x.single_photo:
                out.append(f"  used only as strangers (one photo each): {', '.join(x.single_photo)}")
            for photo, reason in x.refused:
                out.append(f"  refused at enrolment: {photo}: {reason}")
            if x.recommended:
                rec = x.recommended
                out.append(f"  recommended accept_tolerance {rec['accept_tolerance']} (no stranger accepted from "
                           f"{rec['lowest']} to {rec['highest']}; genuine accepted there {rec['genuine_auto_rate']:.1%}"
                           f", margin {rec['min_margin']})")
            else:
                out.append("  no tolerance lets members in without also letting a stranger in: enrol more and "
                           "better photos, or keep the confirmation step")
        return out


def _rates(r: OpenSetResult) -> dict:
    g, s = r.genuine, r.stranger
    return {"genuine": g.total, "genuine_auto_rate": g.rate(g.accepted), "genuine_asked_rate": g.rate(g.asked),
            "wrong_member": g.wrong, "genuine_rejected": g.rejected, "strangers": s.total,
            "strangers_accepted": s.accepted, "strangers_asked_rate": s.rate(s.asked),
            "strangers_rejected": s.rejected}


def _dist(values: list[float]) -> dict | None:
    if not values:
        return None
    v = np.asarray(values)
    return {"min": round(float(v.min()), 4), "p5": round(float(np.percentile(v, 5)), 4),
            "median": round(float(np.median(v)), 4), "p95": round(float(np.percentile(v, 95)), 4),
            "max": round(float(v.max()), 4)}


def _dist_text(values: list[float]) -> str:
    d = _dist(values)
    return "none" if d is None else f"min {d['min']:.3f} / median {d['median']:.3f} / max {d['max']:.3f}"


def recommend(photos: list[PhotoData], settings: FaceSettings) -> dict | None:
    """The tolerance range that accepted no stranger and no wrong member and the most members; the
    recommendation is the middle of that range (both ends measured on few photos)."""
    policy = settings.policy
    found = grid_search(photos, frames_to_agree=policy.frames_to_agree, max_stranger_accept=0.0,
                        ask_tolerance=policy.ask_tolerance, aggregate=settings.aggregate,
                        margins=[policy.min_margin])
    if not found:
        return None
    best = found[0].genuine.accepted
    tols = [r.policy.accept_tolerance for r in found if r.genuine.accepted == best]
    lo, hi = min(tols), max(tols)
    top = found[0]
    return {"accept_tolerance": round((lo + hi) / 2, 3), "lowest": lo, "highest": hi,
            "min_margin": policy.min_margin, "genuine_auto_rate": top.genuine.rate(best)}


def check(dirs: list[Path], engine: FaceEngine, settings: FaceSettings, *, frames: int = 5,
          cache_dir: Path | None = None, progress: Callable[[str], None] | None = None) -> CheckReport:
    """Evaluate each folder with ``settings`` (each is its own site: its people enrolled, each in turn a
    stranger). Raises FaceCheckError for a folder that cannot be evaluated."""
    model = getattr(engine, "template_model", None)
    p = settings.policy
    report = CheckReport(getattr(engine, "name", "engine"), model.key if model else "",
                         {"accept_tolerance": p.accept_tolerance, "ask_tolerance": p.ask_tolerance,
                          "min_margin": p.min_margin, "frames_to_agree": p.frames_to_agree})
    scanned = [(Path(d), scan(d)) for d in dirs]
    for root, people in scanned:
        photos = load_photos(people, engine, frames=max(frames, p.frames_to_agree),
                             enroll_jitters=settings.enroll_jitters, limits=settings.quality, cache_dir=cache_dir,
                             progress=progress)
        single = sorted(name for name, paths in people.items() if len(paths) == 1)
        refused = [(f"{x.identity}/{x.path.name}", REASON_TEXT.get(x.reason or "", x.reason or "unusable"))
                   for x in photos if not x.enrollable]
        result = evaluate(photos, p, settings.aggregate)
        report.sets.append(SetReport(root.name, len(photos), len(people), single, refused, result,
                                     recommend(photos, settings)))
    return report

"""Face sign-in settings with the calibrated defaults, read from the ``face:`` config section.

Why a dataclass here and not only in core/config.py: the face code must run (tests, bench) with nothing
configured, and every class also takes these values as plain constructor arguments. ``from_config``
reads a loaded configuration's ``face`` section (``core.config_sections.FaceSection``, where each key has
its one default); ``for_engine`` gives an engine's calibration with no configuration at all.

Why per-engine defaults: distances mean different things per engine (dlib: Euclidean, genuine about
0.3-0.45; SFace: 1 - cosine, genuine up to ~0.53 and strangers from ~0.63 on our sets), so a policy is
calibrated per engine and the config's policy keys default to the chosen engine's values
(``ENGINE_DEFAULTS``). A site that sets them overrides the engine's calibration, for that engine only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robot_assistant.face.liveness import LivenessSettings
from robot_assistant.face.matcher import MatchPolicy
from robot_assistant.face.quality import QualityLimits

if TYPE_CHECKING:
    from core.config_sections import Config

#: Calibrated by leave-one-out open-set runs (robot_assistant/face/calibration.py; figures in README,
#: "Face recognition engines", reproduced by `launcher.py face-check` and bench/face_bench.py).
ENGINE_DEFAULTS: dict[str, dict[str, Any]] = {
    # SFace, 3 frames averaged: genuine probes reached 0.532 (faces_east_asian) / 0.383 (faces), the
    # nearest stranger lay at 0.630 / 0.683. Accept 0.56 (room for a genuine face worse than any seen),
    # ask up to 0.61 (below every stranger), margin 0.08 to the second member.
    "sface": {"accept_tolerance": 0.56, "ask_tolerance": 0.61, "min_margin": 0.08, "frames_to_agree": 3,
              "duplicate_tolerance": 0.50, "consistency_tolerance": 0.62, "enroll_jitters": 2},
    # dlib (face_recognition), the earlier calibration; see README for where it fails on unseen photos.
    "dlib": {"accept_tolerance": 0.36, "ask_tolerance": 0.45, "min_margin": 0.06, "frames_to_agree": 3,
             "duplicate_tolerance": 0.36, "consistency_tolerance": 0.6, "enroll_jitters": 10},
}
POLICY_KEYS = ("accept_tolerance", "ask_tolerance", "min_margin", "frames_to_agree")


@dataclass
class FaceSettings:
    enabled: bool = True
    engine: str = "sface"
    """``sface`` (default) or ``dlib``."""
    model_dir: Path | None = None
    """SFace/YuNet folder; default ``models/sface-yunet``."""
    key_file: Path | None = None
    """Default: ``<data_dir>-keys/face.key``, beside the data folder (``core.facecrypt.key_file_for``)."""
    consent_version: str = ""
    """Version of the consent text members signed; enrolment refuses to run without one."""
    keep_photos: bool = False
    enroll_jitters: int = 2
    aggregate: str = "centroid"
    duplicate_tolerance: float = 0.50
    consistency_tolerance: float = 0.62
    policy: MatchPolicy = field(default_factory=lambda: engine_policy("sface"))
    quality: QualityLimits = field(default_factory=QualityLimits)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)
    liveness_timeout_s: float = 8.0
    detect_width: int = 640
    detect_every: int = 3
    upsample: int = 1

    @classmethod
    def for_engine(cls, engine: str, **overrides: Any) -> FaceSettings:
        """The calibrated defaults of ``engine``, with ``overrides`` (None values ignored)."""
        return cls.from_config(None, engine=engine, **overrides)

    @classmethod
    def from_config(cls, config: Config | None, **extra: Any) -> FaceSettings:
        """The chosen engine's calibrated defaults, overlaid with ``config.face`` where it sets a value
        (None: nothing configured), then with ``extra``."""
        values: dict[str, Any] = config.face.model_dump() if config is not None else {}
        values.update(extra)
        engine = values.get("engine") or "sface"
        if engine not in ENGINE_DEFAULTS:
            raise ValueError(f"unknown face engine {engine!r}: use one of {', '.join(ENGINE_DEFAULTS)}")
        values = {**ENGINE_DEFAULTS[engine], **{k: v for k, v in values.items() if v is not None}}
        out = cls()
        for f in fields(cls):
            if f.name in values and f.name not in ("policy", "quality", "liveness"):
                setattr(out, f.name, values[f.name])
        out.policy = MatchPolicy(**_pick(values, MatchPolicy))
        out.quality = QualityLimits(**_pick(values, QualityLimits))
        live = _pick(values.get("liveness", {}) or {}, LivenessSettings)
        for key in ("methods", "challenge"):
            if key in live:
                live[key] = tuple(live[key])
        out.liveness = LivenessSettings(**live)
        if out.key_file is None and config is not None:
            from core.facecrypt import key_file_for

            out.key_file = key_file_for(config)  # beside the data folder, or an older version's key in it
        return out


def engine_policy(engine: str) -> MatchPolicy:
    return MatchPolicy(**{k: ENGINE_DEFAULTS[engine][k] for k in POLICY_KEYS})


def _pick(values: dict[str, Any], cls: type) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names and v is not None}

"""Face sign-in settings with the calibrated defaults, read from the ``face:`` config section.

Why a dataclass here and not only in core/config.py: the face code must run (tests, bench, a site
without the section yet) with nothing configured, and every class also takes these values as plain
constructor arguments. ``from_config`` reads ``config.face`` when the section exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from robot_assistant.face.liveness import LivenessSettings
from robot_assistant.face.matcher import MatchPolicy
from robot_assistant.face.quality import QualityLimits


@dataclass
class FaceSettings:
    enabled: bool = True
    key_file: Path | None = None
    """Default: ``<data_dir>/face.key``."""
    consent_version: str = ""
    """Version of the consent text members signed; enrolment refuses to run without one."""
    keep_photos: bool = False
    enroll_jitters: int = 10
    aggregate: str = "centroid"
    duplicate_tolerance: float = 0.36
    consistency_tolerance: float = 0.6
    policy: MatchPolicy = field(default_factory=MatchPolicy)
    quality: QualityLimits = field(default_factory=QualityLimits)
    liveness: LivenessSettings = field(default_factory=LivenessSettings)
    liveness_timeout_s: float = 8.0
    detect_width: int = 640
    detect_every: int = 3
    upsample: int = 1

    @classmethod
    def from_config(cls, config: Any) -> FaceSettings:
        """Defaults, overlaid with ``config.face`` (a pydantic model or mapping) where present."""
        section = getattr(config, "face", None)
        values: dict[str, Any] = {}
        if section is not None:
            values = section.model_dump() if hasattr(section, "model_dump") else dict(section)
        out = cls()
        for f in fields(cls):
            if f.name in values and f.name not in ("policy", "quality", "liveness"):
                setattr(out, f.name, values[f.name])
        out.policy = MatchPolicy(**_pick(values, MatchPolicy))
        out.quality = QualityLimits(**_pick(values, QualityLimits))
        live = _pick(values.get("liveness", {}) or {}, LivenessSettings)
        if "methods" in live:
            live["methods"] = tuple(live["methods"])
        out.liveness = LivenessSettings(**live)
        if out.key_file is None and config is not None and hasattr(config, "site"):
            out.key_file = Path(config.site.data_dir) / "face.key"
        return out


def _pick(values: dict[str, Any], cls: type) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names and v is not None}

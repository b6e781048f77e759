"""The fix as the tracker last knew it, and the field parsers NMEA sentences need."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date
from datetime import time as dtime
from typing import Any

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------- fix state


@dataclass
class FixState:
    """Everything learnt from the sentences so far (mutable; the tracker owns it)."""

    lat: float | None = None
    lon: float | None = None
    altitude_m: float | None = None
    fix: bool = False
    quality: int = 0
    fix_mode: int = 1
    hdop: float | None = None
    gga_sats: int | None = None
    utc_date: date | None = None
    utc_time: dtime | None = None
    last_fix_at: float | None = None
    last_sentence_at: float | None = None
    used: dict[str, set[int]] = field(default_factory=dict)
    """Satellites in use per constellation, from the last *complete* GSA group (one epoch)."""
    gsa_seen: bool = False
    """This receiver sends GSA: a new fix is reported once a GSA group has confirmed it (2D/3D), so the
    first fix already carries its BeiDou count (GGA comes before that epoch's GSA)."""
    fix_epoch: dtime | None = None
    """UTC time of the latest epoch seen since the current fix began."""
    epochs_since_fix: int = 0
    """New epochs (a new UTC time) begun since the fix began: at 2, one whole epoch has been seen, with
    its GSA if the receiver sends any."""
    in_view: dict[str, int] = field(default_factory=dict)
    """Satellites in view per constellation: the union of the PRNs over every signal's GSV sequence
    (a dual-band receiver sends one sequence per band), at least the largest count a header gave."""
    talkers: set[str] = field(default_factory=set)
    sentences: int = 0
    checksum_errors: int = 0
    """Sentences dropped for a bad or missing checksum."""
    missing_checksums: int = 0
    parse_errors: int = 0
    """Lines that are not NMEA, or sentences with a good checksum that still could not be read."""
    binary_noise: int = 0
    """Lines with binary bytes (a receiver's binary protocol frames between sentences); a sentence after
    the binary is still read (resynchronised on its ``$``)."""
    ignored: int = 0
    """Well-formed sentences this tracker has no use for (proprietary, VTG, TXT, ...)."""

    def used_count(self, *systems: str) -> int:
        return sum(len(self.used.get(s, ())) for s in systems)


def _float(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _degrees(value: str, hemisphere: str, degree_digits: int) -> float | None:
    """NMEA ``ddmm.mmmm`` / ``dddmm.mmmm`` with N/S/E/W → signed degrees (None when empty or broken)."""
    value = (value or "").strip()
    if len(value) < degree_digits + 2 or hemisphere not in ("N", "S", "E", "W"):
        return None
    deg, minutes = _int(value[:degree_digits]), _float(value[degree_digits:])
    if deg is None or minutes is None or not 0 <= minutes < 60:
        return None
    out = deg + minutes / 60.0
    return -out if hemisphere in ("S", "W") else out


def _latlon(msg: Any) -> tuple[float, float] | None:
    lat = _degrees(getattr(msg, "lat", ""), getattr(msg, "lat_dir", ""), 2)
    lon = _degrees(getattr(msg, "lon", ""), getattr(msg, "lon_dir", ""), 3)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # some receivers print zeros before the first fix
        return None
    return lat, lon

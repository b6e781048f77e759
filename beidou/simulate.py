"""Write NMEA logs for demos and tests (GGA/RMC/GSA/GSV with BeiDou satellites)."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

from beidou.nmea import checksum

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------- tools



def sentence(body: str) -> str:
    """``"GNGGA,..."`` → ``"$GNGGA,...*hh"``."""
    return f"${body}*{checksum(body)}"


def _nmea_lat(lat: float) -> tuple[str, str]:
    d = abs(lat)
    return f"{int(d):02d}{(d - int(d)) * 60:08.5f}", "N" if lat >= 0 else "S"


def _nmea_lon(lon: float) -> tuple[str, str]:
    d = abs(lon)
    return f"{int(d):03d}{(d - int(d)) * 60:08.5f}", "E" if lon >= 0 else "W"


def simulate_nmea(lat: float, lon: float, *, seconds: int = 60, start: datetime | None = None,
                  beidou: tuple[int, ...] = (6, 9, 13, 16, 24, 39), gps: tuple[int, ...] = (3, 8, 14, 22, 27),
                  wander_m: float = 1.5, hdop: float = 0.8) -> list[str]:
    """A believable receiver log at a fixed place (a few metres of wander): one epoch per second with
    GNRMC, GNGGA, a GNGSA per constellation (NMEA 4.10 system ids 1 and 4), GPGSV and GBGSV.
    Used for the demo terminal position and for tests."""
    start = start or datetime(2026, 1, 1, 2, 0, 0, tzinfo=UTC)
    out: list[str] = []
    for i in range(seconds):
        t = start + timedelta(seconds=i)
        dn = wander_m * math.sin(i / 7.0) / 111_195.0
        de = wander_m * math.cos(i / 11.0) / (111_195.0 * math.cos(math.radians(lat)))
        la, ns = _nmea_lat(lat + dn)
        lo, ew = _nmea_lon(lon + de)
        hms = f"{t:%H%M%S}.00"
        n = len(beidou) + len(gps)
        out.append(sentence(f"GNRMC,{hms},A,{la},{ns},{lo},{ew},0.02,,{t:%d%m%y},,,A,V"))
        out.append(sentence(f"GNGGA,{hms},{la},{ns},{lo},{ew},1,{n:02d},{hdop:.1f},12.0,M,7.0,M,,"))
        gp_ids = ",".join([f"{p:02d}" for p in gps] + [""] * (12 - len(gps)))
        bd_ids = ",".join([f"{p:02d}" for p in beidou] + [""] * (12 - len(beidou)))
        out.append(sentence(f"GNGSA,A,3,{gp_ids},1.4,{hdop:.1f},1.1,1"))
        out.append(sentence(f"GNGSA,A,3,{bd_ids},1.4,{hdop:.1f},1.1,4"))
        for talker, prns in (("GP", gps), ("GB", beidou)):
            groups = [prns[k:k + 4] for k in range(0, len(prns), 4)] or [()]
            for m, group in enumerate(groups, 1):
                sats = ",".join(f"{p:02d},{30 + 7 * j % 50:02d},{(40 * p) % 360:03d},{38 + j % 8}"
                                for j, p in enumerate(group))
                out.append(sentence(f"{talker}GSV,{len(groups)},{m},{len(prns):02d},{sats}"))
    return out

"""Position events: where the terminal is (BeiDou/GNSS)."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class Position(Event):
    """The terminal's own position as the GNSS worker last knew it (published about once a second).

    ``lat``/``lon`` stay at the last good fix when the fix is lost; ``fix`` says whether they are
    current and ``age_s`` how old they were when this was published (None: never had a fix).
    """

    lat: float | None = None
    lon: float | None = None
    fix: bool = False
    """True while the receiver reports a valid fix and its sentences are fresh."""
    quality: int = 0
    """GGA fix quality: 0 none, 1 GNSS, 2 DGNSS, 4 RTK fixed, 5 RTK float, 6 estimated."""
    fix_mode: int = 1
    """GSA: 1 no fix, 2 = 2D, 3 = 3D."""
    satellites_used: int = 0
    beidou_used: int = 0
    gps_used: int = 0
    other_used: int = 0
    """Satellites in use of other constellations (GLONASS, Galileo, QZSS, SBAS)."""
    satellites_in_view: int = 0
    beidou_in_view: int = 0
    hdop: float | None = None
    altitude_m: float | None = None
    utc_iso: str | None = None
    """The receiver's UTC time of the last fix (date from RMC/ZDA when seen)."""
    age_s: float | None = None
    """Seconds since the last good fix, at publication; None when there has been none."""
    connected: bool = False
    source: str = ""
    checksum_errors: int = 0
    """Sentences dropped for a bad or missing checksum since the worker started."""
    talkers: tuple[str, ...] = ()
    """Talker ids seen (GN, BD, GB, GP, ...)."""

    @property
    def known(self) -> bool:
        """True when there is a position to show (current or last known)."""
        return self.lat is not None and self.lon is not None

    @property
    def latlon(self) -> tuple[float, float] | None:
        return (self.lat, self.lon) if self.known else None  # type: ignore[return-value]

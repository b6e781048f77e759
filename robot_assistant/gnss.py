"""BeiDou/GNSS moved to the ``beidou`` package (receivers, NMEA, positions); this name stays for old imports."""

from beidou import GnssWorker, Position, start_gnss

__all__ = ["GnssWorker", "Position", "start_gnss"]

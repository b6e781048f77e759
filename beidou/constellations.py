"""Which constellation a satellite belongs to, from the talker, PRN and NMEA 4.10 system id.

Chinese modules report BeiDou three ways (``BD``/``GB`` talkers, PRNs 201–264/401–464 inside ``GNGSA``,
system id 4), so "北斗 n 颗" is counted right whichever way a module reports it.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


#: GGA fix qualities that are a real position (1 GPS/SPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float).
#: 6 (dead reckoning), 7 (manual) and 8 (simulation) are not a fix for a map that says "本机位置".
VALID_QUALITY = frozenset({1, 2, 3, 4, 5})
#: RMC/GNS/GLL mode indicators meaning a real fix (autonomous, differential, precise, RTK, float RTK).
VALID_MODES = frozenset("ADPRF")

#: NMEA 4.10+ GSA/GSV system ids.
SYSTEM_IDS = {1: "GPS", 2: "GLONASS", 3: "Galileo", 4: "BDS", 5: "QZSS", 6: "NavIC"}
#: Talker id → constellation ("GN" is combined and decided per satellite).
TALKERS = {"GP": "GPS", "BD": "BDS", "GB": "BDS", "GL": "GLONASS", "GA": "Galileo", "GQ": "QZSS",
           "QZ": "QZSS", "GI": "NavIC"}


def classify(talker: str, prn: int, system_id: int | None = None) -> str:
    """The constellation of a satellite in use: by NMEA 4.10 system id, else talker, else PRN range.

    PRN ranges for a combined ``GN`` talker follow common practice (gpsd, SiRF, u-blox "extended"):
    1–32 GPS, 33–64 SBAS, 65–96 GLONASS, 193–200 QZSS, 201–264 BeiDou, 301–336 Galileo, 401–464 BeiDou.
    """
    if system_id in SYSTEM_IDS:
        return SYSTEM_IDS[system_id]  # type: ignore[index]
    system = TALKERS.get(talker)
    if system == "GPS" and 33 <= prn <= 64:
        return "SBAS"
    if system is not None:
        return system
    if 1 <= prn <= 32:
        return "GPS"
    if 33 <= prn <= 64:
        return "SBAS"
    if 65 <= prn <= 96:
        return "GLONASS"
    if 193 <= prn <= 200:
        return "QZSS"
    if 201 <= prn <= 264 or 401 <= prn <= 464:
        return "BDS"
    if 301 <= prn <= 336:
        return "Galileo"
    return "other"

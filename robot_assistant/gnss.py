"""The terminal's own position from a BeiDou/GNSS receiver speaking NMEA-0183 (党建地图's 本机位置).

Why it looks like this:

- A receiver is a device, so one worker thread owns it and publishes small :class:`Position` events on
  the bus; the map screen never touches a serial port.
- Receivers differ. Chinese modules (CASIC/Zhongkewei, Unicore, Allystar, Quectel) talk with the ``GN``
  talker for combined fixes and ``BD`` (Chinese TSCPB standard) or ``GB`` (NMEA 4.x) for BeiDou; older
  SiRF parts number BeiDou satellites 201–237 inside ``GNGSA``; NMEA 4.10+ adds a system id (4 = BeiDou)
  at the end of GSA. :func:`classify` handles all three, so "北斗 n 颗" is counted correctly whichever
  way a module reports it.
- Serial lines are noisy: a sentence with a bad or missing checksum is counted and skipped, never half
  believed; a line that is not NMEA at all is counted separately.
- Indoors a fix comes and goes. With no fix the last known position is kept and reported with its age,
  so the screen can say "上次定位 3 分钟前" instead of dropping the marker.
- USB receivers get unplugged and TCP bridges restart: the worker reopens the source with exponential
  backoff (reset once good data flows again) and reports ``connected``.
- A recorded log file is a valid source (demos and tests), replayed at real time from the sentences'
  own timestamps, faster, or as fast as possible.

Sources are named by one string (config ``gnss.source``): ``serial:/dev/ttyUSB0:9600``,
``tcp:192.168.1.50:5017``, ``file:content/demo/gnss.nmea``. ``python -m robot_assistant.gnss watch SOURCE``
prints fixes as they arrive (an installer's check that the receiver works);
``python -m robot_assistant.gnss simulate --lat 30.2736 --lon 120.1545 --out demo.nmea`` writes a log.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, Protocol

import pynmea2

from core.events import DeviceStatus, EventBus, Position

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


GSA_GROUP_S = 0.25
"""Seconds of silence after a GSA that end its group (GSA sentences of one epoch come back to back)."""


_SENTENCE_START = re.compile(r"\$[A-Z][A-Z0-9]")
"""How a sentence begins; a "$" byte inside a binary frame is followed by anything."""


def _looks_like_sentence(text: str) -> bool:
    """A damaged sentence (a checksum error) rather than a "$" byte inside binary data: it begins like
    one ("$GP…") or has fields and a checksum ("$\x00SRFEPE,…*23", one byte hit by noise)."""
    return bool(_SENTENCE_START.match(text)) or ("," in text and "*" in text)


def _checksum_ok(text: str) -> bool:
    """``$BODY*HH`` with the right checksum and nothing but printable ASCII."""
    body, star, given = text[1:].rpartition("*")
    return bool(star) and _printable(text) and given.strip().upper() == checksum(body)


def _printable(text: str) -> bool:
    """Only printable ASCII (an NMEA sentence); binary bytes decode to controls or U+FFFD."""
    return all(" " <= ch <= "~" for ch in text)


class NmeaTracker:
    """Feeds NMEA lines into a :class:`FixState`; :meth:`position` turns it into a :class:`Position`.

    ``clock`` (monotonic seconds) dates fixes so the age of a last known position can be told; tests pass
    a fake. ``stale_after_s``: a fix whose sentences stopped arriving this long ago is not current.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, *, stale_after_s: float = 5.0) -> None:
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.state = FixState()
        self._last_type = ""
        self._gsa_group: dict[str, set[int]] = {}
        self._gsa_mode = 1
        self._gsa_at: float | None = None
        """When the pending GSA group's last sentence came (None: no group pending)."""
        self._gsv_pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._gsv_done: dict[tuple[str, str], tuple[dict[str, set[int]], dict[str, int], float]] = {}

    def feed_many(self, lines: Iterable[str | bytes]) -> int:
        """Feed several lines; returns how many were used."""
        return sum(1 for line in lines if self.feed(line) is not None)

    def feed(self, line: str | bytes, now: float | None = None) -> str | None:
        """Parse one line; returns the sentence type it updated (``"GGA"``, ...) or None if skipped."""
        now = self.clock() if now is None else now
        st = self.state
        if isinstance(line, bytes):
            line = line.decode("ascii", errors="replace")
        text = line.strip()
        if not text or (text.startswith("#") and _printable(text)):
            return None  # blank, or a log file's comment header (binary bytes can start with "#" too)
        start = text.find("$")
        if start < 0:
            if not text.startswith("!"):  # AIS and friends are not ours, but not errors either
                st.parse_errors += 1
            return None
        noisy = not _printable(text[:start])  # a binary frame (CASIC, UBX, SiRF) before the "$"
        if not _checksum_ok(text[start:]):
            # An NMEA body never holds "$": when the text from the first "$" is no good sentence, the
            # sentence, if any, starts at the last one, after a binary frame holding "$" bytes or a cut
            # sentence. A Quectel L76K interleaving CASIC frames lost 114 of 130 GGA without this.
            last = text.rfind("$")
            if last > start and _checksum_ok(text[last:]):
                if noisy or not _printable(text[start:last]):
                    st.binary_noise += 1
                else:
                    st.checksum_errors += 1  # a cut sentence run into the next one: the cut one is lost
                start = last
            elif noisy or not _looks_like_sentence(text[start:]):
                st.binary_noise += 1  # binary bytes (or a "$" byte in them), not a damaged sentence
                return None
        elif noisy:
            st.binary_noise += 1
        text = text[start:]
        # The checksum is checked here, before pynmea2 sees the line: pynmea2 rejects a merged or truncated
        # sentence as a ParseError before looking at its checksum, and such a line is a checksum failure.
        body, star, given = text[1:].rpartition("*")
        if not star or given.strip().upper() != checksum(body):
            st.checksum_errors += 1
            if not star:
                st.missing_checksums += 1
            return None
        try:
            msg = pynmea2.parse(text, check=False)
        except Exception:  # ParseError, and whatever a mangled sentence makes pynmea2 raise
            st.parse_errors += 1
            return None
        talker = getattr(msg, "talker", None)
        kind = getattr(msg, "sentence_type", None)
        if not talker or not kind:  # proprietary ($PSRF..., $PSTI...)
            st.ignored += 1
            return None
        st.sentences += 1
        st.talkers.add(talker)
        st.last_sentence_at = now
        if kind != "GSA" and self._gsa_at is not None:
            self._commit_gsa()
        handler = getattr(self, f"_on_{kind.lower()}", None)
        used = None
        if handler is not None:
            try:
                used = handler(msg, talker, now)
            except Exception:  # a field pynmea2 accepted but that does not mean what it should
                log.debug("could not use %r", text, exc_info=True)
                st.parse_errors += 1
                used = None
        else:
            st.ignored += 1
        self._last_type = kind
        return used

    # -- sentences -------------------------------------------------------------------------------
    def _commit_gsa(self) -> None:
        """The GSA group (one sentence per constellation) is complete: its satellites become the counts."""
        st = self.state
        st.used = {k: set(v) for k, v in self._gsa_group.items()}
        st.fix_mode = self._gsa_mode
        self._gsa_at = None

    def _set_fix(self, valid: bool, where: tuple[float, float] | None, now: float) -> None:
        st = self.state
        if valid and where is not None:
            if not st.fix:
                st.fix_epoch, st.epochs_since_fix = st.utc_time, 0
            st.lat, st.lon = where
            st.fix = True
            st.last_fix_at = now
        else:
            st.fix = False

    def _set_time(self, msg: Any) -> None:
        t = getattr(msg, "timestamp", None)
        if isinstance(t, dtime):
            st = self.state
            st.utc_time = t
            if st.fix and t != st.fix_epoch:
                st.fix_epoch = t
                st.epochs_since_fix += 1

    def _on_gga(self, msg: Any, talker: str, now: float) -> str:
        st = self.state
        quality = _int(msg.gps_qual) or 0
        st.quality = quality
        st.gga_sats = _int(msg.num_sats)
        hdop = _float(msg.horizontal_dil)
        st.hdop = hdop if hdop and quality in VALID_QUALITY else None  # receivers print 0.0 or 99.9 with no fix
        where = _latlon(msg)
        if quality in VALID_QUALITY and where is not None:
            alt = _float(msg.altitude)
            if alt is not None:
                st.altitude_m = alt
        self._set_time(msg)
        self._set_fix(quality in VALID_QUALITY, where, now)
        return "GGA"

    def _on_rmc(self, msg: Any, talker: str, now: float) -> str:
        st = self.state
        mode = (getattr(msg, "mode_indicator", "") or "A")[:1]
        valid = msg.status == "A" and mode in VALID_MODES
        d = getattr(msg, "datestamp", None)
        if isinstance(d, date) and 2000 <= d.year <= 2099:
            st.utc_date = d
        self._set_time(msg)
        self._set_fix(valid, _latlon(msg), now)
        return "RMC"

    def _on_gns(self, msg: Any, talker: str, now: float) -> str:
        st = self.state
        modes = getattr(msg, "mode_indicator", "") or ""
        valid = any(c in VALID_MODES for c in modes)
        st.gga_sats = _int(msg.num_sats) if valid else st.gga_sats
        hdop = _float(msg.hdop)
        if hdop and valid:
            st.hdop = hdop
        self._set_time(msg)
        self._set_fix(valid, _latlon(msg), now)
        return "GNS"

    def _on_gll(self, msg: Any, talker: str, now: float) -> str:
        mode = (getattr(msg, "faa_mode", "") or "A")[:1]
        self._set_fix(msg.status == "A" and mode in VALID_MODES, _latlon(msg), now)
        return "GLL"

    def _on_zda(self, msg: Any, talker: str, now: float) -> str | None:
        day, month, year = _int(msg.day), _int(msg.month), _int(msg.year)
        if day and month and year and 2000 <= year <= 2099:
            with contextlib.suppress(ValueError):
                self.state.utc_date = date(year, month, day)
        return "ZDA"

    def _on_gsa(self, msg: Any, talker: str, now: float) -> str:
        """Satellites in use. Consecutive GSA sentences describe one epoch (one per constellation), so a
        GSA that follows any other sentence starts a new group; the group counts once complete (the next
        other sentence, or :data:`GSA_GROUP_S` of silence), never half of it (GPS without BeiDou)."""
        st = self.state
        st.gsa_seen = True
        if self._last_type != "GSA" or self._gsa_at is None:
            self._gsa_group = {}
            self._gsa_mode = 1
        data = list(msg.data)
        system_id = _int(data[17]) if len(data) > 17 and str(data[17]).strip().isdigit() else None
        for raw in data[2:14]:
            prn = _int(raw)
            if prn is not None and prn > 0:
                self._gsa_group.setdefault(classify(talker, prn, system_id), set()).add(prn)
        self._gsa_mode = max(self._gsa_mode, _int(msg.mode_fix_type) or 1)
        self._gsa_at = now
        hdop = _float(msg.hdop)
        if st.hdop is None and hdop and self._gsa_mode >= 2:
            st.hdop = hdop
        return "GSA"

    def _on_gsv(self, msg: Any, talker: str, now: float) -> str | None:
        """Satellites in view, per GSV *sequence* (talker and, NMEA 4.10+, signal id): a sequence's
        satellites count once it is complete; a constellation's count is the union over its signals."""
        data = [str(x).strip() for x in msg.data]
        total, number, header = _int(data[0]) if data else None, _int(data[1]) if len(data) > 1 else None, \
            _int(data[2]) if len(data) > 2 else None
        if not total or not number:
            return None
        sats = data[3:]
        signal = sats.pop() if len(sats) % 4 == 1 else ""
        key = (talker, signal)
        if number == 1 or key not in self._gsv_pending:
            self._gsv_pending[key] = {"next": 1, "prns": {}}
        seq = self._gsv_pending[key]
        if number != seq["next"]:  # a sentence of the sequence was lost: wait for the next sequence
            self._gsv_pending.pop(key, None)
            return None
        seq["next"] = number + 1
        for k in range(0, len(sats) - 3, 4):
            prn = _int(sats[k])
            if prn is not None and prn > 0:
                system = TALKERS.get(talker) or classify(talker, prn)
                seq["prns"].setdefault(system, set()).add(prn)
        if number >= total:
            del self._gsv_pending[key]
            counts = {TALKERS[talker]: header} if talker in TALKERS and header is not None else {}
            self._gsv_done[key] = (seq["prns"], counts, now)
            self._update_in_view(now)
        return "GSV"

    def _update_in_view(self, now: float) -> None:
        """Union of the fresh complete sequences per constellation (a signal no longer reported for
        twice ``stale_after_s`` is forgotten)."""
        horizon = now - 2 * self.stale_after_s
        prns: dict[str, set[int]] = {}
        most: dict[str, int] = {}
        for key, (by_system, counts, at) in list(self._gsv_done.items()):
            if at < horizon:
                del self._gsv_done[key]
                continue
            for system, found in by_system.items():
                prns.setdefault(system, set()).update(found)
            for system, n in counts.items():
                most[system] = max(most.get(system, 0), n)
        self.state.in_view = {s: max(len(prns.get(s, ())), most.get(s, 0)) for s in set(prns) | set(most)}

    # -- output ----------------------------------------------------------------------------------
    def current(self, now: float | None = None) -> bool:
        """True when the fix is valid and its sentences are fresh, and its satellite counts are this
        fix's: for a receiver that sends GSA, once a complete GSA group says 2D or 3D; before any GSA
        has been seen (a log or a receiver joined mid-stream), once a whole epoch has gone by. So
        the first fix shown already has its BeiDou count (GGA comes before its epoch's GSA)."""
        st = self.state
        now = self.clock() if now is None else now
        self._settle(now)
        fresh = st.last_sentence_at is not None and now - st.last_sentence_at <= self.stale_after_s
        confirmed = st.fix_mode >= 2 if st.gsa_seen else st.epochs_since_fix >= 2
        return st.fix and fresh and confirmed

    def _settle(self, now: float) -> None:
        """A GSA group with nothing after it for :data:`GSA_GROUP_S` is complete (the end of a log, a
        receiver that sends GSA last)."""
        if self._gsa_at is not None and now - self._gsa_at >= GSA_GROUP_S:
            self._commit_gsa()

    def utc(self) -> datetime | None:
        st = self.state
        if st.utc_time is None:
            return None
        if st.utc_date is None:
            return None
        return datetime.combine(st.utc_date, st.utc_time.replace(tzinfo=None), tzinfo=UTC)

    def position(self, *, connected: bool = True, source: str = "", now: float | None = None) -> Position:
        st = self.state
        now = self.clock() if now is None else now
        self._settle(now)
        used_total = sum(len(v) for v in st.used.values())
        utc = self.utc()
        return Position(
            lat=st.lat, lon=st.lon, fix=self.current(now) and connected, quality=st.quality,
            fix_mode=st.fix_mode,
            satellites_used=used_total or (st.gga_sats or 0),
            beidou_used=st.used_count("BDS"), gps_used=st.used_count("GPS"),
            other_used=st.used_count("GLONASS", "Galileo", "QZSS", "SBAS", "NavIC", "other"),
            satellites_in_view=sum(st.in_view.values()), beidou_in_view=st.in_view.get("BDS", 0),
            hdop=st.hdop, altitude_m=st.altitude_m,
            utc_iso=utc.isoformat() if utc else (st.utc_time.isoformat() if st.utc_time else None),
            age_s=None if st.last_fix_at is None else max(0.0, now - st.last_fix_at),
            connected=connected, source=source, checksum_errors=st.checksum_errors,
            talkers=tuple(sorted(st.talkers)),
        )


# -------------------------------------------------------------------------------------------- sources


class EndOfLog(EOFError):
    """A log file (not looping) has been replayed to its end."""


class NmeaSource(Protocol):
    """Where lines come from. ``open`` and ``readline`` raise OSError when the device is gone."""

    name: str

    def open(self) -> None: ...

    def readline(self, timeout: float) -> str | None:
        """One line without its ending, or None when nothing arrived within ``timeout`` seconds."""
        ...

    def close(self) -> None: ...


MAX_LINE = 512  # NMEA allows 82 characters; anything this long without a newline is noise


class _LineBuffer:
    """Splits a byte stream into lines, tolerating CRLF/LF and dropping runaway garbage."""

    def __init__(self) -> None:
        self.buf = b""

    def push(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > 8 * MAX_LINE and b"\n" not in self.buf:
            # a long binary frame: keep a sentence that may have begun at its end
            start = self.buf.rfind(b"$", len(self.buf) - MAX_LINE)
            self.buf = self.buf[start:] if start >= 0 else b""

    def pop(self) -> str | None:
        i = self.buf.find(b"\n")
        if i < 0:
            return None
        line, self.buf = self.buf[:i], self.buf[i + 1:]
        return line.decode("ascii", errors="replace").strip("\r\n")


class SerialSource:
    """A receiver on a serial port (USB-serial /dev/ttyUSB0, /dev/ttyACM0, COM3), 8N1 at ``baudrate``.

    ``port`` may also be any pyserial URL (``socket://host:port``, ``rfc2217://...``, ``loop://``).
    """

    def __init__(self, port: str, baudrate: int = 9600, *, read_timeout: float = 0.5) -> None:
        self.port = port
        self.baudrate = baudrate
        self.read_timeout = read_timeout
        self.name = f"serial:{port}:{baudrate}"
        self._serial: Any = None
        self._lines = _LineBuffer()

    def open(self) -> None:
        import serial  # pyserial: imported here so the kiosk imports without it when no receiver is set

        try:
            self._serial = serial.serial_for_url(self.port, baudrate=self.baudrate, bytesize=8, parity="N",
                                                 stopbits=1, timeout=self.read_timeout)
        except (serial.SerialException, ValueError) as exc:
            raise OSError(f"cannot open serial port {self.port} at {self.baudrate} baud: {exc}") from exc
        self._lines = _LineBuffer()

    def readline(self, timeout: float) -> str | None:
        import serial

        if self._serial is None:
            raise OSError(f"serial port {self.port} is not open")
        line = self._lines.pop()
        if line is not None:
            return line
        deadline = time.monotonic() + timeout
        while True:
            try:
                waiting = self._serial.in_waiting
                data = self._serial.read(max(1, min(waiting, 4096)))
            except (serial.SerialException, OSError) as exc:
                raise OSError(f"serial port {self.port}: {exc}") from exc
            if data:
                self._lines.push(data)
                line = self._lines.pop()
                if line is not None:
                    return line
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        s, self._serial = self._serial, None
        if s is not None:
            with contextlib.suppress(Exception):
                s.close()


class TcpSource:
    """A receiver behind a TCP bridge that streams raw NMEA to whoever connects: a serial-to-Ethernet box
    in TCP-server mode, ``ser2net``, RTKLIB ``str2str``. (gpsd's port 2947 speaks JSON, not raw NMEA.)"""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 3.0) -> None:
        self.host, self.port = host, port
        self.connect_timeout = connect_timeout
        self.name = f"tcp:{host}:{port}"
        self._sock: socket.socket | None = None
        self._lines = _LineBuffer()

    def open(self) -> None:
        self._sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        self._lines = _LineBuffer()

    def readline(self, timeout: float) -> str | None:
        if self._sock is None:
            raise OSError(f"{self.name} is not connected")
        line = self._lines.pop()
        if line is not None:
            return line
        deadline = time.monotonic() + timeout
        while True:
            self._sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                return None
            if not data:
                raise ConnectionResetError(f"{self.name} closed the connection")
            self._lines.push(data)
            line = self._lines.pop()
            if line is not None:
                return line
            if time.monotonic() >= deadline:
                return None

    def close(self) -> None:
        s, self._sock = self._sock, None
        if s is not None:
            with contextlib.suppress(OSError):
                s.close()


_TIME_TYPES = ("GGA", "RMC", "GNS", "GLL", "ZDA")


def _sentence_seconds(line: str) -> float | None:
    """Seconds of the day in a GGA/RMC/GNS/GLL/ZDA line (for pacing a replay), None for others."""
    text = line.strip()
    if len(text) < 7 or not text.startswith("$") or text[3:6] not in _TIME_TYPES:
        return None
    fields = text.split("*", 1)[0].split(",")
    stamp = fields[5] if text[3:6] == "GLL" and len(fields) > 5 else (fields[1] if len(fields) > 1 else "")
    if len(stamp) < 6 or not stamp[:6].isdigit():
        return None
    seconds = _float(stamp[4:]) or 0.0
    return int(stamp[:2]) * 3600 + int(stamp[2:4]) * 60 + seconds


class FileSource:
    """A recorded NMEA log replayed line by line.

    ``speed`` 1.0 replays at real time (from the sentences' own UTC times), 10 ten times faster, 0 as
    fast as possible. ``loop`` starts again at the end (a demo kiosk); otherwise the end of the file
    raises :class:`EndOfLog`. ``sleep`` waits between epochs; the worker passes a wait that ends at stop.
    """

    MAX_GAP_S = 5.0  # a jump in the log's clock (a gap, midnight, garbage) never stalls the replay longer

    def __init__(self, path: str | Path, *, speed: float = 1.0, loop: bool = False,
                 sleep: Callable[[float], object] | None = None) -> None:
        if speed < 0 or math.isnan(speed):
            raise ValueError(f"replay speed must be 0 (as fast as possible) or positive, got {speed}")
        self.path = Path(path)
        self.speed = speed
        self.loop = loop
        self.name = f"file:{self.path}"
        self._closed = threading.Event()
        self.sleep: Callable[[float], object] = sleep or self._closed.wait
        self._file: Any = None
        self._last_t: float | None = None
        self.laps = 0

    def open(self) -> None:
        try:
            self._file = self.path.open("rb")
        except OSError as exc:
            raise OSError(f"cannot open NMEA log {self.path}: {exc.strerror or exc}") from exc
        self._closed.clear()
        self._last_t = None

    def readline(self, timeout: float) -> str | None:
        if self._file is None:
            raise OSError(f"{self.name} is not open")
        raw = self._file.readline()
        if not raw:
            if not self.loop:
                raise EndOfLog(f"end of {self.path}")
            self.laps += 1
            self._file.seek(0)
            self._last_t = None
            raw = self._file.readline()
            if not raw:
                raise EndOfLog(f"{self.path} is empty")
        line = raw.decode("ascii", errors="replace").strip("\r\n")
        self._pace(line)
        return line

    def _pace(self, line: str) -> None:
        if self.speed == 0:
            return
        t = _sentence_seconds(line.lstrip())
        if t is None:
            return
        if self._last_t is not None and t != self._last_t:
            gap = t - self._last_t
            if gap < 0 or gap > self.MAX_GAP_S:
                gap = 1.0
            self.sleep(gap / self.speed)
        self._last_t = t

    def close(self) -> None:
        self._closed.set()
        f, self._file = self._file, None
        if f is not None:
            f.close()


def parse_source(spec: str | None, *, base_dir: Path | None = None, replay_speed: float = 1.0,
                 replay_loop: bool = True) -> NmeaSource | None:
    """Build a source from ``serial:PORT[:BAUD]``, ``tcp:HOST:PORT`` or ``file:PATH``; None/"" → None.

    Relative file paths are taken from ``base_dir`` (the folder of the config file). Raises ValueError
    with a message that shows the accepted forms.
    """
    if spec is None or not str(spec).strip() or str(spec).strip().lower() in ("none", "off", "null"):
        return None
    spec = str(spec).strip()
    forms = "use serial:/dev/ttyUSB0:9600, tcp:HOST:PORT or file:PATH.nmea"
    scheme, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ValueError(f"gnss source {spec!r} is not understood: {forms}")
    scheme = scheme.lower()
    if scheme == "serial":
        port, _, baud = rest.rpartition(":")
        if not port or not baud.isdigit():  # no baud rate given (or a URL port with its own colons)
            port, baud = rest, "9600"
        rate = int(baud)
        if rate not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600):
            raise ValueError(f"gnss source {spec!r}: unusual baud rate {rate} (receivers use 9600 or 115200)")
        return SerialSource(port, rate)
    if scheme == "tcp":
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"gnss source {spec!r}: expected tcp:HOST:PORT, e.g. tcp:192.168.1.50:5017")
        return TcpSource(host, int(port))
    if scheme == "file":
        path = Path(rest)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return FileSource(path, speed=replay_speed, loop=replay_loop)
    raise ValueError(f"gnss source {spec!r}: unknown kind {scheme!r}: {forms}")


# --------------------------------------------------------------------------------------------- worker


class GnssWorker:
    """Owns one NMEA source in a thread: reads, tracks the fix, publishes :class:`Position` events.

    Publishes at most every ``publish_interval_s`` while data flows (and at once when the fix comes or
    goes, or the source connects or drops), plus ``DeviceStatus("gnss", ok | degraded | off)`` on
    changes. A source that fails to open or drops is reopened after ``backoff_initial_s``, doubling up
    to ``backoff_max_s``; the delay returns to the initial value once a good sentence arrives.
    """

    def __init__(self, bus: EventBus | None, source: NmeaSource, *, publish_interval_s: float = 1.0,
                 backoff_initial_s: float = 1.0, backoff_max_s: float = 30.0, stale_after_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.bus = bus
        self.source = source
        self.publish_interval_s = publish_interval_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.clock = clock
        self.tracker = NmeaTracker(clock, stale_after_s=stale_after_s)
        self.connected = False
        self.finished = False
        self.opens = 0
        """Successful opens of the source (the first connection and every reconnection)."""
        self.failures = 0
        """Failed opens and dropped connections."""
        self.last_error = ""
        self.backoff_s = backoff_initial_s
        self.published = 0
        self._latest: Position | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_publish = -math.inf
        self._last_fix_flag: bool | None = None
        self._device_state = ""
        if isinstance(source, FileSource):
            source.sleep = self._stop.wait

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> GnssWorker:
        self._thread = threading.Thread(target=self._run, name="gnss-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop and close the source. Reads time out within a second, so the thread normally closes it
        itself; only a read stuck in a driver is broken by closing the source from here."""
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                self.source.close()
            self._thread.join(1.0)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def latest(self) -> Position | None:
        """The last Position published (or built), for a screen opened between publications."""
        with self._lock:
            return self._latest

    def snapshot(self) -> Position:
        return self.tracker.position(connected=self.connected, source=self.source.name)

    # -- loop ------------------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.source.open()
            except OSError as exc:
                self._dropped(exc)
                continue
            self.opens += 1
            self.connected = True
            self.last_error = ""
            log.info("GNSS source %s open", self.source.name)
            self._publish()
            error: Exception | None = None
            try:
                self._read()
            except EndOfLog:
                self.finished = True
                self.connected = False
                self._publish()
                log.info("GNSS log %s replayed to its end", self.source.name)
                return
            except Exception as exc:  # OSError: unplugged or dropped; anything else must not end positioning
                error = exc
            finally:
                with contextlib.suppress(Exception):
                    self.source.close()
            if self._stop.is_set():
                break
            if error is not None:
                if not isinstance(error, OSError):
                    log.error("GNSS worker error on %s", self.source.name, exc_info=error)
                self._dropped(error)
        self.connected = False

    def _read(self) -> None:
        while not self._stop.is_set():
            line = self.source.readline(0.5)
            if line is not None and self.tracker.feed(line) is not None:
                self.backoff_s = self.backoff_initial_s  # the link works: a later drop starts over
            now = self.clock()
            fix = self.tracker.current(now)
            if fix != self._last_fix_flag or now - self._last_publish >= self.publish_interval_s:
                self._publish()

    def _dropped(self, exc: BaseException) -> None:
        self.failures += 1
        was = self.connected
        self.connected = False
        self.last_error = str(exc) or type(exc).__name__
        if was:
            log.warning("GNSS source %s lost: %s; reopening in %.1f s", self.source.name, self.last_error,
                        self.backoff_s)
        else:
            log.info("GNSS source %s unavailable: %s; retry in %.1f s", self.source.name, self.last_error,
                     self.backoff_s)
        self._publish()
        self._stop.wait(self.backoff_s)
        self.backoff_s = min(self.backoff_max_s, self.backoff_s * 2)

    def _publish(self) -> None:
        now = self.clock()
        pos = self.tracker.position(connected=self.connected, source=self.source.name, now=now)
        with self._lock:
            self._latest = pos
        self._last_publish = now
        self._last_fix_flag = self.tracker.current(now)
        self.published += 1
        if self.bus is None:
            return
        self.bus.publish(pos)
        state = "ok" if pos.fix else ("degraded" if self.connected else "off")
        if state != self._device_state:
            self._device_state = state
            message = {"ok": f"北斗/GNSS 定位正常（{pos.satellites_used} 颗卫星）",
                       "degraded": "接收机已连接，暂无定位",
                       "off": f"接收机未连接：{self.last_error}" if self.last_error else "接收机未连接"}[state]
            self.bus.publish(DeviceStatus("gnss", state, message))


def start_gnss(config: Any, bus: EventBus) -> GnssWorker | None:
    """Start the worker the configuration asks for (``gnss.source``), or None when there is none.

    Reads ``gnss.source``, ``gnss.replay_speed`` (1.0), ``gnss.replay_loop`` (true) and
    ``gnss.publish_interval_s`` (1.0) with defaults, so it works before the section exists. A bad
    source string is logged and ignored: the map then uses ``map.terminal_position``.
    """
    section = getattr(config, "gnss", None)
    spec = getattr(section, "source", None)
    base = Path(getattr(config, "config_dir", None) or Path(__file__).resolve().parent.parent)
    try:
        source = parse_source(spec, base_dir=base,
                              replay_speed=float(getattr(section, "replay_speed", 1.0) or 0.0),
                              replay_loop=bool(getattr(section, "replay_loop", True)))
    except ValueError as exc:
        log.error("%s", exc)
        return None
    if source is None:
        return None
    return GnssWorker(bus, source, publish_interval_s=float(getattr(section, "publish_interval_s", 1.0))).start()


# --------------------------------------------------------------------------------------------- tools


def checksum(body: str) -> str:
    """NMEA checksum (XOR of the characters between ``$`` and ``*``) as two hex digits."""
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"


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


def _describe(pos: Position) -> str:
    where = f"{pos.lat:.6f}, {pos.lon:.6f}" if pos.known else "no position yet"
    state = "FIX" if pos.fix else ("no fix" + (f", last fix {pos.age_s:.0f} s ago" if pos.age_s is not None else ""))
    return (f"{where}  {state}  quality {pos.quality}  sats {pos.satellites_used} (BDS {pos.beidou_used}, "
            f"GPS {pos.gps_used}, other {pos.other_used}; in view {pos.satellites_in_view})  HDOP {pos.hdop}  "
            f"talkers {','.join(pos.talkers)}  bad checksums {pos.checksum_errors}")


def main(argv: list[str] | None = None) -> int:
    """``SOURCE`` prints what a receiver says; ``simulate`` writes a log (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m robot_assistant.gnss", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    sim = sub.add_parser("simulate", help="write a synthetic NMEA log at a place")
    sim.add_argument("--lat", type=float, required=True)
    sim.add_argument("--lon", type=float, required=True)
    sim.add_argument("--seconds", type=int, default=120)
    sim.add_argument("--out", type=Path, required=True)
    watch = sub.add_parser("watch", help="print fixes from a source: serial:PORT:BAUD | tcp:HOST:PORT | file:PATH")
    watch.add_argument("source")
    watch.add_argument("--seconds", type=float, default=20.0)
    watch.add_argument("--speed", type=float, default=1.0, help="replay speed for file: sources (0 = fastest)")
    args = parser.parse_args(argv)
    if args.command == "simulate":
        lines = simulate_nmea(args.lat, args.lon, seconds=args.seconds)
        args.out.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")
        print(f"wrote {len(lines)} sentences to {args.out}")
        return 0
    if args.command != "watch":
        parser.print_help()
        return 2
    try:
        source = parse_source(args.source, base_dir=Path.cwd(), replay_speed=args.speed, replay_loop=False)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if source is None:
        print("no source given", file=sys.stderr)
        return 2
    worker = GnssWorker(None, source, publish_interval_s=1.0, backoff_initial_s=1.0, backoff_max_s=5.0).start()
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline and not worker.finished:
            time.sleep(1.0)
            print(("connected  " if worker.connected else f"NOT CONNECTED ({worker.last_error})  ")
                  + _describe(worker.snapshot()), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    final = worker.snapshot()
    print("final: " + _describe(final))
    return 0 if final.known else 1


if __name__ == "__main__":
    sys.exit(main())

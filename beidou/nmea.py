"""NMEA-0183 sentences in, fixes out: checksums, binary noise, GSA/GSV groups (see package docs)."""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import pynmea2

from beidou.constellations import TALKERS, VALID_MODES, VALID_QUALITY, classify
from beidou.fix import FixState, _float, _int, _latlon
from core.events import Position

log = logging.getLogger(__name__)


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

def checksum(body: str) -> str:
    """NMEA checksum (XOR of the characters between ``$`` and ``*``) as two hex digits."""
    c = 0
    for ch in body:
        c ^= ord(ch)
    return f"{c:02X}"

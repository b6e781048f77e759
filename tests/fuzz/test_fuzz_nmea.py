"""Fuzzing NMEA input, seeded with real receiver logs (``../shared/testdata/nmea``): random bytes,
truncated sentences, bad checksums, sentences with a valid checksum over garbage fields, huge lines and
non-ASCII. The tracker counts and skips what it cannot use and never raises; the position stays the
last good one (a bad checksum never moves it; whatever moves it is a real latitude/longitude); and the
worker replaying such a log ends the log without an error, agreeing with the tracker."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beidou import FileSource, GnssWorker, NmeaTracker, checksum
from beidou.sources import MAX_LINE, _LineBuffer
from tests.fuzz.helpers import fuzz, outcome

SENTENCE_TYPES = {None, "GGA", "RMC", "GNS", "GLL", "ZDA", "GSA", "GSV"}


class FakeClock:
    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        self.t += 0.1
        return self.t


def _valid(line: bytes) -> bool:
    text = line.decode("ascii", "replace").strip()
    body, star, given_sum = text[1:].rpartition("*")
    return text.startswith("$") and bool(star) and given_sum.upper() == checksum(body)


class Lines(list):
    """A list of lines that hypothesis does not print whole when it reports a failing example."""

    def __repr__(self) -> str:
        return f"<{len(self)} lines>"


@pytest.fixture(scope="module")
def seeds(testdata: Path) -> dict[str, list[bytes]]:
    """The real logs' lines (``all``) and those with a correct checksum (``valid``)."""
    lines = [raw.strip(b"\r\n ") for path in sorted((testdata / "nmea").glob("*.log"))
             for raw in path.read_bytes().split(b"\n") if raw.strip() and not raw.startswith(b"#")]
    return {"all": Lines(lines), "valid": Lines(line for line in lines if _valid(line))}


@pytest.fixture(scope="module")
def fixed_lines(testdata: Path) -> list[bytes]:
    """A log that ends with a fix (BeiDou BD talker, Shanghai): the last good position to keep."""
    return Lines((testdata / "nmea" / "beidou-bd.log").read_bytes().split(b"\n"))


def with_fix(lines: list[bytes]) -> NmeaTracker:
    tracker = NmeaTracker(FakeClock())
    for line in lines:
        tracker.feed(line)
    assert tracker.state.fix and tracker.state.lat is not None
    return tracker


def assert_sane(tracker: NmeaTracker) -> None:
    """Whatever was fed: a position that is a real place (or none), counts that are counts, an event
    that serialises."""
    pos = tracker.position()
    if pos.known:
        assert math.isfinite(pos.lat) and math.isfinite(pos.lon)
        assert -90 <= pos.lat <= 90 and -180 <= pos.lon <= 180
    for n in (pos.satellites_used, pos.beidou_used, pos.gps_used, pos.satellites_in_view, pos.checksum_errors):
        assert isinstance(n, int) and n >= 0
    assert pos.hdop is None or math.isfinite(pos.hdop)
    assert pos.altitude_m is None or math.isfinite(pos.altitude_m)
    json.dumps(dataclasses.asdict(pos))


def body_edit(draw, line: bytes) -> bytes:
    """``line`` with one character of its body (between $ and *) replaced: the XOR checksum then cannot
    match (two changes could cancel out)."""
    star = line.rindex(b"*")
    i = draw(st.integers(1, star - 1))
    new = draw(st.integers(0, 255).filter(lambda b: b not in (line[i], 0x0A, 0x0D)))
    return line[:i] + bytes([new]) + line[i + 1:]


@st.composite
def garbage_lines(draw, seeds: dict[str, list[bytes]]) -> tuple[str, bytes]:
    """(kind, line): kinds whose checksum cannot verify are ``bad_checksum`` and ``truncated``."""
    kind = draw(st.sampled_from(["random", "bad_checksum", "truncated", "garbled", "huge", "non_ascii", "merged"]))
    seed = draw(st.sampled_from(seeds["valid"]))
    if kind == "random":
        line = draw(st.binary(max_size=200))
    elif kind == "bad_checksum":
        line = body_edit(draw, seed)
    elif kind == "truncated":  # cut before the checksum's second digit: never a verified sentence
        line = seed[:draw(st.integers(0, len(seed) - 2))]
    elif kind == "garbled":  # fields replaced by junk, checksum recomputed: pynmea2 sees it
        body = seed[1:seed.rindex(b"*")].decode("ascii")
        fields = body.split(",")
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(fields) - 1))
            fields[i] = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="*$"),
                                     max_size=12) | st.sampled_from(
                ["", "-1", "99999999", "nan", "inf", "1e400", "9" * 50, "A", "V", "N", "S", "E", "W", "0000.0000",
                 "9959.9999", "18100.0000", "-0", "13", "320199", "999999", "235960", "0x1F"]))
        if draw(st.booleans()):
            fields = fields[:draw(st.integers(1, len(fields)))] if draw(st.booleans()) else fields + ["x"] * 30
        body = ",".join(fields)
        line = f"${body}*{checksum(body)}".encode()
    elif kind == "huge":
        line = seed[:-3] + b"," * draw(st.integers(100, 20_000)) + seed[-3:]
    elif kind == "non_ascii":
        text = draw(st.text(min_size=1, max_size=40))
        line = (seed.decode() + text).encode("utf-8", "surrogatepass") if draw(st.booleans()) else text.encode(
            "utf-8", "surrogatepass")
    else:  # two sentences run together, as when a byte is lost between them
        other = draw(st.sampled_from(seeds["valid"]))
        line = seed[:draw(st.integers(1, len(seed)))] + other
    return kind, line


@fuzz(250)
@given(data=st.data())
def test_tracker_lines(seeds, fixed_lines, data):
    tracker = with_fix(fixed_lines)
    good = (tracker.state.lat, tracker.state.lon)
    for _ in range(data.draw(st.integers(1, 5))):
        kind, line = data.draw(garbage_lines(seeds))
        as_text = data.draw(st.booleans())  # serial/TCP sources hand over text; tests and replays bytes too
        before = tracker.state.checksum_errors
        used = tracker.feed(line.decode("ascii", "replace") if as_text else line)
        assert used in SENTENCE_TYPES
        if kind in ("bad_checksum", "truncated"):
            assert used is None and (tracker.state.lat, tracker.state.lon) == good
            if kind == "bad_checksum":
                assert tracker.state.checksum_errors == before + 1
        good = (tracker.state.lat, tracker.state.lon)
        outcome(f"{kind}: {'used' if used else 'skipped'}")
        assert_sane(tracker)


@fuzz(100)
@given(chunks=st.lists(st.binary(max_size=3000) | st.sampled_from([b"\n", b"\r\n", b"$GNGGA,", b"\x00" * 5000]),
                       max_size=12))
def test_line_buffer(chunks):
    """Serial and TCP bytes arrive in arbitrary pieces: lines come out as text, runaway garbage is dropped."""
    lines = _LineBuffer()
    for chunk in chunks:
        lines.push(chunk)
        while (line := lines.pop()) is not None:
            assert isinstance(line, str) and "\n" not in line
        assert len(lines.buf) <= 8 * MAX_LINE + len(chunk)


@fuzz(25)
@given(data=st.data())
def test_worker_replays_a_garbage_log(seeds, fixed_lines, tmp_path_factory, data):
    """A log of good and garbage lines replayed by the real worker: it reaches the end of the log without
    an error or a reopen, and its last position is the tracker's (the last good fix)."""
    lines = list(fixed_lines)
    for _ in range(data.draw(st.integers(1, 20))):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(garbage_lines(seeds))[1])
    path = tmp_path_factory.mktemp("nmea") / "garbage.nmea"
    path.write_bytes(b"\n".join(lines) + b"\n")
    reference = NmeaTracker(FakeClock())
    for raw in path.read_bytes().split(b"\n"):
        reference.feed(raw.decode("ascii", "replace").strip("\r\n"))
    worker = GnssWorker(None, FileSource(path, speed=0), publish_interval_s=0.0).start()
    try:
        deadline = time.monotonic() + 10
        while not worker.finished and time.monotonic() < deadline:
            time.sleep(0.005)
        assert worker.finished, worker.last_error
        assert worker.failures == 0 and worker.opens == 1 and worker.last_error == ""
    finally:
        worker.stop()
    final = worker.snapshot()
    assert (final.lat, final.lon) == (reference.state.lat, reference.state.lon)
    assert final.checksum_errors == reference.state.checksum_errors


@fuzz(200)
@given(data=st.data(), junk=st.binary(max_size=300))
def test_a_sentence_after_any_binary_frame_is_read(seeds, data, junk):
    """A receiver interleaving binary frames (CASIC, UBX) puts arbitrary bytes, "$" and newlines
    included, right before a sentence: the sentence is still read (resynchronised on its "$"), and the
    binary is counted as noise or a damaged sentence, never raised."""
    sentence = data.draw(st.sampled_from(seeds["valid"]))
    tracker = NmeaTracker(FakeClock())
    buf = _LineBuffer()
    buf.push(junk + sentence + b"\r\n")
    last = None
    while (line := buf.pop()) is not None:
        last = line
        used = tracker.feed(line)
        assert used in SENTENCE_TYPES
    assert last is not None and last.endswith(sentence.decode("ascii", "replace"))
    kind = sentence[3:6].decode()
    probe = NmeaTracker(FakeClock())
    expected = probe.feed(sentence)
    fresh = NmeaTracker(FakeClock())
    assert fresh.feed(last) == expected, (kind, last[-120:])
    outcome(f"{kind}: {'used' if expected else 'skipped'}")

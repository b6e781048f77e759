"""The beidou package on real receiver logs (gpsd's regression captures) and real transports: a log
file, a loopback TCP server that goes away and comes back, and a pseudo-terminal read through pyserial."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from beidou import (
    FileSource,
    GnssWorker,
    NmeaTracker,
    Position,
    SerialSource,
    TcpSource,
    checksum,
    classify,
    parse_source,
    simulate_nmea,
)
from beidou.cli import main
from core.events import DeviceStatus, EventBus, event_from_dict

HERE = (30.27360, 120.15450)  # the demo terminal (行政楼一楼大厅)


class FakeClock:
    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def replay(path: Path, tracker: NmeaTracker | None = None) -> NmeaTracker:
    tracker = tracker or NmeaTracker(FakeClock())
    for line in path.read_bytes().splitlines():
        tracker.feed(line)
    return tracker


def wait_for(predicate, timeout: float = 15.0, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# ------------------------------------------------------------------------------------ parsing real logs


def test_beidou_bd_talker_fix_and_satellites(testdata):
    t = replay(testdata / "nmea" / "beidou-bd.log")
    pos = t.position()
    assert pos.fix and pos.quality == 1 and pos.fix_mode == 3
    assert pos.lat == pytest.approx(31 + 14.8943 / 60) and pos.lon == pytest.approx(121 + 35.2444 / 60)
    assert (pos.beidou_used, pos.gps_used, pos.satellites_used) == (3, 4, 7)  # BDGSA 02 03 04 + GPGSA
    assert pos.hdop == 1.1 and pos.altitude_m == pytest.approx(196.4)
    assert {"BD", "GN", "GP"} <= set(pos.talkers)
    assert pos.checksum_errors == 0 and t.state.ignored >= 12  # $PSRF proprietary lines skipped, not errors
    assert pos.utc_iso == "2015-02-25T07:41:59.799000+00:00"


def test_beidou_gb_talker_and_sirf_prn_numbering(testdata):
    pos = replay(testdata / "nmea" / "beidou-gb.log").position()
    assert pos.fix and "GB" in pos.talkers
    assert pos.beidou_used == 1 and pos.gps_used == 6  # GNGSA without system id: PRN 201 is BeiDou
    assert pos.beidou_in_view == 11  # GBGSV


def test_nmea_410_system_ids_on_chinese_and_ublox_receivers(testdata):
    quectel = replay(testdata / "nmea" / "quectel-l76k-nmea.log").position()  # CASIC AT6558R
    assert quectel.fix and quectel.beidou_used == 3 and quectel.gps_used == 9 and quectel.other_used == 2
    assert quectel.lat == pytest.approx(47.662, abs=1e-3) and quectel.lon == pytest.approx(-122.326, abs=1e-3)
    f9p = replay(testdata / "nmea" / "ublox-zed-f9p-nmea.log").position()
    assert f9p.fix and f9p.beidou_used == 6 and f9p.gps_used == 8 and f9p.other_used == 6
    assert f9p.lat == pytest.approx(-45.8776, abs=1e-3)  # southern hemisphere is negative
    assert f9p.beidou_in_view == 10 and f9p.satellites_in_view == 41


def test_bad_checksums_are_counted_and_skipped(testdata):
    path = testdata / "nmea" / "gp-320fw-2019-04-07-coldboot.log"
    t = replay(path)
    st = t.state
    # MANIFEST: 39 bad checksums and 4 without one (+ a $PLCS marker without one, and merged sentences)
    assert st.checksum_errors >= 39 + 4 and st.missing_checksums >= 4
    assert st.parse_errors >= 2  # fragments with no $ at all
    good = 0
    for raw in path.read_bytes().splitlines():
        line = raw.decode("ascii", "replace").strip()
        if line.startswith("$GPGGA") and "*" in line:
            body, _, given = line[1:].rpartition("*")
            good += given == checksum(body)
    assert good > 0 and t.position().quality in (0, 1)  # only checksummed GGAs reached the state
    # a corrupted copy of a good sentence changes nothing
    t2 = NmeaTracker(FakeClock())
    ok = "$GNGGA,074159.799,3114.8943,N,12135.2444,E,1,07,1.1,196.4,M,8.3,M,,0000,1.8*75"
    assert t2.feed(ok.replace("3114.8943", "3914.8943")) is None and t2.state.lat is None
    assert t2.feed(ok) == "GGA" and t2.state.lat == pytest.approx(31.248238, abs=1e-6)
    assert t2.state.checksum_errors == 1


def test_never_a_fix(testdata):
    pos = replay(testdata / "nmea" / "skytraq.log").position()
    assert not pos.fix and not pos.known and pos.age_s is None and pos.quality == 0
    assert pos.hdop is None  # receivers print 0.0 with no fix: not a real HDOP


def test_no_fix_keeps_last_known_position_with_its_age(testdata):
    clock = FakeClock(100.0)
    t = replay(testdata / "nmea" / "beidou-bd.log", NmeaTracker(clock))
    fixed = t.position()
    assert fixed.fix and fixed.age_s == 0
    clock.t = 160.0
    for line in (testdata / "nmea" / "skytraq.log").read_text(encoding="ascii").splitlines():
        t.feed(line)  # a receiver that lost the sky (GGA quality 0, RMC V)
    lost = t.position()
    assert not lost.fix and lost.known
    assert (lost.lat, lost.lon) == (fixed.lat, fixed.lon) and lost.age_s == pytest.approx(60.0)
    clock.t = 175.0
    assert t.position().age_s == pytest.approx(75.0)


def test_a_silent_receiver_is_not_a_current_fix():
    clock = FakeClock(0.0)
    t = NmeaTracker(clock, stale_after_s=5.0)
    t.feed_many(simulate_nmea(*HERE, seconds=3))
    assert t.position().fix
    clock.t = 6.0
    pos = t.position()
    assert not pos.fix and pos.known and pos.age_s == pytest.approx(6.0)


def test_mixed_talkers_count_beidou_separately():
    clock = FakeClock()
    t = NmeaTracker(clock)
    lines = [
        "$GNGGA,020000.00,3016.41600,N,12009.27000,E,1,09,0.9,12.0,M,7.0,M,,",
        "$GPGSA,A,3,03,08,14,,,,,,,,,,1.5,0.9,1.2",
        "$BDGSA,A,3,06,09,13,16,,,,,,,,,1.5,0.9,1.2",
        "$GBGSA,A,3,24,,,,,,,,,,,,1.5,0.9,1.2",
        "$GLGSA,A,3,70,,,,,,,,,,,,1.5,0.9,1.2",
    ]
    for body in lines:
        body = body[1:]
        t.feed(f"${body}*{checksum(body)}")
    assert t.position().beidou_used == 0  # the GSA group may not be complete yet: no half counts
    clock.t += 0.3  # nothing after the group: it is complete
    pos = t.position()
    assert (pos.beidou_used, pos.gps_used, pos.other_used, pos.satellites_used) == (5, 3, 1, 9)
    # a new epoch's GSA group replaces the old one instead of adding to it
    for body in ("GNRMC,020001.00,A,3016.41600,N,12009.27000,E,0.0,,010126,,,A", "GPGSA,A,3,03,,,,,,,,,,,,1.5,0.9,1.2"):
        t.feed(f"${body}*{checksum(body)}")
    clock.t += 0.3
    assert t.position().satellites_used == 1
    assert classify("GN", 205) == "BDS" and classify("GN", 405) == "BDS" and classify("GN", 7) == "GPS"
    assert classify("GN", 7, 4) == "BDS" and classify("GP", 40) == "SBAS" and classify("GN", 70) == "GLONASS"


def test_simulated_log_round_trips_and_event_serialises():
    t = NmeaTracker(FakeClock())
    lines = simulate_nmea(*HERE, seconds=5)
    assert t.feed_many(lines) == len(lines)  # every sentence well formed and used
    pos = t.position(source="sim")
    assert pos.fix and pos.lat == pytest.approx(HERE[0], abs=3e-5) and pos.lon == pytest.approx(HERE[1], abs=3e-5)
    assert pos.beidou_used == 6 and pos.gps_used == 5 and pos.beidou_in_view == 6
    again = event_from_dict(pos.to_dict())
    assert again == pos and isinstance(again, Position)


# ------------------------------------------------------------------------------------------- sources


def test_parse_source_forms(tmp_path):
    s = parse_source("serial:/dev/ttyUSB0:115200")
    assert isinstance(s, SerialSource) and (s.port, s.baudrate) == ("/dev/ttyUSB0", 115200)
    assert parse_source("serial:/dev/ttyACM0").baudrate == 9600
    assert parse_source("serial:COM3:9600").port == "COM3"
    t = parse_source("tcp:192.168.1.50:5017")
    assert isinstance(t, TcpSource) and (t.host, t.port) == ("192.168.1.50", 5017)
    f = parse_source("file:logs/demo.nmea", base_dir=tmp_path, replay_speed=10, replay_loop=False)
    assert isinstance(f, FileSource) and f.path == tmp_path / "logs" / "demo.nmea" and f.speed == 10
    for empty in (None, "", "none", "off"):
        assert parse_source(empty) is None
    for bad in ("ttyUSB0", "usb:/dev/x", "tcp:host", "tcp:host:99999", "serial:/dev/ttyUSB0:12345"):
        with pytest.raises(ValueError, match="gnss source"):
            parse_source(bad)
    with pytest.raises(ValueError):
        FileSource("x.nmea", speed=-1)


def test_file_replay_paces_by_sentence_time(testdata):
    waits: list[float] = []
    src = FileSource(testdata / "nmea" / "beidou-bd.log", speed=2.0, sleep=waits.append)
    src.open()
    n = 0
    with pytest.raises(EOFError):
        while True:
            assert src.readline(0.1) is not None
            n += 1
    src.close()
    assert n > 60 and len(waits) == 9 and all(w == pytest.approx(0.5) for w in waits)  # 10 epochs 1 s apart
    looping = FileSource(testdata / "nmea" / "beidou-bd.log", speed=0, loop=True)
    looping.open()
    for _ in range(3 * n):
        looping.readline(0.1)
    assert looping.laps >= 2
    looping.close()


def test_worker_replays_a_log_onto_the_bus(testdata):
    bus = EventBus()
    sub = bus.subscribe(Position, DeviceStatus)
    worker = GnssWorker(bus, FileSource(testdata / "nmea" / "beidou-bd.log", speed=0), publish_interval_s=0.0)
    worker.start()
    assert wait_for(lambda: worker.finished)
    worker.stop()
    events = sub.drain()
    positions = [e for e in events if isinstance(e, Position)]
    assert positions[-1].known and positions[-1].lat == pytest.approx(31.2482, abs=1e-4)
    assert not positions[-1].connected and not positions[-1].fix  # the log ended: last known, not current
    assert any(p.fix and p.beidou_used == 3 for p in positions)
    assert [e.state for e in events if isinstance(e, DeviceStatus)][:3] == ["degraded", "ok", "off"]


class NmeaServer:
    """A loopback TCP server streaming NMEA lines to each client until stopped (a receiver's network
    bridge). Restarting on the same port is how a bridge that reboots looks to the kiosk."""

    def __init__(self, lines: list[str], port: int = 0) -> None:
        self.lines = lines
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(4)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.clients.append(conn)
            threading.Thread(target=self._stream, args=(conn,), daemon=True).start()

    def _stream(self, conn: socket.socket) -> None:
        i = 0
        while not self.stopped.is_set():
            try:
                conn.sendall((self.lines[i % len(self.lines)] + "\r\n").encode())
            except OSError:
                return
            i += 1
            if i % 6 == 0:
                time.sleep(0.01)

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()
        for c in self.clients:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self.thread.join(2)


def test_tcp_receiver_that_disconnects_and_reconnects():
    here, moved = HERE, (30.2812, 120.1634)
    server = NmeaServer(simulate_nmea(*here, seconds=30))
    bus = EventBus()
    statuses = bus.subscribe(DeviceStatus)
    worker = GnssWorker(bus, TcpSource("127.0.0.1", server.port), publish_interval_s=0.05,
                        backoff_initial_s=0.05, backoff_max_s=0.2)
    worker.start()
    try:
        assert wait_for(lambda: worker.snapshot().fix)
        assert worker.snapshot().lat == pytest.approx(here[0], abs=1e-4) and worker.opens == 1
        server.stop()
        assert wait_for(lambda: not worker.connected)
        assert wait_for(lambda: worker.failures >= 3)  # refused while the bridge is down, with backoff
        assert worker.backoff_s == pytest.approx(0.2)  # doubled up to the cap
        lost = worker.snapshot()
        assert not lost.fix and lost.known and lost.lat == pytest.approx(here[0], abs=1e-4)
        assert worker.latest is not None and not worker.latest.connected
        server = NmeaServer(simulate_nmea(*moved, seconds=30), port=server.port)
        assert wait_for(lambda: worker.connected and worker.snapshot().fix
                        and abs(worker.snapshot().lat - moved[0]) < 1e-4)
        assert worker.opens == 2 and worker.backoff_s == pytest.approx(0.05)  # good data resets the backoff
    finally:
        worker.stop()
        server.stop()
    states = [e.state for e in statuses.drain()]
    assert "off" in states and states[-1] == "ok" and states.index("ok") < states.index("off")
    assert not worker.alive


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal")
def test_serial_receiver_through_pyserial_and_unplug():
    master, slave = os.openpty()
    port = os.ttyname(slave)
    worker = GnssWorker(None, SerialSource(port, 9600), publish_interval_s=0.05, backoff_initial_s=0.05,
                        backoff_max_s=0.1)
    worker.start()
    try:
        data = ("\r\n".join(simulate_nmea(*HERE, seconds=4)) + "\r\n").encode()
        for i in range(0, len(data), 97):  # arrives in pieces, as on a real line
            os.write(master, data[i:i + 97])
            time.sleep(0.002)
        assert wait_for(lambda: worker.snapshot().fix)
        assert worker.snapshot().lat == pytest.approx(HERE[0], abs=1e-4)
        assert worker.snapshot().source == f"serial:{port}:9600"
        os.close(master)  # the USB cable is pulled
        master = -1
        assert wait_for(lambda: not worker.connected and worker.failures >= 1)
        assert port in worker.last_error
    finally:
        worker.stop()
        if master >= 0:
            os.close(master)
        os.close(slave)


def test_missing_serial_port_backs_off_without_crashing():
    worker = GnssWorker(None, SerialSource("/dev/does-not-exist-gnss", 9600), backoff_initial_s=0.02,
                        backoff_max_s=0.08)
    worker.start()
    assert wait_for(lambda: worker.failures >= 4)
    worker.stop()
    assert not worker.connected and worker.opens == 0 and worker.backoff_s == pytest.approx(0.08)
    assert "/dev/does-not-exist-gnss" in worker.last_error


def test_command_line_simulate_and_watch(tmp_path, capsys):
    out = tmp_path / "demo.nmea"
    assert main(["simulate", "--lat", str(HERE[0]), "--lon", str(HERE[1]), "--seconds", "3", "--out", str(out)]) == 0
    assert main(["watch", f"file:{out}", "--speed", "0", "--seconds", "3"]) == 0
    text = capsys.readouterr().out
    assert "final: 30.2736" in text and "BDS 6" in text


def test_the_demo_site_replays_its_recorded_log_as_the_receiver(tmp_path):
    """The embedded default uses the shipped NMEA log, so the demo map shows a real BeiDou fix."""
    import time as _time

    from beidou import Position, start_gnss
    from core.config import load_config
    from core.events import EventBus

    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path), "DANGJIAN__GNSS__REPLAY_SPEED": "0"})
    bus = EventBus()
    sub = bus.subscribe(Position)
    worker = start_gnss(config, bus)
    try:
        deadline = _time.monotonic() + 20
        fix = None
        while _time.monotonic() < deadline and fix is None:
            event = sub.get(timeout=0.5)
            if isinstance(event, Position) and event.fix and event.beidou_used:
                fix = event  # once GGA/GSA of the first epoch are in, not just its RMC
    finally:
        worker.stop()
    assert fix is not None
    assert abs(fix.lat - 30.2736) < 0.001 and abs(fix.lon - 120.1545) < 0.001
    assert fix.beidou_used > 0 and fix.gps_used > 0


# ------------------------------------------------------------------ real-world receivers (issue #16)

BEIDOU_LOGS = ["beidou-bd.log", "beidou-gb.log", "quectel-l76k-nmea.log", "ublox-zed-f9p-nmea.log"]


@pytest.mark.parametrize("name", BEIDOU_LOGS)
def test_the_first_fix_already_counts_beidou(testdata, name):
    """GGA comes before its epoch's GSA, and a log (or a receiver) can start mid-epoch: the first
    position reported as a fix must already carry its BeiDou satellites, not 0."""
    t = NmeaTracker(FakeClock())
    first = None
    for line in (testdata / "nmea" / name).read_bytes().splitlines():
        t.feed(line)
        pos = t.position()
        if pos.fix:
            first = pos
            break
    assert first is not None and first.beidou_used > 0 and first.satellites_used >= first.beidou_used, first


def casic_frame(rng, with_newline_and_dollar: bool) -> bytes:
    """A CASIC binary frame (0xBA 0xCE, length, class, id, payload, checksum) as an AT6558 (Quectel
    L76K) interleaves with NMEA; the payload may hold the bytes of "$", "\\n" and "*"."""
    import struct

    payload = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 60)))
    if with_newline_and_dollar:
        payload = payload[:4] + b"$\n*\r" + payload[4:]
    return b"\xba\xce" + struct.pack("<HBB", len(payload), 0x06, 0x01) + payload + bytes(rng.randrange(256) for _ in range(4))


def test_binary_frames_between_sentences_lose_no_sentence(testdata):
    """The L76K log with a binary frame before every GGA (no newline between the frame and "$", and
    frames holding "$" and newline bytes), streamed through the serial line buffer in ragged chunks:
    every GGA is still read, nothing counts as a checksum error, the binary is counted as noise."""
    import random

    from beidou.sources import _LineBuffer

    rng = random.Random(16)
    raw = (testdata / "nmea" / "quectel-l76k-nmea.log").read_bytes()
    stream = bytearray()
    for line in raw.splitlines(keepends=True):
        if line.startswith(b"$GNGGA"):
            stream += casic_frame(rng, rng.random() < 0.5)
        stream += line
    t = NmeaTracker(FakeClock())
    buf = _LineBuffer()
    kinds: list[str | None] = []
    at = 0
    while at < len(stream):
        step = rng.randrange(1, 200)
        buf.push(bytes(stream[at:at + step]))
        at += step
        while (line := buf.pop()) is not None:
            kinds.append(t.feed(line))
    assert kinds.count("GGA") == raw.count(b"$GNGGA") == 150
    assert t.state.checksum_errors == 0 and t.state.binary_noise >= 150
    assert t.position().fix and t.position().beidou_used == 3


def test_a_long_binary_frame_without_newline_keeps_the_sentence_after_it():
    from beidou.sources import MAX_LINE, _LineBuffer

    body = "GNGGA,020000.00,3016.41600,N,12009.27000,E,1,09,0.9,12.0,M,7.0,M,,"
    buf = _LineBuffer()
    buf.push(b"\xb5\x62" + bytes(range(256)).replace(b"\n", b"") * 40 + f"${body}*{checksum(body)}".encode())
    buf.push(b"\r\n")
    line = buf.pop()
    assert line is not None and len(line) < 2 * MAX_LINE
    assert NmeaTracker(FakeClock()).feed(line) == "GGA"


def gsv(talker: str, prns: list[int], signal: str = "", per: int = 4) -> list[str]:
    """A complete GSV sequence for ``prns`` (NMEA 4.10+ signal id at the end when given)."""
    chunks = [prns[k:k + per] for k in range(0, len(prns), per)] or [[]]
    out = []
    for n, chunk in enumerate(chunks, 1):
        fields = [talker + "GSV", str(len(chunks)), str(n), f"{len(prns):02d}"]
        for prn in chunk:
            fields += [f"{prn:02d}", "45", "120", "30"]
        if signal:
            fields.append(signal)
        body = ",".join(fields)
        out.append(f"${body}*{checksum(body)}")
    return out


def test_in_view_counts_the_union_over_signals_and_sequences():
    """A dual-band receiver sends one GSV sequence per signal: L1 sees 9 GPS satellites, L5 only 3 of
    them; BeiDou B1I sees 5, B2a 2 of them plus one more. In view: 9 GPS, 6 BeiDou (the last sequence
    alone said 3 and 3). A GN-talker sequence is split by PRN range."""
    clock = FakeClock()
    t = NmeaTracker(clock)
    for line in (gsv("GP", [1, 3, 6, 9, 12, 14, 17, 19, 22], "1") + gsv("GP", [1, 3, 6], "8")
                 + gsv("GB", [19, 20, 21, 22, 23], "1") + gsv("GB", [19, 20, 35], "5")
                 + gsv("GN", [70, 71])):
        assert t.feed(line) == "GSV"
    pos = t.position()
    assert (t.state.in_view["GPS"], pos.beidou_in_view, t.state.in_view["GLONASS"]) == (9, 6, 2)
    assert pos.satellites_in_view == 9 + 6 + 2
    # a sequence that lost a sentence is not half counted; the complete one stands
    t.feed(gsv("GP", [1, 3, 6, 9, 12, 14, 17, 19, 22, 25], "1")[0])
    t.feed(gsv("GP", [1, 3, 6, 9, 12, 14, 17, 19, 22, 25], "1")[2])
    assert t.state.in_view["GPS"] == 9

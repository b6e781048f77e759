"""Where NMEA lines come from: a serial port, a TCP bridge or a recorded log (replayed in time)."""

from __future__ import annotations

import contextlib
import logging
import math
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from beidou.fix import _float

log = logging.getLogger(__name__)


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

    def read_line(self, read: Callable[[float], bytes | None], timeout: float) -> str | None:
        """The next line, reading chunks with ``read(seconds_left)`` for up to ``timeout`` seconds.

        Why one loop for the serial port and the TCP bridge: both must return a line already buffered
        without touching the device, keep reading past partial chunks, and give up at the same deadline;
        only how a chunk is read differs. ``read`` returns the bytes that came (``b""``: none yet, keep
        trying until the deadline), None when it waited out its time (give up now), or raises OSError.
        """
        line = self.pop()
        if line is not None:
            return line
        deadline = time.monotonic() + timeout
        while True:
            data = read(deadline - time.monotonic())
            if data is None:
                return None
            if data:
                self.push(data)
                line = self.pop()
                if line is not None:
                    return line
            if time.monotonic() >= deadline:
                return None


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

        port = self._serial
        if port is None:
            raise OSError(f"serial port {self.port} is not open")

        def read(_seconds_left: float) -> bytes:  # each read waits at most read_timeout
            try:
                return port.read(max(1, min(port.in_waiting, 4096)))
            except (serial.SerialException, OSError) as exc:
                raise OSError(f"serial port {self.port}: {exc}") from exc

        return self._lines.read_line(read, timeout)

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
        sock = self._sock
        if sock is None:
            raise OSError(f"{self.name} is not connected")

        def read(seconds_left: float) -> bytes | None:
            sock.settimeout(max(0.01, seconds_left))
            try:
                data = sock.recv(4096)
            except TimeoutError:
                return None
            if not data:
                raise ConnectionResetError(f"{self.name} closed the connection")
            return data

        return self._lines.read_line(read, timeout)

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

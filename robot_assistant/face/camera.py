"""The camera: a device index, a stream URL or a video file behind one small interface.

Why a wrapper: USB cameras vanish (a loose cable, a hub reset) and RTSP streams drop; the terminal
runs unattended for months, so a lost camera is retried with exponential backoff for ever, the state
is reported (``DeviceStatus`` via ``on_status``), and ``read()`` never blocks the worker waiting for it.
Backoff alone would make a camera plugged back in after a minute wait up to ``backoff_max`` before it is
used again, so while it is lost the source is also *probed* cheaply (its device node or file exists, the
stream's port accepts a connection): when a source seen gone is there again, it is reopened at once.
A video file stands in for a camera in tests and demos; ``loop=True`` replays it (``devices.camera_loop``,
on by default: a demo clip must still be playing when someone opens sign-in minutes later), and its frames
carry the video's own time so a test runs in simulated time, not wall time. A file that is missing or that
OpenCV cannot read as video is reported as such (``message`` names the file and ``devices.camera``) and
retried with the backoff, never a tight reopen loop.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import cv2
import numpy as np

OK, LOST, OFF = "ok", "lost", "off"

#: Ports of stream URLs that name none, for the probe.
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322, "rtmp": 1935}


@dataclass(frozen=True)
class Frame:
    image: np.ndarray
    """BGR, as OpenCV delivers it."""
    t: float
    """Seconds: the video position for a file, the monotonic clock for a live source."""
    index: int


class Camera(Protocol):
    state: str

    def read(self) -> Frame | None:
        """The next frame, or None when there is none now (lost, waiting to reopen, or ended)."""
        ...

    def close(self) -> None: ...


def parse_source(source: int | str | Path) -> int | str:
    """``"0"`` → device 0; anything else (URL, file path) as text."""
    if isinstance(source, int):
        return source
    text = str(source)
    return int(text) if text.lstrip("-").isdigit() else text


class OpenCVCamera:
    """``cv2.VideoCapture`` with reopen-on-loss.

    A read that fails ``fail_after`` times in a row marks the camera lost: it is released and reopened
    after ``backoff_initial`` seconds, doubling up to ``backoff_max`` while it keeps failing. A file that
    ends is replayed when ``loop`` is set (reopened, so a file renamed away counts as a lost camera),
    else the camera turns ``off``. While lost, the source is probed every ``probe_every`` seconds (None:
    never); a source the probe saw absent and then present again is reopened without waiting for the
    backoff. A source that is present but will not open gets no such shortcut: the backoff stands.
    """

    def __init__(self, source: int | str | Path, *, loop: bool = False, fail_after: int = 3,
                 backoff_initial: float = 0.5, backoff_max: float = 30.0, probe_every: float | None = 0.25,
                 probe_timeout: float = 0.2, clock: Callable[[], float] = time.monotonic,
                 capture_factory: Callable[[int | str], Any] = cv2.VideoCapture,
                 on_status: Callable[[str, str], None] | None = None):
        self.source = parse_source(source)
        self.is_file = isinstance(self.source, str) and "://" not in self.source
        self.loop = loop
        self.fail_after = fail_after
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.probe_every = probe_every
        self.probe_timeout = probe_timeout
        self.clock = clock
        self.capture_factory = capture_factory
        self.on_status = on_status
        self.state = LOST
        self.message = ""
        self.reopen_attempts = 0
        self._cap: Any = None
        self._failures = 0
        self._backoff = backoff_initial
        self._next_try = clock()
        self._index = 0
        self._t_offset = 0.0
        self._last_t = 0.0
        self._fps = 0.0
        self._last_probe = float("-inf")
        self._seen_absent = False
        self._frames_since_open = 0

    # -------------------------------------------------------------------------------------- state

    def _set_state(self, state: str, message: str) -> None:
        changed = state != self.state or message != self.message
        self.state, self.message = state, message
        if changed and self.on_status:
            self.on_status(state, message)

    def _open(self) -> bool:
        self.reopen_attempts += 1
        if self.is_file and not Path(self.source).is_file():
            why = "is a folder, not a video file" if Path(self.source).is_dir() else "does not exist"
            self._schedule_retry(f"video file {self.source} {why} (devices.camera: a device index, a stream URL "
                                 f"or a video file)")
            return False
        cap = self.capture_factory(self.source)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            self._schedule_retry(f"video file {self.source} cannot be read as video (devices.camera)" if self.is_file
                                 else f"camera {self.source!r} cannot be opened")
            return False
        self._frames_since_open = 0
        self._cap = cap
        self._failures = 0
        self._backoff = self.backoff_initial
        self._seen_absent = False
        fps = cap.get(cv2.CAP_PROP_FPS) if hasattr(cap, "get") else 0.0
        self._fps = float(fps) if fps and fps > 0 else 0.0
        self._set_state(OK, f"camera {self.source!r} open")
        return True

    def _schedule_retry(self, message: str) -> None:
        self._release()
        self._next_try = self.clock() + self._backoff
        message = f"{message}; retrying in {self._backoff:.1f} s"
        self._backoff = min(self._backoff * 2, self.backoff_max)
        self._set_state(LOST, message)

    def _release(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    @property
    def next_retry_in(self) -> float:
        return max(0.0, self._next_try - self.clock()) if self._cap is None else 0.0

    def source_present(self) -> bool | None:
        """Whether the source is there now, looked at without opening it: the device node or file exists,
        a stream's host accepts a TCP connection on its port. None when that cannot be told — among others
        for a stream named by host name: a name lookup on an offline terminal can stall for seconds."""
        src = self.source
        if isinstance(src, int):
            return Path(f"/dev/video{src}").exists() if sys.platform.startswith("linux") else None
        if self.is_file:
            return Path(src).exists()
        try:
            url = urlsplit(src)
            host, port = url.hostname, url.port or DEFAULT_PORTS.get(url.scheme.lower())
        except ValueError:
            return None
        if not host or not port:
            return None
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host != "localhost":
                return None
        try:
            with socket.create_connection((host, port), timeout=self.probe_timeout):
                return True
        except OSError:
            return False

    def _came_back(self) -> bool:
        """Probe (at most every ``probe_every`` s): True once when a source seen absent is present again."""
        if self.probe_every is None or self.clock() - self._last_probe < self.probe_every:
            return False
        self._last_probe = self.clock()
        present = self.source_present()
        if present is False:
            self._seen_absent = True
            return False
        if present and self._seen_absent:
            self._seen_absent = False
            return True
        return False

    # --------------------------------------------------------------------------------------- read

    def read(self) -> Frame | None:
        if self.state == OFF:
            return None
        if self._cap is None and ((self.clock() < self._next_try and not self._came_back()) or not self._open()):
            return None
        ok, image = self._cap.read()
        if ok and image is not None:
            self._failures = 0
            self._index += 1
            self._frames_since_open += 1
            t = self._frame_time()
            self._last_t = t
            return Frame(image, t, self._index)
        if self.is_file:
            if not self._frames_since_open:  # opened, yet not one frame: a broken or truncated file
                self._schedule_retry(f"video file {self.source} gives no frames: not a video OpenCV can decode "
                                     f"(devices.camera)")
                return None
            if self.loop:  # replay: reopen from the start, so a vanished file shows up as lost
                self._t_offset = self._last_t + (1.0 / self._fps if self._fps else 0.0)
                self._release()
                self._next_try = self.clock()
                self._open()
                return None
            self._release()
            self._set_state(OFF, f"video {self.source!r} ended")
            return None
        self._failures += 1
        if self._failures >= self.fail_after:
            self._schedule_retry(f"camera {self.source!r} stopped delivering frames")
        return None

    def _frame_time(self) -> float:
        if self.is_file:
            if self._fps:
                pos = self._cap.get(cv2.CAP_PROP_POS_FRAMES)
                return self._t_offset + (float(pos) - 1) / self._fps
            return self._t_offset + float(self._cap.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
        return self.clock()

    def close(self) -> None:
        self._release()
        self._set_state(OFF, "closed")


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Write BGR frames as MJPG .avi (H.264 cannot be written with the pip OpenCV build)."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write video {path}")
    for f in frames:
        writer.write(f)
    writer.release()
    return Path(path)

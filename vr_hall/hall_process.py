"""The parent's handle on one hall child process: spawn it, send it commands, read what it says.

A hall child (:mod:`vr_hall.child_main`) is a *spawned* interpreter, so a Panda3D crash or a
segfault ends it and not the kiosk. :class:`HallProcess` owns its two queues and its process; it
turns a child that dies without a word into a "crashed" message with its exit code, and
:meth:`HallProcess.wait_for` into :class:`HallCrashed`. The message table is in :mod:`vr_hall.child`.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.events import Event
from vr_hall.child_main import HallOptions, _child_main

TERMINAL = ("crashed", "exited")


class HallCrashed(RuntimeError):
    """The child died or reported a crash; ``info`` is its message."""

    def __init__(self, info: dict[str, Any]):
        super().__init__(info.get("error") or f"hall child exited with code {info.get('exitcode')}")
        self.info = info


@dataclass
class HallProcess:
    """The parent's handle on one hall child. Not thread-safe: use it from one thread (the kiosk's)."""

    scene_path: str | Path
    options: HallOptions = field(default_factory=HallOptions)
    process: Any = None
    started_at: float = 0.0
    opened_at: float | None = None
    ready: dict[str, Any] | None = None
    finished: dict[str, Any] | None = None
    """The terminal message (exited / crashed) once the child is gone."""
    progress: tuple[float, str] | None = None
    """The last (fraction, message) the child reported while prewarming; (1.0, ...) once ready."""

    def start(self) -> HallProcess:
        """Spawn and prewarm (returns at once; see :meth:`wait_ready`)."""
        ctx = mp.get_context("spawn")
        self._inbox = ctx.Queue()
        self._outbox = ctx.Queue()
        self._pending: list[dict[str, Any]] = []
        self.process = ctx.Process(target=_child_main, name="vr-hall",
                                   args=(str(self.scene_path), self.options, self._inbox, self._outbox), daemon=True)
        self.started_at = time.perf_counter()
        self.process.start()
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def _send(self, message: dict[str, Any]) -> None:
        if self.alive:
            self._inbox.put(message)

    def open(self, goto: str | None = None) -> None:
        self.opened_at = time.perf_counter()
        self._send({"cmd": "open", "goto": goto})

    def send(self, event: Event) -> None:
        """Forward an event (GuideTo, Transcript, Answer) to the hall."""
        self._send({"cmd": "event", "event": event.to_dict()})

    def close(self) -> None:
        self._send({"cmd": "close"})

    def crash_for_test(self, how: str = "raise") -> None:
        self._send({"cmd": "crash", "how": how})

    def tap_chip_for_test(self, index: int = 0) -> None:
        """Open the 问助手 chips and tap one (after the next frame), as a visitor would."""
        self._send({"cmd": "ask-chip", "index": index})

    def poll(self, timeout: float = 0.0) -> list[dict[str, Any]]:
        """Messages from the child since the last call (waiting up to ``timeout`` for the first). A
        child that died silently is reported as {"type": "crashed", "exitcode": n}."""
        out = self._pending
        self._pending = []
        deadline = time.perf_counter() + timeout
        while True:
            try:
                wait = max(0.0, deadline - time.perf_counter())
                msg = self._outbox.get(timeout=wait) if (not out and wait > 0) else self._outbox.get_nowait()
            except queue.Empty:
                break
            except (EOFError, OSError):
                break
            out.append(self._annotate(msg))
        if self.finished is None and self.process is not None and not self.process.is_alive():
            # drain what the child managed to send before it died
            while True:
                try:
                    out.append(self._annotate(self._outbox.get(timeout=0.2)))
                except (queue.Empty, EOFError, OSError):
                    break
            if self.finished is None:
                info = {"type": "crashed", "exitcode": self.process.exitcode,
                        "error": f"hall child died with exit code {self.process.exitcode}"}
                self.finished = info
                out.append(info)
        return out

    def _annotate(self, msg: dict[str, Any]) -> dict[str, Any]:
        kind = msg.get("type")
        if kind == "progress":
            self.progress = (float(msg.get("fraction", 0.0)), str(msg.get("message", "")))
        elif kind == "ready":
            msg["since_start_s"] = time.perf_counter() - self.started_at
            self.ready = msg
            self.progress = (1.0, self.progress[1] if self.progress else "")
        elif kind == "frame" and "first_frame_s" in msg and self.opened_at is not None:
            msg["parent_first_frame_s"] = time.perf_counter() - self.opened_at
            self.opened_at = None
        elif kind in TERMINAL and self.finished is None:
            if kind == "crashed" and self.process is not None:
                self.process.join(timeout=2.0)
                msg["exitcode"] = self.process.exitcode
            self.finished = msg
        return msg

    def wait_for(self, kind: str, timeout: float = 30.0) -> dict[str, Any]:
        """The next message of ``kind`` (others are kept for :meth:`poll`); raises HallCrashed when
        the child crashes first and TimeoutError when nothing comes."""
        deadline = time.perf_counter() + timeout
        kept: list[dict[str, Any]] = []
        try:
            while time.perf_counter() < deadline:
                batch = self.poll(timeout=min(0.25, max(0.0, deadline - time.perf_counter())))
                for k, msg in enumerate(batch):
                    if msg.get("type") == kind:
                        kept.extend(batch[k + 1:])
                        return msg
                    kept.append(msg)
                    if msg.get("type") == "crashed":
                        kept.extend(batch[k + 1:])
                        raise HallCrashed(msg)
                    if msg.get("type") == "exited":
                        kept.extend(batch[k + 1:])
                        raise HallCrashed({"error": f"hall child exited while waiting for {kind!r}"})
            raise TimeoutError(f"no {kind!r} from the hall child within {timeout:g} s")
        finally:
            self._pending = kept + self._pending

    def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        return self.ready or self.wait_for("ready", timeout)

    def stop(self, timeout: float = 5.0) -> int | None:
        """Ask the child to quit, wait, then terminate / kill it; release the queues. Returns the exit code."""
        if self.process is None:
            return None
        if self.process.is_alive():
            self._send({"cmd": "quit"})
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)
        code = self.process.exitcode
        self.poll()
        for q in (self._inbox, self._outbox):
            q.close()
            q.join_thread()
        self.process.close()
        self.process = None
        return code

    def __enter__(self) -> HallProcess:
        return self.start() if self.process is None else self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

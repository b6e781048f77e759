"""The hall in a child process: prewarmed early, its window opened on command, its crash contained.

Panda3D in the kiosk's own process costs memory that is never fully returned and, under a bare X
server, intermittently fails to open a display; a crash in a renderer takes everything with it.
So the kiosk starts a child (multiprocessing *spawn*: a fresh interpreter, no inherited pygame or
threads) that imports Panda3D and builds the scene with no window, then waits. ``open()`` shows
the hall within a few hundred milliseconds; closing it ends the child and frees all its memory,
and the kiosk prewarms the next one. Messages are plain dicts over two multiprocessing queues:

parent → child   {"cmd": "open", "goto": id | None} · {"cmd": "event", "event": Event.to_dict()}
                 (GuideTo; Transcript and Answer for the assistant's caption) · {"cmd": "close"}
                 · {"cmd": "quit"} · {"cmd": "crash", "how": "raise" | "abort"} · {"cmd": "ask-chip",
                 "index": k} (taps a 问助手 chip; the last two only with ``test_hooks``)
child → parent   {"type": "progress", "fraction", "message"} (while prewarming) · {"type": "ready",
                 "load_s", "materials": "pbr" | "fixed", "renderer"} (how models are drawn, logged) · {"type": "frame", "first_frame_s", "frames"} (the first frame, then a
                 heartbeat every ``heartbeat_s``) · {"type": "event", "event": ...} (Speak /
                 StopSpeaking, and Transcript for a question asked in the hall) · {"type": "closed",
                 "reason"} · {"type": "crashed", "error"} · {"type": "exited"}

The parent also reports a child that dies without a word (a segfault) as "crashed" with its exit code.
The child's side is :mod:`vr_hall.child_main`, the parent's handle on one child
:mod:`vr_hall.hall_process`; this module keeps the kiosk's launcher and re-exports the others' names.
This module imports nothing heavy at the top: with spawn, the child re-imports the parent's main module.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from core.background import doubling_delay
from core.events import Event
from vr_hall.child_main import HallOptions
from vr_hall.hall_process import TERMINAL, HallCrashed, HallProcess

__all__ = ["TERMINAL", "HallCrashed", "HallLauncher", "HallOptions", "HallProcess", "rss_kib", "short_why"]

log = logging.getLogger(__name__)


class HallLauncher:
    """The kiosk's side: one prewarmed hall child always ready; :meth:`open` shows it; when it closes
    or crashes it is reaped and the next one prewarmed. Call :meth:`poll` once a frame: it forwards
    the hall's Speak / StopSpeaking / Transcript events to ``publish`` and returns the child's status
    messages (progress, ready, frame, closed, crashed, ...) for the kiosk to act on (e.g. return to
    Home on closed). :meth:`forward` carries the assistant's Transcript / Answer events the other way,
    into the open hall; :attr:`progress` says how far the prewarm has got.

    Crash policy. A hall that crashes while prewarming (a model that kills the loader, a driver that
    cannot make a context) would crash again at once: restarting it at once burnt 17 children in 90 s
    on a real site. So each crash in a row doubles the wait before the next prewarm (``backoff_s``,
    up to ``backoff_max_s``); a child that closes normally, or has been ready for ``stable_s``, ends the
    streak. Every "crashed" message carries ``visitor``: True only when the visitor was in the hall
    (the kiosk then returns Home once and says so); a prewarm crash never moves the visitor, it only
    makes :meth:`unavailable_reason` say why the hall tile cannot open. :attr:`last_error` keeps the
    latest crash for the admin panel."""

    def __init__(self, scene_path: str | Path, options: HallOptions | None = None,
                 publish: Any = None, prewarm: bool = True, *, backoff_s: float = 2.0,
                 backoff_max_s: float = 300.0, stable_s: float = 60.0, clock: Any = time.monotonic):
        self.scene_path = scene_path
        self.options = options or HallOptions()
        self.publish = publish or (lambda _e: None)
        self.prewarm = prewarm
        self.current: HallProcess | None = None
        self.is_open = False
        self.launches = 0
        self.crashes = 0
        self.backoff_s, self.backoff_max_s, self.stable_s = backoff_s, backoff_max_s, stable_s
        self.clock = clock
        self.failures = 0
        """Crashes in a row (reset by a normal close or a child that stayed ready ``stable_s``)."""
        self.next_start_at: float | None = None
        """When (``clock``) the next prewarm starts after a crash; None when none is waiting."""
        self.last_error: dict[str, Any] | None = None
        """The latest crash: {"error", "at" (wall-clock epoch s), "visitor", "exitcode", "failures"}."""
        self._ready_at: float | None = None
        self._forwarding: tuple[Any, Any] | None = None
        """(bus, subscription) of :meth:`forward`."""

    def delay_after(self, failures: int) -> float:
        """Seconds to wait before the next prewarm after ``failures`` crashes in a row: 0, then
        ``backoff_s`` doubling each time, capped at ``backoff_max_s``."""
        return doubling_delay(failures, self.backoff_s, self.backoff_max_s)

    @property
    def available(self) -> bool:
        """False while the hall is known to be broken: the last child crashed and no new one has
        reached "ready" since (the tile then says why instead of opening a hall that may crash)."""
        return self.failures == 0 or self.ready

    def unavailable_reason(self, language: str = "zh", *, retry: bool = True, name: bool = True) -> str | None:
        """One line for a visitor while the hall is not :attr:`available`: that it is unavailable, a
        short why in words a visitor understands (the full error is the admin panel's), and, with
        ``retry``, when the next try is (the tile leaves that out: it is not redrawn every second), and
        without ``name`` not the hall's name (the tile's title says it); None when the hall can open."""
        if self.available or self.last_error is None:
            return None
        zh, en = short_why(str(self.last_error.get("error") or ""))
        wait_zh = wait_en = ""
        if not retry:
            pass
        elif self.next_start_at is not None:
            left = max(0, round(self.next_start_at - self.clock()))
            wait_zh, wait_en = f"，{left} 秒后重试", f"; retrying in {left} s"
        elif self.current is not None:
            wait_zh, wait_en = "，正在重试", "; retrying"
        if language == "en":
            return f"{'VR hall unavailable' if name else 'Unavailable'}: {en}{wait_en}"
        return f"{'VR展厅' if name else ''}暂不可用：{zh}{wait_zh}"

    def start(self) -> None:
        if self.current is None:
            self.next_start_at = None
            self.current = HallProcess(self.scene_path, self.options).start()

    def open(self, goto: str | None = None) -> None:
        """Show the hall (the child opens as soon as it is prewarmed, if it is not yet)."""
        self.start()
        assert self.current is not None
        self.current.open(goto)
        self.is_open = True
        self.launches += 1

    def send(self, event: Event) -> None:
        """Forward an event (GuideTo, Transcript, Answer) to the open hall; ignored when it is closed."""
        if self.current is not None and self.is_open:
            self.current.send(event)

    def forward(self, bus: Any) -> int:
        """Call once a frame: the assistant's Transcript and Answer events published on ``bus`` since
        the last call go to the open hall, for its caption (dropped while it is closed). The first call
        subscribes. Returns how many were sent."""
        from core.events import Answer, Transcript

        if self._forwarding is None or self._forwarding[0] is not bus:
            self._stop_forwarding()
            self._forwarding = (bus, bus.subscribe(Transcript, Answer))
        sent = 0
        for event in self._forwarding[1].drain():
            if self.current is not None and self.is_open:
                self.current.send(event)
                sent += 1
        return sent

    def _stop_forwarding(self) -> None:
        if self._forwarding is not None:
            bus, sub = self._forwarding
            bus.unsubscribe(sub)
            self._forwarding = None

    @property
    def progress(self) -> tuple[float, str] | None:
        """How far the hall child has prewarmed: (fraction 0…1, step message), (1.0, ...) once it is
        ready; None while no child runs or before its first report."""
        return self.current.progress if self.current is not None else None

    @property
    def ready(self) -> bool:
        """The child has built the hall: open() shows it within a frame or two."""
        return self.current is not None and self.current.ready is not None

    def progress_label(self, language: str = "zh") -> str | None:
        """What to tell a visitor who tapped before the hall was ready — 正在准备展厅 42% — or None
        once it is ready (or nothing is known yet)."""
        if self.ready or self.progress is None:
            return None
        percent = int(self.progress[0] * 100)
        return f"Preparing the hall {percent}%" if language == "en" else f"正在准备展厅 {percent}%"

    def close(self) -> None:
        if self.current is not None and self.is_open:
            self.current.close()

    def poll(self) -> list[dict[str, Any]]:
        now = self.clock()
        if self.current is None:
            if self.next_start_at is not None and now >= self.next_start_at:
                self.next_start_at = None
                self.start()
            return []
        status = []
        from core.events import event_from_dict

        for msg in self.current.poll():
            if msg.get("type") == "event":
                self.publish(event_from_dict(msg["event"]))
                continue
            if msg.get("type") == "ready":
                self._ready_at = now
                log.info("VR hall ready in %.1f s; models drawn %s (%s)", msg.get("load_s", 0.0),
                         "with PBR shaders (normal, metal-roughness, occlusion maps)"
                         if msg.get("materials") == "pbr" else "without shaders (base colour and emission)",
                         msg.get("renderer", "?"))
            if msg.get("type") == "crashed":
                msg["visitor"] = self.is_open
            status.append(msg)
        if self._ready_at is not None and self.failures and now - self._ready_at >= self.stable_s:
            self.failures = 0  # it has stayed up: the next crash starts a new streak
        if self.current.finished is not None:
            finished = self.current.finished
            if finished.get("type") == "crashed":
                self.crashes += 1
                self.failures += 1
                self.last_error = {"error": finished.get("error") or "unknown error", "at": time.time(),
                                   "visitor": self.is_open, "exitcode": finished.get("exitcode"),
                                   "failures": self.failures}
            else:
                self.failures = 0
            self.current.stop()
            self.current = None
            self.is_open = False
            self._ready_at = None
            if self.prewarm:
                delay = self.delay_after(self.failures)
                if delay > 0:
                    self.next_start_at = now + delay
                else:
                    self.start()
        return status

    def shutdown(self) -> None:
        self._stop_forwarding()
        self.next_start_at = None
        if self.current is not None:
            self.current.stop()
            self.current = None
        self.is_open = False


def short_why(error: str) -> tuple[str, str]:
    """(Chinese, English) few words for a hall child's error, short enough for the hall tile's second
    line (the full error is on the admin panel)."""
    if "SceneError" in error:
        return "场景文件有误", "scene file errors"
    if "window" in error or "display" in error.lower():
        return "无法显示", "no display"
    if "MemoryError" in error:
        return "内存不足", "out of memory"
    if "exit code" in error or "died" in error:
        return "程序崩溃", "it crashed"
    return "程序出错", "it failed"


def rss_kib() -> int:
    """This process's resident memory (VmRSS), KiB; 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

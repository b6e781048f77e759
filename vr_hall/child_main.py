"""What runs inside the hall child: prewarm the hall with no window, then serve the parent's commands.

The child's half of :mod:`vr_hall.child` (whose docstring lists every message both ways): it builds
the hall (progress, then "ready"), waits for "open", and while the window is open takes commands
between frames and sends the first frame and a heartbeat. Kept apart from the parent's handle
(:mod:`vr_hall.hall_process`) because the two run in different processes and share only the
messages; every "crashed" the parent can hear is sent from :func:`_child_main`.
It imports nothing heavy at the top: with spawn, the child re-imports it before Panda3D is wanted.
"""

from __future__ import annotations

import os
import queue
import time
import traceback
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HallOptions:
    window: str = "onscreen"
    """onscreen | offscreen"""
    size: tuple[int, int] = (1280, 720)
    fullscreen: bool = False
    stereo: bool = False
    keep_alive: bool = False
    """After the window closes, wait for another "open" instead of exiting."""
    test_hooks: bool = False
    heartbeat_s: float = 2.0
    language: str = "zh"


def _child_main(scene_path: str, options: HallOptions, inbox: Any, outbox: Any) -> None:
    """Entry point of the child process."""
    app = None
    try:
        app = _prewarm(scene_path, options, outbox)
        _serve(app, options, inbox, outbox)
        app.destroy()
        app = None
        outbox.put({"type": "exited"})
    except BaseException as exc:  # the parent must hear about every way this can end
        outbox.put({"type": "crashed", "error": f"{type(exc).__name__}: {exc}",
                    "traceback": traceback.format_exc()})
        raise SystemExit(1) from None


def _prewarm(scene_path: str, options: HallOptions, outbox: Any) -> Any:
    """Build the hall without a window, telling the parent how it goes; then "ready"."""
    t0 = time.perf_counter()
    sent = [-1.0]

    def progress(fraction: float, message: str) -> None:
        """To the parent (the kiosk shows 正在准备展厅 N% to a visitor who taps early); a step
        under 1 % is not worth a message."""
        if fraction >= 1.0 or fraction - sent[0] >= 0.01:
            sent[0] = fraction
            outbox.put({"type": "progress", "fraction": round(fraction, 4), "message": message})

    progress(0.0, "正在启动 Starting")
    from vr_hall.app import HallApp
    from vr_hall.scene import load_scene

    scene = load_scene(scene_path)
    app = HallApp(scene, window=options.window, open_now=False, size=options.size,  # type: ignore[arg-type]
                  fullscreen=options.fullscreen, stereo=options.stereo, language=options.language,
                  publish=lambda ev: outbox.put({"type": "event", "event": ev.to_dict()}), progress=progress)
    outbox.put({"type": "ready", "load_s": time.perf_counter() - t0, "pid": os.getpid(),
                "materials": app.materials, "renderer": app.materials_note})
    return app


@dataclass
class _Serving:
    """What the child's loop remembers between frames."""

    opened_at: float | None = None
    next_beat: float = 0.0
    crash_next_frame: bool = False
    after_frame: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


def _serve(app: Any, options: HallOptions, inbox: Any, outbox: Any) -> None:
    """Wait for commands while the window is closed; while it is open, take them between frames."""
    state = _Serving()
    while not state.done:
        if not app.window_open:
            message = inbox.get()
        else:
            try:
                message = inbox.get_nowait()
            except queue.Empty:
                message = None
        if message is not None:
            _command(app, message, options, outbox, state)
            continue
        _frame(app, options, outbox, state)


def _command(app: Any, message: dict[str, Any], options: HallOptions, outbox: Any, state: _Serving) -> None:
    """One command from the parent (see the module docstring)."""
    from core.events import event_from_dict

    cmd = message.get("cmd")
    if cmd == "open":
        state.opened_at = time.perf_counter()
        if not app.open_window():
            raise RuntimeError("no window could open (is there a display?)")
        if message.get("goto"):
            app.guide_to(message["goto"])
    elif cmd == "event":
        app.post(event_from_dict(message["event"]))
    elif cmd == "close":
        app.close_window()
        outbox.put({"type": "closed", "reason": "command"})
        state.done = not options.keep_alive
    elif cmd == "quit":
        state.done = True
    elif cmd == "crash" and options.test_hooks:
        if message.get("how") == "abort":
            os.abort()  # dies like a segfault would: no message, non-zero exit code
        state.crash_next_frame = True
    elif cmd == "ask-chip" and options.test_hooks:
        state.after_frame.append(message)  # after the next frame has handled the events before it


def _frame(app: Any, options: HallOptions, outbox: Any, state: _Serving) -> None:
    """One frame with the window open; the first frame and a heartbeat to the parent; exit on request."""
    if state.crash_next_frame:
        def boom(_task: Any) -> None:
            raise RuntimeError("test hook: crash inside a Panda3D task")

        app.base.taskMgr.add(boom, "test-crash")
        state.crash_next_frame = False
    app.base.taskMgr.step()
    for hook in state.after_frame:
        if app.assistant is not None:
            app.assistant.open_chips()
            app.assistant.chips[hook.get("index", 0)]["command"]()
    state.after_frame.clear()
    now = time.perf_counter()
    if state.opened_at is not None:
        outbox.put({"type": "frame", "first_frame_s": now - state.opened_at, "frames": app.frames})
        state.opened_at = None
        state.next_beat = now + options.heartbeat_s
    elif now >= state.next_beat:
        outbox.put({"type": "frame", "frames": app.frames})
        state.next_beat = now + options.heartbeat_s
    if app.exit_requested:
        app.exit_requested = False
        app.close_window()
        outbox.put({"type": "closed", "reason": "exit"})
        state.done = not options.keep_alive

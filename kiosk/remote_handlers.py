"""The kiosk's answers to remote administration (fleet.remote): health, screenshot, sync now, restart.

Why in the kiosk: a screenshot is the screen the kiosk draws, a restart ends the kiosk's loop, and the
workers whose state makes up "health" are the ones the kiosk started. The commands arrive on the
broker's network thread; anything touching pygame runs on the UI thread through ``UiCalls``.
"""

from __future__ import annotations

import base64
import io
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import pygame

from fleet.remote import Handler, RemoteError, health_report

log = logging.getLogger(__name__)

RESTART_DELAY_S = 1.0
"""Time for the reply to leave before the loop ends (systemd's Restart=always brings the kiosk back)."""
UI_TIMEOUT_S = 5.0
MAX_SCREENSHOT_WIDTH = 3840


class UiCalls:
    """Functions queued by other threads and run by the UI thread once per frame (``run_pending``)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()

    def call(self, fn: Callable[[], Any], timeout: float = UI_TIMEOUT_S) -> Any:
        """Run ``fn`` on the UI thread and return its result; RemoteError when the UI does not answer."""
        future: Future = Future()
        self._queue.put((fn, future))
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise RemoteError(f"the screen did not answer within {timeout:g} s") from None

    def run_pending(self) -> None:
        while True:
            try:
                fn, future = self._queue.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except Exception as exc:
                future.set_exception(exc)


def png_bytes(surface: pygame.Surface, max_width: int | None = None) -> tuple[bytes, tuple[int, int]]:
    """The surface as PNG bytes, scaled down to ``max_width`` when it is wider."""
    shot = surface.copy()
    if max_width and shot.get_width() > max_width:
        height = max(1, round(shot.get_height() * max_width / shot.get_width()))
        shot = pygame.transform.smoothscale(shot, (max_width, height))
    buffer = io.BytesIO()
    pygame.image.save(shot, buffer, "screenshot.png")
    return buffer.getvalue(), shot.get_size()


def kiosk_handlers(app: Any, surface: pygame.Surface, *, syncer: Any = None, push: Any = None, outbox: Any = None,
                   roster: Any = None, started: float | None = None) -> dict[str, Handler]:
    """The handlers for ``RemoteAdmin``; ``app`` is the KioskApp, the workers may be None (not running)."""
    started = time.monotonic() if started is None else started

    def health(args: dict[str, Any]) -> dict[str, Any]:
        parts: dict[str, Any] = {"screen": type(app.nav.top).__name__, "devices": dict(app.ctx.status)}
        for name, worker in (("feeds", syncer), ("push", push), ("outbox_sender", outbox), ("roster", roster)):
            if worker is not None:
                parts[name] = worker.status()
        return health_report(app.terminal, parts, started)

    def screenshot(args: dict[str, Any]) -> dict[str, Any]:
        width = args.get("max_width")
        if width is not None and (not isinstance(width, int) or not 64 <= width <= MAX_SCREENSHOT_WIDTH):
            raise RemoteError(f"max_width must be a whole number from 64 to {MAX_SCREENSHOT_WIDTH}")
        data, size = app.ui_calls.call(lambda: png_bytes(surface, width))
        return {"png_base64": base64.b64encode(data).decode("ascii"), "width": size[0], "height": size[1],
                "screen": type(app.nav.top).__name__}

    def sync(args: dict[str, Any]) -> dict[str, Any]:
        done = {}
        for name, worker, method in (("feeds", syncer, "sync_now"), ("outbox", outbox, "wake"),
                                     ("roster", roster, "wake")):
            if worker is not None:
                getattr(worker, method)()
            done[name] = worker is not None
        return {"started": done}

    def restart(args: dict[str, Any]) -> dict[str, Any]:
        timer = threading.Timer(RESTART_DELAY_S, app.request_restart)
        timer.daemon = True
        timer.start()
        return {"restart_in_s": RESTART_DELAY_S}

    return {"health": health, "screenshot": screenshot, "sync": sync, "restart": restart}

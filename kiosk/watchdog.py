"""systemd integration: READY=1 when the first frame is up, WATCHDOG=1 from the main loop.

With ``WatchdogSec=`` in the unit, a kiosk whose loop hangs (a driver deadlock, an endless redraw) stops
sending WATCHDOG=1 and systemd restarts it. Outside systemd (no NOTIFY_SOCKET) every call is a no-op.
"""

from __future__ import annotations

import os
import time

import sdnotify


class Watchdog:
    def __init__(self, interval_s: float | None = None) -> None:
        self.enabled = bool(os.environ.get("NOTIFY_SOCKET"))
        self.notifier = sdnotify.SystemdNotifier() if self.enabled else None
        usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
        self.interval = interval_s if interval_s is not None else (usec / 2e6 if usec else 10.0)
        self._last = 0.0

    def ready(self) -> None:
        if self.notifier:
            self.notifier.notify("READY=1")

    def alive(self) -> None:
        now = time.monotonic()
        if self.notifier and now - self._last >= self.interval:
            self.notifier.notify("WATCHDOG=1")
            self._last = now

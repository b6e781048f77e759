"""Sliding-window rate limits kept in memory (per client address, per member number).

Why in memory: they stop floods in seconds and cost nothing per request; the PIN lockout, which must
survive a restart, is persisted by ``core.secrets`` separately. One process per server (the systemd
unit runs one uvicorn worker), so one table sees every request. More workers would each keep their own
table (each address then gets the limit once per worker): they would need the counts in the database.

Why the per-address limits on logins and QR codes count failures only (``blocked`` before, ``hit`` after
a wrong PIN or a refused code): one address may be a whole company behind NAT, where forty members log
in and scan the meeting's code in the same minute; they must not be turned away, while an address that
keeps guessing is.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds for each key."""

    #: Keys remembered at most; beyond it the idlest are forgotten (a flood from many addresses must
    #: not grow memory without bound).
    MAX_KEYS = 50_000

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one request for ``key``: None when allowed, else the seconds until one would be."""
        now = self.clock()
        with self._lock:
            q = self._hits.get(key)
            if q is None:
                if len(self._hits) >= self.MAX_KEYS:
                    self._forget(now)
                q = self._hits[key] = deque()
            while q and now - q[0] >= self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(self.window - (now - q[0]), 0.1)
            q.append(now)
            return None

    def blocked(self, key: str) -> float | None:
        """Like ``hit`` but counts nothing: None when ``key`` may go on, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            q = self._hits.get(key)
            if q is None:
                return None
            while q and now - q[0] >= self.window:
                q.popleft()
            return max(self.window - (now - q[0]), 0.1) if len(q) >= self.limit else None

    def _forget(self, now: float) -> None:
        stale = [k for k, q in self._hits.items() if not q or now - q[-1] >= self.window]
        for k in stale:
            del self._hits[k]
        if len(self._hits) >= self.MAX_KEYS:  # still full: drop the oldest half
            for k in sorted(self._hits, key=lambda k: self._hits[k][-1])[: len(self._hits) // 2]:
                del self._hits[k]


class Limits:
    """The web app's limits, from ``config.web``: wrong logins and refused QR codes per address, login
    tries per member number, pages per logged-in member (per address before login)."""

    def __init__(self, web, clock: Callable[[], float] = time.monotonic) -> None:
        self.login_ip = RateLimiter(web.login_per_ip_per_minute, clock=clock)
        self.login_member = RateLimiter(web.login_per_member_per_minute, clock=clock)
        self.qr_ip = RateLimiter(web.qr_per_ip_per_minute, clock=clock)
        self.pages_ip = RateLimiter(web.pages_per_ip_per_minute, clock=clock)

"""A small, bounded, short-lived cache for what many requests ask the database again and again.

Why: a page is a few milliseconds of work, and on a loaded 2-core server every query counts. Two things
are asked on nearly every request and change rarely: who a session cookie belongs to (two queries before
the page's own), and a branch's 三会一课 figures (every meeting of the branch counted). Both may be a few
seconds old: a logout is removed from the cache at once (one worker sees every request), a deactivated
member or a new sign-in shows within ``ttl`` seconds. Entries are bounded by ``size`` (least recently
used go first), so a flood of made-up cookies cannot grow memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MISSING: Any = object()


class TtlCache:
    """At most ``size`` entries, each good for ``ttl`` seconds; safe to share between the thread pool's
    threads and the event loop."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value, or ``MISSING`` when absent or older than ``ttl``."""
        with self._lock:
            found = self._data.get(key)
            if found is None:
                return MISSING
            if self.clock() - found[0] >= self.ttl:
                del self._data[key]
                return MISSING
            self._data.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = (self.clock(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

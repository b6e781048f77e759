"""The central database as the fleet's workers hold it: opened on first use, let go of when idle.

Why one place: the outbox sender (terminal → central) and the roster puller (central → terminal) each
keep a pooled connection to the central PostgreSQL. Both must open it lazily (an unreachable server at
start-up is just a failed round, not a kiosk that cannot start), dispose of the pool when caught up (ten
thousand idle terminals must not hold ten thousand server connections) and close it on shutdown only when
they opened it themselves. Done twice, one of them would end up holding connections for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.background import BackgroundLoop
from core.db import Database


class CentralWorker(BackgroundLoop):
    """A background loop with ``central()``, ``_release_central()`` and ``close()``.

    The worker sets ``_central`` (the open Database, or None) and ``_central_url`` (None when it was
    given an open Database, which it then never closes), and ``log_label`` for its log lines.
    """

    _central: Database | None
    _central_url: str | None
    log_label = "fleet"
    batch_size: int

    def _init_central(self, central: str | Database, url_for: Callable[[str], str], *, batch_size: int,
                      interval_seconds: float, backoff_base_seconds: float, backoff_max_seconds: float,
                      rng: Callable[[], float]) -> None:
        """The state both workers start with: the central database (an open one used as it is, a URL made
        ready by ``url_for`` and opened on first use), batch size, interval and backoff, no failures yet,
        and the loop's thread state."""
        self._central = central if isinstance(central, Database) else None
        self._central_url = None if isinstance(central, Database) else url_for(central)
        self.batch_size = max(1, batch_size)
        self.interval_seconds = interval_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self._rng = rng
        self.failures = 0
        """Consecutive failed rounds (0 after a success)."""
        self.last_error: str | None = None
        self._init_loop()

    def central(self) -> Database:
        """The central database, opened (and migrated to head) on first use."""
        if self._central is None:
            assert self._central_url is not None
            self._central = Database(self._central_url)
        return self._central

    def _release_central(self) -> None:
        """Caught up: close the pooled central connections, so that ten thousand idle terminals do not
        hold ten thousand server connections (the next round reconnects)."""
        if self._central is not None:
            try:
                self._central.engine.dispose()
            except Exception:
                logging.getLogger(type(self).__module__).exception(
                    "%s: cannot release the central connection", self.log_label)

    def close(self) -> None:
        """Stop the thread and close the central database if this worker opened it."""
        self.stop()
        if self._central is not None and self._central_url is not None:
            self._central.dispose()
            self._central = None


def short_error(exc: BaseException) -> str:
    """One line naming the cause (drivers put the SQL and a help link on later lines)."""
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first}"[:300]

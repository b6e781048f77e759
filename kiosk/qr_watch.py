"""Tells the kiosk about sign-ins made by scanning its QR code, so it greets the member within 2 s (#20).

A QR sign-in is committed by the members' web app (``core.qrsign.sign_in_with_token``), another process,
possibly another machine: nothing is published on this terminal's event bus. This watcher reads the
database twice a second for new ``attendance`` rows with method ``qr``, made at this terminal (the
terminal id inside the code the member scanned), for the meetings open now, and publishes for each the
same ``SignedIn`` the face and PIN paths publish — so the app's greeting, the sign-in screen's result
card and counter, and the outbox wake-up all follow without knowing where the sign-in came from.

Why polling and not a notification: the kiosk's database is SQLite by default (no LISTEN/NOTIFY), and
two small indexed queries every 0.5 s cost well under a millisecond each. Rows present when the watcher
first reads are taken as already known (a restart does not greet the whole room again); after that every
new row is announced once. The loop is ``core.background.BackgroundLoop``: a daemon thread, stopped with
the kiosk, backing off (doubling to 30 s, with jitter) while the database is unreachable.

In a fleet (``fleet.central_url`` set) the web app signs members in on the central PostgreSQL, where the
meetings have other ids than on this terminal: the watcher then reads the central database and names each
meeting by the local meeting with the same uuid, so the screen greets the member for *its* meeting.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.attendance import qr_sign_ins
from core.background import BackgroundLoop
from core.events import SignedIn
from core.meetings import current_meetings, ids_by_uuid
from core.models import utcnow

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5


class QrWatcher(BackgroundLoop):
    """Publishes ``SignedIn`` on ``bus`` for each new QR sign-in at ``terminal_id`` (None: at any
    terminal) to a meeting open now."""

    thread_name = "qr-watch"

    def __init__(self, db: Any, bus: Any, terminal_id: str | None, *, interval_seconds: float = POLL_SECONDS,
                 backoff_base_seconds: float = 1.0, backoff_max_seconds: float = 30.0,
                 now: Callable[[], datetime] = utcnow, rng: Callable[[], float] = random.random,
                 local_db: Any = None) -> None:
        self.db, self.bus, self.terminal_id = db, bus, terminal_id
        self.local_db = local_db
        """With a central ``db``: this terminal's own database, where meetings are found by uuid."""
        self.interval_seconds = interval_seconds
        self.backoff_base_seconds, self.backoff_max_seconds = backoff_base_seconds, backoff_max_seconds
        self._now, self._rng = now, rng
        self.failures = 0
        self._seen: set[int] | None = None  # attendance ids already known; None before the first read
        self._init_loop()

    @classmethod
    def for_terminal(cls, terminal: Any, **kw: Any) -> QrWatcher | None:
        """The watcher for a kiosk whose QR panel is on (``web.kiosk_qr`` and ``web.base_url``), else None."""
        web = terminal.config.web
        if not (web.kiosk_qr and web.base_url.strip()):
            return None
        central = terminal.config.fleet.central_url
        if central:  # the web app writes there: watch it, and name meetings by their local twins
            from core.db import Database
            from fleet.outbox_sender import central_url

            return cls(Database(central_url(central)), terminal.bus, terminal.terminal_id, now=terminal.now,
                       local_db=terminal.db, **kw)
        return cls(terminal.db, terminal.bus, terminal.terminal_id, now=terminal.now, **kw)

    def poll(self) -> list[SignedIn]:
        """One read: publish and return the events for rows not seen before (none on the first read)."""
        with self.db.session() as s:
            ids = [m.id for m in current_meetings(s, self._now())]
            rows = qr_sign_ins(s, ids, self.terminal_id)
        first, seen = self._seen is None, self._seen or set()
        new = [] if first else [r for r in rows if r.id not in seen]
        local = self._local_ids({r.uuid for r in new}) if self.local_db is not None and new else None
        events = [SignedIn(local[r.uuid] if local is not None else r.meeting_id, r.number, r.name, "qr", bool(r.late),
                           record_id=r.id, terminal_id=self.terminal_id or "")
                  for r in new if local is None or r.uuid in local]
        self._seen = {r.id for r in rows}  # meetings that closed drop out
        for event in events:
            self.bus.publish(event)
        return events

    def _local_ids(self, uuids: set[str]) -> dict[str, int]:
        """This terminal's meeting id for each central meeting uuid it also has (a meeting the terminal
        does not have yet is not greeted: the roster sync brings it)."""
        with self.local_db.session() as s:
            return ids_by_uuid(s, uuids)

    def run_forever(self, stop_event: threading.Event) -> None:
        while not stop_event.is_set():
            self._wake.clear()
            try:
                self.poll()
            except Exception as exc:  # the database away (PostgreSQL restarting): retry, never end the thread
                if not self.failures:
                    log.warning("QR sign-in watcher cannot read the database: %s", exc)
                self.failures += 1
                self._wait(stop_event, self.retry_delay())
                continue
            if self.failures:
                log.info("QR sign-in watcher reads the database again")
            self.failures = 0
            self._wait(stop_event, self.interval_seconds)

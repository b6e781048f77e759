"""The outbox sender: sign-ins and quiz results queued by ``core.outbox`` are copied to a central PostgreSQL.

Why an outbox: the terminal is offline first — a sign-in is committed to the local SQLite file before it
is shown, whatever the network does. ``enqueue`` adds an ``outbox`` row *in the same transaction* as the
record, so there is never a record without its row nor a row without its record. ``OutboxSender`` then
copies rows to the central database:

* in ``id`` order, one batch per central transaction, and a batch is marked sent only after the central
  commit — so a record is never confirmed before an earlier one;
* idempotently: every payload carries the record's UUID and the central side inserts
  ``ON CONFLICT DO NOTHING`` (the uuid is its only unique key). A crash (or a lost acknowledgement) between the central commit and
  the local "sent" mark only means the batch is sent again, and the second copy is ignored;
* with exponential backoff and jitter while the central side is unreachable (ten thousand terminals must
  not all knock at once when it comes back), retrying for ever — nothing is dropped for being late;
* skipping (dead-lettering) only a row the central database refuses as malformed, so one bad row cannot
  block the rows behind it; it stays in the outbox with ``failed_at`` and shows in ``sync --status``.

Payloads use natural keys (meeting uuid, member number, branch code), never local ids, because every
terminal numbers its rows itself. The central schema comes from the same migrations (``fleet_*`` tables).
"""


from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from core.config import Config
from core.db import Database, DatabaseError
from core.models import (
    FleetAttendance,
    FleetQuizResult,
    OutboxEntry,
    utcnow,
)
from core.outbox import PayloadError, outbox_status, prune
from fleet.central import CentralWorker
from fleet.central import short_error as _short
from fleet.payload_fields import PayloadFields

log = logging.getLogger(__name__)


TABLES: dict[str, Table] = {"attendance": FleetAttendance.__table__, "quiz_result": FleetQuizResult.__table__}

#: libpq options added to a central PostgreSQL URL (unless the URL sets them): a dead network must end a
#: send in seconds, not in the kernel's two hours, so that the backoff and the status can say so.
PG_CONNECT_OPTIONS = {"connect_timeout": "10", "keepalives": "1", "keepalives_idle": "20",
                      "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "30000",
                      "application_name": "dangjian-outbox"}


_FIELDS = PayloadFields(PayloadError)
"""An outbox payload's field readers: a malformed one raises PayloadError (the row is dead-lettered)."""
_text, _when, _int = _FIELDS.text, _FIELDS.when, _FIELDS.integer


def central_row(kind: str, seq: int, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The central table's row for one outbox payload; raises PayloadError when it is malformed."""
    p = payload if isinstance(payload, dict) else {}
    common = {"uuid": _text(p, "uuid", 36), "terminal_id": _text(p, "terminal_id", 64), "outbox_seq": seq,
              "received_at": now}
    if kind == "attendance":
        distance = _FIELDS.number(p, "match_distance")
        late = _FIELDS.flag(p, "late")
        return {**common, "meeting_uuid": _text(p, "meeting_uuid", 36), "meeting_type": _text(p, "meeting_type", 16),
                "meeting_starts_at": _when(p, "meeting_starts_at"), "branch_code": _text(p, "branch_code", 32),
                "member_number": _text(p, "member_number", 32), "signed_at": _when(p, "signed_at"),
                "method": _text(p, "method", 8), "late": late, "match_distance": distance,
                "liveness": _text(p, "liveness", 16, optional=True)}
    if kind == "quiz_result":
        if not isinstance(p.get("answers"), dict):
            raise PayloadError("answers: an object expected")
        return {**common, "member_number": _text(p, "member_number", 32, optional=True),
                "mode": _text(p, "mode", 16), "started_at": _when(p, "started_at"),
                "finished_at": _when(p, "finished_at"), "score": _int(p, "score"), "total": _int(p, "total"),
                "points": _int(p, "points"), "answers": p["answers"]}
    raise PayloadError(f"unknown outbox kind {kind!r}")


def _insert_new(conn: Any, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``, ignoring uuids already there; returns how many were new.

    No conflict target is named on purpose: the only unique key of a fleet table besides ``id`` is the
    uuid, and a central table partitioned by month (unique key ``(uuid, signed_at)``, see docs/fleet.md)
    then needs no change here.
    """
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - configuration accepts only these two
        raise DatabaseError(f"the central database must be PostgreSQL (or SQLite in tests), not {name}")
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.uuid)
    return len(conn.execute(stmt, rows).all())


def central_url(url: str) -> str:
    """``url`` with PG_CONNECT_OPTIONS added for psycopg (other URLs unchanged)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    extra = {k: v for k, v in PG_CONNECT_OPTIONS.items() if k not in parsed.query}
    return parsed.update_query_dict(extra).render_as_string(hide_password=False)


# --------------------------------------------------------------------------------------------- status


@dataclass
class _Counts:
    inserted: int = 0
    already: int = 0
    """Rows the central side had already (a replay after a crash or a lost acknowledgement)."""
    failed: int = 0
    """Rows dead-lettered as malformed."""
    error: str | None = None
    """Why the batch was not sent (it stays pending and is retried), or None."""


@dataclass
class BatchResult(_Counts):
    """What one ``send_batch`` did."""

    selected: int = 0

    @property
    def sent(self) -> int:
        return self.inserted + self.already


@dataclass
class DrainResult(_Counts):
    """What ``drain`` did, over all its batches (``error``: the failure that ended it)."""

    batches: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OutboxSettings:
    """``fleet.*`` keys for the outbox (read with defaults, so a configuration without them works)."""

    central_url: str | None = None
    batch_size: int = 200
    interval_seconds: float = 30.0
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 300.0
    keep_sent_days: float = 30.0

    @classmethod
    def from_config(cls, config: Config) -> OutboxSettings:
        """The ``fleet`` section's outbox keys (their defaults live in core.config, once)."""
        fleet = config.fleet
        return cls(central_url=fleet.central_url or None, batch_size=fleet.outbox_batch,
                   interval_seconds=fleet.outbox_interval_seconds,
                   backoff_max_seconds=fleet.outbox_backoff_max_seconds, keep_sent_days=fleet.outbox_keep_sent_days)


_TRANSIENT = (SQLAlchemyError, DatabaseError, OSError, TimeoutError)
#: Local database trouble: a driver error, or StorageFullError (a full disk, raised by Database.session).
_LOCAL = (SQLAlchemyError, DatabaseError)


class OutboxSender(CentralWorker):
    """Copies pending outbox rows of ``local_db`` to the central database at ``central``.

    ``central`` is a URL (opened, and migrated to head, on first use — an unreachable server is just a
    failed batch) or an open ``Database``. ``send_batch`` never raises for database trouble: it returns a
    ``BatchResult`` whose ``error`` says what happened, and ``retry_delay()`` says how long to wait.
    """

    thread_name = "outbox"
    log_label = "outbox"

    def __init__(self, local_db: Database, central: str | Database, *, batch_size: int = 200,
                 interval_seconds: float = 30.0, backoff_base_seconds: float = 1.0,
                 backoff_max_seconds: float = 300.0, keep_sent_days: float = 30.0,
                 rng: Callable[[], float] = random.random, now: Callable[[], datetime] = utcnow) -> None:
        self.local = local_db
        self._init_central(central, central_url, batch_size=batch_size, interval_seconds=interval_seconds,
                           backoff_base_seconds=backoff_base_seconds, backoff_max_seconds=backoff_max_seconds,
                           rng=rng)
        self.keep_sent_days = keep_sent_days
        self._now = now
        self.after_central_commit: Callable[[list[int]], None] | None = None
        """Called with the batch's outbox ids between the central commit and the local mark (tests use it
        to crash exactly there)."""
        self._last_prune = 0.0

    @classmethod
    def from_config(cls, config: Any, local_db: Database) -> OutboxSender | None:
        """A sender for ``fleet.central_url``, or None when no central database is configured."""
        s = OutboxSettings.from_config(config)
        if not s.central_url:
            return None
        return cls(local_db, s.central_url, batch_size=s.batch_size, interval_seconds=s.interval_seconds,
                   backoff_base_seconds=s.backoff_base_seconds, backoff_max_seconds=s.backoff_max_seconds,
                   keep_sent_days=s.keep_sent_days)

    # ---------------------------------------------------------------------------------- sending

    def send_batch(self) -> BatchResult:
        """Send the oldest pending rows (up to ``batch_size``) in one central transaction."""
        try:
            with self.local.session() as s:
                batch = [(e.id, e.kind, e.payload) for e in s.scalars(
                    select(OutboxEntry).where(OutboxEntry.sent_at.is_(None), OutboxEntry.failed_at.is_(None))
                    .order_by(OutboxEntry.id).limit(self.batch_size))]
        except _LOCAL as exc:
            return self._failed([], f"local database: {_short(exc)}", note=False)
        if not batch:
            return BatchResult()
        now = self._now()
        rows: list[tuple[int, str, dict]] = []
        malformed: dict[int, str] = {}
        for seq, kind, payload in batch:
            try:
                rows.append((seq, kind, central_row(kind, seq, payload, now)))
            except PayloadError as exc:
                malformed[seq] = f"malformed payload: {exc}"
        result = BatchResult(selected=len(batch))
        try:
            central = self.central()
            with central.engine.begin() as conn:
                for kind, table in TABLES.items():
                    mine = [r for _, k, r in rows if k == kind]
                    if mine:
                        result.inserted += _insert_new(conn, table, mine)
        except (IntegrityError, DataError):
            # One row the server refuses (a value too long for its column, say): find it row by row.
            isolated = self._isolate(rows, malformed)
            if isolated.error:
                return self._failed([r[0] for r in rows], isolated.error)
            result.inserted = isolated.inserted
        except _TRANSIENT as exc:
            return self._failed([r[0] for r in rows], _short(exc))
        if self.after_central_commit is not None:
            self.after_central_commit([seq for seq, _, _ in batch])
        result.failed = len(malformed)
        result.already = len(batch) - len(malformed) - result.inserted
        try:
            self._mark([seq for seq, _, _ in batch if seq not in malformed], malformed, now)
        except _LOCAL as exc:  # sent, not marked: the next batch replays it harmlessly
            return self._failed([], f"local database: {_short(exc)}", note=False)
        self.failures = 0
        self.last_error = None
        return result

    def _isolate(self, rows: list[tuple[int, str, dict]], malformed: dict[int, str]) -> BatchResult:
        """Insert rows one per transaction; a row refused for its content joins ``malformed``."""
        out = BatchResult()
        central = self.central()
        for seq, kind, row in rows:
            try:
                with central.engine.begin() as conn:
                    out.inserted += _insert_new(conn, TABLES[kind], [row])
            except (IntegrityError, DataError) as exc:
                malformed[seq] = f"refused by the central database: {_short(exc)}"
            except _TRANSIENT as exc:
                out.error = _short(exc)
                return out
        return out

    def _mark(self, sent: list[int], malformed: dict[int, str], now: datetime) -> None:
        with self.local.session() as s:
            if sent:
                s.execute(update(OutboxEntry).where(OutboxEntry.id.in_(sent)).values(
                    sent_at=now, last_attempt_at=now, attempts=OutboxEntry.attempts + 1, last_error=None))
            for seq, message in malformed.items():
                s.execute(update(OutboxEntry).where(OutboxEntry.id == seq).values(
                    failed_at=now, last_attempt_at=now, attempts=OutboxEntry.attempts + 1,
                    last_error=message[:500]))
            if malformed:
                from core.audit import audit

                audit(s, "outbox", "outbox.dead_letter", f"outbox:{min(malformed)}",
                      ids=sorted(malformed), error=next(iter(malformed.values()))[:300])
        for seq, message in malformed.items():
            log.error("outbox row %d skipped: %s", seq, message)

    def _failed(self, ids: list[int], message: str, note: bool = True) -> BatchResult:
        self.failures += 1
        self.last_error = message
        log.warning("outbox: batch not sent (%d in a row): %s", self.failures, message)
        if note and ids:
            try:
                with self.local.session() as s:
                    s.execute(update(OutboxEntry).where(OutboxEntry.id.in_(ids)).values(
                        attempts=OutboxEntry.attempts + 1, last_attempt_at=self._now(), last_error=message[:500]))
            except _LOCAL:
                log.exception("outbox: cannot record the failure locally")
        return BatchResult(selected=len(ids), error=message)

    def drain(self, max_batches: int | None = None) -> DrainResult:
        """Send batches until nothing is pending or one fails (no waiting): ``sync --once``."""
        total = DrainResult()
        while max_batches is None or total.batches < max_batches:
            r = self.send_batch()
            if r.error:
                total.error = r.error
                total.errors.append(r.error)
                break
            if not r.selected:
                break
            total.batches += 1
            total.inserted += r.inserted
            total.already += r.already
            total.failed += r.failed
        return total

    def status(self) -> dict[str, Any]:
        """``outbox_status`` plus this sender's memory: consecutive failures and the last error."""
        with self.local.session() as s:
            data = outbox_status(s)
        data.update(consecutive_failures=self.failures, sender_error=self.last_error)
        return data

    # ----------------------------------------------------------------------------------- thread

    def run_forever(self, stop_event: threading.Event) -> None:
        """Send while rows are pending; back off after a failure; otherwise wait ``interval_seconds``."""
        self._run_rounds(stop_event, self._send_round, label="outbox", on_idle=self._idle)

    def _send_round(self) -> tuple[str | None, bool]:
        result = self.send_batch()
        return result.error, result.selected >= self.batch_size

    def _idle(self) -> None:
        self._release_central()
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < 3600:
            return
        self._last_prune = time.monotonic()
        try:
            with self.local.session() as s:
                gone = prune(s, self.keep_sent_days, self._now())
            if gone:
                log.info("outbox: pruned %d rows sent over %g days ago", gone, self.keep_sent_days)
        except _LOCAL:
            log.exception("outbox: prune failed")

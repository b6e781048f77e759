"""The roster down-sync: branches, members, meetings and face templates flow central → terminals.

The administrator's workstation holds the master roster in its own database. ``publish_roster`` (``sync
--publish-roster``) turns it into rows of the central ``fleet_roster_changes`` log, and every terminal's
``RosterPuller`` applies that log to its own SQLite database. The outbox (``core/outbox.py``) is the
other direction.

* **One row per changed thing.** A row is the full new state of one branch (key: code), member
  (number), meeting (uuid, with its roster as member numbers) or member's face-template set (number), or a
  deletion of it. The publisher compares a digest of each thing with the latest central row for its key
  and appends only what changed, so an unchanged roster publishes nothing.
* **Revision order is commit order.** The publisher takes ``LOCK TABLE … IN EXCLUSIVE MODE`` (readers are
  not blocked) for its transaction, so two publishers never interleave and a terminal that has applied
  revision *n* has seen everything before it: the terminal keeps just that number (the cursor). Within one
  publish, branches come before members, members before meetings and faces, and deletions of faces,
  meetings, members and branches last, in that order.
* **Applying is idempotent.** Rows are upserts by natural key; the cursor is stored in the terminal's
  ``settings`` table in the same transaction as the rows of a batch (500 by default). A crash, a cut
  connection or an exception mid-batch rolls the batch back and the next pull applies it again.
* **A bad row is skipped, never blocking.** A row that cannot be applied (unknown kind, malformed payload,
  a reference to a branch or member the log does not have, a template that does not decrypt, a value the
  local database refuses) is skipped with its reason: counted, kept in the last-20 list that ``sync
  --status`` shows, audited (``roster.skip``), and the cursor moves past it. Trouble that is not the row's
  (the central database unreachable, the local database locked or full) stops the pull without moving the
  cursor, and it is retried with backoff.
* **References.** A row refers to others by natural key. If a member's branch or a roster's member is
  not here yet (possible after ``--compact`` reorders history), the latest central row for that key is
  applied first; a roster member that the log does not have is left off the roster (noted, not skipped).
* **Local history stays.** Sign-ins and quiz results are never touched. A deleted member who has any
  (or a consent record) is marked inactive instead of deleted; a deleted meeting with sign-ins is closed
  instead of deleted. Rows this terminal made itself (local members, local meetings) are left alone.
* **Faces.** Templates cross the central database encrypted with the organisation's shared face key,
  bound to the member *number* (``core.facecrypt``); the terminal re-encrypts them bound to its own member
  row. A face row carries the consent record, and none is published for an inactive member or one without
  a valid consent. A face deletion (erased on the master, consent withdrawn, member inactive or gone)
  erases the member's templates and kept photos here, marks the consent withdrawn and audits
  ``face.erase``; only the latest face row per member is kept centrally, so erased templates leave the
  central database at the next publish. A terminal with face sign-in off ignores face rows but still
  applies erasures; one without the key skips them with the reason (fix the key, then ``sync --pull
  --full`` replays the log).
* **Signatures.** With a signing key the publisher signs each row (Ed25519, ``fleet.signing``) over its
  revision, kind, key, deleted flag and payload, choosing the revisions itself under the lock; a terminal
  with ``fleet.admin_keys`` applies only rows signed by one of them, so write access to the central table
  alone (a leaked password) cannot change a roster, nor replay an erased face at a later revision.

Modules: ``roster_common`` (payloads, digests, errors), ``roster_publish`` (central side),
``roster_apply`` (terminal side), and here the settings and the ``RosterPuller`` worker.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit import audit
from core.config import Config
from core.db import Database
from core.facecrypt import FaceCipher, FaceKeyError, key_file_for, load_key
from core.models import (
    utcnow,
)
from fleet.central import CentralWorker
from fleet.central import short_error as _short
from fleet.outbox_sender import central_url
from fleet.roster_apply import _Applier
from fleet.roster_common import (
    _TRANSIENT,
    ACTOR,
    CURSOR_KEY,
    KEEP_SKIPPED,
    LOG_KEY,
    TABLE,
    RowSkip,
    _CursorMoved,
)
from fleet.roster_publish import build_snapshot, publish_roster
from fleet.roster_state import PullResult, _put, _set_roster_cursor, _setting, roster_status
from fleet.signing import Verifier

__all__ = ["RosterPuller", "RosterSettings", "build_snapshot", "publish_roster", "roster_central_url", "roster_status"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterSettings:
    central_url: str | None = None
    interval_seconds: float = 300.0
    backoff_max_seconds: float = 300.0
    faces: bool = True

    @classmethod
    def from_config(cls, config: Config) -> RosterSettings:
        """The ``fleet`` section's roster keys and ``face.enabled`` (defaults in core.config, once)."""
        fleet = config.fleet
        return cls(central_url=fleet.central_url or None, interval_seconds=fleet.roster_pull_interval_seconds,
                   backoff_max_seconds=fleet.outbox_backoff_max_seconds, faces=config.face.enabled)


def roster_central_url(url: str) -> str:
    """``central_url`` (libpq timeouts and keepalives) naming this client ``dangjian-roster``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "application_name" not in parsed.query:
        url = parsed.update_query_dict({"application_name": "dangjian-roster"}).render_as_string(hide_password=False)
    return central_url(url)


class RosterPuller(CentralWorker):
    """Pulls the central roster log into ``local_db``; see the module docstring for the rules.

    ``central`` is a URL (opened, and migrated to head, on first use: an unreachable server is just a
    failed pull) or an open ``Database``. The face key comes from ``cipher`` or, on first need,
    ``key_loader()``. ``pull_once`` never raises for database trouble: its result's ``error`` says what
    happened, and ``retry_delay()`` how long to wait.
    """

    thread_name = "roster-pull"
    log_label = "roster"

    def __init__(self, local_db: Database, central: str | Database, *, cipher: FaceCipher | None = None,
                 key_loader: Callable[[], bytes] | None = None, faces: bool = True, terminal_id: str = "",
                 batch_size: int = 500, interval_seconds: float = 300.0, backoff_base_seconds: float = 1.0,
                 backoff_max_seconds: float = 300.0, rng: Callable[[], float] = random.random,
                 now: Callable[[], datetime] = utcnow, verifier: Verifier | None = None,
                 on_applied: Callable[[PullResult], None] | None = None) -> None:
        self.local = local_db
        self.verifier = verifier or Verifier()
        """With keys (``fleet.admin_keys``), only rows signed by one of them are applied."""
        self._init_central(central, roster_central_url, batch_size=batch_size, interval_seconds=interval_seconds,
                           backoff_base_seconds=backoff_base_seconds, backoff_max_seconds=backoff_max_seconds,
                           rng=rng)
        self._cipher = cipher
        self._key_loader = key_loader
        self._key_error: str | None = None
        self.faces = faces
        self.terminal_id = terminal_id
        self.now = now
        self.on_applied = on_applied
        """Called (in the puller's thread) after a pull that changed something: reload the face index,
        refresh the meeting list."""
        self.on_row: Callable[[int], None] | None = None
        """Called with each row's revision inside the batch transaction (tests crash there)."""
        self.last_result: PullResult | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Any, local_db: Database, **kwargs: Any) -> RosterPuller | None:
        """A puller for ``fleet.central_url`` (None when it is empty), pulling every
        ``fleet.roster_pull_interval_seconds``, with the face key of ``face.key_file`` / the environment."""
        s = RosterSettings.from_config(config)
        if not s.central_url:
            return None
        key_path = key_file_for(config)
        options: dict[str, Any] = {"key_loader": lambda: load_key(key_path), "faces": s.faces,
                                   "terminal_id": config.site.terminal_id,
                                   "interval_seconds": s.interval_seconds, "backoff_max_seconds": s.backoff_max_seconds,
                                   "verifier": Verifier.from_sources(config.fleet.admin_keys)}
        return cls(local_db, s.central_url, **(options | kwargs))

    # ---------------------------------------------------------------------------------- pulling

    def cipher(self) -> FaceCipher:
        """The face codec, or RowSkip when this terminal has no usable key."""
        if self._cipher is None:
            if self._key_error is None and self._key_loader is not None:
                try:
                    self._cipher = FaceCipher(self._key_loader())
                except FaceKeyError as exc:
                    self._key_error = str(exc)
            if self._cipher is None:
                why = self._key_error or "no face key configured"
                raise RowSkip(f"no face key on this terminal ({why}); fix it, then run `launcher.py sync --pull "
                              "--full`")
        return self._cipher

    def cursor(self) -> int:
        with self.local.session() as s:
            return int(_setting(s, CURSOR_KEY).get("revision", 0))

    def reset_cursor(self, revision: int = 0) -> None:
        """Start again from ``revision`` (0: replay the whole log; applying is idempotent)."""
        with self.local.session() as s:
            _set_roster_cursor(s, revision, self.now())

    def pull_once(self, max_batches: int | None = None, full: bool = False) -> PullResult:
        """Apply every central row after the cursor, batch by batch, until caught up or one fails."""
        with self._lock:
            started = time.monotonic()
            total = PullResult()
            self._key_error = None
            if full:
                try:
                    self.reset_cursor(0)
                except SQLAlchemyError as exc:
                    return self._failed(total, f"local database: {_short(exc)}")
            while max_batches is None or total.batches < max_batches:
                r = self._pull_batch()
                total.merge(r)
                if r.error or r.rows < self.batch_size:
                    break
            with contextlib.suppress(SQLAlchemyError):
                total.cursor = self.cursor()
            total.seconds = time.monotonic() - started
            self.last_result = total
        if total.changed and self.on_applied is not None:
            try:
                self.on_applied(total)
            except Exception:
                log.exception("roster: on_applied failed")
        return total

    def _pull_batch(self) -> PullResult:
        tried: int | None = None
        while True:
            result = PullResult()
            try:
                cursor = self.cursor()
            except SQLAlchemyError as exc:
                return self._failed(result, f"local database: {_short(exc)}")
            if cursor == tried:  # "moved" but not moved: never expected; do not spin
                return self._failed(result, f"the roster cursor ({cursor}) cannot be checked")
            tried = result.cursor = cursor
            top = None
            try:
                with self.central().engine.connect() as conn:
                    rows = conn.execute(select(TABLE.c.revision, TABLE.c.kind, TABLE.c.key, TABLE.c.payload,
                                               TABLE.c.deleted).where(TABLE.c.revision > cursor)
                                        .order_by(TABLE.c.revision).limit(self.batch_size)).all()
                    if rows:
                        self._apply(conn, rows, cursor, result)
                    else:
                        top = int(conn.execute(select(func.max(TABLE.c.revision))).scalar() or 0)
            except _CursorMoved:  # another pull (the kiosk's thread, a `sync --pull`) applied this batch first:
                continue  # it made progress, so this ends
            except (*_TRANSIENT, SQLAlchemyError) as exc:  # SQLAlchemyError: the central query itself
                return self._failed(result, _short(exc))
            self.failures = 0
            self.last_error = None
            if top is None:
                result.batches = 1
                return result
            if top >= cursor:
                self._succeeded(cursor)
                return result
            log.warning("roster: the central log ends at %d, before this terminal's %d (rebuilt?): replaying "
                        "it from the start", top, cursor)
            self._succeeded(0)
            again = self._pull_batch()
            again.notes.insert(0, f"the central log was reset (it ends at {top}; the cursor was {cursor})")
            return again

    def _apply(self, conn: Connection, rows: list[Any], cursor: int, result: PullResult) -> None:
        try:
            self._apply_rows(conn, rows, cursor, result)
        except (*_TRANSIENT, _CursorMoved):
            raise
        except Exception as exc:  # a row the local database refuses: redo one row per transaction
            log.warning("roster: batch after revision %d failed (%s); applying row by row", cursor, _short(exc))
            for row in rows:
                one = PullResult()
                try:
                    self._apply_rows(conn, [row], cursor, one)
                except (*_TRANSIENT, _CursorMoved):
                    raise
                except Exception as row_exc:
                    one = PullResult(rows=1)
                    self._record(one, row, f"cannot be applied here: {_short(row_exc)}")
                    with self.local.session() as s:
                        self._check_cursor(s, cursor)
                        self._finish(s, row.revision, one)
                result.merge(one)
                cursor = row.revision

    @staticmethod
    def _check_cursor(s: Session, cursor: int) -> None:
        """Open the batch's transaction with a write to the cursor row (SQLite: the write lock; PostgreSQL:
        the row lock), then check the cursor is still where this batch started: two pulls of one terminal
        (the kiosk's thread and a ``sync --pull``) never apply a batch twice."""
        s.execute(text("UPDATE settings SET key = key WHERE key = :k"), {"k": CURSOR_KEY})
        if int(_setting(s, CURSOR_KEY).get("revision", 0)) != cursor:
            raise _CursorMoved

    def _apply_rows(self, conn: Connection, rows: list[Any], cursor: int, result: PullResult) -> None:
        with self.local.session() as s:
            self._check_cursor(s, cursor)
            applier = _Applier(self, s, conn, rows)
            part = PullResult()
            for row in rows:
                try:
                    applier.apply(row)
                    (part.deleted if row.deleted else part.applied)[row.kind] += 1
                except RowSkip as exc:
                    if exc.policy:
                        part.ignored += 1
                    else:
                        self._record(part, row, str(exc))
                if self.on_row is not None:
                    self.on_row(row.revision)
            part.notes += applier.notes
            part.rows = len(rows)
            self._finish(s, rows[-1].revision, part)
        if applier.erased:
            self._checkpoint()
        result.merge(part)

    def _record(self, result: PullResult, row: Any, reason: str) -> None:
        result.skipped += 1
        result.reasons.append(f"rev {row.revision} {str(row.kind)[:16]} {str(row.key)[:64]}: {reason}"[:400])
        log.error("roster: row %s skipped: %s", row.revision, reason)

    def _finish(self, s: Session, revision: int, part: PullResult) -> None:
        """Move the cursor and note the pull, in the batch's own transaction."""
        now = self.now()
        _set_roster_cursor(s, revision, now)
        info = _setting(s, LOG_KEY)
        info.update(last_pull_at=now.isoformat(), last_success_at=now.isoformat(), last_error=None)
        if part.reasons:
            info["skipped_total"] = int(info.get("skipped_total", 0)) + part.skipped
            info["skipped"] = (list(info.get("skipped", [])) + part.reasons)[-KEEP_SKIPPED:]
            audit(s, ACTOR, "roster.skip", f"revision:{revision}", self.terminal_id, count=part.skipped,
                  rows=part.reasons[:KEEP_SKIPPED])
        _put(s, LOG_KEY, info)
        part.cursor = revision

    def _succeeded(self, cursor: int) -> None:
        """Caught up (no rows): note the pull; a log reset moves the cursor back."""
        try:
            with self.local.session() as s:
                if cursor != int(_setting(s, CURSOR_KEY).get("revision", 0)):
                    _set_roster_cursor(s, cursor, self.now())
                info = _setting(s, LOG_KEY)
                now = self.now().isoformat()
                info.update(last_pull_at=now, last_success_at=now, last_error=None)
                _put(s, LOG_KEY, info)
        except SQLAlchemyError:
            log.exception("roster: cannot note the pull locally")
        self.failures = 0
        self.last_error = None

    def _failed(self, result: PullResult, message: str) -> PullResult:
        self.failures += 1
        self.last_error = message
        result.error = message
        log.warning("roster: pull failed (%d in a row): %s", self.failures, message)
        try:
            with self.local.session() as s:
                info = _setting(s, LOG_KEY)
                now = self.now().isoformat()
                info.update(last_pull_at=now, last_error=message[:500], last_error_at=now)
                _put(s, LOG_KEY, info)
        except SQLAlchemyError:
            log.exception("roster: cannot record the failure locally")
        return result

    def _checkpoint(self) -> None:
        """After an erase on SQLite: move the zeroed pages out of the WAL file too."""
        if self.local.engine.dialect.name != "sqlite":
            return
        try:
            with self.local.engine.connect() as c:
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError:
            log.exception("roster: WAL checkpoint after an erase failed")

    def status(self) -> dict[str, Any]:
        """``roster_status`` (cursor, last pulls, skipped rows) plus this puller's memory."""
        with self.local.session() as s:
            data = roster_status(s)
        data.update(central=make_url(self._central_url).render_as_string(hide_password=True)
                    if self._central_url else "(open database)",
                    running=self.running,
                    consecutive_failures=self.failures, puller_error=self.last_error,
                    interval_seconds=self.interval_seconds, faces=self.faces,
                    face_key_error=self._key_error)
        return data

    # ----------------------------------------------------------------------------------- thread

    def run_forever(self, stop_event: threading.Event) -> None:
        """Pull until caught up; back off after a failure, otherwise wait ``interval_seconds``."""
        self._run_rounds(stop_event, self._pull_round, label="roster", on_idle=self._release_central)

    def _pull_round(self) -> tuple[str | None, bool]:
        return self.pull_once().error, False

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
* **Signatures.** With a signing key the publisher signs each row (Ed25519, ``core.signing``) over its
  revision, kind, key, deleted flag and payload, choosing the revisions itself under the lock; a terminal
  with ``fleet.admin_keys`` applies only rows signed by one of them, so write access to the central table
  alone (a leaked password) cannot change a roster, nor replay an erased face at a later revision.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, exists, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from core.audit import audit
from core.background import BackgroundLoop
from core.config import Config
from core.db import Database, DatabaseError
from core.facecrypt import FaceCipher, FaceKeyError, key_file_for, load_key
from core.models import (
    MEETING_TYPES,
    ROSTER_KINDS,
    Attendance,
    Branch,
    Consent,
    FacePhoto,
    FaceTemplate,
    FleetRosterChange,
    Meeting,
    MeetingRoster,
    Member,
    QuizResult,
    Setting,
    utcnow,
)
from core.signing import SIG_FIELD, SignatureError, Verifier, sign
from fleet.outbox_sender import central_url

log = logging.getLogger(__name__)

TABLE = FleetRosterChange.__table__
ACTOR = "roster-sync"
CURSOR_KEY = "roster_sync"
LOG_KEY = "roster_sync_log"
KEEP_SKIPPED = 20
MAX_TEMPLATES = 100
ENCODING_BYTES = 128 * 4
DELETED_DIGEST = "deleted"


class RowSkip(ValueError):
    """This row cannot be applied here; the reason is recorded and the cursor moves past it.

    ``policy`` marks a row ignored on purpose (face rows on a terminal with face sign-in off): counted
    apart, not reported as a problem."""

    def __init__(self, reason: str, policy: bool = False):
        super().__init__(reason)
        self.policy = policy


class CentralUnavailable(RuntimeError):
    """The central database failed while a batch was being applied (the batch is retried)."""


class _CursorMoved(Exception):
    """Another pull moved the cursor since this batch was fetched: fetch again."""


_TRANSIENT = (OperationalError, InterfaceError, DatabaseError, CentralUnavailable, OSError, TimeoutError)


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


# ====================================================================================== publishing


def branch_payload(b: Branch) -> dict[str, Any]:
    return {"code": b.code, "name_zh": b.name_zh, "name_en": b.name_en or "",
            "secretary_number": b.secretary_number, "phone": b.phone or "", "place_zh": b.place_zh or "",
            "lat": b.lat, "lon": b.lon}


def member_payload(m: Member) -> dict[str, Any]:
    return {"number": m.number, "name": m.name, "name_en": m.name_en or "", "branch_code": m.branch.code,
            "gender": m.gender or "", "role": m.role or "", "status": m.status or "",
            "category": m.category or "", "group_name": m.group_name or "",
            "joined_on": m.joined_on.isoformat() if m.joined_on else None, "phone": m.phone or "",
            "pin_hash": m.pin_hash, "active": bool(m.active)}


def meeting_payload(mt: Meeting) -> dict[str, Any]:
    return {"uuid": mt.uuid, "type": mt.type, "title_zh": mt.title_zh, "title_en": mt.title_en or "",
            "branch_code": mt.branch.code, "place_zh": mt.place_zh or "", "starts_at": mt.starts_at.isoformat(),
            "ends_at": mt.ends_at.isoformat(), "closed": bool(mt.closed),
            "roster": sorted(m.number for m in mt.roster)}


@dataclass
class RosterSnapshot:
    """The master roster as central rows would state it: kind → key → (payload, digest)."""

    rows: dict[str, dict[str, tuple[dict[str, Any], str]]] = field(
        default_factory=lambda: {k: {} for k in ROSTER_KINDS})
    face_wanted: set[str] = field(default_factory=set)
    """Member numbers that should have a face row (active, valid consent, templates), key or no key."""
    no_face: dict[str, str] = field(default_factory=dict)
    """Why a member has no face row (the reason a face deletion carries)."""
    faces_withheld: str | None = None
    """Why face rows could not be built (no key): they are then neither published nor deleted."""


def build_snapshot(session: Session, cipher: FaceCipher | None, key_error: str | None = None) -> RosterSnapshot:
    """Read branches, members, meetings and faces from the master database."""
    snap = RosterSnapshot()
    for b in session.scalars(select(Branch).order_by(Branch.code)):
        p = branch_payload(b)
        snap.rows["branch"][b.code] = (p, digest(p))
    members = list(session.scalars(select(Member).options(selectinload(Member.branch)).order_by(Member.number)))
    for m in members:
        p = member_payload(m)
        snap.rows["member"][m.number] = (p, digest(p))
    for mt in session.scalars(select(Meeting).options(selectinload(Meeting.branch), selectinload(Meeting.roster))
                              .order_by(Meeting.uuid)):
        p = meeting_payload(mt)
        snap.rows["meeting"][mt.uuid] = (p, digest(p))
    consents: dict[int, Consent] = {}
    for c in session.scalars(select(Consent).where(Consent.withdrawn_at.is_(None)).order_by(Consent.given_at,
                                                                                         Consent.id)):
        consents[c.member_id] = c  # the latest valid one wins
    templates: dict[int, list[FaceTemplate]] = {}
    for t in session.scalars(select(FaceTemplate).order_by(FaceTemplate.id)):
        templates.setdefault(t.member_id, []).append(t)
    for m in members:
        if not m.active:
            snap.no_face[m.number] = "member inactive"
        elif m.id not in consents:
            snap.no_face[m.number] = "no valid consent"
        elif m.id not in templates:
            snap.no_face[m.number] = "no templates"
        else:
            snap.face_wanted.add(m.number)
    if cipher is None:
        if snap.face_wanted:
            snap.faces_withheld = key_error or "no face key"
        return snap
    for m in members:
        if m.number not in snap.face_wanted:
            continue
        c = consents[m.id]
        consent = {"purpose": c.purpose, "text_version": c.text_version, "given_at": c.given_at.isoformat(),
                   "recorded_by": c.recorded_by or ""}
        sent, summary = [], []
        for t in templates[m.id]:
            try:
                plain = cipher.decrypt(t.blob, "template", m.id)
            except FaceKeyError as exc:
                raise FaceKeyError(f"member {m.number}: {exc}") from None
            meta = {"model": t.model, "jitters": int(t.jitters or 1), "quality": dict(t.quality or {}),
                    "source": t.source or ""}
            sent.append({**meta, "blob": base64.b64encode(cipher.seal(plain, "template", m.number)).decode()})
            summary.append({**meta, "sha256": hashlib.sha256(plain).hexdigest()})
        payload = {"member_number": m.number, "consent": consent, "templates": sent}
        # ciphertexts change at every publish (fresh nonces): the digest covers what they hold, keyed
        snap.rows["face"][m.number] = (payload, cipher.mac(canonical(
            {"member_number": m.number, "consent": consent, "templates": summary})))
    return snap


@dataclass
class PublishResult:
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    faces_withheld: int = 0
    faces_withheld_reason: str | None = None
    scrubbed: int = 0
    """Superseded face rows removed from the central log (their ciphertexts go with them)."""
    compacted: int = 0
    revision: int = 0
    """The log's last revision after this publish."""
    seconds: float = 0.0

    @property
    def appended(self) -> int:
        return sum(self.added.values()) + sum(self.deleted.values())

    def summary(self) -> str:
        parts = [f"{k} +{self.added[k]}" + (f" -{self.deleted[k]}" if self.deleted[k] else "") for k in ROSTER_KINDS]
        line = (f"roster published: {self.appended} change(s) ({', '.join(parts)}); "
                f"{sum(self.unchanged.values())} unchanged; log at revision {self.revision}")
        if self.compacted:
            line += f"; {self.compacted} superseded row(s) compacted"
        return line


def _latest(conn: Connection) -> dict[tuple[str, str], tuple[int, str, bool]]:
    """(kind, key) → (revision, digest, deleted) of the latest central row of each key."""
    last = select(func.max(TABLE.c.revision).label("r")).group_by(TABLE.c.kind, TABLE.c.key).subquery()
    rows = conn.execute(select(TABLE.c.kind, TABLE.c.key, TABLE.c.revision, TABLE.c.digest, TABLE.c.deleted)
                        .join(last, TABLE.c.revision == last.c.r))
    return {(k, key): (rev, dg, bool(dl)) for k, key, rev, dg, dl in rows}


def plan_changes(snap: RosterSnapshot, latest: dict[tuple[str, str], tuple[int, str, bool]],
                 result: PublishResult) -> list[dict[str, Any]]:
    """The rows to append, in dependency order: upserts of branches, members, meetings, faces, then
    deletions of faces, meetings, members, branches."""
    out: list[dict[str, Any]] = []
    for kind in ROSTER_KINDS:
        for key, (payload, dg) in snap.rows[kind].items():
            prev = latest.get((kind, key))
            if prev is None or prev[2] or prev[1] != dg:
                out.append({"kind": kind, "key": key, "payload": payload, "deleted": False, "digest": dg})
                result.added[kind] += 1
            else:
                result.unchanged[kind] += 1
    if snap.faces_withheld:
        result.faces_withheld = len(snap.face_wanted)
        result.faces_withheld_reason = snap.faces_withheld
    live = {k: {key for (kind, key), v in latest.items() if kind == k and not v[2]} for k in ROSTER_KINDS}
    for kind in ("face", "meeting", "member", "branch"):
        for key in sorted(live[kind]):
            if kind == "face":
                if key in snap.face_wanted:
                    continue
                payload = {"member_number": key, "reason": snap.no_face.get(key, "member removed")}
            elif key in snap.rows[kind]:
                continue
            else:
                payload = {"key": key}
            out.append({"kind": kind, "key": key, "payload": payload, "deleted": True, "digest": DELETED_DIGEST})
            result.deleted[kind] += 1
    return out


def signed_body(revision: int, kind: str, key: str, deleted: bool, payload: dict[str, Any]) -> dict[str, Any]:
    """What a roster row's Ed25519 signature covers: the payload *and* its place in the log, so a row
    copied to another key or replayed later at a new revision (an erased face brought back) fails."""
    return {"revision": int(revision), "kind": kind, "key": key, "deleted": bool(deleted),
            "payload": {k: v for k, v in payload.items() if k != SIG_FIELD}}


def publish_roster(local_db: Database, central: Database, cipher: FaceCipher | None, *, compact: bool = False,
                   key_error: str | None = None, now: Callable[[], datetime] = utcnow,
                   private_key: Any = None) -> PublishResult:
    """Append the master roster's changes to the central log in one locked transaction.

    ``cipher`` None: face rows are neither published nor deleted for members who should have one (their
    templates cannot be read), but deletions for the others still go out. ``compact`` also removes every
    superseded row (deletions are kept: a terminal that is behind still needs them)."""
    started = time.monotonic()
    with local_db.session() as s:
        snap = build_snapshot(s, cipher, key_error)
    if private_key is not None:
        # Signed rows carry their own digest form, so turning signing on republishes every unsigned row
        # (a terminal that requires signatures could not use them) and turning it off does the reverse.
        snap.rows = {kind: {key: (p, "s" + dg[:63]) for key, (p, dg) in rows.items()} for kind, rows in snap.rows.items()}
    result = PublishResult()
    when = now()
    with central.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"LOCK TABLE {TABLE.name} IN EXCLUSIVE MODE"))
        rows = plan_changes(snap, _latest(conn), result)
        if rows and private_key is not None:
            # Signed rows name their revision, so it is chosen here (the lock keeps it unique) and the
            # id sequence is moved past it afterwards.
            base = int(conn.execute(select(func.max(TABLE.c.revision))).scalar() or 0)
            for i, r in enumerate(rows, start=1):
                r["revision"] = base + i
                sig = sign(signed_body(r["revision"], r["kind"], r["key"], r["deleted"], r["payload"]), private_key)
                r["payload"] = {**r["payload"], SIG_FIELD: sig[SIG_FIELD]}
        if rows:
            conn.execute(insert(TABLE), [{**r, "changed_at": when} for r in rows])
            if private_key is not None and conn.dialect.name == "postgresql":
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{TABLE.name}', 'revision'), :v)"),
                             {"v": rows[-1]["revision"]})
        faces = select(func.max(TABLE.c.revision)).where(TABLE.c.kind == "face").group_by(TABLE.c.key)
        result.scrubbed = conn.execute(delete(TABLE).where(TABLE.c.kind == "face",
                                                           TABLE.c.revision.not_in(faces))).rowcount or 0
        if compact:
            last = select(func.max(TABLE.c.revision)).group_by(TABLE.c.kind, TABLE.c.key)
            result.compacted = conn.execute(delete(TABLE).where(TABLE.c.revision.not_in(last))).rowcount or 0
        result.revision = int(conn.execute(select(func.max(TABLE.c.revision))).scalar() or 0)
    result.seconds = time.monotonic() - started
    return result


# ========================================================================================= pulling


def _text(p: dict, key: str, limit: int, *, optional: bool = False, empty: bool = False) -> Any:
    value = p.get(key)
    if value is None and (optional or empty):
        return None if optional else ""
    if not isinstance(value, str) or len(value) > limit or (not value and not empty):
        raise RowSkip(f"malformed payload: {key}: text of up to {limit} characters expected, "
                      f"got {str(value)[:40]!r}")
    return value


def _when(p: dict, key: str) -> datetime:
    try:
        value = datetime.fromisoformat(p[key])
    except (KeyError, TypeError, ValueError):
        raise RowSkip(f"malformed payload: {key}: an ISO time expected, got {str(p.get(key))[:40]!r}") from None
    if value.tzinfo is None:
        raise RowSkip(f"malformed payload: {key}: a time with its UTC offset expected")
    return value


def _bool(p: dict, key: str) -> bool:
    value = p.get(key)
    if not isinstance(value, bool):
        raise RowSkip(f"malformed payload: {key}: true or false expected")
    return value


def _number(p: dict, key: str) -> float | None:
    value = p.get(key)
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise RowSkip(f"malformed payload: {key}: a number expected")
    return None if value is None else float(value)


def _same_key(key: str, value: str) -> None:
    if key != value:
        raise RowSkip(f"malformed row: key {key!r} does not match its payload ({value!r})")


@dataclass
class PullResult:
    """What a pull did. ``applied`` counts upserts per kind, ``deleted`` deletions applied."""

    rows: int = 0
    batches: int = 0
    applied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    skipped: int = 0
    ignored: int = 0
    """Face rows on a terminal with face sign-in off (erasures are still applied)."""
    reasons: list[str] = field(default_factory=list)
    """``rev N kind key: reason`` of each skipped row."""
    notes: list[str] = field(default_factory=list)
    """Applied with a remark: a roster member the log lacks, a deletion turned into "inactive"/"closed"."""
    cursor: int = 0
    error: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.applied.values()) or any(self.deleted.values())

    def merge(self, other: PullResult) -> None:
        self.rows += other.rows
        self.batches += other.batches
        for k in ROSTER_KINDS:
            self.applied[k] += other.applied[k]
            self.deleted[k] += other.deleted[k]
        self.skipped += other.skipped
        self.ignored += other.ignored
        self.reasons += other.reasons
        self.notes += other.notes
        self.cursor = max(self.cursor, other.cursor)
        if other.error:
            self.error = other.error
            self.errors.append(other.error)

    def summary(self) -> str:
        applied = ", ".join(f"{k} {n}" for k, n in self.applied.items() if n) or "nothing"
        line = f"roster: {self.rows} change(s) in {self.batches} batch(es); applied {applied}"
        deleted = ", ".join(f"{k} {n}" for k, n in self.deleted.items() if n)
        if deleted:
            line += f"; deleted {deleted}"
        if self.skipped:
            line += f"; skipped {self.skipped}"
        if self.ignored:
            line += f"; {self.ignored} face row(s) ignored (face sign-in is off)"
        return line + f"; at revision {self.cursor}"


class _Applier:
    """Applies central rows to one local session (one batch)."""

    def __init__(self, puller: RosterPuller, session: Session, conn: Connection, rows: list[Any]):
        self.p = puller
        self.s = session
        self.conn = conn
        self.erased = False
        self.notes: list[str] = []
        self.branches: dict[str, Branch] = {b.code: b for b in session.scalars(select(Branch))}
        self.members: dict[str, Member] = {}
        self.missing: set[str] = set()
        self.meetings: dict[str, Meeting] = {}
        self.tried: set[tuple[str, str]] = set()
        numbers: set[str] = set()
        uuids: set[str] = set()
        for r in rows:
            if not isinstance(r.key, str):
                continue
            if r.kind in ("member", "face"):
                numbers.add(r.key)
            elif r.kind == "meeting":
                uuids.add(r.key)
                roster = r.payload.get("roster") if isinstance(r.payload, dict) else None
                if isinstance(roster, list):
                    numbers.update(n for n in roster if isinstance(n, str))
        for chunk in _chunks(sorted(numbers), 500):
            for m in session.scalars(select(Member).where(Member.number.in_(chunk))):
                self.members[m.number] = m
        self.missing = numbers - set(self.members)
        for chunk in _chunks(sorted(uuids), 500):
            for mt in session.scalars(select(Meeting).options(selectinload(Meeting.roster))
                                      .where(Meeting.uuid.in_(chunk))):
                self.meetings[mt.uuid] = mt
        self.new_meetings = uuids - set(self.meetings)
        """Not here when the batch began (no need to look again)."""

    # ------------------------------------------------------------------------------- lookups

    def resolve(self, kind: str, key: str, depth: int) -> None:
        """Apply the latest central row of ``(kind, key)`` now: a row refers to something whose own row
        comes later in the log (only after ``--compact``)."""
        if (kind, key) in self.tried or depth > 3:
            return
        self.tried.add((kind, key))
        try:
            row = self.conn.execute(select(TABLE.c.revision, TABLE.c.kind, TABLE.c.key, TABLE.c.payload,
                                           TABLE.c.deleted).where(TABLE.c.kind == kind, TABLE.c.key == key)
                                    .order_by(TABLE.c.revision.desc()).limit(1)).first()
        except SQLAlchemyError as exc:
            raise CentralUnavailable(_short(exc)) from exc
        if row is None or row.deleted:
            return
        with contextlib.suppress(RowSkip):
            self.apply(row, depth + 1)

    def branch(self, code: str, depth: int) -> Branch | None:
        if code not in self.branches:
            self.resolve("branch", code, depth)
        return self.branches.get(code)

    def member(self, number: str, depth: int, resolve: bool = True) -> Member | None:
        if number in self.members:
            return self.members[number]
        if number not in self.missing:
            found = self.s.scalars(select(Member).where(Member.number == number)).first()
            if found is not None:
                self.members[number] = found
                return found
            self.missing.add(number)
        if resolve:
            self.resolve("member", number, depth)
        return self.members.get(number)

    def meeting(self, uuid: str) -> Meeting | None:
        if uuid not in self.meetings and uuid not in self.new_meetings:
            found = self.s.scalars(select(Meeting).where(Meeting.uuid == uuid)).first()
            if found is None:
                return None
            self.meetings[uuid] = found
        return self.meetings.get(uuid)

    # ------------------------------------------------------------------------------- applying

    def apply(self, row: Any, depth: int = 0) -> None:
        """Apply one row or raise RowSkip before changing anything."""
        if row.kind not in ROSTER_KINDS:
            raise RowSkip(f"unknown kind {str(row.kind)[:20]!r}")
        if not isinstance(row.key, str) or not row.key:
            raise RowSkip("malformed row: no key")
        if not isinstance(row.payload, dict):
            raise RowSkip("malformed payload: an object expected")
        verifier = self.p.verifier
        if verifier.required:
            body = signed_body(row.revision, row.kind, row.key, row.deleted, row.payload)
            if SIG_FIELD in row.payload:
                body[SIG_FIELD] = row.payload[SIG_FIELD]
            try:
                verifier.verify(body)
            except SignatureError as exc:
                raise RowSkip(f"signature {exc.reason}: {exc}") from None
        getattr(self, f"{'delete' if row.deleted else 'upsert'}_{row.kind}")(row, depth)

    def upsert_branch(self, row: Any, depth: int) -> None:
        p = row.payload
        code = _text(p, "code", 32)
        _same_key(row.key, code)
        values = {"name_zh": _text(p, "name_zh", 100), "name_en": _text(p, "name_en", 200, empty=True),
                  "secretary_number": _text(p, "secretary_number", 32, optional=True),
                  "phone": _text(p, "phone", 40, empty=True), "place_zh": _text(p, "place_zh", 200, empty=True),
                  "lat": _number(p, "lat"), "lon": _number(p, "lon")}
        b = self.branches.get(code)
        if b is None:
            b = Branch(code=code)
            self.s.add(b)
            self.branches[code] = b
        for k, v in values.items():
            setattr(b, k, v)

    def upsert_member(self, row: Any, depth: int) -> None:
        p = row.payload
        number = _text(p, "number", 32)
        _same_key(row.key, number)
        joined = p.get("joined_on")
        try:
            joined_on = date.fromisoformat(joined) if joined is not None else None
        except (TypeError, ValueError):
            raise RowSkip(f"malformed payload: joined_on: a date expected, got {str(joined)[:20]!r}") from None
        values = {"name": _text(p, "name", 64), "name_en": _text(p, "name_en", 128, empty=True),
                  "gender": _text(p, "gender", 4, empty=True), "role": _text(p, "role", 32, empty=True),
                  "status": _text(p, "status", 8, empty=True), "category": _text(p, "category", 8, empty=True),
                  "group_name": _text(p, "group_name", 64, empty=True), "joined_on": joined_on,
                  "phone": _text(p, "phone", 40, empty=True), "pin_hash": _text(p, "pin_hash", 200, optional=True),
                  "active": _bool(p, "active")}
        code = _text(p, "branch_code", 32)
        branch = self.branch(code, depth)
        if branch is None:
            raise RowSkip(f"unknown branch {code!r}")
        m = self.member(number, depth, resolve=False)
        if m is None:
            m = Member(number=number)
            self.s.add(m)
            self.members[number] = m
            self.missing.discard(number)
        for k, v in values.items():
            setattr(m, k, v)
        m.branch = branch

    def delete_member(self, row: Any, depth: int) -> None:
        m = self.member(row.key, depth, resolve=False)
        if m is None:
            return
        if m.id is None:
            self.s.flush()
        self.erase_face(m, row.revision, "member removed", quiet=True)
        history = any(self.s.scalar(select(exists().where(col == m.id))) for col in
                      (Attendance.member_id, QuizResult.member_id, Consent.member_id))
        if history:
            m.active = False
            self.notes.append(f"rev {row.revision} member {m.number}: kept as inactive (has local records)")
            return
        self.s.execute(delete(MeetingRoster).where(MeetingRoster.member_id == m.id))
        for obj in list(self.s.identity_map.values()):
            if isinstance(obj, Meeting):
                self.s.expire(obj, ["roster"])
        self.s.delete(m)
        self.s.flush()
        del self.members[m.number]
        self.missing.add(m.number)

    def upsert_meeting(self, row: Any, depth: int) -> None:
        p = row.payload
        uuid = _text(p, "uuid", 36)
        _same_key(row.key, uuid)
        kind = p.get("type")
        if kind not in MEETING_TYPES:
            raise RowSkip(f"malformed payload: type: one of {', '.join(MEETING_TYPES)} expected")
        values = {"type": kind, "title_zh": _text(p, "title_zh", 200), "title_en": _text(p, "title_en", 300, empty=True),
                  "place_zh": _text(p, "place_zh", 200, empty=True), "starts_at": _when(p, "starts_at"),
                  "ends_at": _when(p, "ends_at"), "closed": _bool(p, "closed")}
        if values["ends_at"] <= values["starts_at"]:
            raise RowSkip("malformed payload: the meeting ends before it starts")
        roster = p.get("roster")
        if not isinstance(roster, list) or not all(isinstance(n, str) and 0 < len(n) <= 32 for n in roster):
            raise RowSkip("malformed payload: roster: a list of member numbers expected")
        code = _text(p, "branch_code", 32)
        branch = self.branch(code, depth)
        if branch is None:
            raise RowSkip(f"unknown branch {code!r}")
        members, lacking = [], []
        for number in dict.fromkeys(roster):
            m = self.member(number, depth)
            if m is None:
                lacking.append(number)
            else:
                members.append(m)
        if lacking:
            self.notes.append(f"rev {row.revision} meeting {uuid}: not on the roster here (unknown member): "
                              f"{', '.join(lacking[:10])}")
        mt = self.meeting(uuid)
        if mt is None:
            mt = Meeting(uuid=uuid)
            self.s.add(mt)
            self.meetings[uuid] = mt
        for k, v in values.items():
            setattr(mt, k, v)
        mt.branch = branch
        mt.roster = members

    def delete_meeting(self, row: Any, depth: int) -> None:
        mt = self.meeting(row.key)
        if mt is None:
            return
        if mt.id is not None and self.s.scalar(select(exists().where(Attendance.meeting_id == mt.id))):
            mt.closed = True
            self.notes.append(f"rev {row.revision} meeting {mt.uuid}: closed, not deleted (has sign-ins)")
            return
        self.s.delete(mt)
        self.s.flush()
        del self.meetings[row.key]

    def delete_branch(self, row: Any, depth: int) -> None:
        b = self.branches.get(row.key)
        if b is None:
            return
        if b.id is not None and (self.s.scalar(select(exists().where(Member.branch_id == b.id)))
                                 or self.s.scalar(select(exists().where(Meeting.branch_id == b.id)))):
            self.notes.append(f"rev {row.revision} branch {b.code}: kept (members or meetings still in it)")
            return
        self.s.delete(b)
        self.s.flush()
        del self.branches[row.key]

    def upsert_face(self, row: Any, depth: int) -> None:
        if not self.p.faces:
            raise RowSkip("face sign-in is off on this terminal", policy=True)
        p = row.payload
        number = _text(p, "member_number", 32)
        _same_key(row.key, number)
        c = p.get("consent")
        if not isinstance(c, dict):
            raise RowSkip("malformed payload: consent: an object expected (no face data without consent)")
        consent = {"purpose": _text(c, "purpose", 32, empty=True) or "face_sign_in",
                   "text_version": _text(c, "text_version", 32), "given_at": _when(c, "given_at"),
                   "recorded_by": _text(c, "recorded_by", 100, empty=True)}
        items = p.get("templates")
        if not isinstance(items, list) or not 0 < len(items) <= MAX_TEMPLATES:
            raise RowSkip(f"malformed payload: templates: a list of 1-{MAX_TEMPLATES} expected")
        cipher = self.p.cipher()
        plains = []
        for t in items:
            if not isinstance(t, dict):
                raise RowSkip("malformed payload: a template must be an object")
            jitters = t.get("jitters", 1)
            if not isinstance(jitters, int) or isinstance(jitters, bool) or not 0 < jitters <= 1000:
                raise RowSkip("malformed payload: jitters: an integer 1-1000 expected")
            quality = t.get("quality", {})
            if not isinstance(quality, dict):
                raise RowSkip("malformed payload: quality: an object expected")
            try:
                blob = base64.b64decode(_text(t, "blob", 4096), validate=True)
            except (binascii.Error, ValueError):
                raise RowSkip("malformed payload: blob: base64 expected") from None
            try:
                plain = cipher.unseal(blob, "template", number)
            except FaceKeyError:
                raise RowSkip("a template does not decrypt: another organisation's face key, or the row was "
                              "altered") from None
            if len(plain) != ENCODING_BYTES:
                raise RowSkip(f"a template holds {len(plain)} bytes, not {ENCODING_BYTES}")
            plains.append((plain, _text(t, "model", 64), jitters, quality, _text(t, "source", 200, empty=True)))
        m = self.member(number, depth)
        if m is None:
            raise RowSkip(f"unknown member {number!r}")
        if m.id is None:
            self.s.flush()
        _secure_delete(self.s)
        self.s.execute(delete(FaceTemplate).where(FaceTemplate.member_id == m.id))
        current = list(self.s.scalars(select(Consent).where(Consent.member_id == m.id, Consent.withdrawn_at.is_(None))))
        keep = next((x for x in current if x.text_version == consent["text_version"]
                     and x.given_at == consent["given_at"]), None)
        for x in current:
            if x is not keep:
                x.withdrawn_at, x.withdrawn_by = self.p.now(), f"{ACTOR}: superseded"
        if keep is None:
            self.s.add(Consent(member_id=m.id, **consent))
        for plain, model, jitters, quality, source in plains:
            self.s.add(FaceTemplate(member_id=m.id, blob=cipher.encrypt(plain, "template", m.id), model=model,
                                    jitters=jitters, quality=quality, source=source, created_at=self.p.now()))
        audit(self.s, ACTOR, "face.sync", f"member:{number}", self.p.terminal_id, templates=len(plains),
              consent_version=consent["text_version"], revision=row.revision)

    def delete_face(self, row: Any, depth: int) -> None:
        m = self.member(row.key, depth, resolve=False)
        if m is None:
            return
        if m.id is None:
            self.s.flush()
        reason = row.payload.get("reason")
        self.erase_face(m, row.revision, reason[:100] if isinstance(reason, str) else "erased centrally")

    def erase_face(self, m: Member, revision: int, reason: str, quiet: bool = False) -> None:
        """Delete the member's templates and kept photos, withdraw the consent, audit ``face.erase``
        (``quiet``: no audit row when there was nothing to erase)."""
        _secure_delete(self.s)
        templates = self.s.execute(delete(FaceTemplate).where(FaceTemplate.member_id == m.id)).rowcount or 0
        photos = self.s.execute(delete(FacePhoto).where(FacePhoto.member_id == m.id)).rowcount or 0
        withdrawn = 0
        for c in self.s.scalars(select(Consent).where(Consent.member_id == m.id, Consent.withdrawn_at.is_(None))):
            c.withdrawn_at, c.withdrawn_by = self.p.now(), ACTOR
            withdrawn += 1
        if templates or photos or withdrawn:
            self.erased = True
        elif quiet:
            return
        audit(self.s, ACTOR, "face.erase", f"member:{m.number}", self.p.terminal_id, templates=templates,
              photos=photos, consents_withdrawn=withdrawn, reason=reason, revision=revision)


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
    return f"{type(orig).__name__}: {first}"[:300]


def _setting(session: Session, key: str) -> dict[str, Any]:
    row = session.get(Setting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def roster_status(session: Session) -> dict[str, Any]:
    """The cursor and the last pulls, from the local database only (works offline)."""
    cursor, info = _setting(session, CURSOR_KEY), _setting(session, LOG_KEY)
    return {"revision": int(cursor.get("revision", 0)), "applied_at": cursor.get("at"),
            "last_pull_at": info.get("last_pull_at"), "last_success_at": info.get("last_success_at"),
            "last_error": info.get("last_error"), "last_error_at": info.get("last_error_at"),
            "skipped_total": int(info.get("skipped_total", 0)), "skipped_recent": list(info.get("skipped", []))}


def _set_roster_cursor(session: Session, revision: int, when: datetime) -> None:
    _put(session, CURSOR_KEY, {"revision": int(revision), "at": when.isoformat()})


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


class RosterPuller(BackgroundLoop):
    """Pulls the central roster log into ``local_db``; see the module docstring for the rules.

    ``central`` is a URL (opened, and migrated to head, on first use: an unreachable server is just a
    failed pull) or an open ``Database``. The face key comes from ``cipher`` or, on first need,
    ``key_loader()``. ``pull_once`` never raises for database trouble: its result's ``error`` says what
    happened, and ``retry_delay()`` how long to wait.
    """

    thread_name = "roster-pull"

    def __init__(self, local_db: Database, central: str | Database, *, cipher: FaceCipher | None = None,
                 key_loader: Callable[[], bytes] | None = None, faces: bool = True, terminal_id: str = "",
                 batch_size: int = 500, interval_seconds: float = 300.0, backoff_base_seconds: float = 1.0,
                 backoff_max_seconds: float = 300.0, rng: Callable[[], float] = random.random,
                 now: Callable[[], datetime] = utcnow, verifier: Verifier | None = None,
                 on_applied: Callable[[PullResult], None] | None = None) -> None:
        self.local = local_db
        self.verifier = verifier or Verifier()
        """With keys (``fleet.admin_keys``), only rows signed by one of them are applied."""
        self._central = central if isinstance(central, Database) else None
        self._central_url = None if isinstance(central, Database) else roster_central_url(central)
        self._cipher = cipher
        self._key_loader = key_loader
        self._key_error: str | None = None
        self.faces = faces
        self.terminal_id = terminal_id
        self.batch_size = max(1, batch_size)
        self.interval_seconds = interval_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_max_seconds = backoff_max_seconds
        self._rng = rng
        self.now = now
        self.on_applied = on_applied
        """Called (in the puller's thread) after a pull that changed something: reload the face index,
        refresh the meeting list."""
        self.on_row: Callable[[int], None] | None = None
        """Called with each row's revision inside the batch transaction (tests crash there)."""
        self.failures = 0
        self.last_error: str | None = None
        self.last_result: PullResult | None = None
        self._lock = threading.Lock()
        self._init_loop()

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

    def central(self) -> Database:
        if self._central is None:
            assert self._central_url is not None
            self._central = Database(self._central_url)
        return self._central

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
        while not stop_event.is_set():
            self._wake.clear()
            try:
                result = self.pull_once()
            except Exception as exc:  # a bug must not end the thread: count it as a failure and back off
                log.exception("roster: unexpected failure")
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                result = PullResult(error=self.last_error)
            if result.error:
                wait = self.retry_delay()
            else:
                wait = self.interval_seconds
                self._release_central()
            self._wait(stop_event, wait)

    def _release_central(self) -> None:
        """Caught up: close the pooled central connections (ten thousand idle terminals must not hold ten
        thousand server connections; the next pull reconnects)."""
        if self._central is not None:
            try:
                self._central.engine.dispose()
            except Exception:
                log.exception("roster: cannot release the central connection")

    def close(self) -> None:
        self.stop()
        if self._central is not None and self._central_url is not None:
            self._central.dispose()
            self._central = None

"""The terminal side of the roster log: applying rows to the local database, idempotently.

See ``fleet.roster_sync`` for how the log works."""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, exists, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from core.audit import audit
from core.facecrypt import FaceKeyError
from core.models import (
    MEETING_TYPES,
    ROSTER_KINDS,
    Attendance,
    Branch,
    Consent,
    FacePhoto,
    FaceTemplate,
    Meeting,
    MeetingRoster,
    Member,
    QuizResult,
    Setting,
)
from core.signing import SIG_FIELD, SignatureError
from fleet.roster_common import (
    ACTOR,
    CURSOR_KEY,
    ENCODING_BYTES,
    LOG_KEY,
    MAX_TEMPLATES,
    TABLE,
    CentralUnavailable,
    RowSkip,
    signed_body,
)

if TYPE_CHECKING:
    from fleet.roster_sync import RosterPuller

log = logging.getLogger(__name__)


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

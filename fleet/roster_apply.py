"""The terminal side of the roster log: applying rows to the local database, idempotently.

Branches, members and meetings are applied here; face rows in ``fleet.roster_faces``; what a pull did
and the cursor in ``fleet.roster_state`` (``PullResult`` and ``roster_status`` are re-exported). See
``fleet.roster_sync`` for how the log works."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from core.models import (
    MEETING_TYPES,
    ROSTER_KINDS,
    Attendance,
    Branch,
    Consent,
    Meeting,
    MeetingRoster,
    Member,
    QuizResult,
)
from fleet.central import short_error as _short
from fleet.roster_common import TABLE, CentralUnavailable, RowSkip, signed_body
from fleet.roster_faces import FaceRows
from fleet.roster_fields import _bool, _number, _same_key, _text, _when
from fleet.roster_state import PullResult, roster_status
from fleet.signing import SIG_FIELD, SignatureError

if TYPE_CHECKING:
    from fleet.roster_sync import RosterPuller

__all__ = ["PullResult", "roster_status"]

log = logging.getLogger(__name__)


class _Applier(FaceRows):
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


def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]

"""Signing members in to meetings.

The rule that matters most: a sign-in is committed before anyone is told it happened. ``sign_in``
commits in its own transaction and only then returns, so a screen that shows "签到成功" is showing a row
that is on disk. It is idempotent — a second sign-in by the same member returns the first record — and
the database's unique constraint keeps it so even when two terminals race. When the disk is full the
commit fails as a whole (record, audit and outbox row together) and ``sign_in`` raises
``SignInStorageFullError``: a ``SignInError``, so every screen that shows a refused sign-in already shows
this one, and a ``StorageFullError`` for code that handles storage.

The one definition of attendance (used by the sign-in screen's counter, the dashboard and ``report``,
which used to count three different ways — B01 read 75.9% in the report and 99% on the dashboard):

* **expected** (应到): the meeting's roster;
* **present** (实到): roster members with a sign-in, late ones included; **late** (迟到): those of them
  signed in more than ``LATE_AFTER`` after the start;
* **absent** (缺席): roster members without a sign-in — only for a meeting that has **started**; a meeting
  that has not started yet (or was closed before it began: cancelled) has no absences and is not counted;
  a closed meeting that did start counts by its roster;
* **walk-in** (列席): a sign-in by someone not on the roster. Never in the rates. Whether a meeting takes
  walk-ins is a rule per meeting type (``OFF_ROSTER``): a branch committee (支委会) refuses them with
  "不在本次会议名单", the others accept them as 列席. A member on no open meeting's roster is never signed
  in to some other meeting silently: ``choose_meeting`` picks one only when it is unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import StorageFullError, is_storage_full, storage_path
from core.meetings import OPEN_EARLY
from core.models import SIGN_IN_METHODS, Attendance, Meeting, MeetingRoster, Member, new_uuid
from core.outbox import attendance_payload, enqueue

#: Signing in later than this after the start counts as late (迟到).
LATE_AFTER = timedelta(minutes=5)

#: Someone not on a meeting's roster: "guest" signs them in as 列席, "refuse" says 不在本次会议名单.
#: A branch committee meets as the committee; the other meetings welcome a member who comes along.
OFF_ROSTER = {"支部党员大会": "guest", "支委会": "refuse", "党小组会": "guest", "党课": "guest"}

NOT_ON_ROSTER = "不在本次会议名单 / not on this meeting's roster"
NO_MEETING = "当前没有可签到的会议 / no meeting is open now"


class SignInError(ValueError):
    """A sign-in that is refused; the message can be shown to the member."""


class SignInStorageFullError(SignInError, StorageFullError):
    """The terminal's disk is full: the sign-in was not saved (nothing of it was written)."""

    def __init__(self, path: str):
        self.path = path
        Exception.__init__(self, f"存储空间已满，签到未保存，请联系管理员（{path}） / "
                                 f"disk full: the sign-in was not saved, please call an administrator ({path})")


@dataclass(frozen=True)
class SignInResult:
    record: Attendance
    created: bool
    """False when the member had already signed in (the first record is returned)."""

    @property
    def late(self) -> bool:
        return self.record.late


def on_roster(meeting: Meeting, member: Member) -> bool:
    return any(m.id == member.id for m in meeting.roster)


def takes_walk_ins(meeting: Meeting) -> bool:
    return OFF_ROSTER.get(meeting.type, "refuse") == "guest"


def choose_meeting(session: Session, member: Member, now: datetime, place_zh: str | None = None,
                   chosen_id: int | None = None) -> Meeting:
    """The open meeting to sign ``member`` in to, or ``SignInError`` saying why there is none.

    The meeting the person chose on the screen, else the first open meeting with them on its roster. For
    someone on no open roster, a meeting that takes walk-ins, only when that choice is unambiguous (their
    own branch's, or the only meeting open); otherwise refused — never the first open meeting by default.
    """
    from core.meetings import current_meetings

    meetings = current_meetings(session, now, place_zh)
    if not meetings:
        raise SignInError(NO_MEETING)
    if chosen_id is not None:
        chosen = next((m for m in meetings if m.id == chosen_id), None)
        if chosen is None:
            raise SignInError(NO_MEETING)
        return chosen
    mine = next((m for m in meetings if on_roster(m, member)), None)
    if mine is not None:
        return mine
    guests = [m for m in meetings if takes_walk_ins(m) and m.branch_id == member.branch_id]
    if not guests and len(meetings) == 1 and takes_walk_ins(meetings[0]):
        guests = meetings
    if len(guests) == 1:
        return guests[0]
    raise SignInError(NOT_ON_ROSTER)


def sign_in(session: Session, meeting: Meeting, member: Member, *, method: str, terminal_id: str,
            now: datetime, match_distance: float | None = None, liveness: str | None = None,
            admin: str | None = None, also_audit: tuple[tuple[str, dict], ...] = ()) -> SignInResult:
    """Record ``member`` at ``meeting`` and commit. Outside the meeting's window only an ``admin`` may
    record (a back-fill, audited). Someone off the roster is refused when the meeting type takes no
    walk-ins (``OFF_ROSTER``), unless an administrator records it. ``also_audit`` rows (action, detail) are
    written in the same transaction as the record (e.g. a confirmed face), never after it."""
    if method not in SIGN_IN_METHODS:
        raise SignInError(f"unknown sign-in method {method!r}")
    if not member.active:
        raise SignInError("该党员账号已停用 / this member is inactive")
    existing = _existing(session, meeting, member)
    if existing is not None:
        return SignInResult(existing, created=False)
    in_window = meeting.starts_at - OPEN_EARLY <= now <= meeting.ends_at and not meeting.closed
    if not in_window and admin is None:
        raise SignInError("不在会议签到时间内 / the meeting is not open for sign-in")
    walk_in = not on_roster(meeting, member)
    if walk_in and admin is None and not takes_walk_ins(meeting):
        raise SignInError(NOT_ON_ROSTER)
    record = Attendance(uuid=new_uuid(), meeting_id=meeting.id, member_id=member.id, signed_at=now,
                        method=method, terminal_id=terminal_id, late=now > meeting.starts_at + LATE_AFTER,
                        match_distance=match_distance, liveness=liveness)
    session.add(record)
    actor = admin or f"member:{member.number}"
    audit(session, actor, "attendance.backfill" if not in_window else "attendance.sign_in",
          f"meeting:{meeting.id}", terminal_id, member=member.number, method=method, walk_in=walk_in)
    for action, detail in also_audit:
        audit(session, actor, action, f"meeting:{meeting.id}", terminal_id, **detail)
    try:
        enqueue(session, "attendance", attendance_payload(record, meeting, member))  # same transaction
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _existing(session, meeting, member)
        if existing is None:
            raise
        return SignInResult(existing, created=False)
    except SQLAlchemyError as exc:
        session.rollback()
        if is_storage_full(exc):
            raise SignInStorageFullError(_where(session)) from exc
        raise
    return SignInResult(record, created=True)


def _where(session: Session) -> str:
    """The database file the session writes to (for the message)."""
    return storage_path(session.get_bind().url.render_as_string(hide_password=False))


def record_of(session: Session, meeting_id: int, member_id: int) -> Attendance | None:
    """The member's attendance record at the meeting, or None: what the kiosk's result card shows after a
    sign-in (its time, method and lateness as committed)."""
    return session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.member_id == member_id)).first()


def _existing(session: Session, meeting: Meeting, member: Member) -> Attendance | None:
    return record_of(session, meeting.id, member.id)


# ------------------------------------------------------------------------------------ counting


@dataclass(frozen=True)
class MeetingCount:
    """One meeting's attendance by the module's definition. ``counted``: it has started, so its absences
    are real and it enters rates; a meeting that has not started has ``absent == 0``."""

    meeting_id: int
    counted: bool
    expected: int
    present: int
    late: int
    absent: int
    walk_ins: int

    @property
    def rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    def as_dict(self) -> dict[str, int]:
        return {"expected": self.expected, "present": self.present, "late": self.late, "absent": self.absent,
                "walk_ins": self.walk_ins}


def has_started(meeting: Meeting, now: datetime) -> bool:
    """A meeting counts (absences, rates) once it has started — closed or not. One closed before its start
    (cancelled) has not started."""
    return meeting.starts_at <= now


def count_meeting(meeting: Meeting, records: list[Attendance], now: datetime) -> MeetingCount:
    """Count ``records`` (the meeting's sign-ins) against its roster."""
    return _count(meeting, {m.id for m in meeting.roster}, records, now)


def _count(meeting: Meeting, roster: set[int], records: list[Attendance], now: datetime) -> MeetingCount:
    on = [a for a in records if a.member_id in roster]
    counted = has_started(meeting, now)
    return MeetingCount(meeting.id, counted, len(roster), len(on), sum(1 for a in on if a.late),
                        len(roster) - len(on) if counted else 0, len(records) - len(on))


def count_meetings(session: Session, meetings: list[Meeting], now: datetime) -> dict[int, MeetingCount]:
    """``count_meeting`` for many meetings with two queries (the dashboard counts every meeting)."""
    ids = [m.id for m in meetings]
    records: dict[int, list[Attendance]] = {i: [] for i in ids}
    rosters: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for a in session.scalars(select(Attendance).where(Attendance.meeting_id.in_(ids))):
            records[a.meeting_id].append(a)
        for mid, member_id in session.execute(select(MeetingRoster.meeting_id, MeetingRoster.member_id)
                                              .where(MeetingRoster.meeting_id.in_(ids))):
            rosters[mid].add(member_id)
    return {m.id: _count(m, rosters[m.id], records[m.id], now) for m in meetings}


def attendance_summary(session: Session, meeting: Meeting, now: datetime | None = None) -> dict[str, int]:
    """Counts for a meeting: expected (roster), present and late (roster members), absent (0 before the
    start), walk_ins (列席). ``now`` defaults to the current time."""
    from core.models import utcnow

    records = list(session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))
    return count_meeting(meeting, records, now or utcnow()).as_dict()


def qr_sign_ins(session: Session, meeting_ids: list[int], terminal_id: str | None = None) -> list:
    """Rows (id, meeting_id, late, number, name, uuid) of the phone (QR) sign-ins to these meetings, oldest
    first; only those made at ``terminal_id``'s code when given. Why here: the kiosk's QR watcher greets them,
    and front ends read attendance through core, not SQL."""
    if not meeting_ids:
        return []
    query = (select(Attendance.id, Attendance.meeting_id, Attendance.late, Member.number, Member.name, Meeting.uuid)
             .join(Member, Member.id == Attendance.member_id).join(Meeting, Meeting.id == Attendance.meeting_id)
             .where(Attendance.meeting_id.in_(meeting_ids), Attendance.method == "qr"))
    if terminal_id is not None:
        query = query.where(Attendance.terminal_id == terminal_id)
    return list(session.execute(query.order_by(Attendance.id)).all())

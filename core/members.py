"""What a member sees about themself (the members' web app, #20): points, next meetings, attendance
history, face data. Small read-only queries kept here so the web's handlers write no SQL and the kiosk
and the web count the same way (points are ``core.quiz``'s, lateness ``core.attendance``'s)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from core.models import (
    Attendance,
    Consent,
    FacePhoto,
    FaceTemplate,
    Meeting,
    MeetingRoster,
    Member,
    QuizResult,
)


def by_number(session: Session, number: str) -> Member | None:
    """The member with this number (active or not: the PIN check refuses inactive ones the same way as
    unknown numbers), or None."""
    number = (number or "").strip()[:32]
    if not number:
        return None
    return session.scalars(select(Member).options(joinedload(Member.branch))
                           .where(Member.number == number)).first()


def first_active(session: Session, numbers: Sequence[str]) -> Member | None:
    """The first of ``numbers`` that names an active member, or None.

    Why a list: the kiosk's keypad cannot type letters, so what a member typed has more than one spelling
    ("0101" is tried as "M0101", then "0101"); an inactive member is passed over as if unknown, so a left
    or suspended member cannot sign in to learn under a number another spelling would have reached."""
    numbers = [n for n in numbers if n]
    if not numbers:
        return None
    found = {m.number: m for m in session.scalars(select(Member).where(Member.number.in_(numbers),
                                                                      Member.active.is_(True)))}
    return next((found[n] for n in numbers if n in found), None)


def by_id(session: Session, member_id: int) -> Member | None:
    member = session.get(Member, member_id, options=[joinedload(Member.branch)])
    return member if member is not None and member.active else None


@dataclass(frozen=True)
class BranchView:
    id: int
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class MemberView:
    """What a page needs to know about the logged-in member, detached from any database session.

    Why not the ORM ``Member``: the web app keeps this for a few seconds between requests and hands it to
    concurrent threads; a frozen copy can be neither lazily loaded outside its session nor attached to
    (and flushed by) another one. Code that writes loads the ``Member`` by ``id`` in its own session."""

    id: int
    number: str
    name: str
    name_en: str
    status: str
    category: str
    branch: BranchView


def view(member: Member) -> MemberView:
    b = member.branch
    return MemberView(member.id, member.number, member.name, member.name_en or "", member.status, member.category,
                      BranchView(b.id, b.code, b.name_zh, b.name_en or ""))


def points_total(session: Session, member: Member | MemberView) -> int:
    """积分: the sum the kiosk leaderboard ranks by (``core.quiz.leaderboard``)."""
    return int(session.scalar(select(func.coalesce(func.sum(QuizResult.points), 0))
                              .where(QuizResult.member_id == member.id)) or 0)


def upcoming_meetings(session: Session, member: Member | MemberView, now: datetime, limit: int = 5) -> list[Meeting]:
    """Meetings not yet over and not closed that have ``member`` on their roster, soonest first."""
    on_roster = exists().where(MeetingRoster.meeting_id == Meeting.id, MeetingRoster.member_id == member.id)
    return list(session.scalars(select(Meeting).options(joinedload(Meeting.branch))
                                .where(Meeting.ends_at >= now, Meeting.closed.is_(False), on_roster)
                                .order_by(Meeting.starts_at).limit(limit)))


@dataclass(frozen=True)
class HistoryRow:
    meeting: Meeting
    record: Attendance | None
    on_roster: bool
    open: bool = False
    """The meeting is still running (not ended, not closed): no sign-in yet is not an absence yet."""

    @property
    def state(self) -> str:
        """present | late | absent | walk_in (列席) — the words of ``core.attendance`` — or ``open`` for a
        running meeting the member has not signed in to yet."""
        if self.record is None:
            return "open" if self.open else "absent"
        if not self.on_roster:
            return "walk_in"
        return "late" if self.record.late else "present"


def attendance_history(session: Session, member: Member | MemberView, now: datetime,
                       limit: int = 40) -> list[HistoryRow]:
    """Started meetings that had ``member`` on the roster or signed in, newest first, with the sign-in (one
    query). A meeting closed before it began (cancelled) is left out: it has no absences
    (``core.attendance.has_started``)."""
    on_roster = exists().where(MeetingRoster.meeting_id == Meeting.id, MeetingRoster.member_id == member.id)
    rows = session.execute(
        select(Meeting, Attendance, on_roster)
        .outerjoin(Attendance, (Attendance.meeting_id == Meeting.id) & (Attendance.member_id == member.id))
        .where(Meeting.starts_at <= now, or_(on_roster, Attendance.id.is_not(None)))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit))
    return [HistoryRow(meeting, record, bool(rostered), meeting.ends_at > now and not meeting.closed)
            for meeting, record, rostered in rows]


@dataclass(frozen=True)
class FaceStatus:
    templates: int
    photos: int
    consent_given_at: datetime | None
    """The consent in force (not withdrawn), if any."""

    @property
    def enrolled(self) -> bool:
        return self.templates > 0


def face_status(session: Session, member: Member | MemberView) -> FaceStatus:
    templates = session.scalar(select(func.count()).select_from(FaceTemplate)
                               .where(FaceTemplate.member_id == member.id)) or 0
    photos = session.scalar(select(func.count()).select_from(FacePhoto).where(FacePhoto.member_id == member.id)) or 0
    consent = session.scalars(select(Consent).where(Consent.member_id == member.id, Consent.withdrawn_at.is_(None))
                              .order_by(Consent.given_at.desc())).first()
    return FaceStatus(int(templates), int(photos), consent.given_at if consent else None)

"""Meetings of 三会一课: creating them, finding the one happening now, and closing them.

The terminal signs people in to "the current meeting", so choosing it must be predictable: a meeting is
current from ``OPEN_EARLY`` before its start until its end, and when several overlap the one at this
terminal's place wins, then the one that started most recently.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.audit import audit
from core.models import MEETING_TYPES, Branch, Meeting, Member

OPEN_EARLY = timedelta(minutes=30)

#: The longest meeting: a full-day 党课 fits; ``--minutes 99999999`` (190 years) does not.
MAX_MINUTES = 12 * 60
#: How late a meeting may still be entered by hand: one held last week and forgotten, not a 2020 typo.
PAST_GRACE = timedelta(days=7)

#: How often each type must be held (三会一课): months per period.
REQUIRED_EVERY_MONTHS = {"支部党员大会": 3, "支委会": 1, "党小组会": 1, "党课": 3}


class MeetingError(ValueError):
    """A meeting request that cannot be carried out; the message is shown to the administrator."""


def create_meeting(session: Session, *, type: str, title_zh: str, branch_code: str, starts_at: datetime,
                   ends_at: datetime, place_zh: str = "", title_en: str = "",
                   roster: list[str] | None = None, actor: str = "system", now: datetime | None = None) -> Meeting:
    """Create a meeting; ``roster`` None means every active member of the branch. Refused (``MeetingError``):
    an unknown type, branch or roster member, an end not after the start, a length over ``MAX_MINUTES``, and
    an exact duplicate (same branch, type, start and title) of a meeting already there. ``now`` is given by
    an administrator's request: then a start more than ``PAST_GRACE`` ago is refused too (a typed 2020)."""
    if type not in MEETING_TYPES:
        raise MeetingError(f"会议类型 {type!r} 不存在 / unknown meeting type {type!r}: one of {', '.join(MEETING_TYPES)}")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise MeetingError("meeting times must carry a time zone")
    if ends_at <= starts_at:
        raise MeetingError("结束时间须晚于开始时间 / a meeting must end after it starts")
    if ends_at - starts_at > timedelta(minutes=MAX_MINUTES):
        hours = (ends_at - starts_at).total_seconds() / 3600
        raise MeetingError(f"会议最长 {MAX_MINUTES // 60} 小时 / a meeting lasts at most {MAX_MINUTES} minutes "
                           f"({MAX_MINUTES // 60} hours); this one would last {hours:,.1f} hours")
    if now is not None and starts_at < now - PAST_GRACE:
        raise MeetingError(f"开始时间 {starts_at:%Y-%m-%d %H:%M} 已过去 {PAST_GRACE.days} 天以上 / the start "
                           f"{starts_at:%Y-%m-%d %H:%M} is more than {PAST_GRACE.days} days ago: give a start from "
                           f"{(now - PAST_GRACE).astimezone(starts_at.tzinfo):%Y-%m-%d %H:%M} on")
    branch = session.scalars(select(Branch).where(Branch.code == branch_code)).first()
    if branch is None:
        codes = ", ".join(session.scalars(select(Branch.code).order_by(Branch.code)).all()[:20])
        raise MeetingError(f"没有支部 {branch_code!r} / unknown branch {branch_code!r}: one of {codes or '(none yet)'}")
    same = session.scalars(select(Meeting).where(Meeting.branch_id == branch.id, Meeting.type == type,
                                                 Meeting.starts_at == starts_at, Meeting.title_zh == title_zh)).first()
    if same is not None:
        raise MeetingError(f"已有同一会议 / meeting {same.id} is already this meeting (same branch, type, start and "
                           f"title): change the title or start, or use meeting {same.id}")
    if roster is None:
        members = list(session.scalars(select(Member).where(Member.branch_id == branch.id, Member.active)))
    else:
        members = list(session.scalars(select(Member).where(Member.number.in_(roster))))
        missing = sorted(set(roster) - {m.number for m in members})
        if missing:
            raise MeetingError(f"unknown member numbers on the roster: {', '.join(missing)}")
    meeting = Meeting(type=type, title_zh=title_zh, title_en=title_en, branch=branch, place_zh=place_zh,
                      starts_at=starts_at, ends_at=ends_at, roster=members)
    session.add(meeting)
    session.flush()
    audit(session, actor, "meeting.create", f"meeting:{meeting.id}", type=type, branch=branch_code)
    return meeting


def current_meetings(session: Session, now: datetime, place_zh: str | None = None) -> list[Meeting]:
    """Open meetings at ``now``, best first (this place, then latest start)."""
    rows = list(session.scalars(
        select(Meeting).options(selectinload(Meeting.branch))
        .where(Meeting.closed.is_(False), Meeting.starts_at <= now + OPEN_EARLY, Meeting.ends_at >= now)))
    rows.sort(key=lambda m: (place_zh is not None and m.place_zh == place_zh, m.starts_at), reverse=True)
    return rows


def ids_by_uuid(session: Session, uuids: set[str]) -> dict[str, int]:
    """This database's meeting id for each of ``uuids`` it holds (a fleet names a meeting by its uuid; each
    terminal's copy has its own id)."""
    if not uuids:
        return {}
    return dict(session.execute(select(Meeting.uuid, Meeting.id).where(Meeting.uuid.in_(uuids))).tuples().all())


def upcoming(session: Session, now: datetime, limit: int = 20) -> list[Meeting]:
    return list(session.scalars(
        select(Meeting).options(selectinload(Meeting.branch))
        .where(Meeting.ends_at >= now, Meeting.closed.is_(False))
        .order_by(Meeting.starts_at).limit(limit)))


def close_meeting(session: Session, meeting: Meeting, actor: str) -> None:
    meeting.closed = True
    audit(session, actor, "meeting.close", f"meeting:{meeting.id}")

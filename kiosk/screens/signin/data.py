"""What the sign-in screen reads: the open meetings, the counter, member names and the result card's content.

Everything is read inside one session and handed on as frozen dataclasses, so that drawing never triggers a
lazy load on a closed session. Nothing here draws or decides, and nothing here writes SQL: the queries are
core's (``core.members``, ``core.attendance``, ``core.meetings``), shared with the web app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core import members
from core.attendance import attendance_summary, on_roster, record_of
from core.meetings import current_meetings, upcoming
from core.models import Meeting, Member
from kiosk.context import KioskContext

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

VERIFY_DIGITS = 4
MAX_MEETINGS_SHOWN = 3


def number_candidates(typed: str) -> list[str]:
    """Member numbers to try for what was typed: ``"0101"`` → ``["M0101", "0101"]``."""
    text = typed.strip().upper()
    if not text:
        return []
    return [f"M{text}", text] if text.isdigit() else [text]


def find_active_member(session: Session, typed: str) -> Member | None:
    """The active member that what was typed names, trying its spellings in order (``number_candidates``)."""
    return members.first_active(session, number_candidates(typed))


def last_digits(number: str, count: int = VERIFY_DIGITS) -> str:
    """The digits a person types to confirm ``number``: its last ``count`` digits ("M0101" → "0101")."""
    return re.sub(r"\D", "", number)[-count:]


def split_bilingual(ctx: KioskContext, message: str) -> str:
    """Messages from core and the worker read "中文 / English": keep the current language's half."""
    zh, sep, en = message.partition(" / ")
    return ctx.t(zh.strip(), en.strip()) if sep else message


@dataclass(frozen=True)
class MeetingInfo:
    """What the screen shows of a meeting, read inside a session (no lazy loads later)."""

    id: int
    type: str
    title_zh: str
    title_en: str
    branch_zh: str
    branch_en: str
    place: str
    starts_at: datetime
    ends_at: datetime
    uuid: str = ""
    """The meeting across terminals and the central server (the QR code names it)."""

    @classmethod
    def of(cls, m: Meeting) -> MeetingInfo:
        return cls(m.id, m.type, m.title_zh, m.title_en or "", m.branch.name_zh, m.branch.name_en or "",
                   m.place_zh or "", m.starts_at, m.ends_at, m.uuid or "")


@dataclass(frozen=True)
class SignInCard:
    """The result card's content (read after the commit)."""

    meeting_id: int
    meeting_title: str
    number: str
    name: str
    branch: str
    signed_at: datetime
    method: str
    late: bool
    already: bool
    walk_in: bool = False
    """Not on the meeting's roster: signed in as 列席 (core.attendance.OFF_ROSTER)."""


def load_meetings(ctx: KioskContext) -> tuple[list[MeetingInfo], MeetingInfo | None]:
    """The meetings open for sign-in now (at most ``MAX_MEETINGS_SHOWN``) and, when none is, the next one."""
    now = ctx.now()
    with ctx.session() as s:
        meetings = [MeetingInfo.of(m) for m in current_meetings(s, now)][:MAX_MEETINGS_SHOWN]
        next_meeting = None
        if not meetings:
            later = next((m for m in upcoming(s, now, limit=10) if m.starts_at > now), None)
            next_meeting = MeetingInfo.of(later) if later is not None else None
    return meetings, next_meeting


def count_attendance(ctx: KioskContext, meeting: MeetingInfo | None) -> dict[str, int]:
    """The counter's numbers (present, expected, late, walk_ins) for ``meeting``; {} without one."""
    if meeting is None:
        return {}
    with ctx.session() as s:
        row = s.get(Meeting, meeting.id)
        return attendance_summary(s, row, ctx.now()) if row is not None else {}


def member_name(ctx: KioskContext, number: str) -> str:
    """The member's name in the current language, or the number itself when nobody has it."""
    with ctx.session() as s:
        m = members.by_number(s, number)
        return ctx.t(m.name, m.name_en) if m is not None else number


def card_for(ctx: KioskContext, session: Session, meeting_id: int, number: str, method: str, late: bool,
             already: bool) -> SignInCard:
    """The result card of ``number`` at ``meeting_id``, from the committed attendance row where there is one."""
    member = members.by_number(session, number)
    meeting = session.get(Meeting, meeting_id)
    record = record_of(session, meeting_id, member.id) if member is not None else None
    title = ctx.t(meeting.title_zh, meeting.title_en) if meeting is not None else ""
    return SignInCard(
        meeting_id, title, number, ctx.t(member.name, member.name_en) if member else number,
        ctx.t(member.branch.name_zh, member.branch.name_en) if member else "",
        record.signed_at if record is not None else ctx.now(), record.method if record is not None else method,
        record.late if record is not None else late, already,
        walk_in=member is not None and meeting is not None and not on_roster(meeting, member))

"""The data dashboard's figures (数据看板): 三会一课 completion per branch, attendance rates, points.

Completion is judged on complete calendar periods only — the last six months for the monthly meetings
(支委会, 党小组会) and the last two quarters for the quarterly ones (支部党员大会, 党课) — so a branch is not
marked red for a month that is still running. The running period is shown separately (done / scheduled /
not yet). Periods that ended before the records begin (a terminal installed in May knows nothing of
March) are not counted against a branch. Colours: green when every counted period had its meeting,
amber when one was missed, red for more.

Attendance rates use ``core.attendance``'s one definition (``count_meetings``): every meeting that has
started, by its roster; walk-ins (列席) are not in the rate; a meeting not yet started counts nothing. The
``report`` command's branch figures are the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from core.attendance import count_meetings
from core.meetings import REQUIRED_EVERY_MONTHS
from core.models import MEETING_TYPES, Attendance, Branch, Meeting, Member, QuizResult

MONTHLY_WINDOW = 6
QUARTERLY_WINDOW = 2
#: A period is judged only when the records cover more than this much of it.
RECORDS_GRACE = timedelta(days=14)


def _period(d: date, months: int) -> tuple[int, int]:
    """(year, index of the period in the year) for a period length of 1 or 3 months."""
    return d.year, (d.month - 1) // months


def _period_end(period: tuple[int, int], months: int) -> date:
    year, index = period
    month = index * months + months  # last month of the period, 1-based
    return date(year + month // 12, month % 12 + 1, 1)  # first day after the period


def _previous_periods(today: date, months: int, count: int) -> list[tuple[int, int]]:
    year, index = _period(today, months)
    per_year = 12 // months
    out = []
    for _ in range(count):
        index -= 1
        if index < 0:
            year, index = year - 1, per_year - 1
        out.append((year, index))
    return out


@dataclass
class TypeStatus:
    type: str
    required: int
    held: int
    current: str
    """This period: done | scheduled | pending"""

    @property
    def missed(self) -> int:
        return self.required - self.held

    @property
    def status(self) -> str:
        return "green" if self.missed <= 0 else ("amber" if self.missed == 1 else "red")


@dataclass
class BranchFigures:
    code: str
    name_zh: str
    name_en: str
    members: int
    types: list[TypeStatus] = field(default_factory=list)
    expected: int = 0
    present: int = 0
    points: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return self.present / self.expected if self.expected else None

    @property
    def completion(self) -> float:
        required = sum(t.required for t in self.types)
        return sum(min(t.held, t.required) for t in self.types) / required if required else 1.0

    @property
    def status(self) -> str:
        order = {"green": 0, "amber": 1, "red": 2}
        return max((t.status for t in self.types), key=order.__getitem__, default="green")


def branch_figures(session: Session, now: datetime, tz: ZoneInfo,
                   branch_code: str | None = None) -> list[BranchFigures]:
    """Every branch's figures, or with ``branch_code`` only that branch's (a member's own page: the same
    numbers, at the cost of one branch's meetings instead of all; the records still begin at the first
    meeting of all)."""
    today = now.astimezone(tz).date()
    query, branches = select(Meeting).order_by(Meeting.starts_at), select(Branch).order_by(Branch.code)
    if branch_code is not None:
        branches = branches.where(Branch.code == branch_code)
        query = query.where(Meeting.branch_id.in_(select(Branch.id).where(Branch.code == branch_code)))
    meetings = session.scalars(query).all()
    present_q = select(Attendance.meeting_id, func.count()).group_by(Attendance.meeting_id)
    if branch_code is not None:
        present_q = present_q.where(Attendance.meeting_id.in_([m.id for m in meetings]))
    present = dict(session.execute(present_q).all())
    tally = count_meetings(session, list(meetings), now)
    points = dict(session.execute(select(Member.branch_id, func.coalesce(func.sum(QuizResult.points), 0))
                                  .join(QuizResult, QuizResult.member_id == Member.id)
                                  .group_by(Member.branch_id)).all())
    counts = dict(session.execute(select(Member.branch_id, func.count()).where(Member.active)
                                  .group_by(Member.branch_id)).all())
    first = session.scalar(select(func.min(Meeting.starts_at)))
    records_begin = first.astimezone(tz).date() if first is not None else today
    out = []
    for branch in session.scalars(branches):
        fig = BranchFigures(branch.code, branch.name_zh, branch.name_en, counts.get(branch.id, 0),
                            points=int(points.get(branch.id, 0)))
        mine = [m for m in meetings if m.branch_id == branch.id]
        for kind in MEETING_TYPES:
            months = REQUIRED_EVERY_MONTHS[kind]
            window = [p for p in _previous_periods(today, months, MONTHLY_WINDOW if months == 1 else QUARTERLY_WINDOW)
                      if _period_end(p, months) > records_begin + RECORDS_GRACE]
            held_periods = {_period(m.starts_at.astimezone(tz).date(), months) for m in mine
                            if m.type == kind and m.starts_at <= now and present.get(m.id)}
            current = _period(today, months)
            this_period = [m for m in mine if m.type == kind and _period(m.starts_at.astimezone(tz).date(), months)
                           == current]
            state = ("done" if current in held_periods else "scheduled" if any(m.starts_at > now for m in this_period)
                     else "pending")
            fig.types.append(TypeStatus(kind, len(window), len(set(window) & held_periods), state))
        for m in mine:
            c = tally[m.id]
            if c.counted:
                fig.expected += c.expected
                fig.present += c.present
        out.append(fig)
    return out


def month_meetings(session: Session, now: datetime, tz: ZoneInfo) -> tuple[int, int]:
    """(meetings this calendar month, those already held: closed or ended), in the site's time zone."""
    local = now.astimezone(tz)
    count = held = 0
    for starts, ends, closed in session.execute(select(Meeting.starts_at, Meeting.ends_at, Meeting.closed)):
        when = starts.astimezone(tz)
        if (when.year, when.month) == (local.year, local.month):
            count += 1
            held += bool(closed or ends <= now)
    return count, held


def branch_meetings(session: Session, code: str) -> list[Meeting] | None:
    """A branch's meetings, newest first, with roster and attendance loaded; None for an unknown branch."""
    branch = session.scalars(select(Branch).where(Branch.code == code)).first()
    if branch is None:
        return None
    return list(session.scalars(select(Meeting).options(selectinload(Meeting.roster), selectinload(Meeting.attendance))
                                .where(Meeting.branch_id == branch.id).order_by(Meeting.starts_at.desc())))

"""Attendance reports per meeting and per branch: present / late / absent and rates, as CSV and XLSX.

Why here and not in the kiosk: the administrator runs ``launcher.py report`` on the terminal or a
laptop; the same rows feed the dashboard. Times are shown in the terminal's time zone. CSV is written
with a UTF-8 BOM so Excel on a Chinese Windows opens the names correctly.

Counting is ``core.attendance``'s one definition (the dashboard and the sign-in screen use the same):
the roster is who was expected; ``present`` counts roster members who signed in (late ones included),
``late`` those of them who were late, ``absent`` the rest of the roster — only for meetings that have
started. A meeting that has not started is listed (``state`` 未开始, its roster as 未开始) and counts
nothing: it used to count everyone absent, so B01 read 75.9% here and 99% on the dashboard. People who
signed in without being on the roster are listed as 列席 (``extra``) and not counted in the rates.
``attendance_rate = present / expected``; ``late_rate = late / present``.

Safe to open: titles and names come from site folders, the central roster and feeds, so any text cell
that a spreadsheet would read as a formula (starting with ``= + - @``, tab or CR) is written as text in
XLSX and prefixed with ``'`` in CSV (OWASP's CSV-injection advice). Times are real date-times in XLSX.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.attendance import count_meeting
from core.models import Attendance, Branch, Meeting

STATUS_ZH = {"present": "出席", "late": "迟到", "absent": "缺席", "extra": "列席", "upcoming": "未开始"}
STATE_ZH = {"held": "已举行", "open": "进行中", "upcoming": "未开始"}


@dataclass
class DetailRow:
    meeting_id: int
    meeting_type: str
    meeting_title: str
    branch_code: str
    starts_at: str
    member_number: str
    member_name: str
    status: str
    status_zh: str
    signed_at: str
    method: str
    terminal_id: str


@dataclass
class MeetingSummary:
    meeting_id: int
    meeting_type: str
    meeting_title: str
    branch_code: str
    branch_name: str
    starts_at: str
    state: str
    state_zh: str
    expected: int
    present: int
    late: int
    absent: int
    extra: int
    attendance_rate: float
    late_rate: float


@dataclass
class BranchSummary:
    branch_code: str
    branch_name: str
    meetings: int
    expected: int
    present: int
    late: int
    absent: int
    attendance_rate: float
    late_rate: float


@dataclass
class Report:
    meetings: list[MeetingSummary] = field(default_factory=list)
    branches: list[BranchSummary] = field(default_factory=list)
    details: list[DetailRow] = field(default_factory=list)


def _rate(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _fmt(when: datetime | None, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if when else ""


class ReportError(ValueError):
    """A report that cannot be made as asked (unknown branch or meeting, inverted dates, a bad file type)."""


def build_report(session: Session, tz: ZoneInfo, *, meeting_ids: list[int] | None = None,
                 branch_code: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, now: datetime | None = None) -> Report:
    """Meetings chosen by id, or by branch and/or start-time range (all meetings when none given).
    ``now`` (default: the current time) decides which meetings have started. Raises ``ReportError`` for
    an unknown branch or meeting id and for ``end`` before ``start``."""
    from core.models import utcnow

    now = now or utcnow()
    if start is not None and end is not None and end <= start:
        raise ReportError("结束日期早于开始日期 / the end date is before the start date")
    if branch_code and session.scalars(select(Branch).where(Branch.code == branch_code)).first() is None:
        raise ReportError(f"没有支部代码 {branch_code} / unknown branch {branch_code!r}")
    if meeting_ids:
        found = set(session.scalars(select(Meeting.id).where(Meeting.id.in_(meeting_ids))))
        missing = sorted(set(meeting_ids) - found)
        if missing:
            raise ReportError(f"没有编号为 {', '.join(map(str, missing))} 的会议 / unknown meeting id(s) "
                              f"{', '.join(map(str, missing))}")
    query = (select(Meeting).options(selectinload(Meeting.roster), selectinload(Meeting.branch))
             .order_by(Meeting.starts_at, Meeting.id))
    if meeting_ids:
        query = query.where(Meeting.id.in_(meeting_ids))
    if branch_code:
        query = query.join(Branch, Meeting.branch_id == Branch.id).where(Branch.code == branch_code)
    if start is not None:
        query = query.where(Meeting.starts_at >= start)
    if end is not None:
        query = query.where(Meeting.starts_at < end)
    report = Report()
    for meeting in session.scalars(query):
        _add_meeting(session, meeting, tz, report, now)
    by_branch: dict[str, list[MeetingSummary]] = {}
    for m in report.meetings:
        if m.state != "upcoming":  # a meeting that has not started counts nothing (core.attendance)
            by_branch.setdefault(m.branch_code, []).append(m)
    for code, items in by_branch.items():
        e, p, late = (sum(getattr(i, k) for i in items) for k in ("expected", "present", "late"))
        report.branches.append(BranchSummary(code, items[0].branch_name, len(items), e, p, late,
                                             sum(i.absent for i in items), _rate(p, e), _rate(late, p)))
    return report


def _add_meeting(session: Session, meeting: Meeting, tz: ZoneInfo, report: Report, now: datetime) -> None:
    records = {a.member_id: a for a in session.scalars(
        select(Attendance).options(selectinload(Attendance.member)).where(Attendance.meeting_id == meeting.id))}
    roster_ids = {m.id for m in meeting.roster}
    count = count_meeting(meeting, list(records.values()), now)
    state = ("upcoming" if not count.counted else
             "open" if not meeting.closed and now < meeting.ends_at else "held")
    base = dict(meeting_id=meeting.id, meeting_type=meeting.type, meeting_title=meeting.title_zh,
                branch_code=meeting.branch.code, starts_at=_fmt(meeting.starts_at, tz))
    for member in meeting.roster:
        a = records.get(member.id)
        status = ("late" if a.late else "present") if a is not None else ("absent" if count.counted else "upcoming")
        report.details.append(DetailRow(**base, member_number=member.number, member_name=member.name, status=status,
                                        status_zh=STATUS_ZH[status], signed_at=_fmt(a.signed_at if a else None, tz),
                                        method=a.method if a else "", terminal_id=a.terminal_id if a else ""))
    extras = [a for mid, a in records.items() if mid not in roster_ids]
    for a in sorted(extras, key=lambda x: x.member.number):
        report.details.append(DetailRow(**base, member_number=a.member.number, member_name=a.member.name,
                                        status="extra", status_zh=STATUS_ZH["extra"], signed_at=_fmt(a.signed_at, tz),
                                        method=a.method, terminal_id=a.terminal_id))
    c = count
    report.meetings.append(MeetingSummary(**base, branch_name=meeting.branch.name_zh, state=state,
                                          state_zh=STATE_ZH[state], expected=c.expected, present=c.present,
                                          late=c.late, absent=c.absent, extra=c.walk_ins,
                                          attendance_rate=_rate(c.present, c.expected) if c.counted else 0.0,
                                          late_rate=_rate(c.late, c.present)))


# ------------------------------------------------------------------------------------------ export

HEAD_ZH = {
    "meeting_id": "会议编号", "meeting_type": "会议类型", "meeting_title": "会议名称", "branch_code": "支部代码",
    "branch_name": "支部名称", "starts_at": "开始时间", "member_number": "党员编号", "member_name": "姓名",
    "status": "status", "status_zh": "状态", "signed_at": "签到时间", "method": "签到方式", "terminal_id": "终端",
    "expected": "应到", "present": "实到", "late": "迟到", "absent": "缺席", "extra": "列席", "meetings": "会议数",
    "attendance_rate": "出席率", "late_rate": "迟到率", "state": "state", "state_zh": "会议状态",
}

#: What a spreadsheet reads as the start of a formula (or DDE): such text is never written as-is.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_TIME_COLUMNS = ("starts_at", "signed_at")


def csv_safe(value):
    """``value`` for a CSV cell: text that would start a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _table(rows: list, cls: type) -> tuple[list[str], list[list]]:
    names = list(cls.__dataclass_fields__)
    return names, [[asdict(r)[n] for n in names] for r in rows]


def export_csv(report: Report, path: Path) -> list[Path]:
    """``path`` gets one row per member per meeting; ``<stem>_summary.csv`` one row per meeting."""
    path = Path(path)
    summary = path.with_name(f"{path.stem}_summary{path.suffix}")
    for target, rows, cls in ((path, report.details, DetailRow), (summary, report.meetings, MeetingSummary)):
        names, data = _table(rows, cls)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow([HEAD_ZH.get(n, n) for n in names])
            writer.writerows([[csv_safe(v) for v in row] for row in data])
    return [path, summary]


def export_xlsx(report: Report, path: Path) -> Path:
    """Sheets 会议汇总 (per meeting), 支部汇总 (per branch) and 签到明细 (per member)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, cls in (("会议汇总", report.meetings, MeetingSummary), ("支部汇总", report.branches, BranchSummary),
                             ("签到明细", report.details, DetailRow)):
        ws = wb.create_sheet(title)
        names, data = _table(rows, cls)
        ws.append([HEAD_ZH.get(n, n) for n in names])
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="C8161D")
        times = {i for i, n in enumerate(names) if n in _TIME_COLUMNS}
        for r, row in enumerate(data, start=2):
            for c, value in enumerate(row):
                cell = ws.cell(r, c + 1)
                if c in times and value:
                    cell.value = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")  # a real date-time, local
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                else:
                    cell.value = value
                    if isinstance(value, str):
                        cell.data_type = "s"  # text, never a formula, whatever it starts with
        for i, n in enumerate(names, start=1):
            if n.endswith("_rate"):
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = "0.0%"
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(30, len(HEAD_ZH.get(n, n)) * 2 + 4))
        ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path

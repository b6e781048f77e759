"""Attendance reports per meeting and per branch: present / late / absent and rates, as CSV and XLSX.

Why here and not in the kiosk: the administrator runs ``launcher.py report`` on the terminal or a
laptop; the same rows feed the dashboard. Times are shown in the terminal's time zone. CSV is written
with a UTF-8 BOM so Excel on a Chinese Windows opens the names correctly.

Counting: the roster is who was expected. ``present`` counts roster members who signed in (late ones
included), ``late`` those of them who were late, ``absent`` the rest of the roster. People who signed
in without being on the roster are listed as 列席 (``extra``) and not counted in the rates.
``attendance_rate = present / expected``; ``late_rate = late / present``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.models import Attendance, Branch, Meeting

STATUS_ZH = {"present": "出席", "late": "迟到", "absent": "缺席", "extra": "列席"}


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


def build_report(session: Session, tz: ZoneInfo, *, meeting_ids: list[int] | None = None,
                 branch_code: str | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> Report:
    """Meetings chosen by id, or by branch and/or start-time range (all meetings when none given)."""
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
        _add_meeting(session, meeting, tz, report)
    by_branch: dict[str, list[MeetingSummary]] = {}
    for m in report.meetings:
        by_branch.setdefault(m.branch_code, []).append(m)
    for code, items in by_branch.items():
        e, p, late = (sum(getattr(i, k) for i in items) for k in ("expected", "present", "late"))
        report.branches.append(BranchSummary(code, items[0].branch_name, len(items), e, p, late,
                                             sum(i.absent for i in items), _rate(p, e), _rate(late, p)))
    return report


def _add_meeting(session: Session, meeting: Meeting, tz: ZoneInfo, report: Report) -> None:
    records = {a.member_id: a for a in session.scalars(
        select(Attendance).options(selectinload(Attendance.member)).where(Attendance.meeting_id == meeting.id))}
    roster_ids = {m.id for m in meeting.roster}
    base = dict(meeting_id=meeting.id, meeting_type=meeting.type, meeting_title=meeting.title_zh,
                branch_code=meeting.branch.code, starts_at=_fmt(meeting.starts_at, tz))
    present = late = 0
    for member in meeting.roster:
        a = records.get(member.id)
        status = "absent" if a is None else ("late" if a.late else "present")
        present += a is not None
        late += bool(a is not None and a.late)
        report.details.append(DetailRow(**base, member_number=member.number, member_name=member.name, status=status,
                                        status_zh=STATUS_ZH[status], signed_at=_fmt(a.signed_at if a else None, tz),
                                        method=a.method if a else "", terminal_id=a.terminal_id if a else ""))
    extras = [a for mid, a in records.items() if mid not in roster_ids]
    for a in sorted(extras, key=lambda x: x.member.number):
        report.details.append(DetailRow(**base, member_number=a.member.number, member_name=a.member.name,
                                        status="extra", status_zh=STATUS_ZH["extra"], signed_at=_fmt(a.signed_at, tz),
                                        method=a.method, terminal_id=a.terminal_id))
    expected = len(roster_ids)
    report.meetings.append(MeetingSummary(**base, branch_name=meeting.branch.name_zh, expected=expected,
                                          present=present, late=late, absent=expected - present, extra=len(extras),
                                          attendance_rate=_rate(present, expected), late_rate=_rate(late, present)))


# ------------------------------------------------------------------------------------------ export

HEAD_ZH = {
    "meeting_id": "会议编号", "meeting_type": "会议类型", "meeting_title": "会议名称", "branch_code": "支部代码",
    "branch_name": "支部名称", "starts_at": "开始时间", "member_number": "党员编号", "member_name": "姓名",
    "status": "status", "status_zh": "状态", "signed_at": "签到时间", "method": "签到方式", "terminal_id": "终端",
    "expected": "应到", "present": "实到", "late": "迟到", "absent": "缺席", "extra": "列席", "meetings": "会议数",
    "attendance_rate": "出席率", "late_rate": "迟到率",
}


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
            writer.writerows(data)
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
        for row in data:
            ws.append(row)
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

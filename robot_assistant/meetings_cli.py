"""``launcher.py meetings`` (create, list, close) and ``launcher.py report`` (attendance to CSV or XLSX).

Why apart from ``face_cli``: meetings and attendance reports are about who came, whatever way they
signed in; they share only the terminal and the error lines (:mod:`robot_assistant.cli_support`).
The commands are wired through ``face_cli.COMMANDS`` as before.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from robot_assistant.cli_support import _actor, _bad, _err, _terminal

# ---------------------------------------------------------------------------------------- meetings


def _local(text: str, tz: Any, option: str = "--start") -> datetime:
    """A local date and time as the meetings options take it; ``ValueError`` names the option."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"{option}: cannot read {text!r} as a time: write YYYY-MM-DD HH:MM, e.g. 2030-06-01 09:00")


def _day(text: str, tz: Any, option: str) -> datetime:
    """A day for the report's --from/--to (local midnight); ``ValueError`` says the form it takes."""
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"{option}: cannot read {text!r} as a day: write YYYY-MM-DD, e.g. 2026-11-01")


def cmd_meetings(args: argparse.Namespace) -> int:
    """``meetings create|list|close``."""
    from sqlalchemy import select

    from core.meetings import MAX_MINUTES, MeetingError, close_meeting, create_meeting, upcoming
    from core.models import Meeting

    terminal = _terminal(args)
    tz = terminal.tz
    with terminal.db.session() as s:
        if args.action == "create":
            try:
                if not 1 <= args.minutes <= MAX_MINUTES:
                    raise MeetingError(f"--minutes {args.minutes}: a meeting lasts 1 to {MAX_MINUTES} minutes "
                                       f"({MAX_MINUTES // 60} hours); for a longer event create one meeting a day")
                start = _local(args.start, tz, "--start")
                end = _local(args.end, tz, "--end") if args.end else start + timedelta(minutes=args.minutes)
                roster = [r.strip() for r in args.roster.split(",") if r.strip()] if args.roster else None
                m = create_meeting(s, type=args.type, title_zh=args.title, title_en=args.title_en or "",
                                   branch_code=args.branch, starts_at=start, ends_at=end, place_zh=args.place or "",
                                   roster=roster, actor=_actor(args), now=terminal.now())
            except (MeetingError, ValueError) as exc:
                return _bad(str(exc))
            print(f"created meeting {m.id}: {m.type} {m.title_zh} {start:%Y-%m-%d %H:%M}–{end:%H:%M} "
                  f"({len(m.roster)} on the roster)")
            return 0
        if args.action == "close":
            meeting = s.get(Meeting, args.id) if args.id is not None else None
            if meeting is None:
                return _bad(f"no meeting {args.id}: `meetings list --all` shows every meeting's id")
            close_meeting(s, meeting, _actor(args))
            print(f"closed meeting {meeting.id}")
            return 0
        rows = (list(s.scalars(select(Meeting).order_by(Meeting.starts_at))) if args.all
                else upcoming(s, terminal.now(), limit=100))
        for m in rows:
            state = "closed" if m.closed else ""
            print(f"{m.id}\t{m.starts_at.astimezone(tz):%Y-%m-%d %H:%M}\t{m.type}\t{m.branch.code}\t{m.title_zh}\t{state}")
        if not rows:
            print("no meetings" if args.all else "no upcoming meetings (--all lists every meeting)")
    return 0


# ------------------------------------------------------------------------------------------ report


def cmd_report(args: argparse.Namespace) -> int:
    """Attendance per meeting and per branch, to CSV or XLSX."""
    from robot_assistant.face.reports import ReportError, build_report, export_csv, export_xlsx

    def refuse(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        return refuse(f"输出文件须为 .csv 或 .xlsx / --out must end in .csv or .xlsx (got {out.name!r})")
    if out is not None:
        folder = out.parent if str(out.parent) else Path(".")
        if not folder.is_dir():
            return refuse(f"--out: 文件夹 {folder} 不存在 / the folder {folder} does not exist: create it first or "
                          "name a file in an existing folder")
        if out.is_dir():
            return refuse(f"--out: {out} is a folder: name a .csv or .xlsx file")
    terminal = _terminal(args)
    tz = terminal.tz
    try:
        start = _day(args.date_from, tz, "--from") if args.date_from else None
        end = _day(args.date_to, tz, "--to") + timedelta(days=1) if args.date_to else None
    except ValueError as exc:
        return refuse(str(exc))
    try:
        with terminal.db.session() as s:
            report = build_report(s, tz, meeting_ids=args.meeting or None, branch_code=args.branch, start=start,
                                  end=end, now=terminal.now())
    except ReportError as exc:
        return refuse(str(exc))
    for m in report.meetings:
        print(f"{m.meeting_id}\t{m.starts_at}\t{m.branch_code}\t{m.meeting_type}\t{m.state_zh}\t应到 {m.expected}\t"
              f"实到 {m.present}\t迟到 {m.late}\t缺席 {m.absent}\t列席 {m.extra}\t出席率 {m.attendance_rate:.0%}")
    for b in report.branches:
        print(f"{b.branch_code}\t{b.branch_name}\t会议 {b.meetings}\t应到 {b.expected}\t实到 {b.present}\t"
              f"出席率 {b.attendance_rate:.1%}")
    if out is not None:
        try:
            written = [export_xlsx(report, out)] if out.suffix.lower() == ".xlsx" else export_csv(report, out)
        except OSError as exc:
            return _err(f"--out: cannot write {out} ({exc.strerror or exc})")
        for p in written:
            print(f"wrote {p}")
    return 0

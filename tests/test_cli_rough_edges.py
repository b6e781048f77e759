"""Rough edges a new user hits in the admin commands (#19), each run as the user runs it: launcher.py in a
subprocess, with the exit code and the one line of stderr checked (never a traceback).

Covered here: enrol from a CSV saved as GBK / GB18030 / UTF-8 with BOM (and a file in no encoding that can
be told apart), enrol's exit code when some members fail, ``meetings create`` refusing a 2020 start, an
absurd ``--minutes`` and an exact duplicate, ``report --from`` asking for a day, ``report --out`` into a
folder that does not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def launcher(*args: str, data: Path, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(data), **env}
    full.pop("DANGJIAN_FACE_KEY", None)
    return subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args], capture_output=True, text=True,
                          timeout=180, env=full, cwd=ROOT)


def one_line_error(done: subprocess.CompletedProcess, code: int, *says: str) -> str:
    """The run failed with ``code`` and said exactly one line on stderr containing each of ``says``."""
    err = done.stderr.strip()
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(err.splitlines()) == 1, err
    for s in says:
        assert s in err, err
    return err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def faces(testdata: Path) -> Path:
    return testdata / "faces"


# ------------------------------------------------------------------------------------------ meetings


def test_meetings_create_refuses_a_2020_start_absurd_minutes_and_an_exact_duplicate(data: Path):
    base = ("meetings", "create", "--type", "党课", "--title", "专题党课", "--branch", "B01")
    made = launcher(*base, "--start", "2030-06-01 09:00", "--minutes", "60", data=data)
    assert made.returncode == 0 and "created meeting" in made.stdout, made.stderr

    one_line_error(launcher(*base, "--start", "2030-06-01 09:00", "--minutes", "60", data=data), 2,
                   "already this meeting", "change the title or start")
    # the same start with another title is another meeting
    assert launcher(*base[:4], "--title", "第二次专题党课", "--branch", "B01", "--start", "2030-06-01 09:00",
                    data=data).returncode == 0
    one_line_error(launcher(*base, "--start", "2020-06-01 09:00", data=data), 2,
                   "2020-06-01 09:00 is more than 7 days ago", "give a start from")
    one_line_error(launcher(*base, "--start", "2030-07-01 09:00", "--minutes", "99999999", data=data), 2,
                   "--minutes 99999999", "1 to 720 minutes")
    one_line_error(launcher(*base, "--start", "2030-07-01 09:00", "--end", "2030-07-03 09:00", data=data), 2,
                   "at most 720 minutes", "48.0 hours")
    one_line_error(launcher(*base, "--start", "next monday", data=data), 2,
                   "--start: cannot read 'next monday'", "YYYY-MM-DD HH:MM")
    one_line_error(launcher(*base, "--start", "2030-07-01 09:00", "--end", "noon", data=data), 2, "--end: ")
    one_line_error(launcher("meetings", "create", "--title", "x", data=data), 2, "--type", "--branch", "--start")
    one_line_error(launcher(*base[:-1], "B99", "--start", "2030-07-01 09:00", data=data), 2,
                   "unknown branch 'B99'", "B01")
    one_line_error(launcher("meetings", "close", "99999", data=data), 2, "no meeting 99999")
    listing = launcher("meetings", "list", data=data)
    assert listing.returncode == 0 and listing.stdout.count("专题党课") == 2  # nothing was created by the refusals


# -------------------------------------------------------------------------------------------- report


def test_report_dates_ask_for_a_day_and_out_needs_an_existing_folder(data: Path, tmp_path: Path):
    one_line_error(launcher("report", "--from", "2026-11-01 09:00", data=data), 2,
                   "--from: cannot read '2026-11-01 09:00' as a day", "YYYY-MM-DD")
    one_line_error(launcher("report", "--to", "Nov 3", data=data), 2, "--to: ", "YYYY-MM-DD")
    assert "HH:MM" not in launcher("report", "--from", "x", data=data).stderr  # asks for what --from takes
    assert launcher("report", "--from", "2026/11/01", data=data).returncode == 0  # as Chinese users write it

    missing = tmp_path / "nonexistent" / "dir"
    one_line_error(launcher("report", "--out", str(missing / "r.csv"), data=data), 2,
                   f"the folder {missing} does not exist")
    assert not (tmp_path / "nonexistent").exists()
    one_line_error(launcher("report", "--out", str(tmp_path), data=data), 2, ".csv or .xlsx")
    folder_named_csv = tmp_path / "x.csv"
    folder_named_csv.mkdir()
    one_line_error(launcher("report", "--out", str(folder_named_csv), data=data), 2, "is a folder")
    done = launcher("report", "--out", str(tmp_path / "r.csv"), data=data)
    assert done.returncode == 0 and (tmp_path / "r_summary.csv").is_file(), done.stderr


# -------------------------------------------------------------------------------------------- enroll

CSV_ROWS = "编号,照片,姓名\nM0101,照片/张晓明/1.jpg,张晓明\nM0101,照片/张晓明/2.jpg,张晓明\nM9999,照片/李四/1.jpg,李四\n"


def enrol_folder(tmp_path: Path, faces: Path) -> Path:
    """Photos under Chinese folder names, so a wrongly decoded CSV names files that do not exist."""
    root = tmp_path / "enrol"
    for who, src in (("张晓明", "obama"), ("李四", "kit_harington")):
        (root / "照片" / who).mkdir(parents=True)
        for p in sorted((faces / src).glob("*.jpg"))[:2]:
            (root / "照片" / who / p.name).write_bytes(p.read_bytes())
    return root


def test_enrolment_csv_in_gbk_gb18030_and_utf8_bom_is_read_right(tmp_path: Path):
    """Excel on a Chinese Windows saves 'CSV' as GBK: it was a UnicodeDecodeError traceback (#19)."""
    from robot_assistant.face.enroll import EnrollError, collect_sources

    for encoding in ("gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(CSV_ROWS.replace("\n", "\r\n").encode(encoding))
        got = collect_sources(path)
        assert got == {"M0101": [tmp_path / "照片/张晓明/1.jpg", tmp_path / "照片/张晓明/2.jpg"],
                       "M9999": [tmp_path / "照片/李四/1.jpg"]}, encoding
    latin = tmp_path / "latin.csv"
    latin.write_bytes("member_number,photo\nM0101,José Martí.jpg\nM0102,Ærø.jpg\n".encode("cp1252"))
    with pytest.raises(EnrollError, match="cannot tell the text encoding"):
        collect_sources(latin)
    wrong = tmp_path / "cols.csv"
    wrong.write_text("name,file\nx,y\n", encoding="utf-8")
    with pytest.raises(EnrollError, match="member_number and photo .编号, 照片.; it has 'name', 'file'"):
        collect_sources(wrong)


def test_enroll_exits_nonzero_naming_each_member_that_failed(tmp_path: Path, data: Path, faces: Path):
    """Was: exit 0 when 7 of 8 members failed (#19). Here a GBK CSV (read right) names one member who
    enrols, one number that does not exist and one member whose only file is not a photo."""
    root = enrol_folder(tmp_path, faces)
    (root / "照片" / "王五").mkdir()
    (root / "照片" / "王五" / "1.jpg").write_bytes(b"not a jpeg")
    csv_path = root / "名单.csv"
    csv_path.write_bytes((CSV_ROWS + "M0102,照片/王五/1.jpg,王五\n").encode("gbk"))

    assert launcher("enroll", "--make-key", data=data).returncode == 0
    done = launcher("enroll", str(csv_path), "--consent", "v1", "--jitters", "1", data=data)
    assert "M0101: enrolled (2 templates)" in done.stdout, done.stdout + done.stderr
    assert "M9999: unknown_member — no such member number" in done.stdout
    assert "M0102: no_usable_photo — 1 photo(s): unreadable 1" in done.stdout
    assert "enrolled 1 of 3 members" in done.stdout
    err = one_line_error(done, 1, "2 of 3 members not enrolled", "unknown_member: M9999", "no_usable_photo: M0102")
    assert err.startswith("error: ")

    good = root / "ok.csv"
    good.write_bytes("member_number,photo\nM0101,照片/张晓明/1.jpg\n".encode("utf-8-sig"))
    ok = launcher("enroll", str(good), "--consent", "v1", "--jitters", "1", data=data)
    assert ok.returncode == 0 and "enrolled 1 of 1 members" in ok.stdout, ok.stdout + ok.stderr


def test_enroll_refuses_a_source_it_cannot_use_before_loading_the_engine(tmp_path: Path, data: Path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("member_number,photo\nM0101,José Martí.jpg\n".encode("cp1252"))
    one_line_error(launcher("enroll", str(latin), "--consent", "v1", data=data), 2,
                   f"{latin}: ", "CSV UTF-8")
    one_line_error(launcher("enroll", str(tmp_path / "nosuch.csv"), "--consent", "v1", data=data), 2,
                   "no such file or folder", "member_number,photo")
    empty = tmp_path / "empty.csv"
    empty.write_text("member_number,photo\n", encoding="utf-8")
    one_line_error(launcher("enroll", str(empty), "--consent", "v1", data=data), 2, "names no member")
    one_line_error(launcher("enroll", str(empty), data=data), 2,
                   "consent text version is required", "--consent VERSION")

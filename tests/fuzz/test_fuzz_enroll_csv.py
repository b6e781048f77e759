"""Fuzzing the enrolment CSV (#19): whatever bytes an administrator's spreadsheet saved — any of the
encodings Excel writes (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030), other code pages,
random bytes (truncated multi-byte characters, NULs, stray quotes, CR-only lines) — ``collect_sources``
returns member numbers and photo paths exactly as written, or raises ``EnrollError`` with one line that
starts with the file's path; it never raises anything else, and a Western code page is refused rather
than read as Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from robot_assistant.face.enroll import EnrollError, collect_sources
from tests.fuzz.helpers import MAX_MESSAGE, fuzz, outcome

NAMES = st.text(st.sampled_from("张王李赵刘陈杨黄周吴晓明建国丽华军红梅芳强伟敏静丹"), min_size=1, max_size=4)
NUMBERS = st.from_regex(r"M[0-9]{4}", fullmatch=True)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "gbk", "gb18030")


def read(tmp: Path, data: bytes) -> dict[str, list[Path]] | None:
    path = tmp / "名单.csv"
    path.write_bytes(data)
    try:
        got = collect_sources(path)
    except EnrollError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) <= MAX_MESSAGE and message.startswith(f"{path}: "), message
        outcome("refused")
        return None
    assert isinstance(got, dict)
    outcome("read")
    return got


@fuzz(120)
@given(rows=st.lists(st.tuples(NUMBERS, NAMES), min_size=1, max_size=6), encoding=st.sampled_from(ENCODINGS),
       newline=st.sampled_from(["\n", "\r\n"]), header=st.sampled_from(["member_number,photo", "编号,照片",
                                                                         "number,path,姓名"]))
def test_every_excel_encoding_reads_back_exactly(tmp_path_factory, rows, encoding, newline, header):
    tmp = tmp_path_factory.mktemp("csv")
    lines = [header] + [f"{number},照片/{name}/1.jpg" + (f",{name}" if header.count(",") == 2 else "")
                        for number, name in rows]
    got = read(tmp, (newline.join(lines) + newline).encode(encoding))
    expected: dict[str, list[Path]] = {}
    for number, name in rows:
        expected.setdefault(number, []).append(tmp / "照片" / name / "1.jpg")
    assert got == expected, (encoding, got, expected)


@fuzz(300)
@given(data=st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_in_one_line(tmp_path_factory, data):
    read(tmp_path_factory.mktemp("csv"), data)


def test_a_cp1252_file_is_refused_with_what_would_work(tmp_path: Path):
    with pytest.raises(EnrollError, match="CSV UTF-8"):
        collect_sources(_write(tmp_path, "member_number,photo\nM0101,Ærø/José.jpg\n".encode("cp1252")))


def _write(tmp: Path, data: bytes) -> Path:
    path = tmp / "x.csv"
    path.write_bytes(data)
    return path

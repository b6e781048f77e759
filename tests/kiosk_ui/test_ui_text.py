"""Line breaking: 禁则 (kinsoku) rules, Latin words kept whole, ellipsis truncation."""

from __future__ import annotations

import pytest

from kiosk.ui.drawing import measurer
from kiosk.ui.text import CLOSING, OPENING, ellipsize, is_cjk, layout_paragraph, text_height, wrap_text

NEWS = (
    "中国共产党（简称中共）成立于1921年，是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。"
    "《中国共产党章程》规定：“党员必须履行下列义务……”Members learn the Party Constitution, "
    "attend branch meetings, and pay dues on time！党员要按时交纳党费、参加组织生活；做到“四讲四有”。"
    "第一章——总纲、第二章——党员（共9条）。"
)


def mono(text: str) -> int:
    """Chinese / full-width = 20 px, everything else = 10 px."""
    return sum(20 if is_cjk(c) else 10 for c in text)


def assert_kinsoku(lines: list[str]) -> None:
    for i, line in enumerate(lines):
        assert line == line.strip(), f"line {i} has edge spaces: {line!r}"
        if i > 0 and line:
            assert line[0] not in CLOSING, f"line {i} starts with closing punctuation: {line!r}"
        if i < len(lines) - 1 and line:
            assert line[-1] not in OPENING, f"line {i} ends with opening punctuation: {line!r}"


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("width", list(range(60, 620, 10)))
def test_kinsoku_holds_at_every_width(width: int) -> None:
    lines = wrap_text(NEWS, width, mono)
    assert_kinsoku(lines)
    assert squash("".join(lines)) == squash(NEWS), "no character may be lost or duplicated"


def test_closing_punctuation_takes_the_previous_character_along() -> None:
    # Naive greedy would give "一二三" / "，四五" — a line starting with a comma.
    lines = wrap_text("一二三，四五", 60, mono)
    assert lines == ["一二", "三，四", "五"]


@pytest.mark.parametrize("punct", list("，。、；：？！）】》」』”’…—"))
def test_no_line_starts_with(punct: str) -> None:
    text = "一二三" + punct + "四五六七八九十"
    for width in range(40, 200, 20):
        lines = wrap_text(text, width, mono)
        assert all(not ln.startswith(punct) for ln in lines[1:]), (width, lines)


@pytest.mark.parametrize("punct", list("（【《「『“‘"))
def test_no_line_ends_with(punct: str) -> None:
    text = "一二" + punct + "三四五六七八九"
    for width in range(40, 200, 20):
        lines = wrap_text(text, width, mono)
        assert all(not ln.endswith(punct) for ln in lines[:-1]), (width, lines)


def test_double_punctuation_stays_together() -> None:
    lines = wrap_text("他说：“好。”然后走了", 100, mono)
    assert_kinsoku(lines)
    assert "".join(lines) == "他说：“好。”然后走了"


def test_latin_words_are_not_split() -> None:
    text = "Members attend branch meetings regularly"
    lines = wrap_text(text, 120, mono)
    assert lines == ["Members", "attend", "branch", "meetings", "regularly"]
    words = set(text.split())
    for line in lines:
        assert set(line.split()) <= words


def test_mixed_chinese_and_english_break_between_scripts() -> None:
    lines = wrap_text("学习Python编程语言", 100, mono)
    assert "Python" in "".join(lines)
    assert any("Python" in ln for ln in lines), "the English word must stay whole on one line"
    assert all(mono(ln) <= 100 for ln in lines)


def test_word_longer_than_a_line_is_split_to_fit() -> None:
    lines = wrap_text("supercalifragilisticexpialidocious", 80, mono)
    assert len(lines) > 1
    assert "".join(lines) == "supercalifragilisticexpialidocious"
    assert all(mono(ln) <= 80 for ln in lines)


def test_lines_fit_the_width() -> None:
    for width in (100, 200, 333):
        for line in wrap_text(NEWS, width, mono):
            assert mono(line) <= width, (width, line)


def test_newlines_force_breaks_and_keep_blank_lines() -> None:
    assert wrap_text("第一段\n\n第二段", 500, mono) == ["第一段", "", "第二段"]


def test_max_lines_truncates_with_ellipsis() -> None:
    lines = wrap_text(NEWS, 200, mono, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert all(mono(ln) <= 200 for ln in lines)
    assert wrap_text("短句", 200, mono, max_lines=3) == ["短句"], "no ellipsis when it fits"


def test_ellipsize() -> None:
    assert ellipsize("党建资讯", 200, mono) == "党建资讯"
    cut = ellipsize("党员要按时交纳党费，参加组织生活", 120, mono)
    assert cut.endswith("…") and mono(cut) <= 120
    assert "，…" not in ellipsize("一二三四，五六七八", 110, mono)


def test_english_is_cut_at_a_word_boundary() -> None:
    """Was: "The Party committee meets on Fri…day" cut mid-word (#19)."""
    text = "The Party committee reminds all members to attend the themed Party day"
    for width in range(60, 400, 7):
        cut = ellipsize(text, width, mono)
        assert cut.endswith("…") and mono(cut) <= width
        body = cut[:-1].rstrip()
        if len(body) > 8:  # a long enough prefix ends with a whole word
            assert text.startswith(body) and (len(body) == len(text) or text[len(body)] == " "), (width, cut)


def test_layout_paragraph_positions_lines() -> None:
    lines = layout_paragraph("一二三四五六七八", 80, mono, 30, align="center", origin=(10, 20))
    assert [ln.y for ln in lines] == [20, 50]
    assert all(ln.x == 10 + (80 - ln.width) // 2 for ln in lines)
    right = layout_paragraph("一二三", 100, mono, 30, align="right")
    assert right[0].x + right[0].width == 100
    assert text_height("一二三四五六七八", 80, mono, 30) == 60
    with pytest.raises(ValueError):
        layout_paragraph("x", 10, mono, 10, align="justify")


def test_real_font_wrapping(fonts) -> None:
    font = fonts.get(30)
    measure = measurer(font)
    lines = wrap_text(NEWS, 420, measure)
    assert_kinsoku(lines)
    assert all(measure(ln) <= 420 for ln in lines)
    assert measure("中文") == 60, "a 30 px CJK font advances 30 px per character"

"""Font fallback: characters the Chinese font lacks are drawn by an installed face that has them, measured
the way they are drawn, and list rows never run under their date column (issue #16, Feeds).

Real fonts and real rendering: WenQuanYi/Noto CJK first, then DejaVu and Debian fonts-noto-core (setup.sh).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame
import pytest

from kiosk.ui.drawing import draw_text, measurer, text_width
from kiosk.ui.fonts import Fonts
from kiosk.ui.text import wrap_text
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.scroll_list import ListItem, ScrollList

THAI = "ข่าวสารพรรค การประชุมใหญ่ครั้งที่ยี่สิบ"
ARABIC = "أخبار الحزب"
NOTO_THAI = Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf")
BG = (255, 255, 255)


def _ink(surface: pygame.Surface) -> pygame.Rect | None:
    """Bounding box of every pixel that is not the background."""
    mask = pygame.mask.from_threshold(surface, BG, (1, 1, 1, 255))
    mask.invert()
    rects = mask.get_bounding_rects()
    return rects[0].unionall(rects[1:]) if rects else None


def _glyph_image(font, text: str) -> bytes:
    surface = pygame.Surface((200, 120))
    surface.fill(BG)
    draw_text(surface, font, text, (10, 10), (0, 0, 0))
    return pygame.image.tobytes(surface, "RGB")


@pytest.fixture(scope="module")
def primary(fonts: Fonts):
    return fonts.get(40)


def test_thai_needs_and_gets_a_fallback_face(fonts: Fonts, primary) -> None:
    assert NOTO_THAI.is_file(), "fonts-noto-core is not installed (setup.sh installs it)"
    assert not fonts.chain.covers(primary, THAI), "the Chinese font has no Thai: the case under test"
    runs = fonts.chain.runs(primary, THAI)
    thai_faces = {Path(fonts.chain.candidates[i][0]).name for i in range(len(fonts.chain.candidates))
                  if any(r[0] is fonts.chain.sized(i, primary) for r in runs)}
    assert "NotoSansThai-Regular.ttf" in thai_faces or "NotoSerifThai-Regular.ttf" in thai_faces
    assert "".join(r[1] for r in runs) == THAI, "runs cover the text in order"


@pytest.mark.parametrize("a, b", [("ก", "ข"), ("أ", "ب"), ("ש", "ל"), ("क", "ख"), ("ℓ", "∮")])
def test_different_characters_draw_differently_not_as_the_same_box(primary, a: str, b: str) -> None:
    """A box looks the same for every character: two different letters of a script must not."""
    one, two = _glyph_image(primary, a), _glyph_image(primary, b)
    blank = _glyph_image(primary, " ")
    assert one != blank and two != blank
    assert one != two, f"{a!r} and {b!r} drew the same picture (a box)"


@pytest.mark.parametrize("text", [THAI, ARABIC, "符号 ★→℃ Ελληνικά Кириллица", "党建 " + THAI + " 2026"])
def test_ink_stays_inside_the_measured_width(primary, text: str) -> None:
    """What is drawn is what was measured: wrapping and the date column rely on it."""
    surface = pygame.Surface((text_width(primary, text) + 200, 120))
    surface.fill(BG)
    box = draw_text(surface, primary, text, (50, 10), (0, 0, 0))
    ink = _ink(surface)
    assert ink is not None
    assert ink.right <= box.right + 6 and ink.left >= box.left - 6, (ink, box)
    assert box.w > 0.6 * ink.w


def test_wrapping_uses_the_chain(primary) -> None:
    measure = measurer(primary)
    text = (THAI + " ") * 6
    lines = wrap_text(text, 600, measure)
    assert len(lines) > 2
    assert all(measure(line) <= 600 for line in lines)


def test_character_no_font_has_is_a_box_measured_as_drawn_and_logged_once(
        primary, caplog: pytest.LogCaptureFixture) -> None:
    nobody = "\U000F0001"  # supplementary private use: no installed face has it
    with caplog.at_level(logging.WARNING, logger="kiosk.ui.fonts"):
        width = text_width(primary, "党" + nobody)
        text_width(primary, nobody + "建")
        text_width(primary, nobody * 3)
    assert sum("U+F0001" in r.getMessage() for r in caplog.records) == 1
    assert width >= text_width(primary, "党") + primary.size * 0.5
    test_ink_stays_inside_the_measured_width(primary, "党" + nobody + "建")


def test_plain_chinese_still_takes_the_fast_path(fonts: Fonts, primary) -> None:
    assert fonts.chain.covers(primary, "中国共产党党员 Party members 2026，。")


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
@pytest.mark.parametrize("subtitle", [
    THAI * 4,
    "A very long English summary that keeps going well past the width of the list so that it must be cut " * 3,
    "符号 ★ ℃ " + ARABIC * 8,
])
def test_row_text_never_runs_under_the_date(fonts: Fonts, size, subtitle: str) -> None:
    """The gap left of the date column has no ink on any line of the row, in both orientations."""
    theme = Theme.for_screen(size, fonts)
    rect = pygame.Rect(0, 0, size[0] - 2 * theme.spacing.pad, theme.spacing.row * 2)
    date = "2026年12月7日"
    lst = ScrollList(rect, theme, [ListItem(THAI + " " + subtitle, subtitle, date)])
    surface = pygame.Surface(rect.size)
    lst.draw(surface)
    row = lst._row_surface(0, False)
    bg = row.get_at((1, 2))[:3]
    sf = theme.font("small")
    pad = theme.spacing.pad // 2 + theme.spacing.unit
    date_left = rect.w - pad - theme.spacing.unit - text_width(sf, date)
    gap = pygame.Rect(date_left - theme.spacing.gap + 2, 0, theme.spacing.gap - 4, theme.spacing.row - 2)
    inked = [(x, y) for x in range(gap.left, gap.right) for y in range(gap.top, gap.bottom)
             if row.get_at((x, y))[:3] != bg]
    assert not inked, f"text drawn in the gap before the date column at {inked[:3]}"


@pytest.mark.parametrize("text", ["中国共产党党员，。", "Party members 2026!", "党建 Party-building（试行）", "  a  "])
def test_cached_character_advances_add_up_to_freetypes_string_width(fonts: Fonts, text: str) -> None:
    """Widths are summed from per-character advances (fast wrapping); kerning is off, so they must equal
    FreeType's width of the whole string, for regular and synthesised bold."""
    for font in (fonts.get(31), fonts.get(31, bold=True)):
        assert text_width(font, text) == round(sum(m[4] for m in font.get_metrics(text)))


@pytest.mark.parametrize("width", range(150, 400, 10))
def test_a_run_longer_than_a_line_never_starts_a_line_with_a_combining_mark(primary, width: int) -> None:
    """Thai and Devanagari words are not separated by spaces here, so a long phrase is one cluster split by
    width; a spacing vowel sign (Devanagari ा, category Mc, with an advance) stays with its consonant."""
    import unicodedata

    text = "भारतीयकम्युनिस्टपार्टीकार्यालयसमाचार" * 3 + " " + "การประชุมคณะกรรมการพรรคประจำปี" * 3
    lines = wrap_text(text, width, measurer(primary))
    assert len(lines) > 3
    assert not [line for line in lines if line and unicodedata.category(line[0]).startswith("M")]

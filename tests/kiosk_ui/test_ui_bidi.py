"""Right-to-left text for pygame.freetype (no shaping, no reordering of its own): kiosk.ui.bidi shapes Arabic
into presentation forms and reverses embedded right-to-left runs, and the drawing helpers use it."""

from __future__ import annotations

import unicodedata

import pygame
import pytest

from kiosk.ui.bidi import has_rtl, shape, visual
from kiosk.ui.drawing import _measured, ascender, draw_text, text_width
from kiosk.ui.fonts import Fonts


def names(text: str) -> list[str]:
    return [unicodedata.name(c) for c in text]


def test_letters_take_their_contextual_forms() -> None:
    assert names(shape("بب")) == ["ARABIC LETTER BEH INITIAL FORM", "ARABIC LETTER BEH FINAL FORM"]
    assert names(shape("ببب"))[1] == "ARABIC LETTER BEH MEDIAL FORM"
    # alef joins only to the right: the beh after it starts afresh
    assert names(shape("باب")) == ["ARABIC LETTER BEH INITIAL FORM", "ARABIC LETTER ALEF FINAL FORM",
                                   "ARABIC LETTER BEH ISOLATED FORM"]
    assert names(shape("لا")) == ["ARABIC LIGATURE LAM WITH ALEF ISOLATED FORM"]
    assert names(shape("بَب"))[0] == "ARABIC LETTER BEH INITIAL FORM", "a haraka does not break the join"


def test_rtl_runs_are_reversed_inside_left_to_right_text() -> None:
    assert visual("Party 党建") == "Party 党建" and not has_rtl("Party 党建")
    v = visual("Title: שלום עולם 2026 ok")
    assert v == "Title: םלוע םולש 2026 ok"
    assert visual("أخبار 二十大 العربية").split(" ")[1] == "二十大", "Chinese between two RTL runs stays put"
    assert "2026" in visual("مؤتمر 2026 الحزب"), "numbers inside an RTL run keep their order"


@pytest.fixture(scope="module")
def font(fonts: Fonts):
    return fonts.get(40)


def test_arabic_is_drawn_shaped_and_reversed(font) -> None:
    """What the screen shows is the visual string, drawn by the fallback face, measured as drawn."""
    text = "أخبار الحزب"
    value = _measured(font, text)
    assert isinstance(value, tuple)
    drawn = "".join(run[1] for run in value[1])
    assert drawn == visual(text) and drawn[0] == "\ufe8f", "the last letter (beh, isolated) comes first"

    def picture(t: str) -> bytes:
        surface = pygame.Surface((700, 200))
        surface.fill((255, 255, 255))
        draw_text(surface, font, t, (40, 60), (0, 0, 0))
        return pygame.image.tobytes(surface, "RGB")

    assert len(value[1]) == 1
    face = value[1][0][0]
    direct = pygame.Surface((700, 200))
    direct.fill((255, 255, 255))
    face.render_to(direct, (40, 60 + ascender(font)), visual(text), (0, 0, 0))
    assert picture(text) == pygame.image.tobytes(direct, "RGB"), "the visual form is what is drawn"
    reordered_only = pygame.Surface((700, 200))
    reordered_only.fill((255, 255, 255))
    face.render_to(reordered_only, (40, 60 + ascender(font)), text[::-1], (0, 0, 0))
    assert picture(text) != pygame.image.tobytes(reordered_only, "RGB"), "letters are joined, not isolated"
    assert text_width(font, text) == value[0] > 0

"""Palette contrast (WCAG AA), the type scale, and the CJK font finder."""

from __future__ import annotations

from pathlib import Path

import pygame
import pygame.freetype
import pytest

from kiosk.ui import fonts as fonts_mod
from kiosk.ui.fonts import FontNotFound, Fonts, find_cjk_font, has_glyphs, missing_glyphs
from kiosk.ui.theme import AA_CONTRAST, Palette, Theme, contrast_ratio, hex_rgb, relative_luminance

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def test_contrast_ratio_reference_values() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast_ratio((119, 119, 119), (119, 119, 119)) == pytest.approx(1.0)
    # #777 on white is the classic just-failing grey (4.48:1).
    assert contrast_ratio(hex_rgb("#777"), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)


@pytest.mark.parametrize("name,fg,bg", Palette().text_pairs(), ids=[p[0] for p in Palette().text_pairs()])
def test_text_pairs_meet_wcag_aa(name: str, fg, bg) -> None:
    assert contrast_ratio(fg, bg) >= AA_CONTRAST, f"{name}: {contrast_ratio(fg, bg):.2f}:1"


def test_design_colours() -> None:
    p = Palette()
    assert p.red == hex_rgb("#C8161D")
    assert p.gold == hex_rgb("#F2C14E")
    assert p.bg == hex_rgb("#FAF6EF")
    assert p.ink == hex_rgb("#222222")
    assert contrast_ratio(p.gold, p.red) < AA_CONTRAST, "gold on red is for shapes only, never text"


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_type_scale_at_1080(size: tuple[int, int]) -> None:
    t = Theme.for_screen(size)
    assert t.type.body >= 28
    assert t.type.title >= 44
    assert t.type.number >= 64
    assert t.type.smallest() >= 24
    assert t.spacing.target >= 80 and t.spacing.gap >= 16


def test_type_scales_with_short_side_but_touch_sizes_have_floors() -> None:
    big = Theme.for_screen((3840, 2160))
    assert big.type.body == 2 * Theme.for_screen((1920, 1080)).type.body
    small = Theme.for_screen((1280, 720))
    assert small.type.body < 28
    assert small.spacing.target >= 80 and small.spacing.gap >= 16
    assert Theme.for_screen((800, 1280)).portrait
    with pytest.raises(ValueError):
        Theme.for_screen((0, 100))


def test_theme_without_fonts_says_so() -> None:
    with pytest.raises(RuntimeError, match="Fonts"):
        Theme.for_screen((100, 100)).font("body")


def test_find_cjk_font_returns_a_face_that_draws_chinese() -> None:
    path, index = find_cjk_font()
    font = pygame.freetype.Font(path, 24, font_index=index)
    assert has_glyphs(font, "智慧党建，三会一课")


def test_bad_candidates_fall_back_to_defaults(tmp_path: Path) -> None:
    path, _ = find_cjk_font([(str(tmp_path / "missing.ttf"), 0)])
    assert Path(path).is_file()


@pytest.mark.skipif(not Path(NOTO).is_file(), reason="fonts-noto-cjk not installed")
def test_noto_collection_face_2_is_simplified_chinese() -> None:
    assert find_cjk_font([(NOTO, 2)]) == (NOTO, 2)
    assert pygame.freetype.Font(NOTO, 20, font_index=2).name.endswith("SC")


def test_font_not_found_names_what_was_tried(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts_mod, "DEFAULT_CANDIDATES", ())
    monkeypatch.setattr(fonts_mod, "_packaged_candidates", lambda: [])
    latin_only = pygame.font.get_default_font()
    latin_path = str(Path(pygame.__file__).parent / latin_only)
    missing = str(tmp_path / "nope.ttc")
    with pytest.raises(FontNotFound) as info:
        find_cjk_font([(latin_path, 0), (missing, 0)])
    message = str(info.value)
    assert latin_path in message and "lacks" in message
    assert missing in message and "no such file" in message


def test_has_glyphs_detects_tofu(fonts: Fonts) -> None:
    latin = pygame.freetype.Font(None, 24)
    assert not has_glyphs(latin, "党建")
    assert missing_glyphs(latin, "A党B建") == "党建"
    assert has_glyphs(fonts.get(24), "党建 Party-building，。！")
    assert has_glyphs(latin, "   ")


def test_fonts_cache(fonts: Fonts) -> None:
    a = fonts.get(30)
    assert fonts.get(30) is a
    assert fonts.get(30, bold=True) is not a and fonts.get(30, bold=True).strong
    assert a.origin, "fonts are baseline-positioned"

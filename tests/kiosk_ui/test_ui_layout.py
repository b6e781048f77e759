"""Tile grids for landscape and portrait: targets ≥ 80 px, gaps ≥ 16 px, inside the area."""

from __future__ import annotations

import pygame
import pytest

from kiosk.ui.layout import (
    LayoutError,
    choose_grid,
    grid,
    inset,
    min_gap,
    split_columns,
    split_rows,
    take_top,
    tile_grid,
)
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.header import Header

SIZES = [(1920, 1080), (1080, 1920), (1280, 720), (800, 1280), (1366, 768), (768, 1024)]


def content_area(size: tuple[int, int]) -> tuple[pygame.Rect, Theme]:
    theme = Theme.for_screen(size)
    full = pygame.Rect(0, 0, *size)
    _, content = take_top(full, Header.preferred_height(theme, size[0]))
    return inset(content, theme.spacing.pad), theme


def test_eight_tiles_are_4x2_in_landscape_and_2x4_in_portrait() -> None:
    land, t = content_area((1920, 1080))
    assert choose_grid(land.size, 8, t.spacing.gap, t.spacing.target) == (4, 2)
    port, t = content_area((1080, 1920))
    assert choose_grid(port.size, 8, t.spacing.gap, t.spacing.target) == (2, 4)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12])
def test_tiles_fit_with_touch_sizes(size: tuple[int, int], count: int) -> None:
    area, t = content_area(size)
    rects = tile_grid(area, count, gap=t.spacing.gap, min_size=t.spacing.target)
    assert len(rects) == count
    for r in rects:
        assert area.contains(r), (r, area)
        assert r.w >= 80 and r.h >= 80
    if count > 1:
        assert min_gap(rects) >= 16
    aspects = [r.w / r.h for r in rects]
    assert max(aspects) < 4 and min(aspects) > 0.25, "tiles keep a sensible shape"


def test_grid_fills_area_exactly() -> None:
    area = pygame.Rect(7, 11, 1001, 503)
    cells = grid(area, 3, 2, 16)
    assert cells[0].topleft == area.topleft
    assert cells[-1].bottomright == area.bottomright
    assert cells[1].left - cells[0].right == 16


def test_splits_cover_the_area() -> None:
    area = pygame.Rect(0, 0, 1000, 600)
    cols = split_columns(area, [1, 2, 1], 20)
    assert sum(c.w for c in cols) + 40 == 1000
    assert cols[1].w == pytest.approx(2 * cols[0].w, abs=1)
    rows = split_rows(area, [1, 1], 10)
    assert rows[1].bottom == 600 and rows[1].top - rows[0].bottom == 10


def test_too_many_tiles_is_an_error() -> None:
    with pytest.raises(LayoutError):
        tile_grid(pygame.Rect(0, 0, 300, 300), 20, gap=16, min_size=80)
    with pytest.raises(LayoutError):
        tile_grid(pygame.Rect(0, 0, 300, 300), 0)


def test_min_gap_detects_overlap_and_touching() -> None:
    a, b = pygame.Rect(0, 0, 100, 100), pygame.Rect(100, 0, 100, 100)
    assert min_gap([a, b]) == 0
    assert min_gap([a, pygame.Rect(50, 50, 100, 100)]) == 0
    assert min_gap([a, pygame.Rect(120, 0, 10, 10)]) == 20

"""Rect helpers and a tile grid that works for landscape (1920×1080) and portrait (1080×1920) alike.

Portrait is a first-class layout, not a rotated landscape: :func:`tile_grid` picks the column count from
the shape of the area (8 tiles → 4×2 in landscape, 2×4 in portrait) so tiles keep a sensible aspect and
stay at least one touch target in size. All functions return ``pygame.Rect`` with integer edges that
exactly fill the area (rounding is spread, not dumped on the last cell).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pygame

RectLike = pygame.Rect | tuple[int, int, int, int]


class LayoutError(ValueError):
    """The requested cells cannot fit the area at the minimum touch size."""


def is_portrait(size: tuple[int, int]) -> bool:
    return size[1] > size[0]


def inset(rect: RectLike, dx: int, dy: int | None = None) -> pygame.Rect:
    """``rect`` shrunk by ``dx`` on the left and right and ``dy`` (default ``dx``) top and bottom."""
    r = pygame.Rect(rect)
    dy = dx if dy is None else dy
    return pygame.Rect(r.x + dx, r.y + dy, max(0, r.w - 2 * dx), max(0, r.h - 2 * dy))


def _spans(start: int, length: int, weights: Sequence[float], gap: int) -> list[tuple[int, int]]:
    n = len(weights)
    if n == 0:
        return []
    free = max(0, length - gap * (n - 1))
    total = float(sum(weights)) or 1.0
    spans: list[tuple[int, int]] = []
    acc = 0.0
    pos = start
    for i, w in enumerate(weights):
        acc += w
        end_free = round(free * acc / total)
        begin_free = round(free * (acc - w) / total)
        size = end_free - begin_free
        spans.append((pos, size))
        pos += size + (gap if i < n - 1 else 0)
    return spans


def split_columns(area: RectLike, weights: Sequence[float], gap: int = 0) -> list[pygame.Rect]:
    """Side-by-side rects whose widths follow ``weights`` (``[1, 2]`` → one third, two thirds)."""
    a = pygame.Rect(area)
    return [pygame.Rect(x, a.y, w, a.h) for x, w in _spans(a.x, a.w, weights, gap)]


def split_rows(area: RectLike, weights: Sequence[float], gap: int = 0) -> list[pygame.Rect]:
    """Stacked rects whose heights follow ``weights``."""
    a = pygame.Rect(area)
    return [pygame.Rect(a.x, y, a.w, h) for y, h in _spans(a.y, a.h, weights, gap)]


def take_top(area: RectLike, height: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """Cut a strip ``height`` tall off the top: returns (strip, rest)."""
    a = pygame.Rect(area)
    height = min(height, a.h)
    return pygame.Rect(a.x, a.y, a.w, height), pygame.Rect(a.x, a.y + height + gap, a.w, max(0, a.h - height - gap))


def take_bottom(area: RectLike, height: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """Cut a strip ``height`` tall off the bottom: returns (strip, rest)."""
    a = pygame.Rect(area)
    height = min(height, a.h)
    return pygame.Rect(a.x, a.bottom - height, a.w, height), pygame.Rect(a.x, a.y, a.w, max(0, a.h - height - gap))


def take_left(area: RectLike, width: int, gap: int = 0) -> tuple[pygame.Rect, pygame.Rect]:
    """Cut a strip ``width`` wide off the left: returns (strip, rest)."""
    a = pygame.Rect(area)
    width = min(width, a.w)
    return pygame.Rect(a.x, a.y, width, a.h), pygame.Rect(a.x + width + gap, a.y, max(0, a.w - width - gap), a.h)


def centered(size: tuple[int, int], area: RectLike) -> pygame.Rect:
    """A rect of ``size`` centred in ``area``."""
    r = pygame.Rect(0, 0, int(size[0]), int(size[1]))
    r.center = pygame.Rect(area).center
    return r


def grid(area: RectLike, cols: int, rows: int, gap: int = 0, count: int | None = None) -> list[pygame.Rect]:
    """``cols`` × ``rows`` equal cells in row-major order (only the first ``count`` if given)."""
    if cols < 1 or rows < 1:
        raise LayoutError(f"grid needs at least one column and row, got {cols}×{rows}")
    a = pygame.Rect(area)
    xs = _spans(a.x, a.w, [1] * cols, gap)
    ys = _spans(a.y, a.h, [1] * rows, gap)
    cells = [pygame.Rect(x, y, w, h) for (y, h) in ys for (x, w) in xs]
    return cells if count is None else cells[:count]


def choose_grid(
    size: tuple[int, int], count: int, gap: int = 16, min_size: int = 80, aspect: float = 1.3,
    max_cols: int | None = None,
) -> tuple[int, int]:
    """Columns and rows for ``count`` tiles in an area of ``size``: tiles closest to ``aspect``
    (width/height), no fully empty row, every tile at least ``min_size`` on both sides."""
    if count < 1:
        raise LayoutError("no tiles to lay out")
    w, h = size
    best: tuple[float, int, int] | None = None
    for cols in range(1, min(count, max_cols or count) + 1):
        rows = math.ceil(count / cols)
        empty = cols * rows - count
        if empty >= cols:
            continue
        tw = (w - gap * (cols - 1)) / cols
        th = (h - gap * (rows - 1)) / rows
        if tw < min_size or th < min_size:
            continue
        score = abs(math.log((tw / th) / aspect)) + 0.3 * empty
        if best is None or score < best[0]:
            best = (score, cols, rows)
    if best is None:
        raise LayoutError(f"{count} tiles of at least {min_size}px with {gap}px gaps do not fit in {w}×{h}")
    return best[1], best[2]


def tile_grid(
    area: RectLike, count: int, *, gap: int = 16, min_size: int = 80, aspect: float = 1.3,
    cols: int | None = None, max_cols: int | None = None,
) -> list[pygame.Rect]:
    """Rects for ``count`` tiles filling ``area``; the grid shape follows the area's orientation.

    Pass ``cols`` to force a column count. Raises :class:`LayoutError` when tiles would be smaller
    than ``min_size`` (a touch target) on either side.
    """
    a = pygame.Rect(area)
    if cols is None:
        cols, rows = choose_grid(a.size, count, gap, min_size, aspect, max_cols)
    else:
        rows = math.ceil(count / cols)
    cells = grid(a, cols, rows, gap, count)
    for c in cells:
        if c.w < min_size or c.h < min_size:
            raise LayoutError(f"tile {c.size} is below the {min_size}px touch target")
    return cells


def min_gap(rects: Sequence[pygame.Rect]) -> float:
    """Smallest distance between any two rects (0 when two overlap or touch): for layout checks."""
    best = math.inf
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            dx = max(b.left - a.right, a.left - b.right, 0)
            dy = max(b.top - a.bottom, a.top - b.bottom, 0)
            if a.colliderect(b):
                return 0.0
            best = min(best, math.hypot(dx, dy) if dx and dy else max(dx, dy))
    return best

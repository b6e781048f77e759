"""Small drawing primitives shared by the widgets: baseline-aligned text, cards, rings.

Text is positioned by its baseline (fonts from :class:`kiosk.ui.fonts.Fonts` have ``origin = True``),
so Chinese and Latin runs line up, and widths come from glyph advances rather than ink boxes, so a
trailing space or a full-width comma counts as the layout code expects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pygame
import pygame.freetype

from kiosk.ui.bidi import has_rtl, visual
from kiosk.ui.fonts import notdef_advance
from kiosk.ui.text import PositionedLine

Color = tuple[int, int, int] | tuple[int, int, int, int]

_MEASURE_CACHE_LIMIT = 4096
#: Per font: text -> width, or (width, runs) when some characters are drawn by a fallback face or the
#: line is drawn in another order or form than stored (right-to-left text).
_measure_caches: dict[int, tuple[pygame.freetype.Font, dict[str, Any]]] = {}


def _measured(font: pygame.freetype.Font, text: str) -> Any:
    """Width of ``text`` (an int) or, when the font's fallback chain draws part of it, (width, runs).

    Cached per font and string. The common case — every character in the primary face — costs one
    ``get_metrics`` call and a set test (:meth:`kiosk.ui.fonts.FallbackChain.covers`); only text with a
    missing glyph goes through :meth:`kiosk.ui.fonts.FallbackChain.runs`.
    """
    entry = _measure_caches.get(id(font))
    if entry is None or entry[0] is not font:
        entry = (font, {})
        _measure_caches[id(font)] = entry
    cache = entry[1]
    value = cache.get(text)
    if value is None:
        chain = getattr(font, "chain", None)
        shown = visual(text) if has_rtl(text) else text  # Arabic/Hebrew: shaped and reordered (kiosk.ui.bidi)
        if chain is None or chain.covers(font, shown):
            width = _advance_sum(font, shown)
            value = round(width) if shown is text else (round(width), [(font, shown, width)])
        else:
            runs = chain.runs(font, shown)
            value = (round(sum(r[2] for r in runs)), runs)
        if len(cache) > _MEASURE_CACHE_LIMIT:
            cache.clear()
        cache[text] = value
    return value


_advance_caches: dict[int, tuple[pygame.freetype.Font, dict[str, float]]] = {}


def _advance_sum(font: pygame.freetype.Font, text: str) -> float:
    """Sum of per-character advances, each asked of FreeType once per font.

    Kerning is off and there is no shaping, so a string's advance is the sum of its characters'. Why not
    ``get_metrics(text)`` per string: it costs about 4 µs a character (0.25 ms for a 60-character
    candidate line), and wrapping a 20,000-character article measures thousands of candidates — 200 ms
    of a 290 ms layout. A character the font lacks counts as the box it draws.
    """
    entry = _advance_caches.get(id(font))
    if entry is None or entry[0] is not font:
        entry = (font, {})
        _advance_caches[id(font)] = entry
    advances = entry[1]
    try:
        return sum(map(advances.__getitem__, text))
    except KeyError:
        new = "".join(dict.fromkeys(c for c in text if c not in advances))
        box = notdef_advance(font)
        for ch, m in zip(new, font.get_metrics(new), strict=True):
            advances[ch] = m[4] if m is not None else box
        return sum(map(advances.__getitem__, text))


def text_width(font: pygame.freetype.Font, text: str) -> int:
    """Advance width of ``text`` in pixels, with characters the font lacks measured in the fallback face
    that draws them (or as the box the font draws, when no face has them)."""
    if not text:
        return 0
    value = _measured(font, text)
    return value if isinstance(value, int) else value[0]


def measurer(font: pygame.freetype.Font) -> Callable[[str], int]:
    """A ``measure(text) -> int`` for :mod:`kiosk.ui.text` bound to ``font``."""
    return lambda text: text_width(font, text)


def ascender(font: pygame.freetype.Font) -> int:
    return int(font.get_sized_ascender())


def line_height(font: pygame.freetype.Font, spacing: float = 1.0) -> int:
    """Height of one line box (ascender to descender), times ``spacing`` (1.3 for paragraphs)."""
    asc = font.get_sized_ascender()
    desc = font.get_sized_descender()
    return int(math.ceil(max(font.get_sized_height(), asc - desc) * spacing))


def _em(font: pygame.freetype.Font) -> float:
    return float(font.size if isinstance(font.size, (int, float)) else font.size[0])


def render_baseline(
    surface: pygame.Surface,
    font: pygame.freetype.Font,
    origin: tuple[int, int],
    text: str,
    color: Color,
) -> None:
    """``font.render_to`` at a baseline ``origin``, but honouring the surface clip.

    ``pygame.freetype.Font.render_to`` ignores ``Surface.set_clip`` (measured with pygame 2.6.1), so a
    list row half scrolled out of view would be drawn over its neighbours. Text that crosses the clip
    edge is rendered to a small transparent surface and blitted (blits do honour the clip); text wholly
    outside is skipped; text wholly inside is rendered directly.
    """
    if not text:
        return
    em = int(_em(font))
    x, y = origin
    box = pygame.Rect(x - em // 2, y - ascender(font) - em // 4, text_width(font, text) + em,
                      line_height(font) + em // 2)
    area = surface.get_clip()
    if area.contains(box):
        _render_runs(surface, font, (x, y), text, color)
        return
    if not area.colliderect(box):
        return
    tmp = pygame.Surface(box.size, pygame.SRCALPHA)
    _render_runs(tmp, font, (x - box.x, y - box.y), text, color)
    surface.blit(tmp, box.topleft)


def _render_runs(surface: pygame.Surface, font: pygame.freetype.Font, origin: tuple[int, int], text: str,
                 color: Color) -> None:
    """Render ``text`` at a baseline, each fallback run with its own face, advancing by measured widths."""
    value = _measured(font, text)
    if isinstance(value, int):
        font.render_to(surface, origin, text, color)
        return
    x, y = origin
    pen = float(x)
    for run_font, piece, width in value[1]:
        if not piece.isspace():
            run_font.render_to(surface, (round(pen), y), piece, color)
        pen += width


def draw_text(
    surface: pygame.Surface,
    font: pygame.freetype.Font,
    text: str,
    pos: tuple[float, float],
    color: Color,
    anchor: str = "topleft",
) -> pygame.Rect:
    """Draw one line of ``text`` anchored at ``pos`` and return its box.

    ``anchor`` is a pygame Rect attribute name (``topleft``, ``center``, ``midright``, ...). "top*"
    anchors put the ascender line at ``pos``; "mid*"/``center`` centre the em box (so Chinese glyphs
    look vertically centred in buttons); "bottom*" put the descender line at ``pos``.
    """
    w = text_width(font, text)
    h = line_height(font)
    box = pygame.Rect(0, 0, w, h)
    try:
        setattr(box, anchor, (round(pos[0]), round(pos[1])))
    except AttributeError as exc:
        raise ValueError(f"unknown anchor {anchor!r}") from exc
    if anchor in ("center", "midleft", "midright"):
        baseline = round(pos[1] + _em(font) * 0.38)
    elif anchor.startswith("bottom"):
        baseline = box.bottom + int(font.get_sized_descender())
    else:
        baseline = box.top + ascender(font)
    render_baseline(surface, font, (box.x, baseline), text, color)
    box.top = baseline - ascender(font)
    return box


def draw_lines(
    surface: pygame.Surface,
    font: pygame.freetype.Font,
    lines: Iterable[PositionedLine],
    color: Color,
    offset: tuple[int, int] = (0, 0),
) -> None:
    """Draw lines from :func:`kiosk.ui.text.layout_paragraph` (their y is the line box top)."""
    asc = ascender(font)
    for line in lines:
        render_baseline(surface, font, (offset[0] + line.x, offset[1] + line.y + asc), line.text, color)


def card(
    surface: pygame.Surface,
    rect: pygame.Rect,
    color: Color,
    radius: int,
    *,
    shadow: Color | None = None,
    border: Color | None = None,
    border_width: int = 2,
) -> None:
    """A filled rounded rectangle, with an optional flat drop shadow and border."""
    if shadow is not None:
        off = max(2, radius // 4)
        pygame.draw.rect(surface, shadow, rect.move(0, off), border_radius=radius)
    pygame.draw.rect(surface, color, rect, border_radius=radius)
    if border is not None:
        pygame.draw.rect(surface, border, rect, border_width, border_radius=radius)


def ring(
    surface: pygame.Surface,
    center: tuple[float, float],
    outer: float,
    inner: float,
    color: Color,
    start: float = 0.0,
    fraction: float = 1.0,
) -> None:
    """A filled ring segment from ``start`` (fraction of a turn, 0 = 12 o'clock, clockwise) covering
    ``fraction`` of a turn. Drawn as a polygon: ``pygame.draw.arc`` with a width leaves gaps."""
    fraction = max(0.0, min(1.0, fraction))
    if fraction <= 0 or outer <= inner:
        return
    cx, cy = center
    steps = max(8, int(96 * fraction))
    outer_pts: list[tuple[float, float]] = []
    inner_pts: list[tuple[float, float]] = []
    for i in range(steps + 1):
        a = 2 * math.pi * (start + fraction * i / steps) - math.pi / 2
        ca, sa = math.cos(a), math.sin(a)
        outer_pts.append((cx + outer * ca, cy + outer * sa))
        inner_pts.append((cx + inner * ca, cy + inner * sa))
    pygame.draw.polygon(surface, color, outer_pts + inner_pts[::-1])
    pygame.draw.aalines(surface, color, False, outer_pts)


def blit_alpha_rect(surface: pygame.Surface, rect: pygame.Rect, rgba: tuple[int, int, int, int]) -> None:
    """Darken/tint ``rect`` with a translucent colour (dialog scrim)."""
    overlay = pygame.Surface(rect.size, pygame.SRCALPHA)
    overlay.fill(rgba)
    surface.blit(overlay, rect.topleft)


def ease_out(t: float) -> float:
    """Cubic ease-out for transitions (fast start, gentle stop)."""
    t = max(0.0, min(1.0, t))
    return 1 - (1 - t) ** 3


def clip(surface: pygame.Surface, rect: pygame.Rect | None) -> Any:
    """Context manager that sets and restores the surface clip: ``with clip(surface, rect): ...``."""
    return _Clip(surface, rect)


class _Clip:
    def __init__(self, surface: pygame.Surface, rect: pygame.Rect | None) -> None:
        self.surface = surface
        self.rect = rect
        self.old: pygame.Rect | None = None

    def __enter__(self) -> pygame.Surface:
        self.old = self.surface.get_clip()
        if self.rect is not None:
            self.surface.set_clip(self.old.clip(self.rect))
        return self.surface

    def __exit__(self, *exc: object) -> None:
        self.surface.set_clip(self.old)

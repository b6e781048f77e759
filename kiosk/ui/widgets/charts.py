"""Simple charts drawn with pygame.draw for the data dashboard: BarChart (with value labels) and Donut.

No plotting library: matplotlib would add tens of MB and seconds of import to a kiosk that only needs
a few bars and rings, and these redraw in well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygame

from kiosk.ui.drawing import draw_text, line_height, measurer, ring, text_width
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget


def _default_format(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


class BarChart(Widget):
    """Vertical bars for ``data`` = ``[(label, value), ...]`` with the value above each bar and the
    label under it. ``colors`` (one per bar) overrides ``color``; ``max_value`` fixes the scale."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        data: Sequence[tuple[str, float]] = (),
        *,
        max_value: float | None = None,
        value_format: Callable[[float], str] = _default_format,
        color: RGB | None = None,
        colors: Sequence[RGB] | None = None,
        background: RGB | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.data = list(data)
        self.max_value = max_value
        self.value_format = value_format
        self.color = color
        self.colors = list(colors) if colors else None
        self.background = background
        self.bar_rects: list[pygame.Rect] = []  # filled in by draw (tests, hit-testing)

    def set_data(self, data: Sequence[tuple[str, float]]) -> None:
        self.data = list(data)
        self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        r = self.rect
        if self.background is not None:
            surface.fill(self.background, r)
        self.bar_rects = []
        if not self.data:
            draw_text(surface, t.font("body"), "暂无数据", r.center, p.ink_muted, "center")
            return
        lf = t.font("caption")
        vf = t.font("small", True)
        n = len(self.data)
        slot = r.w / n
        # Labels that do not fit their slot wrap onto two lines ("第一支部" → "第一" / "支部").
        lines = 2 if any(text_width(lf, label) > slot - 4 for label, _ in self.data) else 1
        label_h = line_height(lf) * lines + t.spacing.unit
        value_h = line_height(vf) + t.spacing.unit // 2
        plot = pygame.Rect(r.x, r.y + value_h, r.w, r.h - value_h - label_h)
        top = self.max_value if self.max_value is not None else max(v for _, v in self.data)
        top = top if top > 0 else 1.0
        bar_w = max(4, int(slot * 0.6))
        base_y = plot.bottom
        for i, (label, value) in enumerate(self.data):
            cx = r.x + slot * (i + 0.5)
            h = max(0, round(plot.h * min(1.0, max(0.0, value / top))))
            bar = pygame.Rect(round(cx - bar_w / 2), base_y - h, bar_w, h)
            color = self.colors[i % len(self.colors)] if self.colors else (self.color or p.red)
            if h:
                radius = min(bar_w // 4, t.spacing.unit)
                pygame.draw.rect(surface, color, bar, border_top_left_radius=radius, border_top_right_radius=radius)
            self.bar_rects.append(bar)
            text = self.value_format(value)
            draw_text(surface, vf, text, (cx, bar.top - t.spacing.unit // 2), p.ink, "midbottom")
            for k, line in enumerate(wrap_text(label, int(slot) - 4, measurer(lf), max_lines=lines)):
                y = base_y + t.spacing.unit // 2 + k * line_height(lf)
                draw_text(surface, lf, ellipsize(line, int(slot) - 4, measurer(lf)), (cx, y), p.ink_muted, "midtop")
        pygame.draw.line(surface, p.ink_muted, (r.x, base_y), (r.right - 1, base_y), 2)


class Donut(Widget):
    """A ring showing ``fraction`` (0..1), the percentage in its centre, an optional ``label`` below."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        fraction: float = 0.0,
        *,
        label: str | None = None,
        center_text: str | None = None,
        color: RGB | None = None,
        background: RGB | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.fraction = max(0.0, min(1.0, fraction))
        self.label = label
        self.center_text = center_text
        self.color = color
        self.background = background

    def set_fraction(self, fraction: float) -> None:
        fraction = max(0.0, min(1.0, fraction))
        if fraction != self.fraction:
            self.fraction = fraction
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        r = self.rect
        bg = self.background or p.bg
        if self.background is not None:
            surface.fill(bg, r)
        lf = t.fit_font(self.label or "", r.w, "body", "caption")
        label_h = line_height(lf) + t.spacing.unit if self.label else 0
        outer = max(8, min(r.w, r.h - label_h) // 2)
        inner = outer * 0.72
        center = (r.centerx, r.y + outer)
        ring(surface, center, outer, inner, p.divider, 0.0, 1.0)
        ring(surface, center, outer, inner, self.color or p.red, 0.0, self.fraction)
        text = self.center_text if self.center_text is not None else f"{round(self.fraction * 100)}%"
        size = t.type.number
        if t.fonts is not None:
            font = t.fonts.get(size, True)
            while size > t.type.caption and text_width(font, text) > inner * 1.6:
                size -= 2
                font = t.fonts.get(size, True)
        else:
            font = t.font("number", True)
        draw_text(surface, font, text, center, p.ink, "center")
        if self.label:
            draw_text(surface, lf, ellipsize(self.label, r.w, measurer(lf)),
                      (r.centerx, r.y + 2 * outer + t.spacing.unit), p.ink, "midtop")

"""ProgressBar: a labelled bar for learning progress, quiz completion, download of content."""

from __future__ import annotations

import pygame

from kiosk.ui.drawing import draw_text, line_height, measurer
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget


class ProgressBar(Widget):
    """``value`` in 0..1. With a ``label`` the rect holds a text line (label left, percent right)
    above the bar."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        value: float = 0.0,
        *,
        label: str | None = None,
        show_percent: bool = True,
        color: RGB | None = None,
        background: RGB | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.value = max(0.0, min(1.0, value))
        self.label = label
        self.show_percent = show_percent
        self.color = color
        self.background = background

    def set_value(self, value: float) -> None:
        value = max(0.0, min(1.0, value))
        if value != self.value:
            self.value = value
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        r = self.rect
        if self.background is not None:
            surface.fill(self.background, r)
        bar_h = max(t.spacing.unit * 2, min(r.h, t.spacing.unit * 3))
        font = t.font("body")
        if self.label or self.show_percent:
            text_y = r.y + line_height(font) // 2
            pct = f"{round(self.value * 100)}%" if self.show_percent else ""
            if pct:
                draw_text(surface, t.font("body", True), pct, (r.right, text_y), p.ink, "midright")
            if self.label:
                room = r.w - (measurer(font)(pct) + t.spacing.gap if pct else 0)
                draw_text(surface, font, ellipsize(self.label, room, measurer(font)), (r.x, text_y), p.ink, "midleft")
        bar = pygame.Rect(r.x, r.bottom - bar_h, r.w, bar_h)
        pygame.draw.rect(surface, p.divider, bar, border_radius=bar_h // 2)
        if self.value > 0:
            fill = pygame.Rect(bar.x, bar.y, max(bar_h, round(bar.w * self.value)), bar_h)
            pygame.draw.rect(surface, self.color or p.red, fill, border_radius=bar_h // 2)

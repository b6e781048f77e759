"""Label (one line, ellipsised) and Paragraph (wrapped with 禁则 rules, optional line limit)."""

from __future__ import annotations

import pygame

from kiosk.ui.drawing import draw_lines, draw_text, line_height, measurer
from kiosk.ui.text import PositionedLine, ellipsize, layout_paragraph
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget


class Label(Widget):
    """One line of text in ``rect``; too long text ends with "…". ``align``: left, center, right."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        text: str,
        *,
        role: str = "body",
        color: RGB | None = None,
        bold: bool = False,
        align: str = "left",
        background: RGB | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.text = text
        self.role = role
        self.color = color
        self.bold = bold
        self.align = align
        self.background = background

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        if self.background is not None:
            surface.fill(self.background, self.rect)
        font = self.theme.font(self.role, self.bold)
        text = ellipsize(self.text, self.rect.w, measurer(font))
        anchor = {"left": "midleft", "center": "center", "right": "midright"}[self.align]
        pos = getattr(self.rect, anchor)
        draw_text(surface, font, text, pos, self.color or self.theme.palette.ink, anchor)


class Paragraph(Widget):
    """Wrapped text filling ``rect`` from the top. Lines that do not fit end in "…" (``max_lines``
    defaults to as many as the height allows)."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        text: str,
        *,
        role: str = "body",
        color: RGB | None = None,
        align: str = "left",
        spacing: float = 1.35,
        max_lines: int | None = None,
        background: RGB | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.text = text
        self.role = role
        self.color = color
        self.align = align
        self.spacing = spacing
        self.max_lines = max_lines
        self.background = background

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.dirty = True

    def lines(self) -> list[PositionedLine]:
        """The laid-out lines (positions relative to ``rect.topleft``)."""
        font = self.theme.font(self.role)
        lh = line_height(font, self.spacing)
        fit = max(1, self.rect.h // lh)
        limit = min(fit, self.max_lines) if self.max_lines else fit
        return layout_paragraph(self.text, self.rect.w, measurer(font), lh, align=self.align, max_lines=limit)

    def draw(self, surface: pygame.Surface) -> None:
        if self.background is not None:
            surface.fill(self.background, self.rect)
        font = self.theme.font(self.role)
        lh = line_height(font, self.spacing)
        pad = (lh - line_height(font)) // 2
        draw_lines(surface, font, self.lines(), self.color or self.theme.palette.ink,
                   (self.rect.x, self.rect.y + pad))

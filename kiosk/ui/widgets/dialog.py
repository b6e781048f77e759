"""Dialog: a modal card with a title, a wrapped message and one or two buttons.

Shown by the navigator over a dimmed screen; while open it takes every gesture, so nothing behind it
can be tapped by accident. A button's callback runs, then the dialog closes (return ``False`` from the
callback to keep it open, e.g. to show a validation message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygame

from kiosk.ui.drawing import blit_alpha_rect, card, draw_lines, draw_text, line_height, measurer
from kiosk.ui.gestures import Down, Gesture
from kiosk.ui.layout import split_columns
from kiosk.ui.text import ellipsize, layout_paragraph
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.container import Container

DialogCallback = Callable[[], object]


class Dialog(Container):
    """``buttons``: one or two ``(label, callback)``; the last is the primary (red) one."""

    def __init__(
        self,
        theme: Theme,
        title: str,
        message: str = "",
        buttons: Sequence[tuple[str, DialogCallback | None]] = (("确定", None),),
        *,
        bounds: pygame.Rect | tuple[int, int, int, int] | None = None,
        width: int | None = None,
        modal: bool = True,
        on_close: Callable[[], object] | None = None,
    ) -> None:
        if not 1 <= len(buttons) <= 2:
            raise ValueError("a dialog has one or two buttons")
        self.title = title
        self.message = message
        self.button_specs = list(buttons)
        self.modal = modal
        self.on_close = on_close
        self.closed = False
        self.requested_width = width
        self.bounds = pygame.Rect(bounds or (0, 0, *theme.size))
        super().__init__(self.bounds, theme)
        self.panel = pygame.Rect(0, 0, 0, 0)
        self.layout(self.bounds)

    def layout(self, bounds: pygame.Rect | tuple[int, int, int, int]) -> None:
        """Centre the panel in ``bounds`` and size it to its message."""
        t = self.theme
        self.bounds = pygame.Rect(bounds)
        self.rect = pygame.Rect(self.bounds)
        pad = t.spacing.pad
        width = self.requested_width or min(self.bounds.w - 2 * pad, max(round(760 * t.scale), 2 * t.spacing.target
                                                                        + 3 * pad))
        width = min(width, self.bounds.w)
        inner_w = width - 2 * pad
        tf, bf = t.font("title", True), t.font("body")
        lh = line_height(bf, 1.35)
        chrome = pad + line_height(tf) + t.spacing.gap + t.spacing.gap * 2 + t.spacing.target + pad
        fit = max(1, (self.bounds.h - chrome) // lh)  # a message too long for the space ends in "…"
        self._lines = layout_paragraph(self.message, inner_w, measurer(bf), lh, max_lines=min(8, fit))
        body_h = len(self._lines) * lh if self.message else 0
        height = chrome + body_h
        self.panel = pygame.Rect(0, 0, width, min(height, self.bounds.h))
        self.panel.center = self.bounds.center
        row = pygame.Rect(self.panel.x + pad, self.panel.bottom - pad - t.spacing.target, inner_w, t.spacing.target)
        self.children.clear()
        cells = split_columns(row, [1] * len(self.button_specs), t.spacing.gap)
        for i, ((label, callback), cell) in enumerate(zip(self.button_specs, cells, strict=True)):
            primary = i == len(self.button_specs) - 1
            self.add(Button(cell, t, label, self._make_handler(callback), kind="primary" if primary else "secondary"))
        self._own_dirty = True

    def _make_handler(self, callback: DialogCallback | None) -> Callable[[], None]:
        def run() -> None:
            keep_open = callback() is False if callback is not None else False
            if not keep_open:
                self.close()

        return run

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.on_close is not None:
                self.on_close()

    def handle(self, gesture: Gesture) -> bool:
        used = super().handle(gesture)
        if isinstance(gesture, Down) and not used:
            return self.modal or self.panel.collidepoint(gesture.pos)
        return used or self.modal

    def draw(self, surface: pygame.Surface) -> None:
        """Scrim over ``bounds`` (when modal), then the panel."""
        if self.modal:
            blit_alpha_rect(surface, self.bounds, self.theme.palette.scrim)
        self.draw_panel(surface)
        self.dirty = False

    def draw_panel(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        shadow = mix(p.bg, (0, 0, 0), 0.3)
        card(surface, self.panel, p.surface, t.spacing.radius, shadow=shadow)
        pygame.draw.rect(surface, p.red, (self.panel.x, self.panel.y, self.panel.w, max(6, t.spacing.unit)),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        pad = t.spacing.pad
        tf, bf = t.font("title", True), t.font("body")
        x, y = self.panel.x + pad, self.panel.y + pad
        draw_text(surface, tf, ellipsize(self.title, self.panel.w - 2 * pad, measurer(tf)), (x, y), p.ink)
        y += line_height(tf) + t.spacing.gap
        draw_lines(surface, bf, self._lines, p.ink_muted, (x, y + (line_height(bf, 1.35) - line_height(bf)) // 2))
        for child in self.children:
            child.render(surface)

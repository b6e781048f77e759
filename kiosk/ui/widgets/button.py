"""Button and the Pressable base it shares with tiles and keypad keys.

The pressed look appears on ``Down`` (the next frame drawn), not on release, and is held for at least
``MIN_PRESS_S`` so a quick tap is still seen. Dragging off the widget cancels the press, as on a phone.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.ui.drawing import card, draw_text, measurer
from kiosk.ui.gestures import Cancel, Down, Drag, Gesture, LongPress, Tap, Up
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets.base import Widget

MIN_PRESS_S = 0.12

Callback = Callable[[], object]


class Pressable(Widget):
    """A widget with pressed/disabled states that calls ``on_tap`` (and optionally ``on_long_press``)."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        on_tap: Callback | None = None,
        *,
        enabled: bool = True,
        on_long_press: Callback | None = None,
    ) -> None:
        super().__init__(rect, theme)
        self.on_tap = on_tap
        self.on_long_press = on_long_press
        self._enabled = enabled
        self._held = False  # finger is on it
        self._flash = 0.0  # seconds the pressed look stays after release

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if value != self._enabled:
            self._enabled = value
            self._held = False
            self.dirty = True

    @property
    def pressed(self) -> bool:
        """True while the pressed look is shown."""
        return self._held or self._flash > 0

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            if not (self._enabled and self.contains(gesture.pos)):
                return False
            self._held = True
            self._flash = MIN_PRESS_S
            self.dirty = True
            return True
        if isinstance(gesture, Drag):
            if self._held and not self.rect.inflate(24, 24).collidepoint(gesture.pos):
                self._held = False
                self._flash = 0.0
                self.dirty = True
            return self._held
        if isinstance(gesture, (Up, Cancel)):
            was = self._held
            self._held = False
            if isinstance(gesture, Cancel) or getattr(gesture, "moved", False):
                self._flash = 0.0
            self.dirty = True
            return was
        if isinstance(gesture, Tap):
            if self._enabled and self.contains(gesture.pos):
                self.dirty = True
                if self.on_tap is not None:
                    self.on_tap()
                return True
            return False
        if (isinstance(gesture, LongPress) and self._enabled and self.on_long_press is not None
                and self.contains(gesture.pos)):
            self.on_long_press()
            return True
        return False

    def update(self, dt: float) -> None:
        if self._flash > 0 and not self._held:
            self._flash = max(0.0, self._flash - dt)
            if self._flash == 0.0:
                self.dirty = True
        elif self._held:
            self._flash = MIN_PRESS_S


class Button(Pressable):
    """A labelled button. ``kind``: ``"primary"`` (red), ``"secondary"`` (white, red outline),
    ``"quiet"`` (warm white, ink text) or ``"header"`` (for the red header bar)."""

    KINDS = ("primary", "secondary", "quiet", "header")

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        text: str,
        on_tap: Callback | None = None,
        *,
        kind: str = "primary",
        enabled: bool = True,
        role: str = "button",
        on_long_press: Callback | None = None,
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, not {kind!r}")
        super().__init__(rect, theme, on_tap, enabled=enabled, on_long_press=on_long_press)
        self.text = text
        self.kind = kind
        self.role = role

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.dirty = True

    def colors(self) -> tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int] | None]:
        """(fill, text, border) for the current state."""
        p = self.theme.palette
        if not self.enabled:
            return p.disabled, p.on_disabled, None
        pressed = self.pressed
        if self.kind == "primary":
            return (p.red_pressed if pressed else p.red), p.on_red, None
        if self.kind == "secondary":
            return (p.surface_pressed if pressed else p.surface), p.red, p.red
        if self.kind == "header":
            return (p.red_pressed if pressed else mix(p.red, p.red_pressed, 0.35)), p.on_red, p.on_red
        return (p.surface_pressed if pressed else p.bg), p.ink, p.divider

    def draw(self, surface: pygame.Surface) -> None:
        fill, fg, border = self.colors()
        r = self.rect
        radius = min(self.theme.spacing.radius, r.h // 2)
        # Pressed: drawn lower with no shadow, so it reads as pushed in even without colour.
        # Shadow and offset stay inside self.rect so a partial redraw leaves no trace.
        off = 0 if self.kind == "header" else max(2, radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        shadow = None if self.pressed or off == 0 else mix(self.theme.palette.bg, (0, 0, 0), 0.18)
        card(surface, body, fill, radius, shadow=shadow, border=border, border_width=2)
        font = self.theme.font(self.role)
        label = ellipsize(self.text, body.w - 2 * self.theme.spacing.unit, measurer(font))
        draw_text(surface, font, label, body.center, fg, "center")

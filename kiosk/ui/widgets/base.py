"""The Widget base class: a rect, a dirty flag, and three hooks (handle, update, draw).

Widgets mark themselves ``dirty`` when their look changes; a Screen redraws only dirty widgets, so an
idle kiosk draws nothing. ``handle`` returns True when the widget used the gesture; the widget that
takes a ``Down`` receives the rest of that stroke (Drag, Up, Tap, ...) even outside its rect.
"""

from __future__ import annotations

import pygame

from kiosk.ui.gestures import Gesture
from kiosk.ui.theme import Theme


class Widget:
    """Base for everything drawn on a screen. Subclasses override :meth:`draw` and usually :meth:`handle`."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme) -> None:
        self.rect = pygame.Rect(rect)
        self.theme = theme
        self.visible = True
        self.dirty = True

    def contains(self, pos: tuple[float, float]) -> bool:
        return self.visible and self.rect.collidepoint(pos)

    def invalidate(self) -> None:
        """Ask for this widget to be redrawn on the next frame."""
        self.dirty = True

    def handle(self, gesture: Gesture) -> bool:
        """React to a gesture; return True if it was used (stops it reaching widgets below)."""
        return False

    def update(self, dt: float) -> None:
        """Advance animations by ``dt`` seconds; set ``dirty`` if the look changed."""

    def draw(self, surface: pygame.Surface) -> None:
        """Draw into ``surface`` within ``self.rect``. Called only when something changed."""

    def render(self, surface: pygame.Surface) -> None:
        """Draw if visible and clear the dirty flag (what screens call)."""
        if self.visible:
            self.draw(surface)
        self.dirty = False

    def set_rect(self, rect: pygame.Rect | tuple[int, int, int, int]) -> None:
        self.rect = pygame.Rect(rect)
        self.dirty = True

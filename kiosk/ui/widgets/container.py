"""A widget made of child widgets (keypad, dialog, header): routes gestures, tracks dirty children."""

from __future__ import annotations

import pygame

from kiosk.ui.gestures import Down, Gesture, Wheel
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.base import Widget


class Container(Widget):
    """Children are drawn in order and hit-tested topmost first. It is dirty when any child is."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme) -> None:
        self.children: list[Widget] = []
        self._captured: Widget | None = None
        self._own_dirty = True
        super().__init__(rect, theme)

    @property  # type: ignore[override]
    def dirty(self) -> bool:
        return self._own_dirty or any(c.dirty for c in self.children if c.visible)

    @dirty.setter
    def dirty(self, value: bool) -> None:
        self._own_dirty = value
        if not value:
            for c in getattr(self, "children", ()):
                c.dirty = False

    def add(self, child: Widget) -> Widget:
        self.children.append(child)
        self._own_dirty = True
        return child

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            self._captured = None
            for child in reversed(self.children):
                if child.contains(gesture.pos) and child.handle(gesture):
                    self._captured = child
                    return True
            return False
        if isinstance(gesture, Wheel):
            return any(c.handle(gesture) for c in reversed(self.children) if c.contains(gesture.pos))
        if self._captured is not None:
            return self._captured.handle(gesture)
        return False

    def update(self, dt: float) -> None:
        for child in self.children:
            child.update(dt)

    def draw_self(self, surface: pygame.Surface) -> None:
        """Draw the container's own background/decoration (under the children)."""

    def draw(self, surface: pygame.Surface) -> None:
        self.draw_self(surface)
        for child in self.children:
            child.render(surface)

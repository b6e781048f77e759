"""The screen base class: the hooks a screen overrides and its incremental drawing.

A screen redraws only its dirty widgets (and regions it invalidated); an idle frame draws nothing and
returns no rects, so the loop can sleep. It knows nothing of the stack it is on: the
:class:`~kiosk.ui.navigator.Navigator` calls its hooks (``enter``, ``exit``, ``handle``, ``update``,
``draw``) and catches what they raise. Kept apart from the navigator so a screen module imports only this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

import pygame

from kiosk.ui.drawing import clip
from kiosk.ui.gestures import Down, Gesture, Wheel
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget

if TYPE_CHECKING:
    from kiosk.ui.navigator import Navigator

W = TypeVar("W", bound=Widget)


def merge_rects(rects: Sequence[pygame.Rect]) -> list[pygame.Rect]:
    """Union overlapping rects so each pixel is drawn and pushed to the display once."""
    out: list[pygame.Rect] = []
    for r in rects:
        r = pygame.Rect(r)
        if r.w <= 0 or r.h <= 0:
            continue
        merged = True
        while merged:
            merged = False
            for i, o in enumerate(out):
                if o.colliderect(r):
                    r = r.union(out.pop(i))
                    merged = True
                    break
        out.append(r)
    return out


class Screen:
    """Base class of every kiosk screen. Override :meth:`build` to create widgets for ``self.rect``.

    Lifecycle: the navigator calls ``attach`` (sets ``nav`` and ``theme``), ``layout(rect)`` (which
    calls ``build``) when the screen is first shown or the size changed, then ``enter()`` each time it
    becomes the top screen and ``exit()`` each time it stops being the top screen.
    """

    #: Shown in the header next to the organisation name.
    title: str | None = None
    #: True: no header; the screen gets the whole display (attract loop). It must offer its own way out.
    fullscreen: bool = False
    #: Page colour; None uses the theme's warm white.
    background: RGB | None = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self.nav: Navigator | None = None
        self.theme: Theme | None = None
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.widgets: list[Widget] = []
        self._full = True
        self._regions: list[pygame.Rect] = []
        self._captured: Widget | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def attach(self, nav: Navigator) -> None:
        self.nav = nav
        self.theme = nav.theme

    def layout(self, rect: pygame.Rect) -> None:
        """Set the content rect and rebuild the widgets."""
        self.rect = pygame.Rect(rect)
        self.widgets = []
        self._captured = None
        self.build()
        self.invalidate()

    def build(self) -> None:
        """Create widgets with :meth:`add` for ``self.rect`` using ``self.theme``."""

    def add(self, widget: W) -> W:
        self.widgets.append(widget)
        return widget

    def enter(self) -> None:
        """Became the top screen (after push, or after the screen above it was popped)."""

    def exit(self) -> None:
        """Stopped being the top screen."""

    def on_back(self) -> bool:
        """Back was pressed: return True to handle it inside the screen instead of popping it."""
        return False

    # -- input / time ---------------------------------------------------------------------------
    def handle(self, gesture: Gesture) -> bool:
        """Route a gesture to widgets: the one taking a Down gets the rest of that stroke."""
        if isinstance(gesture, Down):
            self._captured = None
            for w in reversed(self.widgets):
                if w.contains(gesture.pos) and w.handle(gesture):
                    self._captured = w
                    return True
            return False
        if self._captured is not None and not isinstance(gesture, Wheel):
            return self._captured.handle(gesture)
        pos = getattr(gesture, "pos", None)
        if pos is None:
            return False
        return any(w.contains(pos) and w.handle(gesture) for w in reversed(self.widgets))

    def update(self, dt: float) -> None:
        for w in self.widgets:
            w.update(dt)

    # -- drawing --------------------------------------------------------------------------------
    @property
    def needs_redraw(self) -> bool:
        return self._full or bool(self._regions) or any(w.dirty for w in self.widgets)

    def invalidate(self, rect: pygame.Rect | tuple[int, int, int, int] | None = None) -> None:
        """Redraw everything on the next frame, or only ``rect``."""
        if rect is None:
            self._full = True
        else:
            self._regions.append(pygame.Rect(rect))

    def draw_background(self, surface: pygame.Surface) -> None:
        """Paint the page behind the widgets (respects the surface clip)."""
        theme = self.theme
        color = self.background or (theme.palette.bg if theme else (250, 246, 239))
        surface.fill(color, self.rect)

    def redraw_region(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Repaint background and every widget touching ``rect``, clipped to it."""
        area = pygame.Rect(rect).clip(self.rect)
        if area.w <= 0 or area.h <= 0:
            return
        with clip(surface, area):
            self.draw_background(surface)
            for w in self.widgets:
                if w.rect.colliderect(area):
                    w.render(surface)

    def draw(self, surface: pygame.Surface) -> list[pygame.Rect]:
        """Draw what changed; return the rects drawn (empty on an idle frame)."""
        if self._full:
            self._full = False
            self._regions.clear()
            with clip(surface, self.rect):
                self.draw_background(surface)
                for w in self.widgets:
                    w.render(surface)
            return [pygame.Rect(self.rect)]
        dirty = [*self._regions, *(w.rect for w in self.widgets if w.dirty)]
        self._regions.clear()
        rects = merge_rects(dirty)
        for r in rects:
            self.redraw_region(surface, r)
        return rects


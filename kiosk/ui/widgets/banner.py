"""Banner: a "新消息" strip that slides down under the header when news arrives, then hides itself.

The navigator owns one and redraws only the strip (and what it uncovers) while it moves. Tapping it
calls ``on_tap`` (e.g. open the news item) and hides it at once.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.ui.drawing import card, draw_text, ease_out, measurer, text_width
from kiosk.ui.gestures import Down, Gesture, Tap
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.base import Widget


class Banner(Widget):
    """``rect`` is where the banner rests when fully shown; it slides in from ``rect.h`` above."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        *,
        duration: float = 5.0,
        slide_s: float = 0.22,
        tag: str = "新消息",
    ) -> None:
        super().__init__(rect, theme)
        self.duration = duration
        self.slide_s = slide_s
        self.tag = tag
        self.text = ""
        self.on_tap: Callable[[], object] | None = None
        self.state = "hidden"  # hidden | in | shown | out
        self._t = 0.0
        self.visible = False
        self.last_drawn: pygame.Rect | None = None

    def show(self, text: str, on_tap: Callable[[], object] | None = None, *, tag: str | None = None,
             duration: float | None = None) -> None:
        """Show ``text``; a banner already showing is replaced and its timer restarts."""
        self.text = text
        self.on_tap = on_tap
        if tag is not None:
            self.tag = tag
        if duration is not None:
            self.duration = duration
        if self.state in ("shown", "in"):
            self.state, self._t = "shown", 0.0
        else:
            self.state, self._t = "in", 0.0
        self.visible = True
        self.dirty = True

    def hide(self, animate: bool = True) -> None:
        if self.state == "hidden":
            return
        if animate and self.state != "out":
            progress = self._progress()
            self.state = "out"
            self._t = (1.0 - progress) * self.slide_s
        elif not animate:
            self.state = "hidden"
            self.visible = False
        self.dirty = True

    def _progress(self) -> float:
        """How far down the banner is: 0 = fully hidden, 1 = fully shown."""
        if self.state == "in":
            return ease_out(self._t / self.slide_s) if self.slide_s > 0 else 1.0
        if self.state == "out":
            return 1.0 - ease_out(self._t / self.slide_s) if self.slide_s > 0 else 0.0
        return 1.0 if self.state == "shown" else 0.0

    @property
    def animating(self) -> bool:
        return self.state in ("in", "out")

    def current_rect(self) -> pygame.Rect:
        """Where the banner is drawn this frame (moves from above ``rect`` down into it)."""
        shift = round((1.0 - self._progress()) * (self.rect.h + 8))
        return self.rect.move(0, -shift)

    def update(self, dt: float) -> None:
        if self.state == "hidden":
            return
        before = self.state
        self._t += dt
        if self.state == "in" and self._t >= self.slide_s:
            self.state, self._t = "shown", 0.0
        elif self.state == "shown" and self._t >= self.duration:
            self.state, self._t = "out", 0.0
        elif self.state == "out" and self._t >= self.slide_s:
            self.state, self._t = "hidden", 0.0
            self.visible = False
        if self.state in ("in", "out") or self.state != before:
            self.dirty = True

    def contains(self, pos: tuple[float, float]) -> bool:
        return self.state in ("in", "shown") and self.current_rect().collidepoint(pos)

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            return self.contains(gesture.pos)
        if isinstance(gesture, Tap) and self.contains(gesture.pos):
            callback = self.on_tap
            self.hide()
            if callback is not None:
                callback()
            return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        r = self.current_rect()
        self.last_drawn = r
        card(surface, r, p.surface, t.spacing.radius, border=p.gold, border_width=3)
        tf = t.font("body", True)
        tag_w = text_width(tf, self.tag) + t.spacing.pad
        tag = pygame.Rect(r.x + t.spacing.unit, r.y + t.spacing.unit, tag_w, r.h - 2 * t.spacing.unit)
        pygame.draw.rect(surface, p.gold, tag, border_radius=t.spacing.radius - 4)
        draw_text(surface, tf, self.tag, tag.center, p.ink, "center")
        bf = t.font("body")
        x = tag.right + t.spacing.gap
        arrow = "查看 ›" if self.on_tap is not None else ""
        aw = text_width(bf, arrow) + t.spacing.gap if arrow else 0
        draw_text(surface, bf, ellipsize(self.text, r.right - x - aw - t.spacing.gap, measurer(bf)),
                  (x, r.centery), p.ink, "midleft")
        if arrow:
            draw_text(surface, bf, arrow, (r.right - t.spacing.gap, r.centery), p.red, "midright")

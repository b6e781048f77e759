"""The failsafe page and what it records: shown by the navigator when any screen hook raises.

"抱歉，出了点问题" with a countdown and a button home; it returns home by itself after a few seconds, so
an unattended lobby screen never stays on an error (or ends up on a desktop).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pygame

from kiosk.ui.drawing import draw_text, line_height
from kiosk.ui.layout import centered
from kiosk.ui.screen_base import Screen
from kiosk.ui.widgets.button import Button


class ErrorScreen(Screen):
    """The failsafe page: an apology, a countdown, and a button home. Returns home by itself."""

    title = "提示"

    def __init__(self, return_after_s: float = 8.0, detail: str = "") -> None:
        super().__init__("ErrorScreen")
        self.remaining = float(return_after_s)
        self.detail = detail
        self._shown_seconds = -1

    def build(self) -> None:
        assert self.theme is not None
        t = self.theme
        w = min(self.rect.w - 2 * t.spacing.pad, round(560 * t.scale) + 2 * t.spacing.target)
        r = centered((w, t.spacing.target), self.rect)
        r.y = self.rect.centery + t.spacing.target
        self.add(Button(r, t, "返回首页 Home", self._go_home))

    def _go_home(self) -> None:
        if self.nav is not None:
            self.nav.home()

    def update(self, dt: float) -> None:
        super().update(dt)
        self.remaining -= dt
        seconds = max(0, int(self.remaining + 0.999))
        if seconds != self._shown_seconds:
            self._shown_seconds = seconds
            self.invalidate()
        if self.remaining <= 0 and self.nav is not None:
            self.remaining = float("inf")
            self.nav.home()

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        assert self.theme is not None
        t = self.theme
        p = t.palette
        cx, cy = self.rect.centerx, self.rect.centery
        big, small = t.font("heading", True), t.font("body")
        y = cy - t.spacing.target - line_height(big) * 2
        pygame.draw.circle(surface, p.red, (cx, y - t.spacing.gap), round(t.type.heading * 0.8))
        draw_text(surface, big, "!", (cx, y - t.spacing.gap), p.on_red, "center")
        y += t.spacing.target // 2 + t.spacing.gap
        draw_text(surface, big, "抱歉，出了点问题", (cx, y), p.ink, "midtop")
        y += line_height(big)
        draw_text(surface, small, "Something went wrong", (cx, y), p.ink_muted, "midtop")
        y += line_height(small) + t.spacing.unit
        seconds = max(0, self._shown_seconds)
        draw_text(surface, small, f"{seconds} 秒后自动返回首页 / Returning home in {seconds} s", (cx, y),
                  p.ink_muted, "midtop")


@dataclass
class ErrorRecord:
    """What the failsafe caught (kept in ``Navigator.errors`` and logged)."""

    screen: str
    hook: str
    event: str
    error: str
    traceback: str
    at: float = field(default_factory=time.time)


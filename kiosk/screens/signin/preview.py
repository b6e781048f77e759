"""The live camera preview of the sign-in screen: the latest frame mirrored, the face box, its name and a band.

Frames come from ``ctx.actions["camera_frame"]`` (a callable the app provides; the screen never opens the
camera itself), polled at most ``PREVIEW_FPS`` times a second.
"""

from __future__ import annotations

import logging
from typing import Any

import pygame

from kiosk.context import KioskContext
from kiosk.screens.signin.widgets import Run, TextStack, pill
from kiosk.ui.drawing import card, draw_text, line_height, measurer
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets import Widget

log = logging.getLogger(__name__)

PREVIEW_FPS = 12.0


def frame_to_surface(frame: Any) -> pygame.Surface | None:
    """An RGB (or RGBA) ``uint8`` array of shape (h, w, 3|4) as a pygame surface; None for anything else."""
    shape = getattr(frame, "shape", None)
    if shape is None or len(shape) != 3 or shape[2] < 3 or shape[0] < 2 or shape[1] < 2:
        return None
    data = frame[:, :, :3]
    if str(data.dtype) != "uint8":
        data = data.clip(0, 255).astype("uint8")
    return pygame.image.frombytes(data.tobytes(), (int(shape[1]), int(shape[0])), "RGB")


class CameraPreview(Widget):
    """The latest camera frame (mirrored, like a mirror), the face box and name, and a prompt band.

    Frames come from ``ctx.actions["camera_frame"]`` at most ``PREVIEW_FPS`` times a second; without that
    action (or while it returns None) a placeholder says to use the member number instead.
    """

    def __init__(self, rect, theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.frame: pygame.Surface | None = None  # scaled to fit ``rect``
        self.frame_rect = pygame.Rect(0, 0, 0, 0)
        self.frame_size = (0, 0)  # camera pixels
        self.box: tuple[int, int, int, int] | None = None  # top, right, bottom, left (camera pixels)
        self.label = ""
        self.band = ""
        self._wait = 0.0
        self._failing = False

    @property
    def has_source(self) -> bool:
        return "camera_frame" in self.ctx.actions

    def set_face(self, box: tuple[int, int, int, int] | None, label: str) -> None:
        if (box, label) != (self.box, self.label):
            self.box, self.label = box, label
            self.dirty = True

    def set_band(self, text: str) -> None:
        if text != self.band:
            self.band = text
            self.dirty = True

    def poll(self) -> None:
        """Fetch and scale the latest frame now."""
        grab = self.ctx.actions.get("camera_frame")
        frame = None
        if grab is not None:
            try:
                frame = grab()
                self._failing = False
            except Exception:
                if not self._failing:
                    log.exception("camera_frame failed; showing the placeholder")
                self._failing = True
        surf = frame_to_surface(frame) if frame is not None else None
        if surf is None:
            if self.frame is not None:
                self.frame = None
                self.dirty = True
            return
        surf = pygame.transform.flip(surf, True, False)
        w, h = surf.get_size()
        scale = min(self.rect.w / w, self.rect.h / h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        self.frame = pygame.transform.smoothscale(surf, size)
        self.frame_rect = pygame.Rect((0, 0), size)
        self.frame_rect.center = self.rect.center
        self.frame_size = (w, h)
        self.dirty = True

    def update(self, dt: float) -> None:
        self._wait -= dt
        if self._wait <= 0:
            self._wait = 1.0 / PREVIEW_FPS
            if self.has_source or self.frame is not None:
                self.poll()

    def placeholder_texts(self) -> list[Run]:
        ctx, p = self.ctx, self.theme.palette
        if self.has_source and ctx.status.get("camera") == "ok":
            head, sub = ctx.t("摄像头暂无画面", "No camera picture yet"), ctx.t("请稍候，或使用工号签到",
                                                                         "Please wait, or sign in with your number")
        else:
            head, sub = ctx.t("摄像头不可用", "Camera not available"), ctx.t("请使用工号签到",
                                                                     "Please sign in with your member number")
        return [Run(head, "title", True, p.ink), Run(sub, "body", color=p.ink_muted, gap=self.theme.spacing.unit)]

    def band_font(self):
        sp = self.theme.spacing
        return self.theme.fit_font(self.band, self.rect.w - 2 * sp.pad, "title", "body", bold=True)

    def band_rect(self) -> pygame.Rect:
        h = line_height(self.band_font()) + 2 * self.theme.spacing.gap
        return pygame.Rect(self.rect.x, self.rect.bottom - h, self.rect.w, h)

    def box_rect(self) -> pygame.Rect | None:
        """The face box on screen (mirrored like the frame), or None."""
        if self.box is None or self.frame is None or not self.frame_size[0]:
            return None
        top, right, bottom, left = self.box
        w = self.frame_size[0]
        s = self.frame_rect.w / w
        x0, x1 = (w - right) * s, (w - left) * s
        return pygame.Rect(round(self.frame_rect.x + x0), round(self.frame_rect.y + top * s), round(x1 - x0),
                           round((bottom - top) * s)).clip(self.frame_rect)

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        if self.frame is None:
            card(surface, self.rect, mix(p.bg, p.divider, 0.5), sp.radius, border=p.divider)
            self._draw_camera_icon(surface)
            runs = self.placeholder_texts()
            area = pygame.Rect(self.rect.x + sp.pad, self.rect.centery + sp.unit, self.rect.w - 2 * sp.pad,
                               self.rect.h // 2 - sp.pad)
            TextStack(area, t, runs, align="center").draw(surface)
        else:
            pygame.draw.rect(surface, p.ink, self.rect, border_radius=sp.radius)
            surface.blit(self.frame, self.frame_rect)
            box = self.box_rect()
            if box is not None and box.w > 4 and box.h > 4:
                pygame.draw.rect(surface, p.gold, box, max(4, sp.unit // 2), border_radius=sp.unit)
                if self.label:
                    font = t.font("body", True)
                    floor = self.frame_rect.bottom if not self.band else min(self.frame_rect.bottom, self.band_rect().y)
                    below = box.bottom + sp.unit + line_height(font) + sp.unit <= floor
                    pos = (box.centerx, box.bottom + sp.unit) if below else (box.centerx, box.top - sp.unit)
                    pill(surface, font, ellipsize(self.label, self.rect.w - 2 * sp.pad, measurer(font)), pos,
                         p.red, p.on_red, sp.unit * 2, "midtop" if below else "midbottom")
        if self.band:
            font = self.band_font()
            band = self.band_rect()
            pygame.draw.rect(surface, p.red, band, border_bottom_left_radius=sp.radius,
                             border_bottom_right_radius=sp.radius)
            draw_text(surface, font, ellipsize(self.band, band.w - 2 * sp.pad, measurer(font)), band.center,
                      p.on_red, "center")

    def _draw_camera_icon(self, surface: pygame.Surface) -> None:
        p, sp = self.theme.palette, self.theme.spacing
        size = min(self.rect.w // 3, self.rect.h // 4, round(180 * self.theme.scale))
        body = pygame.Rect(0, 0, size, round(size * 0.66))
        body.midbottom = (self.rect.centerx, self.rect.centery - sp.gap)
        bump = pygame.Rect(0, 0, size // 3, size // 8)
        bump.midbottom = (body.centerx, body.top + 2)
        pygame.draw.rect(surface, p.ink_muted, bump, border_radius=4)
        pygame.draw.rect(surface, p.ink_muted, body, border_radius=max(6, size // 10))
        pygame.draw.circle(surface, mix(p.bg, p.divider, 0.5), body.center, body.h // 3)
        pygame.draw.circle(surface, p.ink_muted, body.center, body.h // 5)


"""The attract loop shown when nobody has touched the kiosk for a while: news headlines with their
pictures and highlights of the VR hall, one slide every few seconds. A touch anywhere wakes the kiosk.

It redraws only when the slide changes (about once every 7 s), so an idle lobby screen costs almost no
CPU, and it has no transitions (none while idle-rendering, as the design asks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygame

from core import content
from kiosk.context import KioskContext
from kiosk.document import load_picture
from kiosk.ui.drawing import draw_text, line_height, measurer
from kiosk.ui.gestures import Gesture, Up
from kiosk.ui.screens import Screen
from kiosk.ui.text import wrap_text

SLIDE_S = 7.0


@dataclass(frozen=True)
class Slide:
    kicker: str
    title: str
    text: str
    image: str | None


_HIGHLIGHTS: dict[tuple[str, int, int, int], list[Slide]] = {}


def hall_highlights(scene: Path, limit: int = 6) -> list[Slide]:
    """Exhibits of the first tour (or the first exhibits), from the hall's scene file; none if unreadable.

    Kept while the file is unchanged (by modification time and size): the attract loop is built at every
    idle timeout, and parsing the scene took about 0.1 s each time."""
    try:
        info = scene.stat()
    except OSError:
        return []
    key = (str(scene), info.st_mtime_ns, info.st_size, limit)
    if key not in _HIGHLIGHTS:
        _HIGHLIGHTS.clear()
        _HIGHLIGHTS[key] = _read_highlights(scene, limit)
    return list(_HIGHLIGHTS[key])


def _read_highlights(scene: Path, limit: int) -> list[Slide]:
    from vr_hall.scene import SceneError, load_scene  # schema only: site facts filled, published exhibits

    try:
        hall = load_scene(scene, check_media=False)
    except (SceneError, OSError):  # the hall tile reports a broken scene; the attract loop just skips it
        return []
    exhibits = {e.id: e for e in hall.exhibits}
    ids = [i for i in (hall.tours[-1].stops if hall.tours else []) if i in exhibits] or list(exhibits)
    slides = []
    for exhibit_id in ids[:limit]:
        e = exhibits[exhibit_id]
        image = e.media.image if e.media else None
        slides.append(Slide("VR展厅 · 展品", e.title_zh, e.description_zh,
                            str(scene.parent / image) if image else None))
    return slides


class AttractScreen(Screen):
    fullscreen = True

    def __init__(self, ctx: KioskContext, on_wake: Callable[[], object]) -> None:
        super().__init__("attract")
        self.ctx, self.on_wake = ctx, on_wake
        self.slides: list[Slide] = []
        self.index = 0
        self.elapsed = 0.0
        self._picture: pygame.Surface | None = None
        self._waking = False

    def build(self) -> None:
        ctx = self.ctx
        with ctx.session() as s:
            news = content.visible(s, "news", ctx.now(), limit=6)
            slides = [Slide("党建资讯 · " + ctx.date_text(n.published_at), n.title_zh, n.summary, n.image_path)
                      for n in news]
        hall = hall_highlights(ctx.terminal.config.hall.scene)
        mixed = []
        for i in range(max(len(slides), len(hall))):  # alternate news and hall
            mixed += slides[i:i + 1] + hall[i:i + 1]
        self.slides = mixed or [Slide("", ctx.terminal.config.site.terminal_id, "", None)]
        self._load_picture()

    def _load_picture(self) -> None:
        slide = self.slides[self.index % len(self.slides)]
        self._picture = load_picture(slide.image, int(self.rect.w * 0.9), int(self.rect.h * 0.5))

    def handle(self, gesture: Gesture) -> bool:
        # Wake on the next frame after the finger lifts, so no part of this stroke lands on a home tile.
        if isinstance(gesture, Up):
            self._waking = True
        return True

    def update(self, dt: float) -> None:
        if self._waking:
            self._waking = False
            self.on_wake()
            return
        self.elapsed += dt
        if self.elapsed >= SLIDE_S:
            self.elapsed = 0.0
            self.index = (self.index + 1) % len(self.slides)
            self._load_picture()
            self.invalidate()

    def draw_background(self, surface: pygame.Surface) -> None:
        th, p = self.theme, self.theme.palette
        surface.fill(p.red, self.rect)
        slide = self.slides[self.index % len(self.slides)]
        pad = th.spacing.pad * 2
        y = self.rect.y + pad
        draw_text(surface, th.font("title", bold=True), "智慧党建 · Smart Party Building", (self.rect.x + pad, y),
                  p.gold)
        y += line_height(th.font("title")) + th.spacing.gap
        if self._picture is not None:
            box = self._picture.get_rect(midtop=(self.rect.centerx, y))
            surface.blit(self._picture, box)
            y = box.bottom + th.spacing.gap
        draw_text(surface, th.font("small"), slide.kicker, (self.rect.x + pad, y), p.gold)
        y += line_height(th.font("small")) + th.spacing.unit
        title_font = th.font("heading", bold=True)
        for line in wrap_text(slide.title, self.rect.w - 2 * pad, measurer(title_font), max_lines=2):
            draw_text(surface, title_font, line, (self.rect.x + pad, y), p.on_red)
            y += line_height(title_font, 1.2)
        body = th.font("body")
        for line in wrap_text(" ".join(slide.text.split()), self.rect.w - 2 * pad, measurer(body), max_lines=3):
            draw_text(surface, body, line, (self.rect.x + pad, y), p.on_red)
            y += line_height(body, 1.3)
        hint = "轻触屏幕开始使用  ·  Touch the screen to start"
        draw_text(surface, th.font("title", bold=True), hint, (self.rect.centerx, self.rect.bottom - pad),
                  p.gold, anchor="midbottom")

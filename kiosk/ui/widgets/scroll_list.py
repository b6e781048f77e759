"""ScrollList: a vertical list that follows the finger, keeps moving after a fling, and stops at its ends.

Physics: a fling sets a velocity that decays exponentially (``friction`` per second) until it drops
under ``MIN_SPEED``; the offset is clamped to the content, and hitting an end stops the motion. A touch
during motion only stops it (the stopping tap does not select a row, as users expect from phones).
Only the rows in view are drawn, so a list of thousands of notices costs the same as ten.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from kiosk.ui.drawing import clip, draw_text, line_height, measurer, text_width
from kiosk.ui.gestures import Cancel, Down, Drag, Fling, Gesture, Tap, Up, Wheel
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget

MIN_SPEED = 12.0  # px/s under which motion stops
STOP_SPEED = 80.0  # a touch while moving faster than this only stops the list
CACHE_MIN_ROWS = 24  # rendered rows kept at least (see ScrollList._cache_limit)


@dataclass(frozen=True)
class ListItem:
    """One row: a title, an optional second line, an optional short right-hand text (date, status)."""

    title: str
    subtitle: str | None = None
    trailing: str | None = None
    trailing_color: RGB | None = None


RowRenderer = Callable[[pygame.Surface, pygame.Rect, int, object, bool], None]


class ScrollList(Widget):
    """Rows of ``items`` (``ListItem`` or ``str``); ``on_select(index)`` is called on a row tap.

    ``render_row(surface, rect, index, item, pressed)`` replaces the default row look.
    """

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        items: Sequence[object] = (),
        *,
        row_height: int | None = None,
        on_select: Callable[[int], object] | None = None,
        render_row: RowRenderer | None = None,
        friction: float = 3.0,
        empty_text: str = "暂无内容 / Nothing here yet",
    ) -> None:
        super().__init__(rect, theme)
        self.items: list[object] = list(items)
        self.row_height = row_height or theme.spacing.row
        self.on_select = on_select
        self.render_row = render_row
        self.friction = friction
        self.empty_text = empty_text
        self.offset = 0.0
        self.velocity = 0.0
        self.pressed_index: int | None = None
        self.rows_drawn = 0  # rows drawn in the last draw (for tests and profiling)
        self.rows_rendered = 0  # rows whose text was rendered (not blitted from the cache) in the last draw
        self._row_cache: dict[tuple[int, bool], pygame.Surface] = {}
        self._cache_width = -1
        self._stopped_motion = False
        self._tracking = False

    # -- geometry ---------------------------------------------------------------------------------
    @property
    def content_height(self) -> int:
        return len(self.items) * self.row_height

    @property
    def max_offset(self) -> float:
        return float(max(0, self.content_height - self.rect.h))

    @property
    def moving(self) -> bool:
        return self.velocity != 0.0

    def _clamp(self) -> bool:
        """Clamp the offset; True if it had to be clamped (an end was hit)."""
        clamped = min(max(self.offset, 0.0), self.max_offset)
        hit = clamped != self.offset
        self.offset = clamped
        return hit

    def index_at(self, pos: tuple[float, float]) -> int | None:
        if not self.rect.collidepoint(pos):
            return None
        i = int((pos[1] - self.rect.y + self.offset) // self.row_height)
        return i if 0 <= i < len(self.items) else None

    def visible_range(self) -> range:
        first = int(self.offset // self.row_height)
        last = int(math.ceil((self.offset + self.rect.h) / self.row_height))
        return range(max(0, first), min(len(self.items), last))

    def set_items(self, items: Sequence[object], keep_offset: bool = False) -> None:
        self.items = list(items)
        self._row_cache.clear()
        if not keep_offset:
            self.offset = 0.0
            self.velocity = 0.0
        self._clamp()
        self.pressed_index = None
        self.dirty = True

    def scroll_to(self, index: int) -> None:
        """Bring row ``index`` into view (to the top if possible)."""
        self.offset = float(index * self.row_height)
        self.velocity = 0.0
        self._clamp()
        self.dirty = True

    # -- input --------------------------------------------------------------------------------------
    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            if not self.contains(gesture.pos):
                return False
            self._stopped_motion = abs(self.velocity) > STOP_SPEED
            self.velocity = 0.0
            self._tracking = True
            self.pressed_index = None if self._stopped_motion else self.index_at(gesture.pos)
            self.dirty = True
            return True
        if isinstance(gesture, Drag):
            if not self._tracking:
                return False
            self.offset -= gesture.dy
            self._clamp()
            self.pressed_index = None
            self.dirty = True
            return True
        if isinstance(gesture, Fling):
            if not self._tracking:
                return False
            self.velocity = -gesture.vy
            return True
        if isinstance(gesture, (Up, Cancel)):
            was = self._tracking
            self._tracking = False
            if self.pressed_index is not None:
                self.pressed_index = None
                self.dirty = True
            return was
        if isinstance(gesture, Tap):
            if self._stopped_motion or not self.contains(gesture.pos):
                return False
            index = self.index_at(gesture.pos)
            if index is not None and self.on_select is not None:
                self.on_select(index)
            return index is not None
        if isinstance(gesture, Wheel):
            if not self.contains(gesture.pos):
                return False
            self.offset -= gesture.dy
            self._clamp()
            self.dirty = True
            return True
        return False

    def update(self, dt: float) -> None:
        if self.velocity == 0.0 or dt <= 0:
            self._prewarm()
            return
        self.offset += self.velocity * dt
        self.velocity *= math.exp(-self.friction * dt)
        if self._clamp() or abs(self.velocity) < MIN_SPEED:
            self.velocity = 0.0
        self.dirty = True

    # -- drawing ------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        p = self.theme.palette
        surface.fill(p.surface, self.rect)
        self.rows_drawn = self.rows_rendered = 0
        if self._cache_width != self.rect.w:
            self._row_cache.clear()
            self._cache_width = self.rect.w
        with clip(surface, self.rect):
            if not self.items:
                draw_text(surface, self.theme.font("body"), self.empty_text, self.rect.center, p.ink_muted, "center")
            for i in self.visible_range():
                y = self.rect.y + i * self.row_height - round(self.offset)
                surface.blit(self._row_surface(i, i == self.pressed_index), (self.rect.x, y))
                self.rows_drawn += 1
            self._draw_scrollbar(surface)
        pygame.draw.rect(surface, p.divider, self.rect, 1)

    def _prewarm(self, budget: int = 2) -> None:
        """While the list rests, render a few rows just outside the view into the cache, so the first
        frames of a fling blit rows instead of rendering their text (which is what blows the frame time)."""
        if not self.items or self.rect.w <= 0 or self._cache_width != self.rect.w:
            return
        first = max(0, int(self.offset // self.row_height) - 3)
        last = min(len(self.items), int((self.offset + 2 * self.rect.h) // self.row_height) + 3)
        for i in range(first, last):
            if budget <= 0:
                return
            if (i, False) not in self._row_cache:
                self._row_surface(i, False)
                budget -= 1

    def _row_surface(self, index: int, pressed: bool) -> pygame.Surface:
        """The row drawn once into its own surface and reused while it scrolls: rendering Chinese text
        is what a scrolling frame would otherwise spend its time on."""
        key = (index, pressed)
        cached = self._row_cache.get(key)
        if cached is not None:
            return cached
        row_surface = pygame.Surface((self.rect.w, self.row_height))
        row_surface.fill(self.theme.palette.surface)
        local = pygame.Rect(0, 0, self.rect.w, self.row_height)
        if self.render_row is not None:
            self.render_row(row_surface, local, index, self.items[index], pressed)
        else:
            self._draw_default_row(row_surface, local, self.items[index], pressed)
        self.rows_rendered += 1
        self._row_cache[key] = row_surface
        if len(self._row_cache) > self._cache_limit():
            self._evict_far_rows()
        return row_surface

    def _cache_limit(self) -> int:
        """Rows kept rendered: four views' worth. Each is a full-width surface (a 1920-pixel news row is
        0.9 MB), so caching every row of a 200-item list scrolled end to end held about 180 MB until the
        screen closed."""
        return max(CACHE_MIN_ROWS, 4 * (self.rect.h // max(1, self.row_height) + 2))

    def _evict_far_rows(self) -> None:
        """Drop the cached rows farthest from the view, down to three quarters of the limit (so eviction
        runs once per many renders, and the rows a fling is about to reach stay)."""
        centre = (self.offset + self.rect.h / 2) / max(1, self.row_height)
        by_distance = sorted(self._row_cache, key=lambda k: abs(k[0] - centre), reverse=True)
        for key in by_distance[:len(self._row_cache) - self._cache_limit() * 3 // 4]:
            del self._row_cache[key]

    def _draw_default_row(self, surface: pygame.Surface, row: pygame.Rect, item: object, pressed: bool) -> None:
        t = self.theme
        p = t.palette
        if pressed:
            surface.fill(p.surface_pressed, row)
        it = item if isinstance(item, ListItem) else ListItem(str(item))
        pad = t.spacing.pad // 2 + t.spacing.unit
        x, right = row.x + pad, row.right - pad - t.spacing.unit  # leave room for the scrollbar
        if it.trailing:
            tf = t.font("small")
            tw = text_width(tf, it.trailing)
            draw_text(surface, tf, it.trailing, (right, row.centery), it.trailing_color or p.ink_muted, "midright")
            right -= tw + t.spacing.gap
        bf, sf = t.font("body", True), t.font("small")
        width = max(0, right - x)
        if it.subtitle:
            h = line_height(bf) + line_height(sf)
            top = row.centery - h // 2
            draw_text(surface, bf, ellipsize(it.title, width, measurer(bf)), (x, top), p.ink)
            draw_text(surface, sf, ellipsize(it.subtitle, width, measurer(sf)), (x, top + line_height(bf)),
                      p.ink_muted)
        else:
            draw_text(surface, bf, ellipsize(it.title, width, measurer(bf)), (x, row.centery), p.ink, "midleft")
        pygame.draw.line(surface, p.divider, (row.x + pad, row.bottom - 1), (row.right - pad, row.bottom - 1))

    def _draw_scrollbar(self, surface: pygame.Surface) -> None:
        if self.content_height <= self.rect.h:
            return
        t = self.theme
        w = max(6, t.spacing.unit)
        track = pygame.Rect(self.rect.right - w - 4, self.rect.y + 4, w, self.rect.h - 8)
        thumb_h = max(t.spacing.target // 2, int(track.h * self.rect.h / self.content_height))
        frac = self.offset / self.max_offset if self.max_offset else 0.0
        thumb = pygame.Rect(track.x, track.y + round((track.h - thumb_h) * frac), w, thumb_h)
        pygame.draw.rect(surface, t.palette.divider, track, border_radius=w // 2)
        pygame.draw.rect(surface, t.palette.ink_muted, thumb, border_radius=w // 2)

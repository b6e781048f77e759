"""The map canvas: the basemap, the branch markers and 本机 in a pannable, zoomable view.

Why it is built this way: touch first. Drag to pan (with a short fling), pinch with two fingers (read
from SDL's touch state, since the gesture recogniser follows one finger), double-tap, or double-tap-and-
drag with one finger for single-touch frames, and the wheel on a desktop. Moves ease over a fifth of a
second unless animations are off (tests, slow boards), and the view never drifts far from the branches.
Drawing is split by concern: :mod:`.basemap` draws the streets, :mod:`.markers` the symbols over them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pygame

from core.geo import LocalProjection, MapData, Viewport
from kiosk.context import KioskContext
from kiosk.screens.map.basemap import LAND, BasemapPainter, project_shapes
from kiosk.screens.map.markers import (
    MarkerLayout,
    MarkerPainter,
    TerminalLayout,
    TerminalMark,
    draw_scale_bar,
    scale_bar_rects,
)
from kiosk.screens.map.pins import BranchPin
from kiosk.ui.drawing import clip, draw_text, ease_out, line_height, measurer
from kiosk.ui.gestures import Cancel, Down, Drag, Fling, Gesture, Tap, Up, Wheel
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.base import Widget

#: Zoom limits in pixels per metre (0.02: a 50 km region; 4: a 20 m building is 80 px wide).
MIN_SCALE, MAX_SCALE = 0.02, 4.0
#: Where an empty map (no basemap, no branch with a position) is centred: the demo town.
FALLBACK_CENTRE = (30.2733, 120.1585)
DOUBLE_TAP_S = 0.35
ANIM_S = 0.22

Fingers = Callable[[], list[tuple[float, float]]]


def sdl_fingers(size: tuple[int, int]) -> Fingers:
    """Fingers currently on the touchscreen, in pixels, from SDL's touch state (for pinch).

    The gesture recogniser follows one finger; SDL still tracks the second one, so the map reads the
    positions directly while a stroke is active. No touch device (tests, a mouse): an empty list.
    """

    def read() -> list[tuple[float, float]]:
        from pygame._sdl2 import touch

        out = []
        for i in range(touch.get_num_devices()):
            dev = touch.get_device(i)
            for j in range(touch.get_num_fingers(dev)):
                f = touch.get_finger(dev, j)
                if f:
                    out.append((float(f["x"]) * size[0], float(f["y"]) * size[1]))
        return out

    return read


class MapView(Widget):
    """The map canvas: basemap, branch markers and 本机; drag, fling, pinch, double-tap, wheel, tap."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 data: MapData | None, pins: list[BranchPin], *, on_select: Callable[[str | None], object],
                 animations: bool = True, fingers: Fingers | None = None, error: str = "",
                 view: tuple[tuple[float, float], float] | None = None, no_basemap: bool = False) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.data = data
        self.pins = pins
        self.on_select = on_select
        self.animations = animations
        self.fingers = fingers or sdl_fingers(theme.size)
        self.error = error
        self.no_basemap = no_basemap
        """The site configured no basemap (``map.geojson`` empty, no demo site): said on the map."""
        self.terminal: TerminalMark | None = None
        self.selected: str | None = None
        self.reserved: list[pygame.Rect] = []
        """Rects covered by controls over the map (buttons, the card): labels keep out of them."""
        self.draws = 0
        points = [p.latlon for p in pins if p.latlon] + ([data.terminal] if data and data.terminal else [])
        centre = (data.center() if data else None) or (points[0] if points else FALLBACK_CENTRE)
        self.projection = LocalProjection(*centre)
        self.vp = Viewport(self.projection, tuple(self.rect), min_scale=MIN_SCALE, max_scale=MAX_SCALE)
        self.basemap = BasemapPainter(theme, ctx, project_shapes(data, self.projection))
        self.markers = MarkerPainter(theme, ctx)
        self._limits = self._bounds_m(points)
        if view is not None:
            self.vp.center_on(*view[0])
            self.vp.set_scale(view[1])
        else:
            self.fit()
        self.home_scale = self.vp.scale
        self._time = 0.0
        self._stroke = False
        self._pinch: tuple[float, float, tuple[float, float]] | None = None
        self._stroke_pinched = False
        self._last_tap: tuple[float, tuple[float, float]] | None = None
        self._drag_zoom: tuple[float, float] | None = None  # (start scale, accumulated dy) one-finger zoom
        self._drag_zoom_pivot: tuple[float, float] = (0.0, 0.0)
        self._velocity = (0.0, 0.0)
        self._anim: tuple[float, float, tuple[float, float], tuple[float, float], float, float] | None = None

    # -- geometry ----------------------------------------------------------------------------------
    def _bounds_m(self, points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
        """How far panning may go (in metres): the branches, 本机 and the basemap, plus a margin."""
        xy = [self.projection.forward(*p) for p in points]
        for s in self.basemap.shapes:
            xy += [(s.bbox[0], s.bbox[1]), (s.bbox[2], s.bbox[3])]
        if not xy:
            return (-2000.0, -2000.0, 2000.0, 2000.0)
        return (min(p[0] for p in xy), min(p[1] for p in xy), max(p[0] for p in xy), max(p[1] for p in xy))

    def fit(self) -> None:
        """Show every branch (and 本机) with room for their labels."""
        pts = [p.latlon for p in self.pins if p.latlon]
        if self.terminal is not None:
            pts.append(self.terminal.latlon)
        elif self.data is not None and self.data.terminal:
            pts.append(self.data.terminal)
        if len(pts) < 2 and self.data is not None:
            b = self.data.bounds()
            if b:
                pts += [(b[0], b[1]), (b[2], b[3])]
        margin = self.theme.spacing.target * 1.5
        self.vp.fit(pts, margin)

    def set_rect(self, rect: pygame.Rect | tuple[int, int, int, int]) -> None:
        super().set_rect(rect)
        self.vp.rect = tuple(self.rect)

    def _after_move(self) -> None:
        x0, y0, x1, y1 = self._limits
        self.vp.clamp_center((x0 - 300, y0 - 300, x1 + 300, y1 + 300))
        self.dirty = True

    # -- markers and hit testing ------------------------------------------------------------------
    @property
    def marker_radius(self) -> int:
        return self.markers.radius

    def marker_center(self, code: str) -> tuple[float, float] | None:
        pin = next((p for p in self.pins if p.code == code), None)
        if pin is None or pin.latlon is None:
            return None
        return self.vp.to_screen(*pin.latlon)

    def marker_layout(self) -> MarkerLayout:
        """code → (centre, touch box of the symbol, label pill rect) in current screen coordinates."""
        return self.layout_marks()[0]

    def layout_marks(self, taken: list[pygame.Rect] | None = None) -> tuple[MarkerLayout, TerminalLayout | None]:
        """The markers and 本机 placed clear of the controls and the scale bar (see
        :meth:`MarkerPainter.layout`); ``taken`` collects every rect placed, for the basemap's names."""
        taken = [*self.reserved, *self._scale_rects()] if taken is None else taken
        return self.markers.layout(self.vp, self.rect, self.pins, self.terminal, taken)

    def marker_at(self, pos: tuple[float, float]) -> str | None:
        """The branch whose marker or label is under ``pos`` (the nearest when several are)."""
        if not self.rect.collidepoint(pos):
            return None
        hits = []
        for code, (c, box, pill) in self.marker_layout().items():
            if box.collidepoint(pos) or pill.collidepoint(pos):
                hits.append((math.dist(c, pos), code))
        return min(hits)[1] if hits else None

    # -- movement -----------------------------------------------------------------------------------
    def zoom_by(self, factor: float, pivot: tuple[float, float] | None = None) -> None:
        target = replace(self.vp)
        target.zoom(factor, pivot)
        self.animate_to(target.center, target.scale)

    def focus(self, latlon: tuple[float, float], at: tuple[float, float] | None = None,
              scale: float | None = None) -> None:
        """Bring ``latlon`` to screen point ``at`` (default: the middle) at ``scale`` (default: unchanged)."""
        target = replace(self.vp)
        if scale is not None:
            target.set_scale(scale)
        target.center_on(*latlon)
        if at is not None:
            cx, cy = target.screen_center
            target.pan(at[0] - cx, at[1] - cy)
        self.animate_to(target.center, target.scale)

    def animate_to(self, center: tuple[float, float], scale: float) -> None:
        self._velocity = (0.0, 0.0)
        if not self.animations:
            self.vp.center, self.vp.scale = center, scale
            self._anim = None
            self._after_move()
            return
        self._anim = (0.0, ANIM_S, self.vp.center, center, self.vp.scale, scale)

    @property
    def moving(self) -> bool:
        return self._anim is not None or self._velocity != (0.0, 0.0) or self._stroke

    # -- gestures -------------------------------------------------------------------------------------
    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            return self._down(gesture.pos)
        if isinstance(gesture, Drag):
            return self._drag(gesture.dx, gesture.dy)
        if isinstance(gesture, Fling):
            if self.animations and self._drag_zoom is None and not self._stroke_pinched:
                self._velocity = (gesture.vx, gesture.vy)
            return True
        if isinstance(gesture, (Up, Cancel)):
            self._stroke = False
            if getattr(gesture, "moved", False) or isinstance(gesture, Cancel):
                self._drag_zoom = None
            return True
        if isinstance(gesture, Tap):
            return self._tap(gesture.pos)
        if isinstance(gesture, Wheel) and self.contains(gesture.pos):
            self.zoom_by(1.25 if gesture.dy > 0 else 0.8, gesture.pos)
            return True
        return False

    def _down(self, pos: tuple[float, float]) -> bool:
        """A finger lands: stop any glide; the second press of a double tap starts a one-finger zoom."""
        if not self.contains(pos):
            return False
        self._stroke, self._stroke_pinched = True, False
        self._velocity, self._anim = (0.0, 0.0), None
        last = self._last_tap
        if last and self._time - last[0] <= DOUBLE_TAP_S and math.dist(last[1], pos) < 80 * self.theme.scale:
            self._drag_zoom = (self.vp.scale, 0.0)  # second press of a double tap: drag zooms
            self._drag_zoom_pivot = last[1]
        else:
            self._drag_zoom = None
        return True

    def _drag(self, dx: float, dy: float) -> bool:
        """Pan with the finger, or zoom with it after a double tap; nothing while two fingers pinch."""
        if self._pinch is not None or self._stroke_pinched:
            return True
        if self._drag_zoom is not None:
            start, total = self._drag_zoom
            total += dy
            self._drag_zoom = (start, total)
            self.vp.set_scale(start * math.exp(total / (160 * self.theme.scale)), self._drag_zoom_pivot)
            self._last_tap = None
        else:
            self.vp.pan(dx, dy)
        self._after_move()
        return True

    def _tap(self, pos: tuple[float, float]) -> bool:
        if self._stroke_pinched:
            return True  # the first finger of a pinch lifting without moving is not a tap
        if self._drag_zoom is not None:  # second tap of a double tap: zoom in there
            self._drag_zoom = None
            self._last_tap = None
            self.zoom_by(2.0, pos)
            return True
        self._last_tap = (self._time, pos)
        self.on_select(self.marker_at(pos))
        return True

    # -- time -----------------------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        self._time += dt
        if self._stroke:
            self._poll_pinch()
        if self._anim is not None:
            t, d, c0, c1, s0, s1 = self._anim
            t += dt
            p = ease_out(t / d)
            self.vp.scale = s0 * (s1 / s0) ** p
            self.vp.center = (c0[0] + (c1[0] - c0[0]) * p, c0[1] + (c1[1] - c0[1]) * p)
            self._anim = None if t >= d else (t, d, c0, c1, s0, s1)
            self._after_move()
        elif self._velocity != (0.0, 0.0):
            vx, vy = self._velocity
            self.vp.pan(vx * dt, vy * dt)
            k = math.exp(-dt * 6.0)
            vx, vy = vx * k, vy * k
            self._velocity = (0.0, 0.0) if math.hypot(vx, vy) < 30 else (vx, vy)
            self._after_move()

    def _poll_pinch(self) -> None:
        try:
            pts = self.fingers()
        except Exception:  # a touch driver hiccup must not end the visit
            pts = []
        if len(pts) < 2:
            self._pinch = None
            return
        (ax, ay), (bx, by) = pts[0], pts[1]
        d = max(1.0, math.hypot(bx - ax, by - ay))
        mid = ((ax + bx) / 2, (ay + by) / 2)
        if self._pinch is None:
            if not self.rect.collidepoint(mid):
                return
            self._pinch = (d, self.vp.scale, self.vp.screen_to_metres(*mid))
            self._stroke_pinched = True
            self._velocity, self._anim = (0.0, 0.0), None
            return
        d0, s0, anchor = self._pinch
        self.vp.scale = min(MAX_SCALE, max(MIN_SCALE, s0 * d / d0))
        cx, cy = self.vp.screen_center
        self.vp.center = (anchor[0] - (mid[0] - cx) / self.vp.scale, anchor[1] + (mid[1] - cy) / self.vp.scale)
        self._after_move()

    # -- drawing ----------------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        """Streets, then the names that fit around the markers, then the markers (the selected one and
        本机 on top), the scale bar, and the notice line when the basemap is missing or unusable."""
        self.draws += 1
        r = self.rect
        with clip(surface, r):
            surface.fill(LAND, r)
            labels = self.basemap.draw_shapes(surface, self.vp, r, 60)
            scale_rects = self._scale_rects()
            taken: list[pygame.Rect] = [*self.reserved, *scale_rects]
            markers, term = self.layout_marks(taken)
            self.basemap.draw_labels(surface, labels, r, taken)
            for code in markers:
                if code != self.selected:
                    self._draw_marker(surface, code, markers[code])
            if term is not None and self.terminal is not None:
                self.markers.draw_terminal(surface, self.terminal, term, self.vp, r)
            if self.selected in markers:
                self._draw_marker(surface, self.selected, markers[self.selected])
            draw_scale_bar(surface, self.theme, self.ctx, self.vp.scale, scale_rects)
            if self.notice:
                self._draw_notice(surface)
        pygame.draw.rect(surface, self.theme.palette.divider, r, 2)

    def _draw_marker(self, surface: pygame.Surface, code: str, layout: tuple) -> None:
        pin = next(p for p in self.pins if p.code == code)
        self.markers.draw_marker(surface, pin, layout, code == self.selected)

    def _draw_notice(self, surface: pygame.Surface) -> None:
        t, r = self.theme, self.rect
        font = t.font("caption")
        text = ellipsize(self.notice, r.w - 2 * t.spacing.gap, measurer(font))
        bar = pygame.Rect(r.x, r.bottom - self._notice_h(), r.w, self._notice_h())
        pygame.draw.rect(surface, t.palette.surface, bar)
        draw_text(surface, font, text, (bar.x + t.spacing.gap, bar.centery),
                  t.palette.bad.text if self.error else t.palette.ink, "midleft")

    @property
    def notice(self) -> str:
        """The line under the map: why there are no streets (an unusable file, or none configured)."""
        if self.error:
            return self.ctx.t("底图文件有误，仅显示支部位置：", "Basemap unusable, branches only: ") + self.error
        if self.no_basemap:
            return self.ctx.t("本站未配置底图（map.geojson），仅显示支部位置",
                              "No basemap configured (map.geojson): branches only")
        return ""

    def _notice_h(self) -> int:
        return line_height(self.theme.font("caption")) + 2 * self.theme.spacing.unit

    def _scale_rects(self) -> tuple[pygame.Rect, pygame.Rect]:
        bottom = self.rect.bottom - (self._notice_h() if self.notice else 0)
        return scale_bar_rects(self.theme, self.vp.scale, self.rect, bottom)

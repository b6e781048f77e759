"""党建地图 (party-branch map): an offline vector basemap, the branches coloured by 三会一课 completion,
and where this terminal stands (BeiDou), with distance and direction to each branch.

Why it is built this way:

- Offline first: the basemap is a GeoJSON file the site supplies (``map.geojson`` in config; the demo
  site ships a fictional town, used only while the demo site is configured), drawn with pygame — no tile
  server, no internet. A site without a basemap gets its branches on plain ground and a line saying there
  is no basemap and which setting adds one — never the demo's streets.
- Status is never colour alone: each branch marker carries a shape (✓ ! ×) and its label says the state
  in words (按期完成 / 需关注 / 滞后), the same vocabulary as the dashboard.
- Touch first: drag to pan (with a short fling), pinch with two fingers (read from SDL's touch state,
  since the gesture recogniser follows one finger), double-tap, or double-tap-and-drag with one finger
  for single-touch frames, plus ≥ 80 px buttons (+ − 回到本机) for anyone who does not pinch.
- Search without a keyboard: a button per branch centres the map on it and opens its card.
- The terminal's position comes from :class:`core.events.Position`: the app keeps the last
  one in ``ctx.position`` (read every frame) or forwards it to ``on_event``; with no fix the last known place is shown with its age, and with no receiver the
  configured ``map.terminal_position`` or the basemap's ``terminal`` point is used and labelled so.
- Privacy: only branches and public sites are drawn; no member's position exists anywhere in it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pygame
import pygame.freetype
from sqlalchemy import select

from core.dashboard import branch_figures
from core.events import Position
from core.geo import (
    GeoJSONError,
    LocalProjection,
    MapData,
    MapFeature,
    Viewport,
    clip_polygon,
    clip_polyline,
    describe_offset,
    load_geojson,
)
from core.meetings import upcoming
from core.models import Branch, Member
from kiosk.context import KioskContext
from kiosk.screens.dashboard import STATUS, TYPE_EN, short_name, status_colors
from kiosk.ui.drawing import card, clip, draw_text, ease_out, line_height, measurer, text_width
from kiosk.ui.gestures import Cancel, Down, Drag, Fling, Gesture, Tap, Up, Wheel
from kiosk.ui.layout import inset, split_columns, take_bottom, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Button, Pressable

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_GEOJSON = ROOT / "content" / "demo" / "map.geojson"
"""Only for a context with no configuration at all (screen tests with a bare terminal); a configuration
says ``map.geojson`` itself, None when the site has no basemap."""

#: Zoom limits in pixels per metre (0.02: a 50 km region; 4: a 20 m building is 80 px wide).
MIN_SCALE, MAX_SCALE = 0.02, 4.0
BUTTON_ZOOM = 1.6
#: Where an empty map (no basemap, no branch with a position) is centred: the demo town.
FALLBACK_CENTRE = (30.2733, 120.1585)
DOUBLE_TAP_S = 0.35
ANIM_S = 0.22

Fingers = Callable[[], list[tuple[float, float]]]


# ------------------------------------------------------------------------------------------- data


def _setting(ctx: KioskContext, section: str, key: str, default: Any = None) -> Any:
    """A config value that may not exist yet (the ``map``/``gnss`` sections are optional)."""
    config = getattr(ctx.terminal, "config", None)
    value = getattr(getattr(config, section, None), key, None)
    return default if value is None else value


@dataclass(frozen=True)
class BranchPin:
    """What the map knows about one branch (read once per visit; no member positions)."""

    code: str
    name_zh: str
    name_en: str
    lat: float | None
    lon: float | None
    status: str  # core.dashboard: green | amber | red
    members: int
    secretary: str
    phone: str
    place: str
    next_meeting: str

    @property
    def latlon(self) -> tuple[float, float] | None:
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)

    def short(self, lang: str) -> str:
        return short_name(self.name_zh) if lang != "en" else (self.name_en.split(" (")[0] or self.code)


def load_pins(ctx: KioskContext) -> list[BranchPin]:
    """Branches with their 三会一课 status, secretary, member count and next meeting."""
    now = ctx.now()
    with ctx.session() as s:
        figures = {f.code: f for f in branch_figures(s, now, ctx.terminal.tz)}
        branches = list(s.scalars(select(Branch).order_by(Branch.code)))
        numbers = [b.secretary_number for b in branches if b.secretary_number]
        names = dict(s.execute(select(Member.number, Member.name).where(Member.number.in_(numbers))).all())
        nxt: dict[int, Any] = {}
        for m in upcoming(s, now, 500):
            nxt.setdefault(m.branch_id, m)
        pins = []
        for b in branches:
            f = figures.get(b.code)
            m = nxt.get(b.id)
            meeting = ""
            if m is not None:
                local = ctx.local(m.starts_at)
                day = f"{local.month}月{local.day}日" if ctx.lang != "en" else local.strftime("%d %b")
                when = ctx.t("进行中", "now on") if m.starts_at <= now else \
                    f"{day} {ctx.weekday_text(m.starts_at)} {local:%H:%M}"
                meeting = f"{when} · {ctx.t(m.type, TYPE_EN.get(m.type, m.type))}"
            pins.append(BranchPin(b.code, b.name_zh, b.name_en, b.lat, b.lon, f.status if f else "green",
                                  f.members if f else 0, names.get(b.secretary_number or "", ""), b.phone,
                                  b.place_zh, meeting))
    return pins


_MAP_CACHE: dict[tuple[str, int, int], MapData] = {}


def load_basemap(path: Path) -> tuple[MapData | None, str]:
    """The basemap (cached by path, size and mtime) or None with the error to show and log."""
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
    except OSError:
        key = (str(path), -1, -1)
    if key in _MAP_CACHE:
        return _MAP_CACHE[key], ""
    try:
        data = load_geojson(path)
    except GeoJSONError as exc:
        log.error("basemap unusable:\n%s", exc)
        return None, exc.messages[0]
    _MAP_CACHE.clear()
    _MAP_CACHE[key] = data
    return data, ""


def age_text(seconds: float | None, lang: str = "zh") -> str:
    """"刚刚", "12 秒前", "3 分钟前", "2 小时前", "3 天前" (or English)."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    zh = lang != "en"
    if s < 5:
        return "刚刚" if zh else "just now"
    for unit, zh_unit, en_unit in ((86400, "天", "d"), (3600, "小时", "h"), (60, "分钟", "min"), (1, "秒", "s")):
        if s >= unit:
            return f"{s // unit} {zh_unit}前" if zh else f"{s // unit} {en_unit} ago"
    return ""


# ------------------------------------------------------------------------------------------ style


@dataclass(frozen=True)
class Style:
    layer: int
    fill: RGB | None = None
    outline: RGB | None = None
    line: RGB | None = None
    casing: RGB | None = None
    width_m: float = 0.0
    min_px: float = 1.0
    text: RGB = (70, 62, 54)
    label: str = ""  # "area" | "line" | "point" | "" (none)


LAND: RGB = (242, 238, 229)
STYLES: dict[str, Style] = {
    "residential": Style(0, fill=(236, 230, 219), outline=(226, 218, 204), label="area"),
    "industrial": Style(0, fill=(232, 226, 234), outline=(214, 204, 218), text=(86, 60, 96), label="area"),
    "school": Style(0, fill=(245, 232, 214), outline=(226, 204, 170), text=(110, 70, 20), label="area"),
    "campus": Style(0, fill=(250, 232, 226), outline=(226, 170, 160), text=(150, 20, 26), label="area"),
    "park": Style(1, fill=(204, 230, 190), outline=(176, 212, 160), text=(40, 96, 36), label="area"),
    "green": Style(1, fill=(204, 230, 190), outline=(176, 212, 160), text=(40, 96, 36), label="area"),
    "plaza": Style(1, fill=(238, 226, 208), outline=(220, 204, 180), label="area"),
    "water": Style(2, fill=(166, 206, 236), outline=(140, 188, 226), text=(24, 82, 140), label="area"),
    "river": Style(2, line=(166, 206, 236), width_m=60, min_px=5, text=(24, 82, 140), label="line"),
    "road": Style(3, line=(255, 255, 255), casing=(210, 198, 180), width_m=12, min_px=4, label="line"),
    "railway": Style(3, line=(150, 146, 140), width_m=4, min_px=2),
    "building": Style(4, fill=(222, 212, 198), outline=(190, 176, 158), label="area"),
    "site": Style(5, label="point", text=(160, 18, 24)),
    "station": Style(5, label="point", text=(34, 34, 34)),
    "label": Style(5, label="point", text=(60, 52, 46)),
}
ROAD_RANKS = {"major": (24.0, 7.0, (253, 230, 160), (214, 170, 80)), "minor": (12.0, 4.0, None, None),
              "path": (5.0, 2.0, None, None)}
DEFAULT_STYLE = Style(1, fill=(230, 226, 218), outline=(210, 204, 194), line=(200, 194, 184), width_m=4)
LABEL_PRIORITY = {"site": 0, "station": 1, "label": 2, "campus": 3, "industrial": 3, "park": 4, "water": 4,
                  "river": 4, "school": 5, "residential": 5, "road": 6, "plaza": 7, "building": 8}


@dataclass
class _Shape:
    feature: MapFeature
    style: Style
    parts: list[list[tuple[float, float]]]
    bbox: tuple[float, float, float, float]


class LabelCache:
    """Text with a white halo, rendered once per (text, size, colour) and blitted while panning."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self._cache: dict[tuple, pygame.Surface] = {}

    def get(self, text: str, role: str = "caption", color: RGB = (34, 34, 34), bold: bool = False,
            halo: RGB = (255, 255, 255)) -> pygame.Surface:
        key = (text, role, color, bold, halo)
        surf = self._cache.get(key)
        if surf is None:
            font = self.theme.font(role, bold)
            h = max(2, round(2 * self.theme.scale))
            w, lh = text_width(font, text), line_height(font)
            surf = pygame.Surface((w + 2 * h, lh + 2 * h), pygame.SRCALPHA)
            for dx in (-h, 0, h):
                for dy in (-h, 0, h):
                    if dx or dy:
                        draw_text(surf, font, text, (h + dx, h + dy), (*halo, 235))
            draw_text(surf, font, text, (h, h), color)
            if len(self._cache) > 600:
                self._cache.clear()
            self._cache[key] = surf
        return surf


def _thick_line(surface: pygame.Surface, color: RGB, pts: Sequence[tuple[float, float]], width: float) -> None:
    w = max(1, round(width))
    pygame.draw.lines(surface, color, False, pts, w)
    if w >= 4:
        r = w / 2
        for p in pts:
            pygame.draw.circle(surface, color, p, r)


def _star(center: tuple[float, float], r: float) -> list[tuple[float, float]]:
    cx, cy = center
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.42
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


# ------------------------------------------------------------------------------------- terminal


@dataclass(frozen=True)
class TerminalMark:
    """Where to draw 本机: ``state`` is "fix" (current), "stale" (last known), or "set" (configured)."""

    latlon: tuple[float, float]
    state: str
    accuracy_m: float | None = None


# -------------------------------------------------------------------------------------- the map


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
        self.labels = LabelCache(theme)
        self.terminal: TerminalMark | None = None
        self.selected: str | None = None
        self.reserved: list[pygame.Rect] = []
        """Rects covered by controls over the map (buttons, the card): labels keep out of them."""
        self.draws = 0
        points = [p.latlon for p in pins if p.latlon] + ([data.terminal] if data and data.terminal else [])
        centre = (data.center() if data else None) or (points[0] if points else FALLBACK_CENTRE)
        self.projection = LocalProjection(*centre)
        self.vp = Viewport(self.projection, tuple(self.rect), min_scale=MIN_SCALE, max_scale=MAX_SCALE)
        self._shapes = self._project(data)
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
    def _project(self, data: MapData | None) -> list[_Shape]:
        shapes = []
        for f in data.features if data else []:
            if f.kind == "terminal":
                continue
            style = STYLES.get(f.kind, DEFAULT_STYLE)
            parts = [[self.projection.forward(lat, lon) for lon, lat in part] for part in f.parts]
            xs = [p[0] for part in parts for p in part]
            ys = [p[1] for part in parts for p in part]
            shapes.append(_Shape(f, style, parts, (min(xs), min(ys), max(xs), max(ys))))
        shapes.sort(key=lambda s: s.style.layer)
        return shapes

    def _bounds_m(self, points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
        xy = [self.projection.forward(*p) for p in points]
        for s in self._shapes:
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
        return max(20, round(26 * self.theme.scale))

    def marker_center(self, code: str) -> tuple[float, float] | None:
        pin = next((p for p in self.pins if p.code == code), None)
        if pin is None or pin.latlon is None:
            return None
        return self.vp.to_screen(*pin.latlon)

    def _pin_label(self, pin: BranchPin) -> str:
        _, zh, en, _ = STATUS.get(pin.status, ("off", "未知", "unknown", "?"))
        return f"{pin.short(self.ctx.lang)} · {self.ctx.t(zh, en)}"

    def _pill_size(self, text: str) -> tuple[int, int]:
        font = self.theme.font("small", True)
        return text_width(font, text) + 2 * self.theme.spacing.unit + 4, line_height(font) + self.theme.spacing.unit

    def marker_layout(self) -> dict[str, tuple[tuple[float, float], pygame.Rect, pygame.Rect]]:
        """code → (centre, touch box of the symbol, label pill rect) in current screen coordinates."""
        return self._layout_marks()[0]

    def _layout_marks(self) -> tuple[dict[str, tuple[tuple[float, float], pygame.Rect, pygame.Rect]],
                                     tuple[tuple[float, float], pygame.Rect, pygame.Rect] | None]:
        """Place the branch symbols (fixed), then 本机's label, then the branch labels where they collide
        least: below, above, right or left of their symbol (a kiosk often stands in a branch's building,
        so 本机 and that branch's marker overlap at the overview zoom)."""
        r = self.marker_radius
        touch = max(self.theme.spacing.target, 2 * r)
        centres: dict[str, tuple[float, float]] = {}
        boxes: dict[str, pygame.Rect] = {}
        for pin in self.pins:
            if pin.latlon is None:
                continue
            c = self.vp.to_screen(*pin.latlon)
            box = pygame.Rect(0, 0, touch, touch)
            box.center = (round(c[0]), round(c[1]))
            centres[pin.code], boxes[pin.code] = c, box
        symbols = [b.inflate(-(b.w - 2 * r), -(b.h - 2 * r)) for b in boxes.values()]
        taken: list[pygame.Rect] = [*self.reserved, *self._draw_scale(None, dry_run=True), *symbols]
        term = None
        if self.terminal is not None:
            true_c = c = self.vp.to_screen(*self.terminal.latlon)
            tr = round(r * 0.8)
            tbox = pygame.Rect(0, 0, 2 * tr, 2 * tr)
            tbox.center = (round(c[0]), round(c[1]))
            hit = tbox.collidelist(symbols)
            if hit >= 0:
                # 本机 on top of a branch's symbol hid the branch's status: the star steps aside, up and
                # away from that symbol, on a short leader line to where the terminal really is
                sx, sy = symbols[hit].center
                dx, dy = c[0] - sx, c[1] - sy
                norm = math.hypot(dx, dy) or 1.0
                dx, dy = (dx / norm, dy / norm) if norm > 1 else (-0.7, -0.7)
                step = math.hypot(r + tr, r + tr) + 4  # clears the square boxes even on a diagonal
                c = (sx + dx * step, sy + dy * step)
                tbox.center = (round(c[0]), round(c[1]))
            tpill = self._place_pill(c, tr, self._pill_size(self._terminal_text()), taken)
            term = (c, tbox, tpill, true_c)
            taken += [tbox, tpill]
        out: dict[str, tuple[tuple[float, float], pygame.Rect, pygame.Rect]] = {}
        for pin in self.pins:
            if pin.code not in centres:
                continue
            c = centres[pin.code]
            pill = self._place_pill(c, r, self._pill_size(self._pin_label(pin)), taken)
            taken.append(pill)
            out[pin.code] = (c, boxes[pin.code], pill)
        return out, term

    def _place_pill(self, c: tuple[float, float], r: int, size: tuple[int, int],
                    taken: list[pygame.Rect]) -> pygame.Rect:
        w, h = size
        g = 4
        options = [pygame.Rect(round(c[0] - w / 2), round(c[1] + r + g), w, h),
                   pygame.Rect(round(c[0] - w / 2), round(c[1] - r - g - h), w, h),
                   pygame.Rect(round(c[0] + r + g), round(c[1] - h / 2), w, h),
                   pygame.Rect(round(c[0] - r - g - w), round(c[1] - h / 2), w, h)]
        inside = [o for o in options if self.rect.contains(o)] or options
        return next((o for o in inside if o.collidelist(taken) < 0), inside[0])

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
            if not self.contains(gesture.pos):
                return False
            self._stroke, self._stroke_pinched = True, False
            self._velocity, self._anim = (0.0, 0.0), None
            last = self._last_tap
            if last and self._time - last[0] <= DOUBLE_TAP_S and math.dist(last[1], gesture.pos) < 80 * self.theme.scale:
                self._drag_zoom = (self.vp.scale, 0.0)  # second press of a double tap: drag zooms
                self._drag_zoom_pivot = last[1]
            else:
                self._drag_zoom = None
            return True
        if isinstance(gesture, Drag):
            if self._pinch is not None or self._stroke_pinched:
                return True
            if self._drag_zoom is not None:
                start, dy = self._drag_zoom
                dy += gesture.dy
                self._drag_zoom = (start, dy)
                self.vp.set_scale(start * math.exp(dy / (160 * self.theme.scale)), self._drag_zoom_pivot)
                self._last_tap = None
            else:
                self.vp.pan(gesture.dx, gesture.dy)
            self._after_move()
            return True
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
        self.draws += 1
        r = self.rect
        t = self.theme
        with clip(surface, r):
            surface.fill(LAND, r)
            m = 60
            box = (r.x - m, r.y - m, r.w + 2 * m, r.h + 2 * m)
            vx0, vy0, vx1, vy1 = self.vp.visible_metres()
            pad_m = m / self.vp.scale
            visible = [s for s in self._shapes if s.bbox[2] >= vx0 - pad_m and s.bbox[0] <= vx1 + pad_m
                       and s.bbox[3] >= vy0 - pad_m and s.bbox[1] <= vy1 + pad_m]
            labels: list[tuple[int, _Shape, list]] = []
            for shape in visible:
                screen = self._draw_shape(surface, shape, box)
                if shape.feature.name and shape.style.label:
                    labels.append((LABEL_PRIORITY.get(shape.feature.kind, 9), shape, screen))
            markers, term = self._layout_marks()
            scale_rects = self._draw_scale(surface, dry_run=True)
            taken: list[pygame.Rect] = [*self.reserved, *scale_rects]
            mr = self.marker_radius
            for _, box_rect, pill in markers.values():
                taken += [box_rect.inflate(-(box_rect.w - 2 * mr), -(box_rect.h - 2 * mr)), pill]
            if term is not None:
                taken += [term[1], term[2]]
            for _, shape, screen in sorted(labels, key=lambda x: x[0]):
                self._draw_label(surface, shape, screen, taken)
            order = sorted(markers, key=lambda c: c == self.selected)
            for code in order:
                if code != self.selected:
                    self._draw_marker(surface, code, markers[code])
            if term is not None:
                self._draw_terminal(surface, term)
            if self.selected in markers:
                self._draw_marker(surface, self.selected, markers[self.selected])
            self._draw_scale(surface)
            if self.notice:
                font = t.font("caption")
                text = ellipsize(self.notice, r.w - 2 * t.spacing.gap, measurer(font))
                bar = pygame.Rect(r.x, r.bottom - self._error_bar_h(), r.w, self._error_bar_h())
                pygame.draw.rect(surface, t.palette.surface, bar)
                draw_text(surface, font, text, (bar.x + t.spacing.gap, bar.centery),
                          t.palette.bad.text if self.error else t.palette.ink, "midleft")
        pygame.draw.rect(surface, t.palette.divider, r, 2)

    @property
    def notice(self) -> str:
        """The line under the map: why there are no streets (an unusable file, or none configured)."""
        if self.error:
            return self.ctx.t("底图文件有误，仅显示支部位置：", "Basemap unusable, branches only: ") + self.error
        if self.no_basemap:
            return self.ctx.t("本站未配置底图（map.geojson），仅显示支部位置",
                              "No basemap configured (map.geojson): branches only")
        return ""

    def _error_bar_h(self) -> int:
        return line_height(self.theme.font("caption")) + 2 * self.theme.spacing.unit

    def _to_screen(self, part: list[tuple[float, float]]) -> list[tuple[float, float]]:
        s = self.vp.scale
        c0, c1 = self.vp.center
        cx, cy = self.vp.screen_center
        return [(cx + (x - c0) * s, cy - (y - c1) * s) for x, y in part]

    def _draw_shape(self, surface: pygame.Surface, shape: _Shape, box: tuple) -> list:
        f, st = shape.feature, shape.style
        s = self.vp.scale
        if f.geometry == "polygon":
            rings = [clip_polygon(self._to_screen(p), box) for p in shape.parts]
            outer = rings[0]
            if len(outer) >= 3:
                pygame.draw.polygon(surface, st.fill or DEFAULT_STYLE.fill, outer)
                for hole in rings[1:]:
                    if len(hole) >= 3:
                        pygame.draw.polygon(surface, LAND, hole)
                if st.outline and s > 0.08:
                    pygame.draw.polygon(surface, st.outline, outer, max(1, round(self.theme.scale * 2)))
            return outer
        if f.geometry == "line":
            width_m, min_px, fill, casing = st.width_m, st.min_px, st.line, st.casing
            if f.kind == "road":
                w_m, mp, major_fill, major_casing = ROAD_RANKS.get(str(f.properties.get("rank", "minor")),
                                                                ROAD_RANKS["minor"])
                width_m, min_px = w_m, mp
                fill, casing = major_fill or fill, major_casing or casing
            if isinstance(f.properties.get("width_m"), (int, float)):
                width_m = float(f.properties["width_m"])
            w = max(min_px * self.theme.scale, width_m * s)
            runs = [run for p in shape.parts for run in clip_polyline(self._to_screen(p), box)]
            for run in runs:
                if casing is not None:
                    _thick_line(surface, casing, run, w + max(2, 2 * self.theme.scale))
            for run in runs:
                _thick_line(surface, fill or DEFAULT_STYLE.line, run, w)
            return runs
        (pt,) = self._to_screen(list(shape.parts[0]))
        self._draw_poi(surface, f.kind, pt)
        return [pt]

    def _draw_poi(self, surface: pygame.Surface, kind: str, pt: tuple[float, float]) -> None:
        p = self.theme.palette
        r = max(8, round(11 * self.theme.scale))
        if kind == "site":
            diamond = [(pt[0], pt[1] - r), (pt[0] + r, pt[1]), (pt[0], pt[1] + r), (pt[0] - r, pt[1])]
            pygame.draw.polygon(surface, p.gold, diamond)
            pygame.draw.polygon(surface, p.red, diamond, 3)
        elif kind == "station":
            pygame.draw.circle(surface, p.surface, pt, r)
            pygame.draw.circle(surface, p.ink, pt, r, 3)
            pygame.draw.circle(surface, p.ink, pt, r // 3)

    def _draw_label(self, surface: pygame.Surface, shape: _Shape, screen: list, taken: list[pygame.Rect]) -> None:
        f, st = shape.feature, shape.style
        name = self.ctx.t(f.name, f.name_en) or f.name
        if st.label == "point":
            bold = f.kind in ("label", "site")
            role = "small" if f.properties.get("size") == "large" else "caption"
            img = self.labels.get(name, role, st.text, bold)
            pt = screen[0]
            rect = img.get_rect()
            if f.kind == "label":
                rect.center = (round(pt[0]), round(pt[1]))
            else:
                rect.midleft = (round(pt[0] + 14 * self.theme.scale), round(pt[1]))
        elif st.label == "line":
            runs = screen
            best = None
            for run in runs:
                for a, b in zip(run, run[1:], strict=False):
                    d = math.dist(a, b)
                    if best is None or d > best[0]:
                        best = (d, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
            img = self.labels.get(name, "caption", st.text, f.kind == "river")
            if best is None or best[0] < img.get_width() * 0.8:
                return
            rect = img.get_rect(center=(round(best[1][0]), round(best[1][1])))
        else:
            ring = screen
            if len(ring) < 3:
                return
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            w = max(xs) - min(xs)
            bold = f.kind in ("campus", "industrial", "park")
            img = self.labels.get(name, "caption", st.text, bold)
            if w < img.get_width() * (0.9 if f.kind == "building" else 0.6):
                return
            u = self.theme.spacing.unit
            mid_x = round((min(xs) + max(xs)) / 2)
            centre = img.get_rect(center=(round(sum(xs) / len(xs)), round(sum(ys) / len(ys))))
            top = img.get_rect(midtop=(mid_x, round(min(ys)) + u))
            bottom = img.get_rect(midbottom=(mid_x, round(max(ys)) - u))
            # big areas are named near their top edge; buildings in the middle; either moves if covered
            big = f.kind in ("campus", "industrial", "residential", "school", "park")
            candidates = [top, centre, bottom] if big else [centre, top, bottom]
            for rect in candidates:
                if self.rect.contains(rect) and rect.collidelist(taken) < 0:
                    surface.blit(img, rect)
                    taken.append(rect)
                    return
            return
        if not self.rect.contains(rect) or rect.collidelist(taken) >= 0:
            return
        surface.blit(img, rect)
        taken.append(rect)

    def _terminal_text(self) -> str:
        state = self.terminal.state if self.terminal else ""
        return {"fix": self.ctx.t("本机位置", "You are here"), "stale": self.ctx.t("上次位置", "Last known"),
                "set": self.ctx.t("本机", "This terminal")}.get(state, "")

    def _draw_terminal(self, surface: pygame.Surface, layout: tuple) -> None:
        assert self.terminal is not None
        p = self.theme.palette
        c, box, pill, true_c = layout
        r = box.w // 2
        if math.dist(c, true_c) > 1:  # stepped aside from a branch symbol: a leader to the true place
            pygame.draw.line(surface, p.red, c, true_c, 3)
            pygame.draw.circle(surface, p.red, true_c, 4)
        stale = self.terminal.state == "stale"
        fill = p.off.fill if stale else p.red
        acc = self.terminal.accuracy_m
        if acc and self.terminal.state == "fix":
            ar = acc * self.vp.scale
            if r < ar < 2 * max(self.rect.size):
                ring = pygame.Surface((2 * ar + 2, 2 * ar + 2), pygame.SRCALPHA)
                pygame.draw.circle(ring, (*p.red, 40), (ar + 1, ar + 1), ar)
                pygame.draw.circle(ring, (*p.red, 120), (ar + 1, ar + 1), ar, 2)
                surface.blit(ring, (true_c[0] - ar - 1, true_c[1] - ar - 1))
        pygame.draw.circle(surface, mix(p.bg, (0, 0, 0), 0.3), (c[0], c[1] + 3), r + 3)
        pygame.draw.circle(surface, p.surface, c, r + 3)
        pygame.draw.circle(surface, fill, c, r)
        pygame.draw.polygon(surface, p.gold, _star(c, r * 0.72))
        card(surface, pill, fill, pill.h // 2)
        draw_text(surface, self.theme.font("small", True), self._terminal_text(), pill.center, p.on_red, "center")

    def _draw_marker(self, surface: pygame.Surface, code: str, layout: tuple) -> None:
        pin = next(p for p in self.pins if p.code == code)
        t, p = self.theme, self.theme.palette
        c, _, pill = layout
        r = self.marker_radius
        colors = status_colors(t, pin.status)
        shape = STATUS.get(pin.status, ("off", "", "", "?"))[3]
        selected = code == self.selected
        if selected:
            pygame.draw.circle(surface, p.gold, c, r + 9)
        pygame.draw.circle(surface, mix(p.bg, (0, 0, 0), 0.3), (c[0], c[1] + 3), r + 3)
        pygame.draw.circle(surface, p.surface, c, r + 3)
        pygame.draw.circle(surface, colors.fill, c, r)
        draw_text(surface, t.font("title", True), shape, c, colors.on_fill, "center")
        card(surface, pill, p.surface, pill.h // 2, border=p.gold if selected else colors.fill,
             border_width=4 if selected else 3)
        draw_text(surface, t.font("small", True), self._pin_label(pin), pill.center, p.ink, "center")

    def _draw_scale(self, surface: pygame.Surface | None, dry_run: bool = False) -> list[pygame.Rect]:
        """The scale bar and north arrow at the bottom right; returns their rects (drawn unless dry_run)."""
        t, p = self.theme, self.theme.palette
        s = self.vp.scale
        target = 160 * t.scale
        metres = next((m for m in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
                       if m * s >= target * 0.6), 50000)
        length = metres * s
        font = t.font("caption")
        label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
        pad = t.spacing.unit
        w = round(length) + 2 * pad + text_width(font, label) + pad
        h = line_height(font) + 2 * pad
        bottom = self.rect.bottom - (self._error_bar_h() if self.notice else 0)
        box = pygame.Rect(self.rect.right - w - t.spacing.gap, bottom - h - t.spacing.gap, w, h)
        n = pygame.Rect(0, 0, h, round(h * 1.4))
        n.bottomright = (box.right, box.top - t.spacing.unit)
        if dry_run or surface is None:
            return [box, n]
        card(surface, box, p.surface, t.spacing.radius // 2, border=p.divider)
        y = box.centery + 4
        x0 = box.x + pad
        pygame.draw.line(surface, p.ink, (x0, y), (x0 + length, y), 4)
        for x in (x0, x0 + length):
            pygame.draw.line(surface, p.ink, (x, y - 10), (x, y + 2), 3)
        draw_text(surface, font, label, (x0 + length + pad, box.centery), p.ink, "midleft")
        card(surface, n, p.surface, t.spacing.radius // 2, border=p.divider)  # north arrow
        k = max(1.0, t.scale)
        tri = [(n.centerx, n.y + 5 * k), (n.centerx + 9 * k, n.y + 21 * k), (n.centerx - 9 * k, n.y + 21 * k)]
        pygame.draw.polygon(surface, p.red, tri)
        draw_text(surface, font, self.ctx.t("北", "N"), (n.centerx, n.bottom - 4), p.ink, "midbottom")
        return [box, n]


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


# ------------------------------------------------------------------------------------ side panel


class GnssPanel(Widget):
    """本机位置: fix state, satellites by constellation (北斗 / GPS), HDOP, and the age of the position."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.lines: list[tuple[str, RGB, bool]] = []

    @staticmethod
    def preferred_height(theme: Theme) -> int:
        return line_height(theme.font("body", True)) + 3 * line_height(theme.font("small")) + 5 * theme.spacing.unit

    def set_lines(self, lines: list[tuple[str, RGB, bool]]) -> None:
        if lines != self.lines:
            self.lines = lines
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        pygame.draw.rect(surface, p.red, (r.x, r.y, max(8, t.spacing.unit), r.h),
                         border_top_left_radius=t.spacing.radius, border_bottom_left_radius=t.spacing.radius)
        x = r.x + t.spacing.gap + t.spacing.unit
        w = r.right - t.spacing.gap - x
        y = r.y + t.spacing.unit * 2
        for i, (text, color, bold) in enumerate(self.lines):
            font = t.font("body", True) if i == 0 else t.font("small", bold)
            draw_text(surface, font, ellipsize(text, w, measurer(font)), (x, y), color)
            y += line_height(font) + (t.spacing.unit if i == 0 else 0)
            if y > r.bottom:
                break


class BranchButton(Pressable):
    """Search by name: the branch's status symbol, name, and where it is from here."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 pin: BranchPin, on_tap: Callable[[], object]) -> None:
        super().__init__(rect, theme, on_tap)
        self.ctx, self.pin = ctx, pin
        self.where = ""
        self.selected = False

    def set_where(self, where: str) -> None:
        if where != self.where:
            self.where = where
            self.dirty = True

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p, pin = self.theme, self.theme.palette, self.pin
        r = self.rect
        off = max(2, t.spacing.radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        card(surface, body, p.surface_pressed if self.pressed else p.surface, t.spacing.radius,
             shadow=None if self.pressed else mix(p.bg, (0, 0, 0), 0.14),
             border=p.gold if self.selected else p.divider, border_width=4 if self.selected else 2)
        colors = status_colors(t, pin.status)
        shape = STATUS.get(pin.status, ("off", "", "", "?"))[3]
        cr = min(body.h // 2 - t.spacing.unit, round(26 * t.scale))
        cx = body.x + t.spacing.gap + cr
        pygame.draw.circle(surface, colors.fill, (cx, body.centery), cr)
        draw_text(surface, t.font("title", True), shape, (cx, body.centery), colors.on_fill, "center")
        x = cx + cr + t.spacing.gap
        w = body.right - t.spacing.gap - x
        nf, sf = t.font("body", True), t.font("small")
        _, zh, en, _ = STATUS.get(pin.status, ("off", "未知", "unknown", "?"))
        status = self.ctx.t(zh, en)
        sub = " · ".join(s for s in (status, self.where or (self.ctx.t("未标注位置", "no location")
                                                               if pin.latlon is None else "")) if s)
        top = body.centery - (line_height(nf) + line_height(sf)) // 2
        draw_text(surface, nf, ellipsize(pin.short(self.ctx.lang), w, measurer(nf)), (x, top), p.ink)
        draw_text(surface, sf, ellipsize(sub, w, measurer(sf)), (x, top + line_height(nf)),
                  colors.text if pin.status != "green" else p.ink_muted)


class BranchCard(Widget):
    """The tapped branch: status, 书记, 党员, next meeting, place, phone, distance; × closes it."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 on_close: Callable[[], object]) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.on_close = on_close
        self.pin: BranchPin | None = None
        self.where = ""
        self.visible = False
        self._pressed_close = False

    @staticmethod
    def rows_height(theme: Theme, rows: int = 6) -> int:
        t = theme
        return (t.spacing.unit * 3 + max(t.spacing.target, line_height(t.font("title", True)) + t.spacing.unit)
                + rows * (line_height(t.font("body")) + t.spacing.unit // 2) + t.spacing.unit * 3)

    @property
    def close_rect(self) -> pygame.Rect:
        s = self.theme.spacing.target
        return pygame.Rect(self.rect.right - s - self.theme.spacing.unit, self.rect.y + self.theme.spacing.unit * 2,
                           s, s)

    def show(self, pin: BranchPin | None, where: str = "") -> None:
        self.pin, self.where = pin, where
        self.visible = pin is not None
        self.dirty = True

    def rows(self) -> list[tuple[str, str]]:
        pin, ctx = self.pin, self.ctx
        if pin is None:
            return []
        return [(ctx.t("支部书记", "Secretary"), pin.secretary or "—"),
                (ctx.t("党员人数", "Members"), ctx.t(f"{pin.members} 人", str(pin.members))),
                (ctx.t("下次会议", "Next meeting"), pin.next_meeting or ctx.t("暂无安排", "none scheduled")),
                (ctx.t("活动地点", "Place"), pin.place or "—"),
                (ctx.t("联系电话", "Phone"), pin.phone or "—"),
                (ctx.t("距离本机", "From here"), self.where or ctx.t("本机位置未知", "unknown"))]

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            if not self.contains(gesture.pos):
                return False
            self._pressed_close = self.close_rect.collidepoint(gesture.pos)
            self.dirty = True
            return True  # the card eats touches so the map below does not pan
        if isinstance(gesture, (Up, Cancel)):
            if self._pressed_close:
                self._pressed_close = False
                self.dirty = True
            return True
        if isinstance(gesture, Tap):
            if self.close_rect.collidepoint(gesture.pos):
                self.on_close()
            return True
        return isinstance(gesture, Drag)

    def draw(self, surface: pygame.Surface) -> None:
        if self.pin is None:
            return
        t, p, ctx, pin = self.theme, self.theme.palette, self.ctx, self.pin
        r = self.rect
        colors = status_colors(t, pin.status)
        card(surface, r, p.surface, t.spacing.radius, shadow=mix(p.bg, (0, 0, 0), 0.3), border=p.divider)
        strip = max(8, t.spacing.unit + 2)
        pygame.draw.rect(surface, colors.fill, (r.x, r.y, r.w, strip),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        pad = t.spacing.gap
        close = self.close_rect
        pygame.draw.rect(surface, p.surface_pressed if self._pressed_close else p.bg, close,
                         border_radius=t.spacing.radius // 2)
        draw_text(surface, t.font("title", True), "×", close.center, p.ink, "center")
        x, y = r.x + pad, r.y + strip + t.spacing.unit * 2
        title_w = close.x - t.spacing.unit - x
        name = ctx.t(pin.name_zh, pin.name_en) or pin.name_zh
        tf = t.fit_font(name, title_w, "title", "button", bold=True)
        draw_text(surface, tf, ellipsize(name, title_w, measurer(tf)), (x, y), p.ink)
        y += line_height(tf) + t.spacing.unit // 2
        shape = STATUS.get(pin.status, ("off", "", "", "?"))[3]
        _, zh, en, _ = STATUS.get(pin.status, ("off", "未知", "unknown", "?"))
        sf = t.font("small", True)
        pill_text = f"{shape} {ctx.t('三会一课', '3+1 meetings')} {ctx.t(zh, en)}"
        pill = pygame.Rect(x, y, text_width(sf, pill_text) + t.spacing.unit * 4, line_height(sf) + t.spacing.unit)
        pygame.draw.rect(surface, colors.fill, pill, border_radius=pill.h // 2)
        draw_text(surface, sf, pill_text, pill.center, colors.on_fill, "center")
        y = max(pill.bottom, close.bottom) + t.spacing.unit
        lf, vf = t.font("small"), t.font("body")
        label_w = max(text_width(lf, k) for k, _ in self.rows()) + t.spacing.gap
        row_h = line_height(vf) + t.spacing.unit // 2
        for key, value in self.rows():
            if y + row_h > r.bottom - t.spacing.unit:
                break
            draw_text(surface, lf, key, (x, y + row_h // 2), p.ink_muted, "midleft")
            vw = r.right - pad - x - label_w
            draw_text(surface, vf, ellipsize(value, vw, measurer(vf)), (x + label_w, y + row_h // 2), p.ink, "midleft")
            y += row_h


class Legend(Widget):
    """What the symbols mean (shape + word, so colour is never the only cue)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx

    @staticmethod
    def items_for(ctx: KioskContext) -> list[tuple[str, str]]:
        return [*[(key, ctx.t(zh, en)) for key, (_, zh, en, _) in STATUS.items()],
                ("terminal", ctx.t("本机", "Here")), ("site", ctx.t("党建阵地", "Party site"))]

    @staticmethod
    def _flow(theme: Theme, ctx: KioskContext, width: int) -> list[list[tuple[str, str, int]]]:
        """The items in rows that fit ``width``: [[(key, text, item width), ...], ...]."""
        font = theme.font("caption")
        rad = max(12, round(15 * theme.scale))
        rows: list[list[tuple[str, str, int]]] = [[]]
        used = 0
        for key, text in Legend.items_for(ctx):
            need = 2 * rad + theme.spacing.unit + text_width(font, text) + theme.spacing.gap
            if rows[-1] and used + need > width:
                rows.append([])
                used = 0
            rows[-1].append((key, text, need))
            used += need
        return rows

    @staticmethod
    def rows_needed(theme: Theme, ctx: KioskContext, width: int) -> int:
        return len(Legend._flow(theme, ctx, width))

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        font = t.font("caption")
        r = self.rect
        rad = max(12, round(15 * t.scale))
        flow = self._flow(t, self.ctx, r.w)
        row_h = r.h // max(1, len(flow))
        for i, row in enumerate(flow):
            x, cy = r.x, r.y + i * row_h + row_h // 2
            for key, text, need in row:
                self._item(surface, key, text, (x + rad, cy), rad, font)
                x += need

    def _item(self, surface: pygame.Surface, key: str, text: str, c: tuple[int, int], rad: int,
              font: pygame.freetype.Font) -> None:
        t, p = self.theme, self.theme.palette
        if key in STATUS:
            colors = status_colors(t, key)
            pygame.draw.circle(surface, colors.fill, c, rad)
            draw_text(surface, t.font("caption", True), STATUS[key][3], c, colors.on_fill, "center")
        elif key == "terminal":
            pygame.draw.circle(surface, p.red, c, rad)
            pygame.draw.polygon(surface, p.gold, _star(c, rad * 0.75))
        else:
            rr = rad - 3
            diamond = [(c[0], c[1] - rr), (c[0] + rr, c[1]), (c[0], c[1] + rr), (c[0] - rr, c[1])]
            pygame.draw.polygon(surface, p.gold, diamond)
            pygame.draw.polygon(surface, p.red, diamond, 3)
        draw_text(surface, font, text, (c[0] + rad + t.spacing.unit, c[1]), p.ink, "midleft")


# ---------------------------------------------------------------------------------------- screen


class MapScreen(Screen):
    """党建地图: the map on one side (top in portrait), 本机位置 and the branch buttons on the other."""

    def __init__(self, ctx: KioskContext, *, geojson: str | Path | None = None, fingers: Fingers | None = None) -> None:
        super().__init__("map")
        self.ctx = ctx
        self.title = ctx.t("党建地图", "Party Map")
        config = getattr(ctx.terminal, "config", None)
        configured = config.map.geojson if config is not None and hasattr(config, "map") else DEFAULT_GEOJSON
        chosen = geojson or configured
        self.geojson = Path(chosen) if chosen else None
        self.fingers = fingers
        self.pins: list[BranchPin] = []
        self.position: Position | None = None
        self._since = 0.0  # seconds since self.position arrived
        self.selected: str | None = None
        self.buttons: dict[str, BranchButton] = {}
        self.map: MapView | None = None
        self._where: dict[str, str] = {}
        self._shown_age = ""
        self._terminal_key: tuple | None = None
        self._seen: Position | None = None  # the last ctx.position taken, so an on_event one is not undone

    # -- data ---------------------------------------------------------------------------------------
    def fallback_position(self) -> tuple[float, float] | None:
        """Configured ``map.terminal_position`` [lat, lon], else the basemap's ``terminal`` point."""
        value = _setting(self.ctx, "map", "terminal_position")
        try:
            if value is not None:
                lat, lon = (float(v) for v in value)
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    return lat, lon
        except (TypeError, ValueError):
            log.warning("map.terminal_position must be [lat, lon], got %r", value)
        data = self.map.data if self.map else None
        return data.terminal if data else None

    def terminal_mark(self) -> TerminalMark | None:
        pos = self.position
        if pos is not None and pos.known:
            acc = 5.0 * pos.hdop if pos.hdop else None  # HDOP × ~5 m user range error
            return TerminalMark(pos.latlon, "fix" if pos.fix else "stale", acc)  # type: ignore[arg-type]
        fallback = self.fallback_position()
        return TerminalMark(fallback, "set") if fallback else None

    def age_s(self) -> float | None:
        pos = self.position
        if pos is None or pos.age_s is None:
            return None
        return pos.age_s + self._since

    def on_event(self, event: object) -> None:
        """The app forwards bus events to the top screen; a :class:`Position` moves 本机."""
        if isinstance(event, Position):
            self.set_position(event)

    def set_position(self, position: Position | None) -> None:
        self.position = position
        self._since = 0.0
        self._refresh_terminal()

    # -- layout -------------------------------------------------------------------------------------
    def enter(self) -> None:
        pos = getattr(self.ctx, "position", None)
        if isinstance(pos, Position) and pos is not self.position:
            self._seen = pos
            self.set_position(pos)
        fresh = load_pins(self.ctx)
        if fresh != self.pins:
            self.pins = fresh
            self.layout(self.rect)

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        if not self.pins:
            self.pins = load_pins(ctx)
        pad, gap, target = th.spacing.pad, th.spacing.gap, th.spacing.target
        u = th.spacing.unit
        area = inset(self.rect, pad)
        n = len(self.pins)
        cols = 2 if th.portrait and n > 1 else 1
        rows = max(1, -(-n // cols))
        button_h = target + 4 * u
        head_h = line_height(th.font("body", True)) + u
        legend_row = line_height(th.font("caption")) + 2 * u
        gnss_h = GnssPanel.preferred_height(th)
        if th.portrait:
            legend_h = legend_row * Legend.rows_needed(th, ctx, area.w)
            panel_h = gnss_h + gap + head_h + u + rows * button_h + (rows - 1) * gap + gap + legend_h
            map_rect, panel = take_top(area, max(round(area.h * 0.5), area.h - gap - panel_h), gap)
        else:
            panel_w = max(round(area.w * 0.3), 4 * target)
            map_rect, panel = split_columns(area, [area.w - panel_w - gap, panel_w], gap)
            legend_h = legend_row * Legend.rows_needed(th, ctx, panel.w)
        data, error = load_basemap(self.geojson) if self.geojson is not None else (None, "")
        view = None
        if self.map is not None and self.map.rect.size == map_rect.size:
            view = (self.map.vp.to_latlon(*self.map.vp.screen_center), self.map.vp.scale)
        self.map = self.add(MapView(map_rect, th, ctx, data, self.pins, on_select=self.select,
                                    animations=bool(getattr(self.nav, "animations", True)), fingers=self.fingers,
                                    error=error, view=view, no_basemap=self.geojson is None))
        # map controls: 回到本机 top-left, + and − top-right
        here_w = text_width(th.font("button"), ctx.t("回到本机", "Locate me")) + 4 * gap
        self.here_button = self.add(Button((map_rect.x + gap, map_rect.y + gap, here_w, target), th,
                                           ctx.t("回到本机", "Locate me"), self.go_home_position, kind="secondary"))
        zx = map_rect.right - gap - target
        self.zoom_in = self.add(Button((zx, map_rect.y + gap, target, target), th, "+",
                                       lambda: self.map.zoom_by(BUTTON_ZOOM), kind="secondary", role="title"))
        self.zoom_out = self.add(Button((zx, map_rect.y + gap + target + gap, target, target), th, "−",
                                        lambda: self.map.zoom_by(1 / BUTTON_ZOOM), kind="secondary", role="title"))
        # the branch card over the bottom-left of the map
        card_w = min(map_rect.w - 2 * gap, round(640 * th.scale) + 2 * gap)
        card_h = min(map_rect.h - 2 * gap - target, BranchCard.rows_height(th))
        self.card = self.add(BranchCard((map_rect.x + gap, map_rect.bottom - gap - card_h, card_w, card_h), th, ctx,
                                        on_close=lambda: self.select(None)))
        self.map.reserved = [self.here_button.rect, self.zoom_in.rect, self.zoom_out.rect]
        # panel: 本机位置, then one button per branch, then the legend
        gnss_rect, rest = take_top(panel, gnss_h, gap)
        self.gnss = self.add(GnssPanel(gnss_rect, th, ctx))
        legend_rect, rest = take_bottom(rest, legend_h, u)
        self.legend = self.add(Legend(legend_rect, th, ctx))
        head, rest = take_top(rest, head_h, u)
        self.heading = head
        self.buttons = {}
        row_gap = gap
        if n and not th.portrait and cols == 1 and rows * target + (rows - 1) * gap > rest.h:
            # a short landscape screen (1280×720): closer rows, then two columns, rather than a branch
            # with no button
            row_gap = u
            if rows * target + (rows - 1) * row_gap > rest.h:
                cols, rows, row_gap = 2, -(-n // 2), gap
        if n:
            row_h = min(button_h, max(target, (rest.h - (rows - 1) * row_gap) // rows))
            col_w = (rest.w - (cols - 1) * gap) // cols
            for i, pin in enumerate(self.pins):
                cx, cy = i % cols, i // cols
                rect = pygame.Rect(rest.x + cx * (col_w + gap), rest.y + cy * (row_h + row_gap), col_w, row_h)
                if rect.bottom > rest.bottom:
                    break  # more branches than room: the map still shows them all
                self.buttons[pin.code] = self.add(BranchButton(rect, th, ctx, pin,
                                                               on_tap=lambda c=pin.code: self.search(c)))
        self._terminal_key = None
        self._refresh_terminal()
        if self.selected:
            self._show_card(self.selected)

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        th = self.theme
        if getattr(self, "heading", None) is not None:
            text = self.ctx.t(f"查找支部（共 {len(self.pins)} 个）", f"Find a branch ({len(self.pins)})")
            draw_text(surface, th.font("body", True), text, self.heading.midleft, th.palette.ink, "midleft")

    # -- behaviour ----------------------------------------------------------------------------------
    def select(self, code: str | None) -> None:
        """Open the card of branch ``code`` (None closes it)."""
        self.selected = code
        for c, b in self.buttons.items():
            b.set_selected(c == code)
        if self.map is not None:
            self.map.selected = code
            self.map.invalidate()
        self._show_card(code)

    def _show_card(self, code: str | None) -> None:
        pin = next((p for p in self.pins if p.code == code), None)
        was = self.card.visible
        self.card.show(pin, self._where.get(code or "", ""))
        if self.map is not None:
            self.map.reserved = [self.here_button.rect, self.zoom_in.rect, self.zoom_out.rect,
                                 *([self.card.rect] if self.card.visible else [])]
            if was != self.card.visible:
                self.map.invalidate()

    def search(self, code: str) -> None:
        """A branch button: centre the map on the branch (above the card) and open its card."""
        pin = next((p for p in self.pins if p.code == code), None)
        if pin is None:
            return
        self.select(code)
        if pin.latlon is not None and self.map is not None:
            r = self.map.rect
            free_h = self.card.rect.y - r.y
            at = (r.centerx, r.y + free_h / 2) if free_h > r.h * 0.3 else None
            self.map.focus(pin.latlon, at, max(self.map.vp.scale, self.map.home_scale))

    def go_home_position(self) -> None:
        """回到本机: centre on the terminal (or show everything when its place is unknown)."""
        if self.map is None:
            return
        mark = self.terminal_mark()
        if mark is None:
            target = replace(self.map.vp)
            self.map.fit()
            fitted = (self.map.vp.center, self.map.vp.scale)
            self.map.vp.center, self.map.vp.scale = target.center, target.scale
            self.map.animate_to(*fitted)
            return
        self.map.focus(mark.latlon, None, max(self.map.vp.scale, self.map.home_scale * 2))

    def _refresh_terminal(self) -> None:
        if self.map is None:
            return
        mark = self.terminal_mark()
        key = None if mark is None else (round(mark.latlon[0], 5), round(mark.latlon[1], 5), mark.state,
                                         round(mark.accuracy_m or 0))
        if key != self._terminal_key:
            self._terminal_key = key
            self.map.terminal = mark
            self.map.invalidate()
            self._where = {p.code: describe_offset(mark.latlon, p.latlon, self.ctx.lang)
                           for p in self.pins if mark is not None and p.latlon is not None}
            for code, b in self.buttons.items():
                b.set_where(self._where.get(code, ""))
            if self.card.visible:
                self.card.show(self.card.pin, self._where.get(self.selected or "", ""))
        self._refresh_panel()

    def gnss_lines(self) -> list[tuple[str, RGB, bool]]:
        """The 本机位置 panel's lines: (text, colour, bold)."""
        ctx, p = self.ctx, self.theme.palette
        pos = self.position
        title = (ctx.t("本机位置 · 北斗定位", "This terminal · BeiDou"), p.ink, True)
        if pos is None or (not pos.known and not pos.connected):
            mark = self.terminal_mark()
            if mark is not None:
                first = ctx.t("◎ 设定位置（未接北斗接收机）", "◎ Surveyed position (no receiver)")
                if pos is not None:
                    first = ctx.t("× 接收机未连接，显示设定位置", "× Receiver not connected; surveyed position")
                return [title, (first, p.ink_muted if pos is None else p.bad.text, True),
                        (f"{mark.latlon[0]:.5f}°N  {mark.latlon[1]:.5f}°E", p.ink_muted, False)]
            return [title, (ctx.t("本机位置未知", "Position unknown"), p.ink_muted, True)]
        sats = ctx.t(f"卫星 {pos.satellites_used} 颗：北斗 {pos.beidou_used} · GPS {pos.gps_used}"
                     + (f" · 其他 {pos.other_used}" if pos.other_used else ""),
                     f"{pos.satellites_used} satellites: BeiDou {pos.beidou_used} · GPS {pos.gps_used}"
                     + (f" · other {pos.other_used}" if pos.other_used else ""))
        age = age_text(self.age_s(), ctx.lang)
        if pos.fix:
            mode = {3: "3D", 2: "2D"}.get(pos.fix_mode, "")
            first = (ctx.t(f"✓ 已定位 {mode}", f"✓ Fix {mode}").strip(), p.ok.text, True)
            hdop = f"HDOP {pos.hdop:.1f} · " if pos.hdop else ""
            third = (hdop + ctx.t(f"更新于 {age}", f"updated {age}"), p.ink_muted, False)
            return [title, first, (sats, p.ink, False), third]
        if not pos.connected:
            first = (ctx.t("× 接收机未连接", "× Receiver not connected"), p.bad.text, True)
        else:
            first = (ctx.t("! 暂无定位信号", "! No satellite fix"), p.warn.text, True)
        if pos.known:
            second = (ctx.t(f"显示上次位置（{age}）", f"Showing last known position ({age})"), p.ink, False)
        else:
            second = (ctx.t("尚未定位过，请稍候", "No fix yet, please wait"), p.ink, False)
        view = ctx.t(f"可见卫星 {pos.satellites_in_view} 颗（北斗 {pos.beidou_in_view}）",
                     f"{pos.satellites_in_view} in view (BeiDou {pos.beidou_in_view})")
        return [title, first, second, (view, p.ink_muted, False)]

    def _refresh_panel(self) -> None:
        if getattr(self, "gnss", None) is not None:
            self.gnss.set_lines(self.gnss_lines())
            self._shown_age = age_text(self.age_s(), self.ctx.lang)

    def update(self, dt: float) -> None:
        super().update(dt)
        latest = getattr(self.ctx, "position", None)  # the app keeps the last Position there
        if isinstance(latest, Position) and latest is not self.position and latest is not self._seen:
            self._seen = latest
            self.set_position(latest)
        if self.position is not None:
            self._since += dt
            if age_text(self.age_s(), self.ctx.lang) != self._shown_age:
                self._refresh_panel()


SCREENS: dict[str, Callable[[KioskContext], Screen]] = {"map": MapScreen}

"""The offline basemap: the site's GeoJSON read once, projected to metres once, drawn with pygame.

Why it is built this way: a kiosk has no tile server and no internet, so the streets are a vector file
the site supplies (``map.geojson``), styled here by feature kind and drawn every frame the map moves.
Shapes are projected to local metres when loaded, so panning only scales and shifts them; labels are
rendered once with a white halo and blitted, and a label that would cover a control, a marker or
another label is left out rather than drawn over it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygame

from core.geo import (
    GeoJSONError,
    LocalProjection,
    MapData,
    MapFeature,
    Viewport,
    clip_polygon,
    clip_polyline,
    load_geojson,
)
from kiosk.context import KioskContext
from kiosk.ui.drawing import draw_text, line_height, text_width
from kiosk.ui.theme import RGB, Theme

log = logging.getLogger(__name__)

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
#: Big areas are named near their top edge (buildings in the middle), so a branch marker inside does not
#: hide the name.
TOP_NAMED = ("campus", "industrial", "residential", "school", "park")


@dataclass
class Shape:
    """One basemap feature in local metres, with its style and bounding box (for culling)."""

    feature: MapFeature
    style: Style
    parts: list[list[tuple[float, float]]]
    bbox: tuple[float, float, float, float]


def project_shapes(data: MapData | None, projection: LocalProjection) -> list[Shape]:
    """The features in metres, bottom layer first (the terminal point is drawn as 本机, not here)."""
    shapes = []
    for f in data.features if data else []:
        if f.kind == "terminal":
            continue
        style = STYLES.get(f.kind, DEFAULT_STYLE)
        parts = [[projection.forward(lat, lon) for lon, lat in part] for part in f.parts]
        xs = [p[0] for part in parts for p in part]
        ys = [p[1] for part in parts for p in part]
        shapes.append(Shape(f, style, parts, (min(xs), min(ys), max(xs), max(ys))))
    shapes.sort(key=lambda s: s.style.layer)
    return shapes


def to_screen(vp: Viewport, part: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Metres to pixels for a whole ring or line at once (the hot loop while panning)."""
    s = vp.scale
    c0, c1 = vp.center
    cx, cy = vp.screen_center
    return [(cx + (x - c0) * s, cy - (y - c1) * s) for x, y in part]


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


def thick_line(surface: pygame.Surface, color: RGB, pts: Sequence[tuple[float, float]], width: float) -> None:
    """A polyline with round joins once it is wide enough for pygame's square joins to show gaps."""
    w = max(1, round(width))
    pygame.draw.lines(surface, color, False, pts, w)
    if w >= 4:
        r = w / 2
        for p in pts:
            pygame.draw.circle(surface, color, p, r)


def star(center: tuple[float, float], r: float) -> list[tuple[float, float]]:
    """A five-pointed star's outline (本机's symbol, on the map and in the legend)."""
    cx, cy = center
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        rr = r if i % 2 == 0 else r * 0.42
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    return pts


def site_diamond(c: tuple[float, float], r: float) -> list[tuple[float, float]]:
    """A 党建阵地 (Party site) symbol's outline: a diamond, gold with a red edge."""
    return [(c[0], c[1] - r), (c[0] + r, c[1]), (c[0], c[1] + r), (c[0] - r, c[1])]


# ---------------------------------------------------------------------------------------- drawing


class BasemapPainter:
    """Draws the projected shapes for a viewport, then their names where there is room."""

    def __init__(self, theme: Theme, ctx: KioskContext, shapes: list[Shape]) -> None:
        self.theme, self.ctx, self.shapes = theme, ctx, shapes
        self.labels = LabelCache(theme)

    def draw_shapes(self, surface: pygame.Surface, vp: Viewport, rect: pygame.Rect,
                    margin: int) -> list[tuple[int, Shape, list]]:
        """Every shape in view (``margin`` px beyond ``rect``); returns the nameable ones, with priority
        and screen coordinates, for :meth:`draw_labels` once the markers are placed."""
        box = (rect.x - margin, rect.y - margin, rect.w + 2 * margin, rect.h + 2 * margin)
        vx0, vy0, vx1, vy1 = vp.visible_metres()
        pad_m = margin / vp.scale
        visible = [s for s in self.shapes if s.bbox[2] >= vx0 - pad_m and s.bbox[0] <= vx1 + pad_m
                   and s.bbox[3] >= vy0 - pad_m and s.bbox[1] <= vy1 + pad_m]
        labels: list[tuple[int, Shape, list]] = []
        for shape in visible:
            screen = self._draw_shape(surface, shape, vp, box)
            if shape.feature.name and shape.style.label:
                labels.append((LABEL_PRIORITY.get(shape.feature.kind, 9), shape, screen))
        return labels

    def draw_labels(self, surface: pygame.Surface, labels: list[tuple[int, Shape, list]], bounds: pygame.Rect,
                    taken: list[pygame.Rect]) -> None:
        """Names, most important first, each only where it fits inside ``bounds`` and clear of ``taken``."""
        for _, shape, screen in sorted(labels, key=lambda x: x[0]):
            rect, img = self._label_place(shape, screen, bounds, taken)
            if rect is not None:
                surface.blit(img, rect)
                taken.append(rect)

    def _draw_shape(self, surface: pygame.Surface, shape: Shape, vp: Viewport, box: tuple) -> list:
        f, st = shape.feature, shape.style
        s = vp.scale
        if f.geometry == "polygon":
            rings = [clip_polygon(to_screen(vp, p), box) for p in shape.parts]
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
            return self._draw_line(surface, shape, vp, box)
        (pt,) = to_screen(vp, list(shape.parts[0]))
        self._draw_poi(surface, f.kind, pt)
        return [pt]

    def _draw_line(self, surface: pygame.Surface, shape: Shape, vp: Viewport, box: tuple) -> list:
        """A road, river or railway: a cased line as wide as it is in metres, never thinner than legible."""
        f, st = shape.feature, shape.style
        width_m, min_px, fill, casing = st.width_m, st.min_px, st.line, st.casing
        if f.kind == "road":
            w_m, mp, major_fill, major_casing = ROAD_RANKS.get(str(f.properties.get("rank", "minor")),
                                                            ROAD_RANKS["minor"])
            width_m, min_px = w_m, mp
            fill, casing = major_fill or fill, major_casing or casing
        if isinstance(f.properties.get("width_m"), (int, float)):
            width_m = float(f.properties["width_m"])
        w = max(min_px * self.theme.scale, width_m * vp.scale)
        runs = [run for p in shape.parts for run in clip_polyline(to_screen(vp, p), box)]
        for run in runs:
            if casing is not None:
                thick_line(surface, casing, run, w + max(2, 2 * self.theme.scale))
        for run in runs:
            thick_line(surface, fill or DEFAULT_STYLE.line, run, w)
        return runs

    def _draw_poi(self, surface: pygame.Surface, kind: str, pt: tuple[float, float]) -> None:
        p = self.theme.palette
        r = max(8, round(11 * self.theme.scale))
        if kind == "site":
            diamond = site_diamond(pt, r)
            pygame.draw.polygon(surface, p.gold, diamond)
            pygame.draw.polygon(surface, p.red, diamond, 3)
        elif kind == "station":
            pygame.draw.circle(surface, p.surface, pt, r)
            pygame.draw.circle(surface, p.ink, pt, r, 3)
            pygame.draw.circle(surface, p.ink, pt, r // 3)

    def _label_place(self, shape: Shape, screen: list, bounds: pygame.Rect,
                     taken: list[pygame.Rect]) -> tuple[pygame.Rect | None, pygame.Surface | None]:
        """Where a shape's name goes (None: nowhere it fits uncovered) and its rendered image."""
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
            candidates = [rect]
        elif st.label == "line":
            img = self.labels.get(name, "caption", st.text, f.kind == "river")
            candidates = self._line_label_places(screen, img)
        else:
            if len(screen) < 3:
                return None, None
            img = self.labels.get(name, "caption", st.text, f.kind in ("campus", "industrial", "park"))
            candidates = self._area_label_places(f.kind, screen, img)
        for rect in candidates:
            if bounds.contains(rect) and rect.collidelist(taken) < 0:
                return rect, img
        return None, None

    @staticmethod
    def _line_label_places(runs: list, img: pygame.Surface) -> list[pygame.Rect]:
        """The middle of the line's longest visible segment, if the name fits along it."""
        best = None
        for run in runs:
            for a, b in zip(run, run[1:], strict=False):
                d = math.dist(a, b)
                if best is None or d > best[0]:
                    best = (d, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
        if best is None or best[0] < img.get_width() * 0.8:
            return []
        return [img.get_rect(center=(round(best[1][0]), round(best[1][1])))]

    def _area_label_places(self, kind: str, ring: list, img: pygame.Surface) -> list[pygame.Rect]:
        """Near the top, in the middle or near the bottom of an area wide enough for its name."""
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        if max(xs) - min(xs) < img.get_width() * (0.9 if kind == "building" else 0.6):
            return []
        u = self.theme.spacing.unit
        mid_x = round((min(xs) + max(xs)) / 2)
        centre = img.get_rect(center=(round(sum(xs) / len(xs)), round(sum(ys) / len(ys))))
        top = img.get_rect(midtop=(mid_x, round(min(ys)) + u))
        bottom = img.get_rect(midbottom=(mid_x, round(max(ys)) - u))
        return [top, centre, bottom] if kind in TOP_NAMED else [centre, top, bottom]

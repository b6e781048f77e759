"""Geography for the party-branch map (党建地图): distances, directions, a local projection, a pan/zoom
viewport, and a validated GeoJSON basemap.

Why these choices:

- A town fits in a few kilometres, so an equirectangular projection around a centre point is exact to
  well under a pixel at kiosk zoom levels (the error grows with the square of the distance from the
  centre: ~0.1 m at 5 km). It keeps the maths readable and needs no tile pyramid or projection library.
- Distances use the haversine formula on a sphere of the WGS84 mean radius: at town scale it agrees with
  the ellipsoid to about 0.3 %, far below what "东北 1.2 km" shows.
- Directions are told the way people say them at a front desk: eight Chinese compass points.
- The basemap is plain GeoJSON that a site supplies (drawn by hand or exported from QGIS), so nothing on
  the kiosk asks the internet for tiles. A mistake in that file must come back as ``file: key: what is
  wrong`` for the administrator, never as a traceback on the lobby screen.

Everything here is pure (no pygame, no I/O except :func:`load_geojson`); screen rectangles are plain
``(x, y, w, h)`` tuples. Coordinates are WGS84 degrees as ``(lat, lon)`` in this module's API, but
GeoJSON positions stay in GeoJSON's own ``[lon, lat]`` order inside :class:`MapFeature`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Mean Earth radius of WGS84 (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

LatLon = tuple[float, float]
Rect = tuple[float, float, float, float]

DIRECTIONS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
DIRECTIONS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


# --------------------------------------------------------------------------------------- distances


def haversine_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance in metres between two ``(lat, lon)`` points."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial bearing from ``a`` to ``b`` in degrees: 0 = north, 90 = east, clockwise, in [0, 360)."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    dlon = lon2 - lon1
    y = math.sin(dlon) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlon)
    return math.degrees(math.atan2(y, x)) % 360.0


def direction_index(bearing: float) -> int:
    """Which of the eight 45° sectors (0 = north, 1 = north-east, ...) a bearing falls in."""
    return int(((bearing % 360.0) + 22.5) // 45.0) % 8


def direction_zh(bearing: float) -> str:
    """A bearing as one of 北 东北 东 东南 南 西南 西 西北."""
    return DIRECTIONS_ZH[direction_index(bearing)]


def direction_en(bearing: float) -> str:
    return DIRECTIONS_EN[direction_index(bearing)]


def format_distance(metres: float) -> str:
    """"35 m", "350 m", "1.2 km", "12 km": rounded the way a sign would show it."""
    if metres < 0 or math.isnan(metres):
        raise ValueError(f"distance must be a non-negative number, got {metres!r}")
    if metres < 50:
        return f"{round(metres)} m"
    if metres < 1000:
        return f"{round(metres / 10) * 10} m"
    km = metres / 1000
    if round(km, 1) < 10:
        return f"{km:.1f} km"
    return f"{round(km)} km"


def describe_offset(origin: LatLon, target: LatLon, lang: str = "zh") -> str:
    """Where ``target`` lies from ``origin``, e.g. "东北 1.2 km" (or "NE 1.2 km"); "就在附近" when closer
    than 20 m, where a direction would be noise."""
    d = haversine_m(origin, target)
    if d < 20:
        return "就在附近" if lang != "en" else "right here"
    b = bearing_deg(origin, target)
    return f"{direction_zh(b) if lang != 'en' else direction_en(b)} {format_distance(d)}"


# -------------------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection around ``(lat0, lon0)``: x metres east, y metres north of the centre."""

    lat0: float
    lon0: float

    @property
    def _kx(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0))

    @property
    def _ky(self) -> float:
        return math.radians(1.0) * EARTH_RADIUS_M

    def forward(self, lat: float, lon: float) -> tuple[float, float]:
        """``(lat, lon)`` degrees → ``(x, y)`` metres (east, north)."""
        return (lon - self.lon0) * self._kx, (lat - self.lat0) * self._ky

    def inverse(self, x: float, y: float) -> LatLon:
        """``(x, y)`` metres → ``(lat, lon)`` degrees."""
        return self.lat0 + y / self._ky, self.lon0 + x / self._kx


@dataclass
class Viewport:
    """Maps projected metres to pixels inside ``rect``, with pan and zoom that a finger can drive.

    ``scale`` is pixels per metre; ``center`` is the projected point (metres) shown at the middle of
    ``rect``. Screen y grows downwards, so north is up. Zoom is clamped to ``[min_scale, max_scale]``;
    :meth:`zoom` keeps the point under the pivot (the finger, or the pinch midpoint) where it was.
    """

    projection: LocalProjection
    rect: Rect
    scale: float = 1.0
    center: tuple[float, float] = (0.0, 0.0)
    min_scale: float = 0.01
    max_scale: float = 20.0

    def __post_init__(self) -> None:
        if self.rect[2] <= 0 or self.rect[3] <= 0:
            raise ValueError(f"viewport rect must have a positive size, got {self.rect!r}")
        if not 0 < self.min_scale <= self.max_scale:
            raise ValueError("need 0 < min_scale <= max_scale")
        self.scale = self._clamp(self.scale)

    def _clamp(self, scale: float) -> float:
        return min(self.max_scale, max(self.min_scale, scale))

    @property
    def screen_center(self) -> tuple[float, float]:
        x, y, w, h = self.rect
        return x + w / 2, y + h / 2

    # -- transforms ------------------------------------------------------------------------------
    def metres_to_screen(self, mx: float, my: float) -> tuple[float, float]:
        cx, cy = self.screen_center
        return cx + (mx - self.center[0]) * self.scale, cy - (my - self.center[1]) * self.scale

    def screen_to_metres(self, px: float, py: float) -> tuple[float, float]:
        cx, cy = self.screen_center
        return self.center[0] + (px - cx) / self.scale, self.center[1] - (py - cy) / self.scale

    def to_screen(self, lat: float, lon: float) -> tuple[float, float]:
        """``(lat, lon)`` → pixel ``(x, y)`` (floats; may lie outside ``rect``)."""
        return self.metres_to_screen(*self.projection.forward(lat, lon))

    def to_latlon(self, px: float, py: float) -> LatLon:
        """Pixel ``(x, y)`` → ``(lat, lon)``."""
        return self.projection.inverse(*self.screen_to_metres(px, py))

    # -- movement --------------------------------------------------------------------------------
    def pan(self, dx: float, dy: float) -> None:
        """Move the content by ``dx``/``dy`` pixels (the way the finger moved)."""
        self.center = (self.center[0] - dx / self.scale, self.center[1] + dy / self.scale)

    def zoom(self, factor: float, pivot: tuple[float, float] | None = None) -> float:
        """Multiply the scale by ``factor`` (clamped), keeping ``pivot`` fixed; returns the new scale."""
        return self.set_scale(self.scale * factor, pivot)

    def set_scale(self, scale: float, pivot: tuple[float, float] | None = None) -> float:
        pivot = pivot or self.screen_center
        anchor = self.screen_to_metres(*pivot)
        self.scale = self._clamp(scale)
        after = self.screen_to_metres(*pivot)
        self.center = (self.center[0] + anchor[0] - after[0], self.center[1] + anchor[1] - after[1])
        return self.scale

    def center_on(self, lat: float, lon: float) -> None:
        self.center = self.projection.forward(lat, lon)

    def fit(self, points: Iterable[LatLon], margin_px: float = 0.0) -> None:
        """Centre on the box around ``points`` and choose the largest scale that shows them all."""
        xy = [self.projection.forward(lat, lon) for lat, lon in points]
        if not xy:
            return
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        self.center = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        w = max(1.0, self.rect[2] - 2 * margin_px)
        h = max(1.0, self.rect[3] - 2 * margin_px)
        span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
        scale = min(w / span_x if span_x > 0 else math.inf, h / span_y if span_y > 0 else math.inf)
        if math.isfinite(scale):
            self.scale = self._clamp(scale)

    def clamp_center(self, bounds_m: tuple[float, float, float, float]) -> None:
        """Keep the centre inside ``(min_x, min_y, max_x, max_y)`` metres so the map cannot be lost."""
        x0, y0, x1, y1 = bounds_m
        self.center = (min(x1, max(x0, self.center[0])), min(y1, max(y0, self.center[1])))

    def visible_metres(self) -> tuple[float, float, float, float]:
        """``(min_x, min_y, max_x, max_y)`` in metres covered by ``rect``."""
        x, y, w, h = self.rect
        ax, ay = self.screen_to_metres(x, y + h)
        bx, by = self.screen_to_metres(x + w, y)
        return ax, ay, bx, by


# ---------------------------------------------------------------------------------------- clipping

Point = tuple[float, float]


def clip_polygon(points: Sequence[Point], box: Rect) -> list[Point]:
    """Sutherland–Hodgman clip of a polygon to ``box`` ``(x, y, w, h)``.

    Why: zoomed in, a town's outline lies tens of thousands of pixels off screen; pygame draws with C
    ints and scans every row of a polygon, so off-screen parts are cut away before drawing.
    """
    x0, y0, w, h = box
    x1, y1 = x0 + w, y0 + h
    edges = (
        (lambda p: p[0] >= x0, lambda a, b: _at_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _at_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _at_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _at_y(a, b, y1)),
    )
    out = list(points)
    for inside, cross in edges:
        if not out:
            break
        src, out = out, []
        prev = src[-1]
        for cur in src:
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
            prev = cur
    return out


def _at_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return x, a[1] + t * (b[1] - a[1])


def _at_y(a: Point, b: Point, y: float) -> Point:
    t = (y - a[1]) / (b[1] - a[1])
    return a[0] + t * (b[0] - a[0]), y


def clip_segment(a: Point, b: Point, box: Rect) -> tuple[Point, Point] | None:
    """Liang–Barsky: the part of segment ``a``–``b`` inside ``box``, or None."""
    x0, y0, w, h = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x0 + w - a[0]), (-dy, a[1] - y0), (dy, y0 + h - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            if r > t1:
                return None
            t0 = max(t0, r)
        else:
            if r < t0:
                return None
            t1 = min(t1, r)
    return (a[0] + t0 * dx, a[1] + t0 * dy), (a[0] + t1 * dx, a[1] + t1 * dy)


def clip_polyline(points: Sequence[Point], box: Rect) -> list[list[Point]]:
    """The runs of a polyline that lie inside ``box`` (a line leaving and re-entering gives two runs)."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for a, b in zip(points, points[1:], strict=False):
        seg = clip_segment(a, b, box)
        if seg is None:
            if current:
                runs.append(current)
                current = []
            continue
        if current and current[-1] == seg[0]:
            current.append(seg[1])
        else:
            if current:
                runs.append(current)
            current = [seg[0], seg[1]]
        if seg[1] != b:  # left the box
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


# ---------------------------------------------------------------------------------------- GeoJSON

#: Geometry types a basemap may use.
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
#: Refuse files larger than this (a town basemap is tens of kilobytes).
MAX_GEOJSON_BYTES = 20_000_000
#: Stop listing problems after this many (the rest are counted).
MAX_ERRORS = 20


class GeoJSONError(ValueError):
    """A basemap file that cannot be used; ``messages`` are ``file: key: problem`` lines."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


@dataclass(frozen=True)
class MapFeature:
    """One drawable thing. ``geometry`` is "point", "line" or "polygon"; ``parts`` are sequences of
    ``(lon, lat)`` positions: one for a point, one or more lines, or a polygon's rings (outer first)."""

    kind: str
    geometry: str
    parts: tuple[tuple[tuple[float, float], ...], ...]
    name: str = ""
    name_en: str = ""
    properties: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def positions(self) -> Iterable[tuple[float, float]]:
        for part in self.parts:
            yield from part


@dataclass
class MapData:
    """A loaded basemap: its features in file order (drawn in that order) and where it came from."""

    features: list[MapFeature]
    source: str = ""
    name: str = ""

    def bounds(self) -> tuple[float, float, float, float] | None:
        """``(min_lat, min_lon, max_lat, max_lon)`` of every position, or None when empty."""
        pts = [p for f in self.features for p in f.positions()]
        if not pts:
            return None
        lons, lats = [p[0] for p in pts], [p[1] for p in pts]
        return min(lats), min(lons), max(lats), max(lons)

    def center(self) -> LatLon | None:
        b = self.bounds()
        return None if b is None else ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)

    def of_kind(self, *kinds: str) -> list[MapFeature]:
        return [f for f in self.features if f.kind in kinds]

    @property
    def terminal(self) -> LatLon | None:
        """The terminal's surveyed place, when the file marks one (a Point of kind "terminal")."""
        for f in self.features:
            if f.kind == "terminal" and f.geometry == "point":
                lon, lat = f.parts[0][0]
                return lat, lon
        return None


class _Checker:
    """Collects ``file: key: problem`` messages while walking a parsed GeoJSON document."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []
        self.dropped = 0

    def error(self, key: str, problem: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{self.source}: {key}: {problem}" if key else f"{self.source}: {problem}")
        else:
            self.dropped += 1

    def raise_if_any(self) -> None:
        if self.errors:
            more = [f"{self.source}: … and {self.dropped} more problems"] if self.dropped else []
            raise GeoJSONError(self.errors + more)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _position(value: Any, key: str, check: _Checker) -> tuple[float, float] | None:
    if not (isinstance(value, list) and len(value) in (2, 3) and all(_is_number(v) for v in value)):
        check.error(key, f"must be [longitude, latitude] numbers, got {_show(value)}")
        return None
    lon, lat = float(value[0]), float(value[1])
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = ""
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            hint = " (latitude and longitude swapped? GeoJSON order is [longitude, latitude])"
        check.error(key, f"[{value[0]}, {value[1]}] is not on Earth: longitude must be -180..180 and "
                         f"latitude -90..90{hint}")
        return None
    return lon, lat


def _line(value: Any, key: str, check: _Checker, minimum: int) -> tuple[tuple[float, float], ...] | None:
    if not isinstance(value, list):
        check.error(key, f"must be a list of [longitude, latitude] positions, got {_show(value)}")
        return None
    pts = [_position(p, f"{key}[{i}]", check) for i, p in enumerate(value)]
    if any(p is None for p in pts):
        return None
    if len(pts) < minimum:
        check.error(key, f"needs at least {minimum} positions, got {len(pts)}")
        return None
    return tuple(p for p in pts if p is not None)


def _ring(value: Any, key: str, check: _Checker) -> tuple[tuple[float, float], ...] | None:
    ring = _line(value, key, check, 3)
    if ring is None:
        return None
    if ring[0] == ring[-1]:
        ring = ring[:-1]  # GeoJSON closes rings by repeating the first position; we draw closed polygons
    if len(set(ring)) < 3:
        check.error(key, "a polygon ring needs at least 3 different positions")
        return None
    return ring


def _geometry(geom: Any, key: str, check: _Checker) -> list[tuple[str, tuple]]:
    """→ list of (geometry, parts) pairs; Multi* geometries become several (or multi-part) entries."""
    if not isinstance(geom, dict):
        check.error(key, f"must be a geometry object with type and coordinates, got {_show(geom)}")
        return []
    gtype = geom.get("type")
    if gtype not in GEOMETRY_TYPES:
        check.error(f"{key}.type", f"must be one of {', '.join(GEOMETRY_TYPES)}, got {_show(gtype)}")
        return []
    if "coordinates" not in geom:
        check.error(f"{key}.coordinates", "is required")
        return []
    coords = geom["coordinates"]
    ck = f"{key}.coordinates"
    if gtype == "Point":
        p = _position(coords, ck, check)
        return [] if p is None else [("point", ((p,),))]
    if gtype == "LineString":
        line = _line(coords, ck, check, 2)
        return [] if line is None else [("line", (line,))]
    if not isinstance(coords, list) or not coords:
        check.error(ck, f"must be a non-empty list, got {_show(coords)}")
        return []
    if gtype == "MultiPoint":
        pts = [_position(p, f"{ck}[{i}]", check) for i, p in enumerate(coords)]
        return [("point", ((p,),)) for p in pts if p is not None]
    if gtype == "MultiLineString":
        lines = [_line(v, f"{ck}[{i}]", check, 2) for i, v in enumerate(coords)]
        if any(v is None for v in lines):
            return []
        return [("line", tuple(v for v in lines if v is not None))]
    polygons = [coords] if gtype == "Polygon" else coords
    out: list[tuple[str, tuple]] = []
    for pi, poly in enumerate(polygons):
        pk = ck if gtype == "Polygon" else f"{ck}[{pi}]"
        if not isinstance(poly, list) or not poly:
            check.error(pk, f"must be a list of rings (outer ring first), got {_show(poly)}")
            continue
        rings = [_ring(r, f"{pk}[{ri}]", check) for ri, r in enumerate(poly)]
        if all(r is not None for r in rings):
            out.append(("polygon", tuple(r for r in rings if r is not None)))
    return out


def _default_kind(gtype: Any) -> str:
    return {"Point": "poi", "MultiPoint": "poi", "LineString": "line", "MultiLineString": "line"}.get(
        gtype, "area")


def parse_geojson(doc: Any, source: str = "<geojson>") -> MapData:
    """Validate a parsed GeoJSON FeatureCollection (or a single Feature) and return its features.

    Each feature's ``properties`` may hold ``kind`` (road, river, water, park, campus, building, site,
    terminal, ...; unknown kinds are drawn plainly), ``name`` / ``name_zh`` and ``name_en`` (text),
    and anything else the styling wants (``rank`` for roads). Raises :class:`GeoJSONError` listing
    every problem found (up to :data:`MAX_ERRORS`).
    """
    check = _Checker(source)
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict):
        check.error("", f"the top level must be a GeoJSON object (a FeatureCollection), got {_show(doc)}")
        check.raise_if_any()
    if doc.get("type") != "FeatureCollection":
        check.error("type", f'must be "FeatureCollection", got {_show(doc.get("type"))}')
    raw = doc.get("features")
    if not isinstance(raw, list):
        check.error("features", f"must be a list of features, got {_show(raw)}")
        check.raise_if_any()
    features: list[MapFeature] = []
    for i, feat in enumerate(raw):
        key = f"features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            check.error(f"{key}.type" if isinstance(feat, dict) else key,
                        f'must be a {{"type": "Feature", ...}} object, got {_show(feat)}')
            continue
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            check.error(f"{key}.properties", f"must be an object or null, got {_show(props)}")
            continue
        name = props.get("name_zh", props.get("name", ""))
        name_en = props.get("name_en", "")
        label = f"{key} ({name})" if isinstance(name, str) and name else key
        ok = True
        for pkey, value in (("name", name), ("name_en", name_en), ("kind", props.get("kind", ""))):
            if not isinstance(value, str):
                check.error(f"{label}.properties.{pkey}", f"must be text, got {_show(value)}")
                ok = False
        if feat.get("geometry") is None:
            check.error(f"{label}.geometry", "is required (null geometries cannot be drawn)")
            continue
        geom = feat["geometry"]
        parts_list = _geometry(geom, f"{label}.geometry", check)
        if not ok:
            continue
        kind = props.get("kind") or _default_kind(geom.get("type") if isinstance(geom, dict) else None)
        for gname, parts in parts_list:
            features.append(MapFeature(kind, gname, parts, name, name_en, dict(props)))
    check.raise_if_any()
    if not features:
        raise GeoJSONError([f"{source}: features: the file has no features to draw"])
    name = doc.get("name") if isinstance(doc.get("name"), str) else ""
    return MapData(features, source, name)


def load_geojson(path: str | Path) -> MapData:
    """Read and validate a basemap file; every failure is a :class:`GeoJSONError` naming the file."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise GeoJSONError([f"{source}: file not found"]) from None
    except OSError as exc:
        raise GeoJSONError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    if path.is_dir():
        raise GeoJSONError([f"{source}: is a folder, not a GeoJSON file"])
    if size > MAX_GEOJSON_BYTES:
        raise GeoJSONError([f"{source}: {size} bytes is too large for a basemap (at most {MAX_GEOJSON_BYTES})"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GeoJSONError([f"{source}: not UTF-8 text (byte {exc.start}): save the file as UTF-8"]) from None
    except OSError as exc:
        raise GeoJSONError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    if not text.strip():
        raise GeoJSONError([f"{source}: the file is empty"])
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeoJSONError([f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]) from None
    except RecursionError:
        raise GeoJSONError([f"{source}: nested too deeply to be GeoJSON"]) from None
    return parse_geojson(doc, source)

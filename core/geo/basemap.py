"""The site's basemap: a validated GeoJSON file (roads, rivers, campus, the terminal's own place).

Why plain GeoJSON that a site supplies (drawn by hand or exported from QGIS): nothing on the kiosk asks the
internet for tiles. A mistake in that file must come back as ``file: key: what is wrong`` for the
administrator, never as a traceback on the lobby screen. GeoJSON positions stay in GeoJSON's own
``[lon, lat]`` order inside :class:`MapFeature`; the rest of ``core.geo`` speaks ``(lat, lon)``.
Only :func:`load_geojson` reads a file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.geo.distance import LatLon

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

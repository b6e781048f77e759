"""Geography for the party-branch map (党建地图): distances, directions, a local projection, a pan/zoom
viewport, clipping to the screen, and a validated GeoJSON basemap.

The parts, each with its reasons: ``core.geo.distance`` (haversine distances, eight compass points),
``core.geo.projection`` (equirectangular projection around a centre, the viewport a finger pans and
zooms), ``core.geo.clipping`` (polygons and lines cut to the screen before drawing) and
``core.geo.basemap`` (the site's GeoJSON file, every mistake named as ``file: key: problem``). Every name
is importable from ``core.geo`` as before.

Everything here is pure (no pygame, no I/O except :func:`load_geojson`); screen rectangles are plain
``(x, y, w, h)`` tuples. Coordinates are WGS84 degrees as ``(lat, lon)`` in this package's API, but
GeoJSON positions stay in GeoJSON's own ``[lon, lat]`` order inside :class:`MapFeature`.
"""

from __future__ import annotations

from core.geo.basemap import (
    GEOMETRY_TYPES,
    MAX_ERRORS,
    MAX_GEOJSON_BYTES,
    GeoJSONError,
    MapData,
    MapFeature,
    load_geojson,
    parse_geojson,
)
from core.geo.clipping import Point, clip_polygon, clip_polyline, clip_segment
from core.geo.distance import (
    DIRECTIONS_EN,
    DIRECTIONS_ZH,
    EARTH_RADIUS_M,
    LatLon,
    Rect,
    bearing_deg,
    describe_offset,
    direction_en,
    direction_index,
    direction_zh,
    format_distance,
    haversine_m,
)
from core.geo.projection import LocalProjection, Viewport

__all__ = [
    "DIRECTIONS_EN", "DIRECTIONS_ZH", "EARTH_RADIUS_M", "GEOMETRY_TYPES", "MAX_ERRORS", "MAX_GEOJSON_BYTES",
    "GeoJSONError", "LatLon", "LocalProjection", "MapData", "MapFeature", "Point", "Rect", "Viewport",
    "bearing_deg", "clip_polygon", "clip_polyline", "clip_segment", "describe_offset", "direction_en",
    "direction_index", "direction_zh", "format_distance", "haversine_m", "load_geojson", "parse_geojson",
]

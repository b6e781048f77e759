"""Distances and directions between two WGS84 points, told the way people say them at a front desk.

Why these choices: distances use the haversine formula on a sphere of the WGS84 mean radius — at town
scale it agrees with the ellipsoid to about 0.3 %, far below what "东北 1.2 km" shows; directions are the
eight Chinese compass points. Coordinates are ``(lat, lon)`` degrees. Pure: no pygame, no I/O.
"""

from __future__ import annotations

import math

#: Mean Earth radius of WGS84 (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

LatLon = tuple[float, float]
Rect = tuple[float, float, float, float]

DIRECTIONS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
DIRECTIONS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


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

"""core.geo: distances and directions, projection and viewport round trips, clipping, and GeoJSON
validation (the demo basemap loads; garbage gives ``file: key: problem`` and never a traceback)."""

from __future__ import annotations

import json
import math
import random

import pytest
import yaml

from core.geo import (
    GeoJSONError,
    LocalProjection,
    Viewport,
    bearing_deg,
    clip_polygon,
    clip_polyline,
    describe_offset,
    direction_zh,
    format_distance,
    haversine_m,
    load_geojson,
    parse_geojson,
)
from tests.conftest import ROOT

DEMO_MAP = ROOT / "content" / "demo" / "map.geojson"
TERMINAL = (30.27360, 120.15450)  # the demo basemap's terminal point (行政楼一楼大厅)


def demo_branches() -> dict[str, tuple[float, float]]:
    site = yaml.safe_load((ROOT / "content" / "demo" / "site.yaml").read_text(encoding="utf-8"))
    return {b["code"]: (b["lat"], b["lon"]) for b in site["branches"]}


# ------------------------------------------------------------------------------------------ distances


def test_haversine_matches_known_distances():
    assert haversine_m((30.0, 120.0), (31.0, 120.0)) == pytest.approx(111_195, rel=1e-4)  # one degree of latitude
    # Tiananmen → People's Square, Shanghai: about 1067 km great-circle
    assert haversine_m((39.9042, 116.4074), (31.2304, 121.4737)) == pytest.approx(1_067_000, rel=0.005)
    assert haversine_m(TERMINAL, TERMINAL) == 0


@pytest.mark.parametrize(("bearing", "word"), [
    (0, "北"), (22.4, "北"), (22.6, "东北"), (45, "东北"), (90, "东"), (135, "东南"), (180, "南"),
    (225, "西南"), (270, "西"), (315, "西北"), (337.4, "西北"), (337.6, "北"), (359.9, "北"), (-45, "西北"),
])
def test_eight_chinese_directions(bearing, word):
    assert direction_zh(bearing) == word


def test_bearing_points_the_right_way():
    o = (30.27, 120.15)
    assert bearing_deg(o, (30.28, 120.15)) == pytest.approx(0, abs=1e-6)
    assert bearing_deg(o, (30.27, 120.16)) == pytest.approx(90, abs=0.01)
    assert bearing_deg(o, (30.26, 120.15)) == pytest.approx(180, abs=1e-6)
    assert bearing_deg(o, (30.27, 120.14)) == pytest.approx(270, abs=0.01)


@pytest.mark.parametrize(("metres", "text"), [
    (0, "0 m"), (12.4, "12 m"), (347, "350 m"), (995, "1000 m"), (1234, "1.2 km"), (9940, "9.9 km"),
    (9960, "10 km"), (23_456, "23 km"),
])
def test_format_distance(metres, text):
    assert format_distance(metres) == text


def test_directions_to_the_demo_branches():
    b = demo_branches()
    assert describe_offset(TERMINAL, b["B02"]) == "东北 1.2 km"  # the issue's own example
    assert describe_offset(TERMINAL, b["B02"], "en") == "NE 1.2 km"
    assert describe_offset(TERMINAL, b["B03"]).startswith("东南")
    assert describe_offset(TERMINAL, b["B04"]).startswith("西南")
    assert describe_offset(TERMINAL, (TERMINAL[0] + 0.0001, TERMINAL[1])) == "就在附近"  # 11 m: no direction


# ---------------------------------------------------------------------------------- projection, view


def test_projection_round_trip_and_scale():
    proj = LocalProjection(30.2733, 120.1585)
    rng = random.Random(8)
    for _ in range(200):
        lat, lon = 30.2733 + rng.uniform(-0.05, 0.05), 120.1585 + rng.uniform(-0.05, 0.05)
        x, y = proj.forward(lat, lon)
        back = proj.inverse(x, y)
        assert back == pytest.approx((lat, lon), abs=1e-12)
        # projected distance agrees with the great-circle one at town scale (< 0.5 %)
        d = math.hypot(x, y)
        if d > 100:
            assert d == pytest.approx(haversine_m((30.2733, 120.1585), (lat, lon)), rel=0.005)


def test_viewport_round_trip_within_a_pixel_after_pan_and_zoom():
    proj = LocalProjection(30.2733, 120.1585)
    vp = Viewport(proj, (40, 120, 1300, 900), scale=0.4, min_scale=0.02, max_scale=4.0)
    rng = random.Random(3)
    points = [(30.2733 + rng.uniform(-0.02, 0.02), 120.1585 + rng.uniform(-0.02, 0.02)) for _ in range(50)]
    for step in range(40):
        if step % 3 == 0:
            vp.zoom(rng.choice([0.5, 0.8, 1.25, 2.0]), (rng.uniform(40, 1340), rng.uniform(120, 1020)))
        else:
            vp.pan(rng.uniform(-400, 400), rng.uniform(-400, 400))
        for lat, lon in points:
            px, py = vp.to_screen(lat, lon)
            lat2, lon2 = vp.to_latlon(px, py)
            assert math.dist(vp.to_screen(lat2, lon2), (px, py)) < 1.0
            assert haversine_m((lat, lon), (lat2, lon2)) < 1.0 / vp.scale


def test_zoom_keeps_the_pivot_still_and_respects_limits():
    vp = Viewport(LocalProjection(30.27, 120.15), (0, 0, 1000, 800), scale=1.0, min_scale=0.1, max_scale=4.0)
    pivot = (800.0, 100.0)
    under = vp.to_latlon(*pivot)
    vp.zoom(2.0, pivot)
    assert vp.scale == 2.0
    assert math.dist(vp.to_screen(*under), pivot) < 1e-6
    assert vp.zoom(100.0) == 4.0 and vp.zoom(1e-6) == 0.1
    vp.pan(10, 0)  # content follows the finger: a point moves right by 10 px
    before = vp.to_screen(30.27, 120.15)
    vp.pan(25, -5)
    after = vp.to_screen(30.27, 120.15)
    assert after[0] - before[0] == pytest.approx(25) and after[1] - before[1] == pytest.approx(-5)


def test_fit_shows_every_point_inside_the_margin():
    vp = Viewport(LocalProjection(30.27, 120.15), (0, 0, 1080, 1000), min_scale=0.01, max_scale=4.0)
    pts = list(demo_branches().values()) + [TERMINAL]
    vp.fit(pts, margin_px=100)
    for p in pts:
        x, y = vp.to_screen(*p)
        assert 99.5 <= x <= 980.5 and 99.5 <= y <= 900.5
    with pytest.raises(ValueError):
        Viewport(LocalProjection(0, 0), (0, 0, 0, 10))


def test_clipping_keeps_what_is_inside():
    box = (0, 0, 100, 100)
    assert sorted(clip_polygon([(10, 10), (90, 10), (90, 90), (10, 90)], box)) == \
        sorted([(10, 10), (90, 10), (90, 90), (10, 90)])
    big = clip_polygon([(-1e6, -1e6), (1e6, -1e6), (1e6, 1e6), (-1e6, 1e6)], box)
    assert all(0 <= x <= 100 and 0 <= y <= 100 for x, y in big) and len(big) == 4
    assert clip_polygon([(200, 200), (300, 200), (300, 300)], box) == []
    runs = clip_polyline([(-50, 50), (50, 50), (50, 150), (80, 150), (80, 50), (150, 50)], box)
    assert runs == [[(0.0, 50.0), (50.0, 50.0), (50.0, 100.0)], [(80.0, 100.0), (80.0, 50.0), (100.0, 50.0)]]
    assert clip_polyline([(200, 0), (300, 0)], box) == []


# ------------------------------------------------------------------------------------------- GeoJSON


def test_demo_basemap_is_valid_and_covers_the_branches():
    data = load_geojson(DEMO_MAP)
    kinds = {f.kind for f in data.features}
    assert {"road", "river", "park", "water", "building", "campus", "site", "terminal"} <= kinds
    names = {f.name for f in data.features if f.name}
    assert {"能源大道", "星河路", "星河", "星河公园", "行政楼", "研发中心A座", "党群服务中心"} <= names
    assert all(ord(max(f.name)) > 0x4E00 for f in data.features if f.name)  # labels are Chinese
    assert data.terminal == pytest.approx(TERMINAL, abs=1e-5)
    lat0, lon0, lat1, lon1 = data.bounds()
    for lat, lon in demo_branches().values():
        assert lat0 < lat < lat1 and lon0 < lon < lon1
    assert 30.2 < lat0 < lat1 < 30.35 and 120.1 < lon0 < lon1 < 120.2


def _write(tmp_path, content, name="site-map.geojson"):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif isinstance(content, str):
        p.write_text(content, encoding="utf-8")
    else:
        p.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return p


def _fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(geometry, **props):
    return {"type": "Feature", "properties": props, "geometry": geometry}


GARBAGE = [
    ("empty", "", "the file is empty"),
    ("bad json", '{"type": "FeatureCollection",\n  "features": [,]}', ":2:16: not valid JSON: Expecting value"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8 text"),
    ("list", [], "the top level must be a GeoJSON object"),
    ("no features", {"type": "FeatureCollection"}, "features: must be a list of features"),
    ("wrong type", {"type": "Topology", "features": []}, 'type: must be "FeatureCollection"'),
    ("nothing to draw", _fc(), "features: the file has no features to draw"),
    ("not a feature", _fc("road"), 'features[0]: must be a {"type": "Feature", ...} object'),
    ("circle", _fc(_feature({"type": "Circle", "coordinates": [120.15, 30.27]}, name="广场")),
     "features[0] (广场).geometry.type: must be one of Point, MultiPoint, LineString"),
    ("swapped", _fc(_feature({"type": "Point", "coordinates": [30.27, 120.15]}, name="党群服务中心")),
     "features[0] (党群服务中心).geometry.coordinates: [30.27, 120.15] is not on Earth"),
    ("text coordinate", _fc(_feature({"type": "LineString", "coordinates": [[120.15, 30.27], ["东", 30.28]]})),
     'features[0].geometry.coordinates[1]: must be [longitude, latitude] numbers, got ["东", 30.28]'),
    ("boolean coordinate", _fc(_feature({"type": "Point", "coordinates": [True, 30.2]})),
     "must be [longitude, latitude] numbers"),
    ("short ring", _fc(_feature({"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.27]]]})),
     "features[0].geometry.coordinates[0]: needs at least 3 positions, got 2"),
    ("no coordinates", _fc(_feature({"type": "LineString"})), "features[0].geometry.coordinates: is required"),
    ("null geometry", _fc({"type": "Feature", "properties": {"name": "湖"}, "geometry": None}),
     "features[0] (湖).geometry: is required"),
    ("numeric name", _fc(_feature({"type": "Point", "coordinates": [120.15, 30.27]}, name=123)),
     "features[0].properties.name: must be text, got 123"),
    ("bad properties", _fc({"type": "Feature", "properties": "road", "geometry": None}),
     "features[0].properties: must be an object or null"),
]


@pytest.mark.parametrize(("case", "content", "expected"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_basemaps_give_file_and_key(tmp_path, case, content, expected):
    path = _write(tmp_path, content)
    with pytest.raises(GeoJSONError) as info:
        load_geojson(path)
    messages = info.value.messages
    assert messages and all(m.startswith(str(path)) for m in messages), messages
    assert any(expected in m for m in messages), messages
    if case == "swapped":
        assert "swapped" in messages[0]


def test_missing_folder_deep_and_many_errors(tmp_path):
    with pytest.raises(GeoJSONError, match="file not found"):
        load_geojson(tmp_path / "nope.geojson")
    with pytest.raises(GeoJSONError, match="is a folder"):
        load_geojson(tmp_path)
    deep = _write(tmp_path, "[" * 200_000 + "]" * 200_000, "deep.geojson")
    with pytest.raises(GeoJSONError):
        load_geojson(deep)
    many = _fc(*[_feature({"type": "Point", "coordinates": [500, 500]}) for _ in range(50)])
    with pytest.raises(GeoJSONError) as info:
        parse_geojson(many, "many.geojson")
    assert len(info.value.messages) == 21 and info.value.messages[-1].endswith("… and 30 more problems")


def test_lenient_where_geojson_allows_it():
    single = _feature({"type": "MultiPolygon", "coordinates": [
        [[[120.15, 30.27], [120.16, 30.27], [120.16, 30.28], [120.15, 30.27]]],
        [[[120.17, 30.27], [120.18, 30.27], [120.18, 30.28]]],  # an unclosed ring is closed for drawing
    ]}, kind="park", name="两块绿地")
    data = parse_geojson(single, "one-feature")  # a bare Feature is accepted as a collection of one
    assert [f.geometry for f in data.features] == ["polygon", "polygon"]
    assert data.features[0].parts[0][0] == (120.15, 30.27) and len(data.features[0].parts[0]) == 3
    unknown = parse_geojson(_fc(_feature({"type": "LineString", "coordinates": [[120.1, 30.2], [120.2, 30.3]]})))
    assert unknown.features[0].kind == "line"  # no kind: drawn plainly

"""党建地图 on a real kiosk app: renders in both orientations with Chinese labels, markers hit-tested
after pan and zoom by real pygame events, branch search, 回到本机, Position events (fix, no fix, no
receiver), pinch and one-finger zoom, and a broken basemap that still leaves a working screen."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pygame
import pytest

from core.events import Position
from core.geo import haversine_m
from kiosk.screens import map as map_screen
from kiosk.screens.map import MapScreen, age_text
from kiosk.ui.fonts import has_glyphs
from kiosk.ui.gestures import Down, Drag, GestureConfig, GestureRecognizer, Tap, Up, Wheel
from kiosk.ui.screens import ErrorScreen
from tests.conftest import ROOT
from tests.kiosk.conftest import NOW, Clock

SIZES = [(1920, 1080), (1080, 1920)]
HERE = (30.27360, 120.15450)


class Finger:
    """Real pygame mouse events through a GestureRecognizer into the app (taps and drags)."""

    def __init__(self, app):
        self.app = app
        self.clock = Clock()
        self.rec = GestureRecognizer(app.theme.size, GestureConfig(), clock=self.clock)

    def _feed(self, event):
        for g in self.rec.feed(event):
            self.app.nav.handle(g)

    def tick(self, seconds=0.05):
        self.clock.t += seconds
        for g in self.rec.poll():
            self.app.nav.handle(g)
        self.app.nav.update(seconds)

    def tap(self, pos):
        pos = (round(pos[0]), round(pos[1]))
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        self.tick(0.05)
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=False))
        self.tick(0.05)

    def drag(self, start, delta, steps=10):
        x0, y0 = start
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x0, y0), button=1, touch=False))
        for i in range(1, steps + 1):
            self.tick(0.05)  # slow: a drag, not a fling
            pos = (x0 + delta[0] * i / steps, y0 + delta[1] * i / steps)
            self._feed(pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(1, 0, 0), touch=False))
        self.tick(0.3)
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x0 + delta[0], y0 + delta[1]), button=1, touch=False))
        self.tick(0.05)


def render(app) -> pygame.Surface:
    surface = pygame.Surface(app.theme.size)
    app.render(surface)
    return surface


def open_map(make_app, size=(1920, 1080), **kwargs) -> tuple:
    app = make_app(size, now=NOW)
    screen = MapScreen(app.ctx, **kwargs)
    app.nav.push(screen)
    render(app)
    return app, screen


def empty_spot(screen) -> tuple[int, int]:
    """A point on the map with no marker, control or card under it."""
    m = screen.map
    for y in range(m.rect.y + 40, m.rect.bottom - 40, 37):
        for x in range(m.rect.x + 40, m.rect.right - 40, 41):
            if m.marker_at((x, y)) is None and not any(
                    w.rect.collidepoint((x, y)) for w in screen.widgets if w is not m and w.visible):
                return x, y
    raise AssertionError("no empty spot on the map")


def test_registered_for_the_launcher(tmp_path):
    """``launcher.py screenshot kiosk --screen map`` renders any name in the registry: the same call,
    in a child process (it quits pygame), with "map" added to the registry as the lead will."""
    assert map_screen.SCREENS["map"] is MapScreen and len(map_screen.SCREENS) == 1
    code = (
        "import sys; from pathlib import Path; import kiosk.screens as s\n"
        "s.MODULES = (*[m for m in s.MODULES if m != 'map'], 'map')\n"
        "from core.config import load_config; from kiosk.app import screenshot\n"
        "cfg = load_config()\n"
        "screenshot(cfg, ['map'], (1080, 1920), Path(sys.argv[1]) / 'map.png')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path / "d")})
    assert done.returncode == 0, done.stderr
    assert pygame.image.load(str(tmp_path / "map.png")).get_size() == (1080, 1920)


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
def test_renders_with_chinese_labels(make_app, size, tmp_path):
    app, screen = open_map(make_app, size)
    assert isinstance(app.nav.top, MapScreen), app.nav.errors[-1:] if app.nav.errors else None
    surface = render(app)
    pygame.image.save(surface, str(tmp_path / f"map-{size[0]}x{size[1]}.png"))
    m = screen.map
    assert m.draws >= 1 and m.data is not None and not m.error
    region = surface.subsurface(m.rect)
    small = pygame.transform.scale(region, (96, 96))
    colours = {small.get_at((x, y))[:3] for x in range(96) for y in range(96)}
    assert len(colours) > 40  # roads, water, parks, buildings, markers: not a blank canvas
    font = app.theme.font("caption")
    labels = {f.name for f in m.data.features if f.name} | {"党建地图", "回到本机", "本机位置 · 北斗定位",
                                                           "查找支部", "按期完成", "需关注", "滞后", "✓×"}
    missing = [t for t in labels if not has_glyphs(font, t)]
    assert not missing
    # every branch is on screen, each marker inside the map and tappable (≥ 80 px target)
    layout = m.marker_layout()
    assert set(layout) == {"B01", "B02", "B03", "B04"}
    for _centre, box, pill in layout.values():
        assert m.rect.contains(box) and m.rect.contains(pill) and box.w >= 80 and box.h >= 80
    for b in screen.buttons.values():
        assert b.rect.h >= 80 and screen.rect.contains(b.rect)


def test_idle_map_draws_nothing(make_app):
    app, screen = open_map(make_app)
    surface = pygame.Surface(app.theme.size)
    app.nav.draw(surface)
    for _ in range(3):
        app.nav.update(0.1)
        assert app.nav.draw(surface) == []
    assert screen.map.draws >= 1


def test_marker_hit_testing_after_pan_and_zoom(make_app):
    app, screen = open_map(make_app)
    finger = Finger(app)
    m = screen.map
    finger.tap(m.marker_center("B02"))
    assert screen.selected == "B02" and screen.card.visible
    rows = dict(screen.card.rows())
    assert rows["支部书记"] == "孙海涛" and rows["党员人数"] == "11 人" and rows["联系电话"] == "0571-8888 6201"
    assert rows["距离本机"] == "东北 1.2 km" and "·" in rows["下次会议"]
    finger.tap(screen.card.close_rect.center)
    assert screen.selected is None and not screen.card.visible
    # pan by a real drag: the content follows the finger exactly
    before = m.marker_center("B03")
    finger.drag(empty_spot(screen), (-150, -120))
    after = m.marker_center("B03")
    assert math.dist((after[0] - before[0], after[1] - before[1]), (-150, -120)) < 1.0
    assert screen.selected is None  # a drag is not a tap
    finger.tap(after)
    assert screen.selected == "B03"
    # zoom with the + button (twice), then tap where B04 now is
    scale = m.vp.scale
    finger.tap(screen.zoom_in.rect.center)
    finger.tap(screen.zoom_in.rect.center)
    assert m.vp.scale == pytest.approx(scale * 1.6 ** 2)
    screen.select(None)
    target = m.marker_center("B01")
    if not m.rect.inflate(-120, -120).collidepoint(target):  # bring it into view by dragging
        c = m.rect.center
        finger.drag(empty_spot(screen), (c[0] - target[0], c[1] - target[1]))
        target = m.marker_center("B01")
    finger.tap(target)
    assert screen.selected == "B01"
    finger.tap(screen.zoom_out.rect.center)
    assert m.vp.scale == pytest.approx(scale * 1.6)
    # a tap on empty map closes the card
    finger.tap(empty_spot(screen))
    assert screen.selected is None and not screen.card.visible
    assert not isinstance(app.nav.top, ErrorScreen)


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
def test_search_buttons_and_home_position(make_app, size):
    app, screen = open_map(make_app, size)
    finger = Finger(app)
    m = screen.map
    for code in ("B04", "B03", "B02", "B01"):
        finger.tap(screen.buttons[code].rect.center)
        assert screen.selected == code and screen.buttons[code].selected
        c = m.marker_center(code)
        assert m.rect.collidepoint(c) and not screen.card.rect.collidepoint(c)  # shown above the card
        assert m.marker_at(c) == code
    assert screen.buttons["B02"].where == "东北 1.2 km"
    finger.drag(empty_spot(screen), (300, 200))
    finger.tap(screen.here_button.rect.center)
    x, y = m.vp.to_screen(*HERE)
    assert math.dist((x, y), m.rect.center) < 2 and m.terminal.state == "set"


def test_position_events_fix_no_fix_and_no_receiver(make_app):
    app, screen = open_map(make_app)
    assert screen.map.terminal.state == "set"  # no receiver yet: the basemap's surveyed point
    assert "设定位置" in screen.gnss.lines[1][0]
    away = (30.2700, 120.1600)  # the terminal reports a different place
    screen.on_event(Position(lat=away[0], lon=away[1], fix=True, quality=1, fix_mode=3, satellites_used=11,
                             beidou_used=6, gps_used=5, hdop=0.8, age_s=0.0, connected=True))
    mark = screen.map.terminal
    assert mark.state == "fix" and mark.latlon == away and mark.accuracy_m == pytest.approx(4.0)
    text = " ".join(t for t, _, _ in screen.gnss.lines)
    assert "已定位 3D" in text and "北斗 6" in text and "GPS 5" in text and "HDOP 0.8" in text
    assert screen.buttons["B01"].where.startswith("西北")  # distances follow the terminal
    # the fix is lost: last known place, with an age that keeps counting on screen
    screen.on_event(Position(lat=away[0], lon=away[1], fix=False, age_s=100.0, connected=True,
                             satellites_in_view=4, beidou_in_view=2))
    assert screen.map.terminal.state == "stale" and screen.map.terminal.latlon == away
    assert "显示上次位置（1 分钟前）" in screen.gnss.lines[2][0]
    for _ in range(30):
        app.nav.update(1.0)
    assert "显示上次位置（2 分钟前）" in screen.gnss.lines[2][0]
    assert "北斗 2" in screen.gnss.lines[3][0]
    surface = render(app)
    assert not isinstance(app.nav.top, ErrorScreen) and surface.get_at(screen.map.rect.center)
    # receiver unplugged before any fix: the surveyed place again, and the panel says why
    screen.on_event(Position(connected=False))
    assert screen.map.terminal.state == "set" and "接收机未连接" in screen.gnss.lines[1][0]
    # the app keeps the last Position in ctx: the screen picks it up on the next frame, or when shown
    app.ctx.position = Position(lat=HERE[0], lon=HERE[1], fix=True, age_s=0.0, connected=True)
    app.nav.update(0.05)
    assert screen.map.terminal.state == "fix" and screen.map.terminal.latlon == HERE
    screen.on_event(Position(lat=away[0], lon=away[1], fix=True, age_s=0.0, connected=True))
    app.nav.update(0.05)
    assert screen.map.terminal.latlon == away  # a forwarded event is not undone by the older ctx one
    app.ctx.position = Position(lat=HERE[0], lon=HERE[1], fix=False, age_s=5.0, connected=True)
    screen.enter()
    assert screen.map.terminal.state == "stale" and screen.map.terminal.latlon == HERE


def test_configured_terminal_position_is_used_without_a_receiver(make_app, monkeypatch):
    app = make_app(now=NOW)

    class MapSection:  # what the lead's ``map:`` config section will hold
        geojson = None
        terminal_position = [30.2812, 120.1634]

    class WithMap:
        def __init__(self, real):
            self.real = real
            self.map = MapSection()

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(app.terminal, "config", WithMap(app.terminal.config))
    screen = MapScreen(app.ctx)
    app.nav.push(screen)
    render(app)
    assert screen.map.terminal.latlon == (30.2812, 120.1634)
    assert screen.buttons["B02"].where == "就在附近"


def test_pinch_double_tap_drag_zoom_and_wheel(make_app):
    fingers: list[tuple[float, float]] = []
    app, screen = open_map(make_app, fingers=lambda: list(fingers))
    m = screen.map
    nav = app.nav
    # pinch: two fingers on the map, spreading to twice their distance around a fixed midpoint
    a, b = (600.0, 500.0), (800.0, 500.0)
    mid = (700.0, 500.0)
    under = m.vp.to_latlon(*mid)
    scale = m.vp.scale
    nav.handle(Down(a))
    fingers[:] = [a, b]
    nav.update(0.016)
    fingers[:] = [(550.0, 500.0), (850.0, 500.0)]
    nav.update(0.016)
    fingers[:] = [(500.0, 500.0), (900.0, 500.0)]
    nav.update(0.016)
    assert m.vp.scale == pytest.approx(scale * 2)
    assert math.dist(m.vp.to_screen(*under), mid) < 1.0
    nav.handle(Drag((500.0, 500.0), -100.0, 0.0, a))  # the recogniser's finger moved: no pan during a pinch
    assert m.vp.scale == pytest.approx(scale * 2)
    fingers[:] = []
    nav.update(0.016)
    nav.handle(Up(a, False))
    nav.handle(Tap(m.marker_center("B02")))  # the stroke was a pinch: its end is not a tap on a marker
    assert screen.selected is None
    # double tap: zoom in ×2 around the tapped point
    spot = empty_spot(screen)
    s0 = m.vp.scale
    for _ in range(2):
        nav.handle(Down(spot))
        nav.handle(Up(spot, False))
        nav.handle(Tap(spot))
        nav.update(0.1)
    assert m.vp.scale == pytest.approx(min(map_screen.MAX_SCALE, s0 * 2))
    # tap, then press again and drag down: one-finger zoom for single-touch frames
    nav.update(1.0)
    m.vp.set_scale(0.5)
    spot = empty_spot(screen)
    nav.handle(Down(spot))
    nav.handle(Up(spot, False))
    nav.handle(Tap(spot))
    nav.update(0.1)
    nav.handle(Down(spot))
    nav.handle(Drag((spot[0], spot[1] + 80), 0.0, 80.0, spot))
    assert m.vp.scale > 0.5 * 1.5
    nav.handle(Up((spot[0], spot[1] + 80), True))
    # the mouse wheel zooms around the pointer
    s1 = m.vp.scale
    nav.handle(Wheel(spot, 60.0))
    assert m.vp.scale == pytest.approx(s1 * 1.25)
    assert not isinstance(app.nav.top, ErrorScreen)


@pytest.mark.parametrize("content", ["{ broken", '{"type": "FeatureCollection", "features": [{"type": "Feature"}]}'])
def test_broken_basemap_leaves_a_working_screen(make_app, tmp_path, content):
    bad = tmp_path / "site.geojson"
    bad.write_text(content, encoding="utf-8")
    app, screen = open_map(make_app, geojson=bad)
    assert not isinstance(app.nav.top, ErrorScreen)
    assert screen.map.data is None and str(bad) in screen.map.error
    render(app)
    finger = Finger(app)
    finger.tap(screen.map.marker_center("B03"))
    assert screen.selected == "B03"
    # with no basemap terminal point and no receiver, 本机 is unknown and the panel says so
    assert screen.map.terminal is None and "本机位置未知" in screen.gnss.lines[1][0]


def test_age_text():
    assert age_text(None) == "" and age_text(3) == "刚刚" and age_text(42) == "42 秒前"
    assert age_text(200) == "3 分钟前" and age_text(7300) == "2 小时前" and age_text(3 * 86400) == "3 天前"
    assert age_text(200, "en") == "3 min ago"


def test_no_member_positions_on_the_map(make_app):
    """Privacy: the map holds branches (from the Branch table) and basemap sites, nothing about people."""
    app, screen = open_map(make_app)
    assert {p.code for p in screen.map.pins} == {"B01", "B02", "B03", "B04"}
    kinds = {f.kind for f in screen.map.data.features}
    assert not kinds & {"member", "person", "people"}
    far = max(haversine_m(HERE, p.latlon) for p in screen.map.pins)
    assert far < 3000


def test_a_small_window_lists_every_branch_and_keeps_each_symbol_visible(make_app):
    """At 1280×720 the list showed 3 of 4 branches and 本机's star covered a branch's symbol (#19)."""
    app, screen = open_map(make_app, (1280, 720))
    assert set(screen.buttons) == {"B01", "B02", "B03", "B04"}
    assert all(screen.rect.contains(b.rect) for b in screen.buttons.values())
    markers, term = screen.map.layout_marks()
    r = screen.map.marker_radius
    symbols = [box.inflate(-(box.w - 2 * r), -(box.h - 2 * r)) for _, box, _ in markers.values()]
    assert term is not None and term[1].collidelist(symbols) < 0

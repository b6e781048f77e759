"""The kiosk's VR展厅 tile: the hall opens in its child process, and the kiosk comes back home when it
closes or crashes (real Panda3D, offscreen)."""

from __future__ import annotations

import time

import pytest

from kiosk.app import KioskApp, start_hall
from kiosk.screens.home import HomeScreen
from vr_hall.child import HallOptions


@pytest.fixture
def app_with_hall(make_app):
    app: KioskApp = make_app()
    # Offscreen here (no display); test hooks let the test crash the child on purpose.
    hall = start_hall(app, (320, 240), fullscreen=False,
                      options=HallOptions(window="offscreen", size=(320, 240), test_hooks=True))
    yield app, hall
    hall.shutdown()


def pump(app, hall, until, timeout=60.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        messages = hall.poll()
        seen += [m["type"] for m in messages]
        app.hall_status(messages)
        app.on_frame(0.02)
        if until(seen):
            return seen
        time.sleep(0.01)
    raise TimeoutError(seen)


def test_hall_tile_opens_the_hall_and_closing_returns_home(app_with_hall):
    app, hall = app_with_hall
    assert app.home.tiles["hall"].title == "VR展厅"
    app.open_screen("news")
    app.home.tiles["hall"].on_tap()
    assert hall.is_open
    pump(app, hall, lambda seen: "frame" in seen)
    hall.close()
    pump(app, hall, lambda seen: "closed" in seen)
    assert isinstance(app.nav.top, HomeScreen)


def test_a_crashing_hall_returns_the_visitor_to_the_kiosk(app_with_hall):
    app, hall = app_with_hall
    app.ctx.actions["hall"]("b01")  # GuideTo from the assistant opens the hall at the BeiDou overview
    pump(app, hall, lambda seen: "frame" in seen)
    hall.current.crash_for_test("raise")
    pump(app, hall, lambda seen: "crashed" in seen)
    assert isinstance(app.nav.top, HomeScreen)
    assert "意外退出" in app.nav.banner.text
    assert hall.crashes == 1


def test_a_prewarm_crash_never_moves_the_visitor_and_the_tile_says_why(make_app):
    """The hall child dies while prewarming in the background (as a model that kills the loader
    would): the visitor reading the news stays there with no notice; the hall tile says the hall is
    unavailable and why, a tap on it says so instead of opening; the admin panel shows the error; the
    next prewarm waits (backoff) and, once it is ready, the tile is back to normal."""
    from kiosk.screens.admin import AdminPanelScreen

    app: KioskApp = make_app()
    hall = start_hall(app, (320, 240), fullscreen=False,
                      options=HallOptions(window="offscreen", size=(320, 240), test_hooks=True))
    hall.backoff_s = 0.5
    try:
        app.open_screen("news")
        news = app.nav.top
        pump(app, hall, lambda seen: "ready" in seen)
        hall.current.crash_for_test("abort")  # dies like a segfault: no message, non-zero exit code
        pump(app, hall, lambda seen: "crashed" in seen)
        assert app.nav.top is news, "a crash in the background moved the visitor"
        assert not (app.nav.banner and "意外退出" in (app.nav.banner.text or ""))
        assert hall.last_error is not None and not hall.last_error["visitor"]
        assert "exit code" in hall.last_error["error"]
        assert hall.current is None and hall.next_start_at is not None  # waits before the next try
        tile = app.home.tiles["hall"]
        assert tile.title == "VR展厅" and tile.subtitle == "暂不可用：程序崩溃"
        tile.on_tap()
        assert not hall.is_open and "暂不可用" in app.nav.banner.text and "秒后重试" in app.nav.banner.text
        assert app.nav.top is news
        panel = AdminPanelScreen(app.ctx)
        app.nav.push(panel)
        assert any("展厅最后错误" in getattr(w, "text", "") for w in panel.widgets)
        app.nav.home()
        pump(app, hall, lambda seen: "ready" in seen)  # the backed-off retry prewarms a good child
        assert hall.available and app.home.tiles["hall"].subtitle == "VR Exhibition Hall"
    finally:
        hall.shutdown()

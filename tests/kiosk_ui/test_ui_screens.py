"""Navigator push/pop/home/replace, transitions, shell Back/Home, the failsafe and the main loop."""

from __future__ import annotations

import datetime as dt
import logging

import pygame
import pytest

from kiosk.ui.gestures import Down, Tap, Up
from kiosk.ui.loop import run
from kiosk.ui.screens import ErrorScreen, Navigator, Screen, merge_rects
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import Button

NOW = dt.datetime(2024, 7, 1, 9, 30)


class Recorder(Screen):
    """Records its hook calls; can be told to raise in one of them."""

    def __init__(self, name: str, fail_in: str | None = None) -> None:
        super().__init__(name)
        self.title = name
        self.calls: list[str] = []
        self.fail_in = fail_in

    def _maybe_fail(self, hook: str) -> None:
        self.calls.append(hook)
        if self.fail_in == hook:
            raise RuntimeError(f"boom in {hook}")

    def build(self) -> None:
        assert self.theme is not None
        self.button = self.add(Button((100, 400, 300, 100), self.theme, "按钮", lambda: self._maybe_fail("tap")))

    def enter(self) -> None:
        self._maybe_fail("enter")

    def exit(self) -> None:
        self._maybe_fail("exit")

    def handle(self, gesture) -> bool:
        if self.fail_in == "handle":
            self._maybe_fail("handle")
        return super().handle(gesture)

    def update(self, dt: float) -> None:
        super().update(dt)
        if self.fail_in == "update":
            self._maybe_fail("update")

    def draw(self, surface: pygame.Surface) -> list[pygame.Rect]:
        if self.fail_in == "draw":
            self._maybe_fail("draw")
        return super().draw(surface)


def make_nav(theme: Theme, **kw) -> tuple[Navigator, Recorder]:
    home = Recorder("home")
    kw.setdefault("animations", False)
    return Navigator(theme, home, org_name="中共示范委员会", now=lambda: NOW, **kw), home


def test_push_pop_home_replace(landscape: Theme) -> None:
    nav, home = make_nav(landscape)
    a, b, c = Recorder("a"), Recorder("b"), Recorder("c")
    nav.push(a)
    nav.push(b)
    assert [s.name for s in nav.stack] == ["home", "a", "b"]
    assert a.calls == ["enter", "exit"] and b.calls == ["enter"]
    assert nav.pop() and nav.top is a and a.calls[-1] == "enter" and b.calls[-1] == "exit"
    nav.replace(c)
    assert [s.name for s in nav.stack] == ["home", "c"]
    nav.push(b)
    nav.home()
    assert nav.stack == (home,) and b.calls[-1] == "exit"
    assert not nav.pop(), "nothing below home"
    assert a.rect == nav.content_rect and a.rect.top == nav.header.rect.bottom


def test_header_back_and_home_are_always_there(landscape: Theme) -> None:
    nav, home = make_nav(landscape)
    surface = pygame.Surface(landscape.size)
    assert not nav.header.back_button.visible, "no Back on the home screen"
    nav.push(Recorder("a"))
    nav.push(Recorder("b"))
    nav.draw(surface)
    assert nav.header.back_button.visible and nav.header.home_button.visible
    for b in (nav.header.back_button, nav.header.home_button):
        assert b.rect.w >= 80 and b.rect.h >= 80
    nav.tap(nav.header.back_button.rect.center)
    assert nav.top.name == "a"
    nav.push(Recorder("c"))
    nav.tap(nav.header.home_button.rect.center)
    assert nav.top is home


def test_transitions_last_150_to_250_ms(landscape: Theme) -> None:
    nav, _ = make_nav(landscape, animations=True)
    surface = pygame.Surface(landscape.size)
    nav.draw(surface)
    nav.push(Recorder("a"))
    assert nav.animating
    frames = 0
    while nav.animating:
        nav.update(1 / 60)
        rects = nav.draw(surface)
        assert rects and rects[0].contains(nav.content_rect)
        frames += 1
        assert frames < 60
    assert 9 <= frames <= 15, f"{frames} frames at 60 fps"
    nav.update(1 / 60)
    nav.draw(surface)
    nav.update(1 / 60)
    assert nav.draw(surface) == [], "idle after the transition"


def test_no_transition_without_animations(landscape: Theme) -> None:
    nav, _ = make_nav(landscape, animations=False)
    nav.push(Recorder("a"))
    assert not nav.animating


@pytest.mark.parametrize("hook", ["tap", "handle", "update", "draw", "enter"])
def test_failsafe_catches_and_returns_home(landscape: Theme, hook: str, caplog: pytest.LogCaptureFixture) -> None:
    nav, home = make_nav(landscape, error_return_s=3.0)
    surface = pygame.Surface(landscape.size)
    bad = Recorder("Broken", fail_in=hook)
    with caplog.at_level(logging.ERROR, logger="kiosk.ui.screens"):
        nav.push(bad)
        nav.tap(bad.button.rect.center)
        nav.update(1 / 60)
        nav.draw(surface)
    assert isinstance(nav.top, ErrorScreen), "the error screen replaces the failing screen"
    rec = nav.errors[-1]
    assert rec.screen == "Broken" and f"boom in {hook}" in rec.error
    assert "Broken" in caplog.text and "boom" in caplog.text
    if hook in ("tap", "handle"):
        assert "Down" in rec.event or "Tap" in rec.event, "the gesture is logged with the error"
    nav.draw(surface)
    for _ in range(int(3.2 * 10)):
        nav.update(0.1)
        nav.draw(surface)
    assert nav.top is home, "the error screen returns home by itself"


def test_error_screen_button_goes_home_at_once(landscape: Theme) -> None:
    nav, home = make_nav(landscape)
    surface = pygame.Surface(landscape.size)
    nav.push(Recorder("Broken", fail_in="update"))
    nav.update(0.01)
    nav.draw(surface)
    err = nav.top
    assert isinstance(err, ErrorScreen)
    nav.tap(err.widgets[0].rect.center)
    assert nav.top is home


def test_failing_home_does_not_escape(landscape: Theme) -> None:
    home = Recorder("home", fail_in="draw")
    nav = Navigator(landscape, home, now=lambda: NOW, animations=False, error_return_s=0.5)
    surface = pygame.Surface(landscape.size)
    for _ in range(30):
        nav.update(0.1)
        nav.draw(surface)
        nav.handle(Down((10, 500)))
        nav.handle(Up((10, 500), False))
        nav.handle(Tap((10, 500)))
    assert nav.error_count >= 2, "the loop keeps running and keeps reporting"


def test_a_home_that_fails_to_lay_out_gets_the_failsafe(landscape: Theme) -> None:
    """Was: the failsafe itself raised IndexError (the stack was still empty) when home's layout failed (#19)."""
    class NoLayout(Recorder):
        def build(self) -> None:
            raise RuntimeError("boom in build")

    nav = Navigator(landscape, NoLayout("home"), now=lambda: NOW, animations=False, error_return_s=0.5)
    assert nav.error_count == 1 and "boom in build" in nav.errors[-1].error
    assert isinstance(nav.top, ErrorScreen)
    nav.draw(pygame.Surface(landscape.size))


def test_merge_rects() -> None:
    rs = merge_rects([pygame.Rect(0, 0, 10, 10), pygame.Rect(5, 5, 10, 10), pygame.Rect(100, 100, 5, 5)])
    assert sorted(r.size for r in rs) == [(5, 5), (15, 15)]


def test_main_loop_survives_a_failing_screen(fonts) -> None:
    surface = pygame.display.set_mode((800, 600))
    theme = Theme.for_screen((800, 600), fonts)
    home = Recorder("home")
    nav = Navigator(theme, home, now=lambda: NOW, animations=False)
    nav.push(Recorder("Broken", fail_in="update"))
    pygame.event.clear()
    frames = run(nav, surface, max_frames=5, fps=1000)
    assert frames == 5
    assert isinstance(nav.top, ErrorScreen)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert run(nav, surface, max_frames=100) == 0, "QUIT ends the loop"
    pygame.display.set_mode((64, 64))


def test_rotation_relays_out_every_screen(fonts) -> None:
    nav, home = make_nav(Theme.for_screen((1920, 1080), fonts))
    a = Recorder("a")
    nav.push(a)
    nav.resize((1080, 1920))
    assert nav.header.rows == 2 and nav.content_rect.w == 1080
    assert home.rect == nav.content_rect == a.rect
    surface = pygame.Surface((1080, 1920))
    assert nav.draw(surface)


class Attract(Screen):
    fullscreen = True


def test_fullscreen_screen_has_no_header(landscape: Theme) -> None:
    nav, _ = make_nav(landscape)
    attract = Attract()
    nav.push(attract)
    surface = pygame.Surface(landscape.size)
    surface.fill((0, 0, 0))
    nav.draw(surface)
    assert attract.rect == pygame.Rect(0, 0, *landscape.size)
    assert tuple(surface.get_at((landscape.size[0] // 2, 4)))[:3] == landscape.palette.bg, "no red header"

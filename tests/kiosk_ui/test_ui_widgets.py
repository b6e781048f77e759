"""Widgets: ScrollList physics, keypad entry, button pressed state, dirty-rect drawing, banner, dialog."""

from __future__ import annotations

import datetime as dt

import pygame
import pytest

from kiosk.ui.gestures import Down, Drag, Fling, Tap, Up
from kiosk.ui.screens import Navigator, Screen
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import (
    BarChart,
    Button,
    Dialog,
    Donut,
    Header,
    Label,
    ListItem,
    NumericKeypad,
    ProgressBar,
    ScrollList,
    Tile,
)

NOW = dt.datetime(2024, 7, 1, 9, 30)


def center(rect: pygame.Rect) -> tuple[int, int]:
    return rect.center


def tap(widget, pos) -> None:
    for g in (Down(pos), Up(pos, False), Tap(pos)):
        widget.handle(g)


# -- ScrollList ----------------------------------------------------------------------------------
def make_list(theme: Theme, n: int = 100, **kw) -> ScrollList:
    return ScrollList((100, 100, 600, 800), theme, [ListItem(f"通知 {i}", "党委办公室", "07-01") for i in range(n)],
                      **kw)


def test_fling_moves_with_inertia_and_comes_to_rest(landscape: Theme) -> None:
    lst = make_list(landscape)
    lst.handle(Down((400, 800)))
    lst.handle(Drag((400, 700), 0, -100, (400, 800)))
    assert lst.offset == 100
    lst.handle(Fling((400, 600), 0, -2000))
    lst.handle(Up((400, 600), True))
    positions = []
    for _ in range(600):  # 10 s at 60 fps
        lst.update(1 / 60)
        positions.append(lst.offset)
        if not lst.moving:
            break
    assert not lst.moving, "friction must bring the list to rest"
    assert positions[-1] > 100 + 300, "a fling keeps the list moving after the finger lifts"
    assert all(b >= a for a, b in zip(positions, positions[1:], strict=False)), "monotonic, no bounce"
    steps = [b - a for a, b in zip(positions, positions[1:], strict=False)]
    assert steps[0] > steps[-1], "it decelerates"
    assert lst.offset <= lst.max_offset


def test_scroll_clamps_at_both_ends(landscape: Theme) -> None:
    lst = make_list(landscape, 20)
    lst.handle(Down((400, 500)))
    lst.handle(Drag((400, 900), 0, 400, (400, 500)))
    assert lst.offset == 0, "cannot pull past the top"
    lst.handle(Fling((400, 900), 0, -50000))
    lst.handle(Up((400, 900), True))
    for _ in range(120):
        lst.update(1 / 60)
    assert lst.offset == lst.max_offset and not lst.moving, "stops exactly at the end"
    assert lst.max_offset == 20 * lst.row_height - 800


def test_tap_selects_the_row_under_the_finger(landscape: Theme) -> None:
    picked: list[int] = []
    lst = make_list(landscape, on_select=picked.append)
    rh = lst.row_height
    tap(lst, (300, 100 + rh // 2))
    lst.scroll_to(10)
    tap(lst, (300, 100 + rh + rh // 2))
    assert picked == [0, 11]


def test_touch_during_fling_only_stops_it(landscape: Theme) -> None:
    picked: list[int] = []
    lst = make_list(landscape, on_select=picked.append)
    lst.velocity = 1500.0
    tap(lst, (300, 300))
    assert lst.velocity == 0 and picked == []
    tap(lst, (300, 300))
    assert len(picked) == 1


def test_only_visible_rows_are_drawn(landscape: Theme) -> None:
    lst = make_list(landscape, 5000)
    surface = pygame.Surface(landscape.size)
    lst.render(surface)
    visible = 800 // lst.row_height + 1
    assert lst.rows_drawn <= visible + 1
    lst.scroll_to(4000)
    lst.render(surface)
    assert lst.rows_drawn <= visible + 1


def test_list_text_does_not_spill_outside_its_rect(landscape: Theme) -> None:
    """freetype's render_to ignores the clip; rows half out of view must still be cut at the edge."""
    lst = ScrollList((100, 100, 600, 300), landscape, [ListItem("党建资讯标题", "副标题 subtitle")] * 10,
                     row_height=140)
    surface = pygame.Surface((800, 600))
    surface.fill((1, 2, 3))
    lst.render(surface)
    below = pygame.Rect(100, 401, 600, 199)
    colours = {tuple(surface.get_at((x, y)))[:3] for x in range(below.left, below.right, 3)
               for y in range(below.top, below.bottom, 3)}
    assert colours == {(1, 2, 3)}


# -- NumericKeypad --------------------------------------------------------------------------------
def test_keypad_sequence_and_mask(landscape: Theme) -> None:
    submitted: list[str] = []
    pad = NumericKeypad((0, 0, 420, 700), landscape, max_length=4, masked=True, on_submit=submitted.append)
    for key in ["1", "2", "3", "删除", "4", "5", "6"]:
        pad.press(key)
    assert pad.value == "1245", "删除 removes one digit; input stops at max_length"
    assert pad.display_text == "●●●●"
    pad.press("确定")
    assert submitted == ["1245"]
    pad.press("清空")
    assert pad.value == "" and pad.display_text == ""
    pad.press("确定")
    assert submitted == ["1245"], "确定 with nothing entered does nothing"
    with pytest.raises(ValueError):
        pad.press("x")


def test_keypad_by_touch(landscape: Theme) -> None:
    submitted: list[str] = []
    pad = NumericKeypad((0, 0, 420, 700), landscape, masked=False, on_submit=submitted.append)
    assert not pad.keys["确定"].enabled
    for key in "907":
        tap(pad, center(pad.keys[key].rect))
    assert pad.display_text == "907"
    tap(pad, center(pad.keys["确定"].rect))
    assert submitted == ["907"]
    for r in [b.rect for b in pad.keys.values()]:
        assert r.w >= 80 and r.h >= 80


# -- Button pressed state, dirty drawing ------------------------------------------------------------
class ButtonScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.tapped = 0

    def build(self) -> None:
        assert self.theme is not None
        self.button = self.add(Button((200, 300, 300, 100), self.theme, "确定", self._tap))
        self.disabled = self.add(Button((600, 300, 300, 100), self.theme, "禁用", self._tap, enabled=False))
        self.label = self.add(Label((200, 500, 600, 60), self.theme, "你好"))

    def _tap(self) -> None:
        self.tapped += 1


def test_pressed_state_is_visible_on_the_next_frame(landscape: Theme) -> None:
    screen = ButtonScreen()
    nav = Navigator(landscape, screen, now=lambda: NOW, animations=False)
    surface = pygame.Surface(landscape.size)
    nav.draw(surface)
    probe = (screen.button.rect.x + 20, screen.button.rect.y + 50)
    before = surface.get_at(probe)
    nav.handle(Down(screen.button.rect.center))
    rects = nav.draw(surface)
    assert any(r.colliderect(screen.button.rect) for r in rects)
    assert surface.get_at(probe) != before, "pressed look drawn in the very next frame"
    assert tuple(surface.get_at(probe))[:3] == landscape.palette.red_pressed
    nav.handle(Up(screen.button.rect.center, False))
    nav.handle(Tap(screen.button.rect.center))
    assert screen.tapped == 1
    nav.tap(screen.disabled.rect.center)
    assert screen.tapped == 1, "a disabled button does nothing"


def test_idle_frames_draw_nothing_and_changes_draw_only_their_rect(landscape: Theme) -> None:
    screen = ButtonScreen()
    nav = Navigator(landscape, screen, now=lambda: NOW, animations=False)
    surface = pygame.Surface(landscape.size)
    assert nav.draw(surface), "first frame draws everything"
    nav.update(1 / 60)
    assert nav.draw(surface) == []
    screen.label.set_text("再见")
    nav.update(1 / 60)
    assert nav.draw(surface) == [screen.label.rect]


def test_drag_off_a_button_cancels_it(landscape: Theme) -> None:
    screen = ButtonScreen()
    nav = Navigator(landscape, screen, now=lambda: NOW, animations=False)
    c = screen.button.rect.center
    nav.handle(Down(c))
    assert screen.button.pressed
    nav.handle(Drag((c[0], c[1] + 300), 0, 300, c))
    nav.handle(Up((c[0], c[1] + 300), True))
    nav.update(0.5)
    assert not screen.button.pressed and screen.tapped == 0


# -- Header, banner, dialog, charts -----------------------------------------------------------------
def test_header_clock_repaints_once_a_minute(landscape: Theme) -> None:
    now = [NOW]
    header = Header((0, 0, 1920, 112), landscape, "中共示范委员会", now=lambda: now[0])
    surface = pygame.Surface(landscape.size)
    header.render(surface)
    now[0] = NOW + dt.timedelta(seconds=20)
    header.update(20)
    assert not header.dirty
    now[0] = NOW + dt.timedelta(seconds=61)
    header.update(41)
    assert header.dirty
    with pytest.raises(ValueError):
        header.set_status("network", "broken")
    header.set_status("network", "off")
    assert header.dirty


def test_banner_slides_in_and_hides_itself(landscape: Theme) -> None:
    nav = Navigator(landscape, ButtonScreen(), now=lambda: NOW)
    surface = pygame.Surface(landscape.size)
    nav.draw(surface)
    nav.notify("党委召开民主生活会", duration=2.0)
    assert nav.animating
    seen_rects = []
    for _ in range(int(3.0 * 60)):
        nav.update(1 / 60)
        seen_rects.extend(nav.draw(surface))
    assert not nav.banner.visible and not nav.animating
    assert seen_rects, "the banner's motion was drawn"
    assert all(r.top >= nav.content_rect.top for r in seen_rects), "never drawn over the header"


def test_dialog_button_runs_callback_and_closes(landscape: Theme) -> None:
    screen = ButtonScreen()
    nav = Navigator(landscape, screen, now=lambda: NOW, animations=False)
    surface = pygame.Surface(landscape.size)
    answers: list[str] = []
    d = nav.show_dialog(Dialog(landscape, "确认签到", "请确认是否签到？",
                               [("取消", lambda: answers.append("no")), ("签到", lambda: answers.append("yes"))]))
    nav.draw(surface)
    nav.tap(screen.button.rect.center)
    assert screen.tapped == 0, "a modal dialog blocks the screen behind it"
    nav.tap(d.children[1].rect.center)
    assert answers == ["yes"] and nav.dialog is None
    assert d.panel.w >= 2 * 80


def test_charts_and_progress_draw(landscape: Theme) -> None:
    surface = pygame.Surface((800, 600))
    surface.fill(landscape.palette.bg)
    chart = BarChart((0, 0, 500, 300), landscape, [("一支部", 15), ("二支部", 5), ("三支部", 0)])
    chart.render(surface)
    hs = [r.h for r in chart.bar_rects]
    assert hs[0] > hs[1] > hs[2] == 0
    assert hs[0] == pytest.approx(3 * hs[1], abs=2), "bar heights are proportional to values"
    donut = Donut((520, 0, 260, 300), landscape, 0.85, label="完成率")
    donut.render(surface)
    assert tuple(surface.get_at((650, 8)))[:3] != landscape.palette.bg, "the ring is drawn"
    bar = ProgressBar((0, 400, 500, 80), landscape, 0.5, label="学习进度")
    bar.render(surface)
    assert tuple(surface.get_at((100, 470)))[:3] == landscape.palette.red
    assert tuple(surface.get_at((400, 470)))[:3] == landscape.palette.divider


def test_tile_draws_in_wide_and_tall_shapes(landscape: Theme) -> None:
    surface = pygame.Surface((1200, 800))
    for rect in [(0, 0, 900, 200), (0, 300, 420, 380)]:
        tile = Tile(rect, landscape, "党建资讯", "Party News", icon="讯", number=128, badge=3)
        tile.render(surface)
        assert tile.wide == (rect[2] > 1.7 * rect[3])
        assert tuple(surface.get_at((rect[0] + 40, rect[1] + 2)))[:3] == landscape.palette.red, "accent strip"


def test_tile_number_keeps_its_size_with_a_unit(landscape: Theme) -> None:
    """A one-digit number with a unit ("7 条") must not shrink: it is the tile's main information."""
    surface = pygame.Surface((1100, 500))

    def number_ink_height(number: int) -> int:
        surface.fill((0, 0, 0))
        Tile((0, 0, 1000, 480), landscape, "通知公告", "Notices", number=number, unit="条").render(surface)
        red = landscape.palette.red
        rows = [y for y in range(480) if any(tuple(surface.get_at((x, y)))[:3] == red for x in range(700, 960, 2))]
        return max(rows) - min(rows) if rows else 0

    assert number_ink_height(7) >= 0.6 * landscape.type.number
    assert abs(number_ink_height(7) - number_ink_height(21)) <= 4

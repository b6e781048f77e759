"""Toolkit showcase: ``python -m kiosk.ui.demo --out showcase.png [--size 1080x1920]`` renders headless.

Without ``--out`` it opens a window with a small interactive kiosk (tiles → list, PIN pad, dashboard,
dialog, banner, and a tile that raises on purpose to show the failsafe). Rendering the showcase in
both orientations and looking at it is the quickest check that nothing is blank, cut off or tofu.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from collections.abc import Sequence

import pygame

from kiosk.ui.fonts import Fonts
from kiosk.ui.layout import grid, inset, split_columns, split_rows, take_bottom, take_top, tile_grid
from kiosk.ui.screens import Navigator, Screen
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import (
    BarChart,
    Dialog,
    Donut,
    Label,
    ListItem,
    NumericKeypad,
    Paragraph,
    ProgressBar,
    ScrollList,
    Tile,
)

DEMO_TILES: tuple[tuple[str, str, str, object, object], ...] = (
    # title, subtitle, icon, number, badge
    ("党建资讯", "Party News", "讯", 128, 3),
    ("通知公告", "Notices", "告", 6, None),
    ("学习考试", "Learn & Quiz", "学", "92%", None),
    ("三会一课", "Meetings", "会", "12/15", None),
    ("便民服务", "Services", "服", None, None),
    ("党建地图", "Branch Map", "图", 24, None),
    ("VR展厅", "Exhibition Hall", "展", None, "新"),
    ("数据看板", "Dashboard", "数", None, None),
)

DEMO_ROWS = (
    ("关于开展“学党史、悟思想”主题党日活动的通知", "党委办公室 · 第一党支部", "07-01"),
    ("2024年第二季度党费收缴情况公示", "组织部", "06-28"),
    ("《中国共产党纪律处分条例》学习辅导（全文）", "学习材料 · Learning", "06-25"),
    ("支部委员会会议纪要：研究发展党员工作", "第二党支部", "06-20"),
    ("Volunteer service day: sign up at the front desk", "工会 · Union", "06-18"),
    ("“七一”表彰大会议程安排", "党委办公室", "06-15"),
    ("党员教育培训计划（2024—2025年）", "组织部", "06-10"),
    ("关于做好防汛工作的紧急通知！", "行政部", "06-05"),
    ("党小组会：学习二十届三中全会精神", "第三党小组", "06-01"),
    ("主题党课：传承红色基因，争做时代先锋", "党委书记 讲授", "05-28"),
)


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from exc


def build_showcase(size: tuple[int, int], *, fonts_candidates: Sequence[tuple[str, int]] | None = None,
                   banner: bool = False, modal: bool = False) -> tuple[Navigator, Screen]:
    """Create the theme, a navigator and the showcase screen (everything laid out, nothing modal)."""
    theme = Theme.for_screen(size, Fonts.default(fonts_candidates))
    screen = ShowcaseScreen()
    nav = Navigator(theme, screen, org_name="中共示范集团有限公司委员会", animations=False,
                    now=lambda: _dt.datetime(2024, 7, 1, 9, 30))
    nav.header.set_status("camera", "warn")
    nav.header.set_status("microphone", "off")
    nav.header.set_nav(True)  # show Back/Home as on an inner screen
    if banner:
        nav.notify("党委召开2024年度民主生活会，会议审议通过了相关报告。")
    if modal:
        nav.show_dialog(Dialog(theme, "确认签到", "张三，欢迎参加支部党员大会。请确认是否签到？",
                               [("取消", None), ("签到", None)]))
    return nav, screen


def render_showcase(path: str, size: tuple[int, int], **kwargs: object) -> str:
    """Render the showcase headless to ``path`` (PNG); returns the path."""
    pygame.display.init()  # a Surface needs no window; set SDL_VIDEODRIVER=dummy when headless
    surface = pygame.Surface(size)
    nav, _ = build_showcase(size, **kwargs)  # type: ignore[arg-type]
    nav.update(0.0)
    nav.draw(surface)
    pygame.image.save(surface, path)
    return path


def rows() -> list[ListItem]:
    """Demo list rows."""
    return [ListItem(t, s, d) for t, s, d in DEMO_ROWS]

def tiles(screen: Screen, area: pygame.Rect, count: int, on_tap=None) -> None:
    t = screen.theme
    assert t is not None
    rects = tile_grid(area, count, gap=t.spacing.gap, min_size=t.spacing.target)
    for i, (rect, spec) in enumerate(zip(rects, DEMO_TILES, strict=False)):
        title, sub, icon, number, badge = spec
        screen.add(Tile(rect, t, title, sub, icon=icon, number=number, badge=badge,
                        on_tap=(lambda i=i: on_tap(i)) if on_tap else None))

def section(screen: Screen, area: pygame.Rect, text: str) -> pygame.Rect:
    t = screen.theme
    assert t is not None
    head, rest = take_top(area, round(t.type.title * 1.3), t.spacing.unit)
    screen.add(Label(head, t, text, role="title", bold=True))
    return rest

def charts(screen: Screen, area: pygame.Rect) -> None:
    t = screen.theme
    assert t is not None
    bar_area, donut_area = split_columns(area, [1.6, 1], t.spacing.gap)
    screen.add(BarChart(bar_area, t, [("一支部", 15), ("二支部", 12), ("三支部", 9), ("四支部", 14),
                                      ("五支部", 6)], color=t.palette.red))
    screen.add(Donut(donut_area, t, 0.85, label="三会一课完成率", color=t.palette.ok.fill))

class ShowcaseScreen(Screen):
    title = "组件展示"

    def build(self) -> None:
        t = self.theme
        assert t is not None
        g = t.spacing.gap
        area = inset(self.rect, t.spacing.pad)
        if t.portrait:
            top, middle, bottom = split_rows(area, [0.95, 1.45, 0.95], g * 2)
            tiles(self, top, 6)
            list_area, pad_area = split_columns(middle, [1, 1], g)
            self.add(ScrollList(section(self, list_area, "通知公告"), t, rows()))
            self._keypad(section(self, pad_area, "管理员验证"))
            chart_area, dialog_area = split_columns(bottom, [1.25, 1], g)
            bars, chart_rest = take_bottom(section(self, chart_area, "数据看板"), t.spacing.target, g)
            charts(self, chart_rest)
            self._progress(bars)
            self._dialog(dialog_area)
        else:
            left, middle, right = split_columns(area, [1.45, 1, 0.95], g * 2)
            tile_area, chart_area = split_rows(left, [1.25, 1], g * 2)
            tiles(self, tile_area, 6)
            bars, chart_rest = take_bottom(section(self, chart_area, "数据看板"), t.spacing.target, g)
            charts(self, chart_rest)
            self._progress(bars)
            list_area, dialog_area = split_rows(middle, [1.15, 1], g)
            self.add(ScrollList(section(self, list_area, "通知公告"), t, rows()))
            self._dialog(dialog_area)
            pad_area, para_area = split_rows(right, [1.4, 0.25], g)
            self._keypad(section(self, pad_area, "管理员验证"))
            self.add(Paragraph(para_area, t, "提示：长按右上角5秒进入管理模式。Hold the top-right corner "
                               "for 5 s to unlock.", role="small", color=t.palette.ink_muted))

    def _keypad(self, area: pygame.Rect) -> None:
        t = self.theme
        assert t is not None
        pad = self.add(NumericKeypad(area, t, max_length=6, masked=True))
        for k in "2024":
            pad.press(k)

    def _progress(self, area: pygame.Rect) -> None:
        t = self.theme
        assert t is not None
        a, b = split_columns(area, [1, 1], t.spacing.gap)
        self.add(ProgressBar(a, t, 0.72, label="学习进度"))
        self.add(ProgressBar(b, t, 0.4, label="答题", color=t.palette.warn.text))

    def _dialog(self, area: pygame.Rect) -> None:
        t = self.theme
        assert t is not None
        self.add(Dialog(t, "确认签到", "张三，欢迎参加支部党员大会（第三季度）。请确认是否签到？",
                        [("取消", None), ("签到", None)], bounds=area, width=area.w, modal=False))

class DemoHome(Screen):
    def build(self) -> None:
        t = self.theme
        assert t is not None
        tiles(self, inset(self.rect, t.spacing.pad), 8, self._open)

    def _open(self, i: int) -> None:
        nav = self.nav
        assert nav is not None and self.theme is not None
        if i in (0, 1):
            nav.push(ListDemo(DEMO_TILES[i][0]))
        elif i == 2:
            nav.push(KeypadDemo())
        elif i == 3:
            nav.show_dialog(Dialog(self.theme, "确认签到", "张三，欢迎参加支部党员大会。请确认是否签到？",
                                   [("取消", None), ("签到", lambda: nav.notify("签到成功：张三", tag="已签到"))]))
        elif i == 4:
            nav.notify("党委召开2024年度民主生活会。", on_tap=lambda: nav.push(ListDemo("党建资讯")))
        elif i == 5:
            raise RuntimeError("demo: this tile fails on purpose to show the failsafe")
        else:
            nav.push(ShowcaseScreen())

class ListDemo(Screen):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.title = title

    def build(self) -> None:
        t = self.theme
        assert t is not None
        items = rows() * 10
        self.add(ScrollList(inset(self.rect, t.spacing.pad), t, items,
                            on_select=lambda i: self.nav and self.nav.notify(items[i].title, tag="已选择")))

class KeypadDemo(Screen):
    title = "管理员"

    def build(self) -> None:
        t = self.theme
        assert t is not None
        area = inset(self.rect, t.spacing.pad)
        w = min(area.w, round(560 * t.scale) + 2 * t.spacing.target)
        cells = grid(area, 1, 1)
        box = pygame.Rect(0, 0, w, min(area.h, round(w * 1.5)))
        box.center = cells[0].center
        self.add(NumericKeypad(box, t, masked=True, on_submit=self._submit))

    def _submit(self, value: str) -> None:
        if self.nav:
            self.nav.notify(f"输入了 {len(value)} 位数字", tag="确定")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write a PNG of the showcase and exit (headless)")
    parser.add_argument("--size", type=_parse_size, default=(1920, 1080), help="WIDTHxHEIGHT")
    parser.add_argument("--banner", action="store_true", help="include the 新消息 banner")
    parser.add_argument("--modal", action="store_true", help="include a modal dialog")
    parser.add_argument("--font", help="font path to try first (face index after a colon, e.g. x.ttc:2)")
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
    candidates = None
    if args.font:
        path, _, index = args.font.partition(":")
        candidates = [(path, int(index or 0))]
    if args.out:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        render_showcase(args.out, args.size, fonts_candidates=candidates, banner=args.banner, modal=args.modal)
        print(args.out)
        return 0
    from kiosk.ui.loop import run

    pygame.display.init()
    surface = pygame.display.set_mode(args.size)
    pygame.display.set_caption("智慧党建 UI toolkit demo")
    theme = Theme.for_screen(args.size, Fonts.default(candidates))
    nav = Navigator(theme, DemoHome(), org_name="中共示范集团有限公司委员会")
    run(nav, surface, quit_on_escape=True)
    pygame.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())

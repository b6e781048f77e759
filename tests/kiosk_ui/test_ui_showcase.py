"""The rendered showcase (both orientations) is not blank, and its Chinese really drew (no tofu)."""

from __future__ import annotations

from pathlib import Path

import pygame
import pytest

from kiosk.ui import demo
from kiosk.ui.fonts import Fonts, has_glyphs, missing_glyphs
from kiosk.ui.theme import Palette
from kiosk.ui.widgets import Tile

ALL_TEXT = "".join(
    [t[0] + t[1] + t[2] for t in demo.DEMO_TILES]
    + ["".join(r) for r in demo.DEMO_ROWS]
    + ["中共示范集团有限公司委员会", "返回首页", "网络摄像头麦克风内容", "2024年7月1日 星期一", "通知公告管理员验证数据看板",
       "确认签到张三，欢迎参加支部党员大会（第三季度）。请确认是否签到？取消", "删除清空确定0123456789",
       "抱歉，出了点问题", "秒后自动返回首页", "新消息查看 ›", "学习进度答题三会一课完成率一二三四五支部", "…●"]
)


def test_every_showcase_string_has_real_glyphs(fonts: Fonts) -> None:
    font = fonts.get(30)
    assert has_glyphs(font, ALL_TEXT), f"tofu for {missing_glyphs(font, ALL_TEXT)!r}"


def ink_pixels(surface: pygame.Surface, rect: pygame.Rect, background: tuple[int, int, int]) -> int:
    return sum(
        1
        for x in range(rect.left, rect.right, 2)
        for y in range(rect.top, rect.bottom, 2)
        if tuple(surface.get_at((x, y)))[:3] != background
    )


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_showcase_renders(size: tuple[int, int], tmp_path: Path) -> None:
    out = demo.render_showcase(str(tmp_path / "showcase.png"), size)
    image = pygame.image.load(out)
    assert image.get_size() == size
    small = pygame.transform.scale(image, (size[0] // 8, size[1] // 8))
    colours = {tuple(small.get_at((x, y)))[:3] for x in range(small.get_width()) for y in range(small.get_height())}
    assert len(colours) > 200, "a blank or nearly blank render"
    p = Palette()
    assert tuple(image.get_at((size[0] // 2, 4)))[:3] == p.red, "the red header"
    assert tuple(image.get_at((size[0] // 2, size[1] - 6)))[:3] == p.bg, "the warm white page"


def test_tile_title_really_drew(landscape, fonts: Fonts) -> None:
    """A title area with glyphs has ink; the same check on a Latin-only font is caught as tofu."""
    surface = pygame.Surface((600, 300))
    p = landscape.palette
    surface.fill(p.bg)
    tile = Tile((0, 0, 600, 300), landscape, "党建资讯", None, icon=None)
    tile.render(surface)
    title_box = pygame.Rect(30, 180, 300, 90)
    assert ink_pixels(surface, title_box, p.surface) > 200
    latin = pygame.freetype.Font(None, 30)
    assert not has_glyphs(latin, "党建资讯"), "the tofu check must be able to fail"


def test_cli_writes_png(tmp_path: Path) -> None:
    out = tmp_path / "p.png"
    assert demo.main(["--out", str(out), "--size", "800x1280"]) == 0
    assert pygame.image.load(str(out)).get_size() == (800, 1280)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_interactive_demo_flows(size: tuple[int, int], fonts: Fonts) -> None:
    """Tap every home tile of the interactive demo, with animations, as a user would."""
    import datetime as dt

    from kiosk.ui.screens import ErrorScreen, Navigator
    from kiosk.ui.theme import Theme

    theme = Theme.for_screen(size, fonts)
    home = demo.DemoHome()
    nav = Navigator(theme, home, org_name="中共示范委员会", now=lambda: dt.datetime(2024, 7, 1, 9, 30))
    surface = pygame.Surface(size)

    def frames(n: int) -> None:
        for _ in range(n):
            nav.update(1 / 60)
            nav.draw(surface)

    frames(2)
    tiles = [w for w in home.widgets if isinstance(w, Tile)]
    assert len(tiles) == 8
    for i, tile in enumerate(tiles):
        nav.tap(tile.rect.center)
        frames(20)
        if i == 5:
            assert isinstance(nav.top, ErrorScreen), "the deliberately failing tile shows the failsafe"
        if nav.dialog is not None:
            nav.tap(nav.dialog.children[-1].rect.center)
            frames(5)
        nav.home()
        frames(20)
        assert nav.top is home
    assert nav.error_count == 1

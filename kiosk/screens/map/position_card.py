"""本机位置: the BeiDou card — fix state, satellites by constellation, HDOP and how old the position is.

Why it is built this way: the terminal's place comes from :class:`core.events.Position` (BeiDou/GNSS,
published by ``beidou/``); the card says plainly which of four cases the visitor sees — a current fix,
the last known place with its age, a surveyed position (no receiver, or one not connected), or nothing
known — so a stale or configured 本机 is never taken for a live one.
"""

from __future__ import annotations

import pygame

from core.events import Position
from kiosk.context import KioskContext
from kiosk.screens.map.markers import TerminalMark
from kiosk.ui.drawing import card, draw_text, line_height, measurer
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Palette, Theme
from kiosk.ui.widgets.base import Widget

Line = tuple[str, RGB, bool]


def age_text(seconds: float | None, lang: str = "zh") -> str:
    """"刚刚", "12 秒前", "3 分钟前", "2 小时前", "3 天前" (or English)."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    zh = lang != "en"
    if s < 5:
        return "刚刚" if zh else "just now"
    for unit, zh_unit, en_unit in ((86400, "天", "d"), (3600, "小时", "h"), (60, "分钟", "min"), (1, "秒", "s")):
        if s >= unit:
            return f"{s // unit} {zh_unit}前" if zh else f"{s // unit} {en_unit} ago"
    return ""


def position_lines(ctx: KioskContext, p: Palette, pos: Position | None, mark: TerminalMark | None,
                   age_s: float | None) -> list[Line]:
    """The card's lines, (text, colour, bold): a title, then the state, then its details. ``mark`` is
    where 本机 is drawn (used when there is no receiver); ``age_s`` how old ``pos`` is now."""
    title = (ctx.t("本机位置 · 北斗定位", "This terminal · BeiDou"), p.ink, True)
    if pos is None or (not pos.known and not pos.connected):
        if mark is not None:
            first = ctx.t("◎ 设定位置（未接北斗接收机）", "◎ Surveyed position (no receiver)")
            if pos is not None:
                first = ctx.t("× 接收机未连接，显示设定位置", "× Receiver not connected; surveyed position")
            return [title, (first, p.ink_muted if pos is None else p.bad.text, True),
                    (f"{mark.latlon[0]:.5f}°N  {mark.latlon[1]:.5f}°E", p.ink_muted, False)]
        return [title, (ctx.t("本机位置未知", "Position unknown"), p.ink_muted, True)]
    age = age_text(age_s, ctx.lang)
    if pos.fix:
        return [title, *_fix_lines(ctx, p, pos, age)]
    if not pos.connected:
        first = (ctx.t("× 接收机未连接", "× Receiver not connected"), p.bad.text, True)
    else:
        first = (ctx.t("! 暂无定位信号", "! No satellite fix"), p.warn.text, True)
    if pos.known:
        second = (ctx.t(f"显示上次位置（{age}）", f"Showing last known position ({age})"), p.ink, False)
    else:
        second = (ctx.t("尚未定位过，请稍候", "No fix yet, please wait"), p.ink, False)
    view = ctx.t(f"可见卫星 {pos.satellites_in_view} 颗（北斗 {pos.beidou_in_view}）",
                 f"{pos.satellites_in_view} in view (BeiDou {pos.beidou_in_view})")
    return [title, first, second, (view, p.ink_muted, False)]


def _fix_lines(ctx: KioskContext, p: Palette, pos: Position, age: str) -> list[Line]:
    """A current fix: 2D/3D, the satellites used by constellation, HDOP and when it was updated."""
    sats = ctx.t(f"卫星 {pos.satellites_used} 颗：北斗 {pos.beidou_used} · GPS {pos.gps_used}"
                 + (f" · 其他 {pos.other_used}" if pos.other_used else ""),
                 f"{pos.satellites_used} satellites: BeiDou {pos.beidou_used} · GPS {pos.gps_used}"
                 + (f" · other {pos.other_used}" if pos.other_used else ""))
    mode = {3: "3D", 2: "2D"}.get(pos.fix_mode, "")
    first = (ctx.t(f"✓ 已定位 {mode}", f"✓ Fix {mode}").strip(), p.ok.text, True)
    hdop = f"HDOP {pos.hdop:.1f} · " if pos.hdop else ""
    third = (hdop + ctx.t(f"更新于 {age}", f"updated {age}"), p.ink_muted, False)
    return [first, (sats, p.ink, False), third]


class GnssPanel(Widget):
    """本机位置: fix state, satellites by constellation (北斗 / GPS), HDOP, and the age of the position."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.lines: list[Line] = []

    @staticmethod
    def preferred_height(theme: Theme) -> int:
        return line_height(theme.font("body", True)) + 3 * line_height(theme.font("small")) + 5 * theme.spacing.unit

    def set_lines(self, lines: list[Line]) -> None:
        if lines != self.lines:
            self.lines = lines
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        pygame.draw.rect(surface, p.red, (r.x, r.y, max(8, t.spacing.unit), r.h),
                         border_top_left_radius=t.spacing.radius, border_bottom_left_radius=t.spacing.radius)
        x = r.x + t.spacing.gap + t.spacing.unit
        w = r.right - t.spacing.gap - x
        y = r.y + t.spacing.unit * 2
        for i, (text, color, bold) in enumerate(self.lines):
            font = t.font("body", True) if i == 0 else t.font("small", bold)
            draw_text(surface, font, ellipsize(text, w, measurer(font)), (x, y), color)
            y += line_height(font) + (t.spacing.unit if i == 0 else 0)
            if y > r.bottom:
                break

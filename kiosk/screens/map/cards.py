"""The map's branch widgets: a search button per branch, the tapped branch's card, and the legend.

Why it is built this way: search without a keyboard — a button per branch centres the map on it and
opens its card, which says everything a visitor asks at the desk (书记, 党员, next meeting, place,
phone, how far from here). Each status is shown as a shape and a word as well as a colour, and the
legend says what the shapes mean, so colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame
import pygame.freetype

from kiosk.context import KioskContext
from kiosk.screens.dashboard import STATUS, status_colors
from kiosk.screens.map.basemap import site_diamond, star
from kiosk.screens.map.pins import BranchPin
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.gestures import Cancel, Down, Drag, Gesture, Tap, Up
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Pressable


def status_words(ctx: KioskContext, status: str) -> tuple[str, str]:
    """(shape, word) of a 三会一课 status: ("✓", "按期完成") and the like, "?" for an unknown one."""
    _, zh, en, shape = STATUS.get(status, ("off", "未知", "unknown", "?"))
    return shape, ctx.t(zh, en)


class BranchButton(Pressable):
    """Search by name: the branch's status symbol, name, and where it is from here."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 pin: BranchPin, on_tap: Callable[[], object]) -> None:
        super().__init__(rect, theme, on_tap)
        self.ctx, self.pin = ctx, pin
        self.where = ""
        self.selected = False

    def set_where(self, where: str) -> None:
        if where != self.where:
            self.where = where
            self.dirty = True

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p, pin = self.theme, self.theme.palette, self.pin
        r = self.rect
        off = max(2, t.spacing.radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        card(surface, body, p.surface_pressed if self.pressed else p.surface, t.spacing.radius,
             shadow=None if self.pressed else mix(p.bg, (0, 0, 0), 0.14),
             border=p.gold if self.selected else p.divider, border_width=4 if self.selected else 2)
        colors = status_colors(t, pin.status)
        shape, status = status_words(self.ctx, pin.status)
        cr = min(body.h // 2 - t.spacing.unit, round(26 * t.scale))
        cx = body.x + t.spacing.gap + cr
        pygame.draw.circle(surface, colors.fill, (cx, body.centery), cr)
        draw_text(surface, t.font("title", True), shape, (cx, body.centery), colors.on_fill, "center")
        x = cx + cr + t.spacing.gap
        w = body.right - t.spacing.gap - x
        nf, sf = t.font("body", True), t.font("small")
        sub = " · ".join(s for s in (status, self.where or (self.ctx.t("未标注位置", "no location")
                                                               if pin.latlon is None else "")) if s)
        top = body.centery - (line_height(nf) + line_height(sf)) // 2
        draw_text(surface, nf, ellipsize(pin.short(self.ctx.lang), w, measurer(nf)), (x, top), p.ink)
        draw_text(surface, sf, ellipsize(sub, w, measurer(sf)), (x, top + line_height(nf)),
                  colors.text if pin.status != "green" else p.ink_muted)


class BranchCard(Widget):
    """The tapped branch: status, 书记, 党员, next meeting, place, phone, distance; × closes it."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 on_close: Callable[[], object]) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.on_close = on_close
        self.pin: BranchPin | None = None
        self.where = ""
        self.visible = False
        self._pressed_close = False

    @staticmethod
    def rows_height(theme: Theme, rows: int = 6) -> int:
        t = theme
        return (t.spacing.unit * 3 + max(t.spacing.target, line_height(t.font("title", True)) + t.spacing.unit)
                + rows * (line_height(t.font("body")) + t.spacing.unit // 2) + t.spacing.unit * 3)

    @property
    def close_rect(self) -> pygame.Rect:
        s = self.theme.spacing.target
        return pygame.Rect(self.rect.right - s - self.theme.spacing.unit, self.rect.y + self.theme.spacing.unit * 2,
                           s, s)

    def show(self, pin: BranchPin | None, where: str = "") -> None:
        self.pin, self.where = pin, where
        self.visible = pin is not None
        self.dirty = True

    def rows(self) -> list[tuple[str, str]]:
        pin, ctx = self.pin, self.ctx
        if pin is None:
            return []
        return [(ctx.t("支部书记", "Secretary"), pin.secretary or "—"),
                (ctx.t("党员人数", "Members"), ctx.t(f"{pin.members} 人", str(pin.members))),
                (ctx.t("下次会议", "Next meeting"), pin.next_meeting or ctx.t("暂无安排", "none scheduled")),
                (ctx.t("活动地点", "Place"), pin.place or "—"),
                (ctx.t("联系电话", "Phone"), pin.phone or "—"),
                (ctx.t("距离本机", "From here"), self.where or ctx.t("本机位置未知", "unknown"))]

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            if not self.contains(gesture.pos):
                return False
            self._pressed_close = self.close_rect.collidepoint(gesture.pos)
            self.dirty = True
            return True  # the card eats touches so the map below does not pan
        if isinstance(gesture, (Up, Cancel)):
            if self._pressed_close:
                self._pressed_close = False
                self.dirty = True
            return True
        if isinstance(gesture, Tap):
            if self.close_rect.collidepoint(gesture.pos):
                self.on_close()
            return True
        return isinstance(gesture, Drag)

    def draw(self, surface: pygame.Surface) -> None:
        if self.pin is None:
            return
        t, p = self.theme, self.theme.palette
        r = self.rect
        colors = status_colors(t, self.pin.status)
        card(surface, r, p.surface, t.spacing.radius, shadow=mix(p.bg, (0, 0, 0), 0.3), border=p.divider)
        strip = max(8, t.spacing.unit + 2)
        pygame.draw.rect(surface, colors.fill, (r.x, r.y, r.w, strip),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        close = self.close_rect
        pygame.draw.rect(surface, p.surface_pressed if self._pressed_close else p.bg, close,
                         border_radius=t.spacing.radius // 2)
        draw_text(surface, t.font("title", True), "×", close.center, p.ink, "center")
        y = self._draw_title(surface, r.y + strip + t.spacing.unit * 2)
        self._draw_rows(surface, max(y, close.bottom) + t.spacing.unit)

    def _draw_title(self, surface: pygame.Surface, y: int) -> int:
        """The branch's name (shrunk to fit beside ×) and its status pill; returns the pill's bottom."""
        assert self.pin is not None
        t, p, ctx, pin = self.theme, self.theme.palette, self.ctx, self.pin
        x = self.rect.x + t.spacing.gap
        title_w = self.close_rect.x - t.spacing.unit - x
        name = ctx.t(pin.name_zh, pin.name_en) or pin.name_zh
        tf = t.fit_font(name, title_w, "title", "button", bold=True)
        draw_text(surface, tf, ellipsize(name, title_w, measurer(tf)), (x, y), p.ink)
        y += line_height(tf) + t.spacing.unit // 2
        shape, word = status_words(ctx, pin.status)
        colors = status_colors(t, pin.status)
        sf = t.font("small", True)
        pill_text = f"{shape} {ctx.t('三会一课', '3+1 meetings')} {word}"
        pill = pygame.Rect(x, y, text_width(sf, pill_text) + t.spacing.unit * 4, line_height(sf) + t.spacing.unit)
        pygame.draw.rect(surface, colors.fill, pill, border_radius=pill.h // 2)
        draw_text(surface, sf, pill_text, pill.center, colors.on_fill, "center")
        return pill.bottom

    def _draw_rows(self, surface: pygame.Surface, y: int) -> None:
        """Label and value rows from ``y`` down, as many as fit."""
        t, p, r = self.theme, self.theme.palette, self.rect
        pad = t.spacing.gap
        x = r.x + pad
        lf, vf = t.font("small"), t.font("body")
        label_w = max(text_width(lf, k) for k, _ in self.rows()) + t.spacing.gap
        row_h = line_height(vf) + t.spacing.unit // 2
        for key, value in self.rows():
            if y + row_h > r.bottom - t.spacing.unit:
                break
            draw_text(surface, lf, key, (x, y + row_h // 2), p.ink_muted, "midleft")
            vw = r.right - pad - x - label_w
            draw_text(surface, vf, ellipsize(value, vw, measurer(vf)), (x + label_w, y + row_h // 2), p.ink, "midleft")
            y += row_h


class Legend(Widget):
    """What the symbols mean (shape + word, so colour is never the only cue)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx

    @staticmethod
    def items_for(ctx: KioskContext) -> list[tuple[str, str]]:
        return [*[(key, ctx.t(zh, en)) for key, (_, zh, en, _) in STATUS.items()],
                ("terminal", ctx.t("本机", "Here")), ("site", ctx.t("党建阵地", "Party site"))]

    @staticmethod
    def _flow(theme: Theme, ctx: KioskContext, width: int) -> list[list[tuple[str, str, int]]]:
        """The items in rows that fit ``width``: [[(key, text, item width), ...], ...]."""
        font = theme.font("caption")
        rad = max(12, round(15 * theme.scale))
        rows: list[list[tuple[str, str, int]]] = [[]]
        used = 0
        for key, text in Legend.items_for(ctx):
            need = 2 * rad + theme.spacing.unit + text_width(font, text) + theme.spacing.gap
            if rows[-1] and used + need > width:
                rows.append([])
                used = 0
            rows[-1].append((key, text, need))
            used += need
        return rows

    @staticmethod
    def rows_needed(theme: Theme, ctx: KioskContext, width: int) -> int:
        return len(Legend._flow(theme, ctx, width))

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        font = t.font("caption")
        r = self.rect
        rad = max(12, round(15 * t.scale))
        flow = self._flow(t, self.ctx, r.w)
        row_h = r.h // max(1, len(flow))
        for i, row in enumerate(flow):
            x, cy = r.x, r.y + i * row_h + row_h // 2
            for key, text, need in row:
                self._item(surface, key, text, (x + rad, cy), rad, font)
                x += need

    def _item(self, surface: pygame.Surface, key: str, text: str, c: tuple[int, int], rad: int,
              font: pygame.freetype.Font) -> None:
        t, p = self.theme, self.theme.palette
        if key in STATUS:
            colors = status_colors(t, key)
            pygame.draw.circle(surface, colors.fill, c, rad)
            draw_text(surface, t.font("caption", True), STATUS[key][3], c, colors.on_fill, "center")
        elif key == "terminal":
            pygame.draw.circle(surface, p.red, c, rad)
            pygame.draw.polygon(surface, p.gold, star(c, rad * 0.75))
        else:
            diamond = site_diamond(c, rad - 3)
            pygame.draw.polygon(surface, p.gold, diamond)
            pygame.draw.polygon(surface, p.red, diamond, 3)
        draw_text(surface, font, text, (c[0] + rad + t.spacing.unit, c[1]), p.ink, "midleft")

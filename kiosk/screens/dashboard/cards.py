"""The dashboard's cards: an organisation figure, the attendance chart, and one branch's 三会一课.

Each draws itself whole on a white card (they are redrawn only when pressed or laid out again); a
branch card's status is a colour, a shape and a word, and the screen hands all cards one name size so
their names line up.
"""

from __future__ import annotations

import pygame

from core.dashboard import BranchFigures, TypeStatus
from kiosk.context import KioskContext
from kiosk.screens.dashboard.data import CURRENT, STATUS, TYPE_EN_SHORT, percent, short_name, status_colors
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Callback, Pressable
from kiosk.ui.widgets.charts import BarChart, Donut


def draw_status_pill(surface: pygame.Surface, theme: Theme, status: str, text: str, topleft: tuple[int, int],
                     role: str = "body") -> pygame.Rect:
    """A rounded pill in the status colour with a shape (✓ ! ×) and a text label; returns its rect."""
    colors = status_colors(theme, status)
    shape = STATUS.get(status, ("off", "", "", "?"))[3]
    font = theme.font(role, True)
    label = f"{shape} {text}"
    h = line_height(font) + theme.spacing.unit
    rect = pygame.Rect(topleft[0], topleft[1], text_width(font, label) + theme.spacing.unit * 4, h)
    pygame.draw.rect(surface, colors.fill, rect, border_radius=h // 2)
    draw_text(surface, font, label, rect.center, colors.on_fill, "center")
    return rect


class StatCard(Widget):
    """A figure for the whole organisation: label, big number (≥ 64 px at 1080), unit and a note."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, label: str, sublabel: str,
                 value: str, unit: str = "", note: str = "", accent: RGB | None = None) -> None:
        super().__init__(rect, theme)
        self.label, self.sublabel, self.value, self.unit, self.note = label, sublabel, value, unit, note
        self.accent = accent

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, shadow=mix(p.bg, (0, 0, 0), 0.14))
        accent = self.accent or p.red
        pygame.draw.rect(surface, accent, (r.x, r.y, max(6, t.spacing.unit), r.h),
                         border_top_left_radius=t.spacing.radius, border_bottom_left_radius=t.spacing.radius)
        pad = max(t.spacing.unit * 2, min(t.spacing.pad, r.w // 10))
        x, w = r.x + pad + t.spacing.unit, r.w - 2 * pad - t.spacing.unit
        lf, sf = t.fit_font(self.label, w, "body", "caption", bold=True), t.font("caption")
        nf = t.fonts.get(t.type.number, True) if t.fonts else t.font("number", True)
        uf = t.font("small")
        h = line_height(lf) + line_height(nf) + (line_height(sf) if self.sublabel else 0)
        y = r.y + max(t.spacing.unit, (r.h - h) // 2)
        draw_text(surface, lf, ellipsize(self.label, w, measurer(lf)), (x, y), p.ink)
        y += line_height(lf)
        if self.sublabel:
            draw_text(surface, sf, ellipsize(self.sublabel, w, measurer(sf)), (x, y), p.ink_muted)
            y += line_height(sf)
        box = draw_text(surface, nf, self.value, (x, y), p.red if accent == p.red else p.ink)
        if self.unit:
            draw_text(surface, uf, self.unit, (box.right + t.spacing.unit // 2, box.bottom - t.spacing.unit),
                      p.ink_muted, "bottomleft")
        if self.note:
            nx = box.right + t.spacing.unit + (text_width(uf, self.unit) + t.spacing.unit if self.unit else 0)
            room = r.right - pad - nx
            if text_width(sf, self.note) <= room:
                draw_text(surface, sf, self.note, (nx, box.bottom - t.spacing.unit), p.ink_muted, "bottomleft")


class ChartCard(Widget):
    """A white card with a title over a ``BarChart`` (drawn inside the card)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str, subtitle: str,
                 data: list[tuple[str, float]]) -> None:
        super().__init__(rect, theme)
        self.title, self.subtitle = title, subtitle
        self.chart = BarChart((0, 0, 1, 1), theme, data, max_value=100,
                              value_format=lambda v: f"{v:.0f}%", color=theme.palette.red,
                              background=theme.palette.surface)

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, shadow=mix(p.bg, (0, 0, 0), 0.14))
        pad = t.spacing.gap
        tf, sf = t.font("body", True), t.font("caption")
        x, y, w = r.x + pad, r.y + t.spacing.unit * 2, r.w - 2 * pad
        box = draw_text(surface, tf, ellipsize(self.title, w, measurer(tf)), (x, y), p.ink)
        if self.subtitle and text_width(sf, self.subtitle) <= r.right - pad - box.right - t.spacing.gap:
            draw_text(surface, sf, self.subtitle, (box.right + t.spacing.gap, box.centery), p.ink_muted, "midleft")
        top = box.bottom + t.spacing.unit
        self.chart.set_rect((x, top, w, r.bottom - t.spacing.unit - top))
        self.chart.draw(surface)
        self.chart.dirty = False


class BranchCard(Pressable):
    """One branch's 三会一课 card; tapping it opens the branch's meetings."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 figures: BranchFigures, on_tap: Callback | None = None, name_size: int | None = None) -> None:
        super().__init__(rect, theme, on_tap)
        self.ctx = ctx
        self.figures = figures
        self.name_size = name_size  # the screen passes one size so that all cards' names match
        colors = status_colors(theme, figures.status)
        self.donut = Donut((0, 0, 1, 1), theme, figures.completion, color=colors.fill,
                           background=theme.palette.surface)

    def inner_width(self) -> int:
        pad = max(self.theme.spacing.unit * 2, min(self.theme.spacing.gap, self.rect.w // 16))
        return self.rect.w - 2 * pad

    def name(self, width: int) -> str:
        """The branch name, shortened ("第一党支部") when the full one does not fit even at button size."""
        t, ctx, f = self.theme, self.ctx, self.figures
        name = ctx.t(f.name_zh, f.name_en) or f.name_zh
        if text_width(t.fit_font(name, width, "title", "button", bold=True), name) > width:
            name = ctx.t(short_name(f.name_zh), f.name_en.split(" (")[0]) or name
        return name

    def name_font_size(self) -> int:
        w = self.inner_width()
        font = self.theme.fit_font(self.name(w), w, "title", "button", bold=True)
        return int(font.size if isinstance(font.size, (int, float)) else font.size[0])

    @property
    def status_label(self) -> str:
        _, zh, en, _ = STATUS.get(self.figures.status, ("off", "未知", "unknown", "?"))
        return self.ctx.t(zh, en)

    def type_rows(self) -> list[tuple[TypeStatus, str, str]]:
        """(type status, type name, this period's state) as shown."""
        ctx = self.ctx
        return [(ts, ctx.t(ts.type, TYPE_EN_SHORT.get(ts.type, ts.type)),
                 ctx.t(*CURRENT.get(ts.current, (ts.current,))))
                for ts in self.figures.types]

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx, f = self.theme, self.theme.palette, self.ctx, self.figures
        r = self.rect
        radius = t.spacing.radius
        off = max(2, radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        colors = status_colors(t, f.status)
        card(surface, body, p.surface_pressed if self.pressed else p.surface, radius,
             shadow=None if self.pressed else mix(p.bg, (0, 0, 0), 0.14))
        strip = max(8, t.spacing.unit + 2)
        pygame.draw.rect(surface, colors.fill, (body.x, body.y, body.w, strip),
                         border_top_left_radius=radius, border_top_right_radius=radius)
        pad = max(t.spacing.unit * 2, min(t.spacing.gap, body.w // 16))
        x, w = body.x + pad, body.w - 2 * pad
        y = body.y + strip + t.spacing.unit * 2
        # name and status
        name = self.name(w)
        nf = t.fonts.get(self.name_size, True) if self.name_size and t.fonts else \
            t.fit_font(name, w, "title", "button", bold=True)
        draw_text(surface, nf, ellipsize(name, w, measurer(nf)), (x, y), p.ink)
        y += line_height(nf) + t.spacing.unit
        pill = draw_status_pill(surface, t, f.status, self.status_label, (x, y))
        hint_font = t.font("small")
        hint = ctx.t("会议记录 ›", "Meetings ›")
        if text_width(hint_font, hint) <= x + w - pill.right - t.spacing.gap:  # says the card opens
            draw_text(surface, hint_font, hint, (x + w, pill.centery), p.red, "midright")
        y = pill.bottom + t.spacing.gap
        # the four types take the bottom of the card
        bf, bb, sf = t.font("body"), t.font("body", True), t.font("small", True)
        row_h = line_height(bf) + max(2, t.spacing.unit // 2)
        types_h = len(f.types) * row_h + t.spacing.unit
        types_top = body.bottom - t.spacing.unit * 2 - types_h
        # donut and the small figures between the status and the types
        d = max(t.spacing.target, min(round(w * 0.45), types_top - t.spacing.gap - y))
        self.donut.set_rect((x, y, d, d))
        self.donut.draw(surface)
        sx = x + d + t.spacing.gap
        sw = body.right - pad - sx
        stats = [(ctx.t("出勤率", "Attend."), percent(f.attendance_rate)),
                 (ctx.t("党员", "Members"), f"{f.members}{'人' if ctx.lang == 'zh' else ''}"),
                 (ctx.t("学习积分", "Points"), str(f.points))]
        lf = t.font("small")
        vf = t.font("title", True)
        each = d // len(stats)
        stacked = each >= line_height(lf) + line_height(t.font("body", True))
        if stacked and each < line_height(lf) + line_height(vf) or not stacked:
            vf = t.font("body", True)
        for i, (label, value) in enumerate(stats):
            if stacked:  # label over value
                top = y + i * each + (each - line_height(lf) - line_height(vf)) // 2
                draw_text(surface, lf, ellipsize(label, sw, measurer(lf)), (sx, top), p.ink_muted)
                draw_text(surface, vf, ellipsize(value, sw, measurer(vf)), (sx, top + line_height(lf)), p.ink)
            else:  # label and value on one line
                cy = y + i * each + each // 2
                room = sw - text_width(vf, value) - t.spacing.unit
                draw_text(surface, lf, ellipsize(label, room, measurer(lf)), (sx, cy), p.ink_muted, "midleft")
                draw_text(surface, vf, value, (sx + sw, cy), p.ink, "midright")
        y = types_top
        pygame.draw.line(surface, p.divider, (x, y), (x + w, y), 2)
        y += t.spacing.unit
        state_w = max(text_width(sf, s) for s in (ctx.t("已安排", "planned"), ctx.t("待开", "to do"),
                                                  ctx.t("已开", "held")))
        for ts, type_name, state in self.type_rows():
            cy = y + row_h // 2
            tc = status_colors(t, ts.status)
            shape = STATUS.get(ts.status, ("off", "", "", "?"))[3]
            count = f"{shape} {ts.held}/{ts.required}"
            count_right = x + w - state_w - t.spacing.unit * 2
            name_w = count_right - text_width(bb, count) - t.spacing.unit * 2 - x
            draw_text(surface, bf, ellipsize(type_name, name_w, measurer(bf)), (x, cy), p.ink, "midleft")
            draw_text(surface, bb, count, (count_right, cy), tc.text, "midright")
            color = {"done": p.ok.text, "scheduled": p.gold_dark, "pending": p.warn.text}.get(ts.current, p.ink)
            draw_text(surface, sf, state, (x + w, cy), color, "midright")
            y += row_h

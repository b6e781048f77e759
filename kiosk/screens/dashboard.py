"""数据看板 (dashboard): 三会一课 completion per branch, attendance, members and learning points.

Figures come from ``core.dashboard.branch_figures`` (complete periods only: the last six months for the
monthly meetings, the last two quarters for the quarterly ones), so the kiosk and any report agree.
Each branch gets a card with its status colour — always with a text label and a shape (✓ ! ×), never
colour alone — the completion as a donut, the four meeting types (held / required, and this period's
state 已开 / 已安排 / 待开), attendance rate, member count and points. Above the cards: the
organisation's totals and a bar chart of attendance per branch. Tapping a card opens the branch's
meetings. Landscape puts the four cards in a row; portrait stacks them 2 × 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pygame

from core.dashboard import BranchFigures, TypeStatus, branch_figures, branch_meetings, month_meetings
from kiosk.context import KioskContext
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import grid, inset, split_columns, split_rows, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, StatusColors, Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Callback, Pressable
from kiosk.ui.widgets.charts import BarChart, Donut
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ScrollList

#: core.dashboard colour → (palette state, zh label, en label, shape drawn beside the label)
STATUS: dict[str, tuple[str, str, str, str]] = {
    "green": ("ok", "按期完成", "On track", "✓"),
    "amber": ("warn", "需关注", "Attention", "!"),
    "red": ("bad", "滞后", "Behind", "×"),
}
#: This period's state of one meeting type → (zh, en)
CURRENT: dict[str, tuple[str, str]] = {
    "done": ("已开", "held"),
    "scheduled": ("已安排", "planned"),
    "pending": ("待开", "to do"),
}
TYPE_EN = {"支部党员大会": "General meeting", "支委会": "Committee", "党小组会": "Group meeting", "党课": "Party lecture"}
TYPE_EN_SHORT = {"支部党员大会": "General", "支委会": "Committee", "党小组会": "Group", "党课": "Lecture"}


def short_name(name_zh: str) -> str:
    """"第一党支部（机关）" → "第一党支部"."""
    return re.split(r"[（(]", name_zh, maxsplit=1)[0] or name_zh


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def status_colors(theme: Theme, status: str) -> StatusColors:
    return theme.palette.status(STATUS.get(status, ("off",))[0])


# ---------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------
@dataclass
class Overview:
    """Everything the dashboard shows, read in one session."""

    figures: list[BranchFigures] = field(default_factory=list)
    members: int = 0
    meetings_month: int = 0
    held_month: int = 0
    present: int = 0
    expected: int = 0
    points: int = 0

    @property
    def attendance(self) -> float | None:
        return self.present / self.expected if self.expected else None


def load_overview(ctx: KioskContext) -> Overview:
    now = ctx.now()
    tz = ctx.terminal.tz
    with ctx.session() as s:
        figures = branch_figures(s, now, tz)
        count, held = month_meetings(s, now, tz)
    return Overview(figures, sum(f.members for f in figures), count, held,
                    sum(f.present for f in figures), sum(f.expected for f in figures), sum(f.points for f in figures))


# ---------------------------------------------------------------------------------------------------
# Widgets
# ---------------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------------
# Screens
# ---------------------------------------------------------------------------------------------------
class DashboardScreen(Screen):
    """数据看板: totals, attendance per branch, and one 三会一课 card per branch."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("dashboard")
        self.ctx = ctx
        self.title = ctx.t("数据看板", "Dashboard")
        self.overview: Overview | None = None
        self.cards: dict[str, BranchCard] = {}
        self.stats: list[StatCard] = []

    def enter(self) -> None:
        fresh = load_overview(self.ctx)  # live figures each time the page is opened
        if fresh != self.overview:
            self.overview = fresh
            self.layout(self.rect)

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        if self.overview is None:
            self.overview = load_overview(ctx)
        ov = self.overview
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        legend_h = line_height(th.font("caption")) + th.spacing.unit
        if th.portrait:
            stats_area, rest = take_top(area, round(area.h * 0.125), gap)
            chart_area, rest = take_top(rest, round(area.h * 0.16), gap)
            legend, cards_area = take_top(rest, legend_h, th.spacing.unit)
            stat_cells = grid(stats_area, 4, 1, gap)
            n = max(1, len(ov.figures))
            cols = 2 if n > 1 else 1
            card_cells = grid(cards_area, cols, -(-n // cols), gap, n)
        else:
            top, rest = take_top(area, round(area.h * 0.27), gap)
            stats_area, chart_area = split_columns(top, [1.5, 1], gap)
            legend, cards_area = take_top(rest, legend_h, th.spacing.unit)
            stat_cells = grid(stats_area, 4, 1, gap)
            n = max(1, len(ov.figures))
            cols = min(4, n)
            card_cells = grid(cards_area, cols, -(-n // cols), gap, n)
        p = th.palette
        this_month = ctx.t(f"已开 {ov.held_month} 场", f"{ov.held_month} held")
        self.stats = [
            self.add(StatCard(stat_cells[0], th, ctx.t("党员总数", "Members"), ctx.t("Members", "党员总数"),
                              str(ov.members), "人" if ctx.lang == "zh" else "")),
            self.add(StatCard(stat_cells[1], th, ctx.t("本月会议", "This month"), this_month,
                              str(ov.meetings_month), ctx.t("场", "mtgs"), accent=p.gold)),
            self.add(StatCard(stat_cells[2], th, ctx.t("平均出勤率", "Attendance"), ctx.t("Avg attendance", "平均出勤率"),
                              percent(ov.attendance), accent=p.ok.fill)),
            self.add(StatCard(stat_cells[3], th, ctx.t("学习积分", "Points"), ctx.t("Learning points", "学习积分"),
                              str(ov.points), accent=p.gold)),
        ]
        data = [(ctx.t(short_name(f.name_zh), f.name_en.split(" (")[0] or f.code),
                 round((f.attendance_rate or 0.0) * 100, 1)) for f in ov.figures]
        self.chart = self.add(ChartCard(chart_area, th, ctx.t("各支部出勤率", "Attendance by branch"),
                                        ctx.t("Attendance by branch", "各支部出勤率"), data))
        today = ctx.date_text(ctx.now())
        self.add(Label(legend, th, ctx.t(
            f"近6个月支委会、党小组会，近2个季度党员大会、党课 · 截至{today}",
            f"Committee, group: last 6 months · general, lecture: last 2 quarters · {today}"),
            role="caption", color=p.ink_muted))
        self.cards = {}
        if not ov.figures:
            self.add(Label(cards_area, th, ctx.t("暂无支部数据", "No branches yet"), align="center",
                           color=p.ink_muted))
        for f, cell in zip(ov.figures, card_cells, strict=False):
            self.cards[f.code] = self.add(BranchCard(cell, th, ctx, f, on_tap=lambda c=f.code: self.open(c)))
        if self.cards:
            size = min(c.name_font_size() for c in self.cards.values())
            for c in self.cards.values():
                c.name_size = size

    def open(self, code: str) -> None:
        figures = next(f for f in self.overview.figures if f.code == code)
        self.nav.push(BranchDetailScreen(self.ctx, code, figures))


@dataclass(frozen=True)
class MeetingRow:
    when: object  # aware datetime
    type: str
    title: str
    place: str
    present: int
    expected: int
    state: str  # "past" | "running" | "upcoming"


class BranchDetailScreen(Screen):
    """One branch: its status and the four types on top, its meetings (newest first) below."""

    def __init__(self, ctx: KioskContext, code: str, figures: BranchFigures | None = None) -> None:
        super().__init__("branch_detail")
        self.ctx = ctx
        self.code = code
        self.figures = figures
        self.rows: list[MeetingRow] = []
        self.title = ctx.t("支部详情", "Branch")

    def load(self) -> None:
        ctx = self.ctx
        now = ctx.now()
        with ctx.session() as s:
            if self.figures is None:
                self.figures = next((f for f in branch_figures(s, now, ctx.terminal.tz) if f.code == self.code), None)
            meetings = branch_meetings(s, self.code) or []
            self.rows = [MeetingRow(m.starts_at, m.type, ctx.t(m.title_zh, m.title_en) or m.title_zh, m.place_zh,
                                    len(m.attendance), len(m.roster),
                                    "upcoming" if m.starts_at > now else
                                    ("running" if not m.closed and m.ends_at > now else "past"))
                         for m in meetings]
        if self.figures is not None:
            self.title = ctx.t(self.figures.name_zh, self.figures.name_en) or self.figures.name_zh

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        self.load()
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        f = self.figures
        summary_h = BranchSummary.preferred_height(th)
        if f is not None:
            top, area = take_top(area, summary_h, gap)
            self.summary = self.add(BranchSummary(top, th, ctx, f))
        head, area = take_top(area, line_height(th.font("body", True)) + th.spacing.unit, th.spacing.unit)
        self.add(Label(head, th, ctx.t(f"会议记录（共 {len(self.rows)} 场）", f"Meetings ({len(self.rows)})"),
                       role="body", bold=True))
        self.list = self.add(ScrollList(area, th, self.rows, row_height=th.spacing.row, render_row=self._render_row,
                                        empty_text=ctx.t("暂无会议记录", "No meetings yet")))

    def _render_row(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object,
                    pressed: bool) -> None:
        m: MeetingRow = item  # type: ignore[assignment]
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        pad = t.spacing.gap
        local = ctx.local(m.when)  # type: ignore[arg-type]
        # date block
        df, wf = t.font("body", True), t.font("small")
        date = f"{local.month}月{local.day}日" if ctx.lang == "zh" else local.strftime("%d %b")
        date_w = max(text_width(df, "12月31日"), text_width(df, "31 Dec")) + pad
        top = rect.centery - (line_height(df) + line_height(wf)) // 2
        draw_text(surface, df, date, (rect.x + pad, top), p.ink)
        draw_text(surface, wf, f"{ctx.weekday_text(m.when)} {local:%H:%M}", (rect.x + pad, top + line_height(df)),
                  p.ink_muted)
        x = rect.x + pad + date_w
        # type tag
        tf = t.font("small", True)
        tag_w = text_width(tf, "支部党员大会") + t.spacing.unit * 3
        tag = pygame.Rect(x, 0, tag_w, line_height(tf) + t.spacing.unit)
        tag.centery = rect.centery
        pygame.draw.rect(surface, p.red, tag, 2, border_radius=tag.h // 2)
        label = ctx.t(m.type, TYPE_EN.get(m.type, m.type))
        draw_text(surface, tf, ellipsize(label, tag_w - 8, measurer(tf)), tag.center, p.red, "center")
        x = tag.right + pad
        # attendance at the right
        af, sf = t.font("body", True), t.font("small")
        right = rect.right - pad - t.spacing.unit
        if m.state == "upcoming":
            text, sub, color = ctx.t("待召开", "upcoming"), ctx.t(f"应到 {m.expected} 人", f"{m.expected} expected"), \
                p.gold_dark
        else:
            rate = m.present / m.expected if m.expected else None
            text = f"{m.present}/{m.expected}"
            sub = ctx.t("进行中", "in progress") if m.state == "running" else \
                ctx.t(f"出勤 {percent(rate)}", f"attended {percent(rate)}")
            color = p.ink if m.state == "running" else (p.ok.text if rate is not None and rate >= 0.8 else p.warn.text)
        aw = max(text_width(af, "100/100"), text_width(af, text), text_width(sf, sub))
        draw_text(surface, af, text, (right, top), color, "topright")
        draw_text(surface, sf, sub, (right, top + line_height(df)), p.ink_muted, "topright")
        right -= aw + pad
        # title and place
        bf = t.font("body")
        width = max(0, right - x)
        draw_text(surface, bf, ellipsize(m.title, width, measurer(bf)), (x, top), p.ink)
        draw_text(surface, wf, ellipsize(m.place, width, measurer(wf)), (x, top + line_height(df)), p.ink_muted)
        pygame.draw.line(surface, p.divider, (rect.x + pad, rect.bottom - 1), (rect.right - pad, rect.bottom - 1))


class BranchSummary(Widget):
    """The branch's status pill and figures, and its four meeting types as cells."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext,
                 figures: BranchFigures) -> None:
        super().__init__(rect, theme)
        self.ctx, self.figures = ctx, figures

    @staticmethod
    def preferred_height(theme: Theme) -> int:
        t = theme
        figures = (line_height(t.font("body", True)) + t.spacing.unit * 2 + line_height(t.font("number", True))
                   + line_height(t.font("small")))
        cells = line_height(t.font("small", True)) + line_height(t.font("title", True)) \
            + line_height(t.font("small")) + t.spacing.unit * 2
        inner = figures + cells + t.spacing.unit if t.portrait else max(figures, cells)
        return inner + t.spacing.unit * 4

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx, f = self.theme, self.theme.palette, self.ctx, self.figures
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        colors = status_colors(t, f.status)
        pygame.draw.rect(surface, colors.fill, (r.x, r.y, max(8, t.spacing.unit), r.h),
                         border_top_left_radius=t.spacing.radius, border_bottom_left_radius=t.spacing.radius)
        pad = t.spacing.gap
        inner = pygame.Rect(r.x + pad + t.spacing.unit, r.y + t.spacing.unit * 2, r.w - 2 * pad - t.spacing.unit,
                            r.h - t.spacing.unit * 4)
        if t.portrait:
            cells_h = line_height(t.font("small", True)) + line_height(t.font("title", True)) \
                + line_height(t.font("small")) + t.spacing.unit * 2
            figs, cells_area = split_rows(inner, [inner.h - cells_h - t.spacing.unit, cells_h], t.spacing.unit)
        else:
            figs, cells_area = split_columns(inner, [1, 1.25], pad)
        # left / top: status and figures
        _, zh, en, _ = STATUS.get(f.status, ("off", "未知", "unknown", "?"))
        pill = draw_status_pill(surface, t, f.status, ctx.t(zh, en), (figs.x, figs.y))
        nf = t.fonts.get(t.type.number, True) if t.fonts else t.font("number", True)
        sf = t.font("small")
        items = [(percent(f.completion), ctx.t("三会一课完成率", "completion")),
                 (percent(f.attendance_rate), ctx.t("出勤率", "attendance")),
                 (str(f.members), ctx.t("党员人数", "members")),
                 (str(f.points), ctx.t("学习积分", "points"))]
        cells = split_columns(pygame.Rect(figs.x, pill.bottom + t.spacing.unit, figs.w,
                                          figs.bottom - pill.bottom - t.spacing.unit), [1] * len(items),
                              t.spacing.unit)
        for (value, label), cell in zip(items, cells, strict=True):
            vf = nf
            if text_width(vf, value) > cell.w or line_height(vf) + line_height(sf) > cell.h:
                vf = t.font("title", True)
            draw_text(surface, vf, value, (cell.x, cell.y), p.ink)
            draw_text(surface, sf, ellipsize(label, cell.w, measurer(sf)), (cell.x, cell.y + line_height(vf)),
                      p.ink_muted)
        # right / bottom: the four types
        n = max(1, len(f.types))
        for ts, cell in zip(f.types, split_columns(cells_area, [1] * n, t.spacing.unit), strict=True):
            tc = status_colors(t, ts.status)
            pygame.draw.rect(surface, mix(tc.fill, p.surface, 0.85), cell, border_radius=t.spacing.radius // 2)
            pygame.draw.rect(surface, tc.fill, cell, 2, border_radius=t.spacing.radius // 2)
            name = ctx.t(ts.type, TYPE_EN.get(ts.type, ts.type))
            bf, vf = t.fit_font(name, cell.w - 8, "small", "caption", bold=True), t.font("title", True)
            shape = STATUS.get(ts.status, ("off", "", "", "?"))[3]
            cx = cell.centerx
            y = cell.y + t.spacing.unit
            draw_text(surface, bf, ellipsize(name, cell.w - 8, measurer(bf)), (cx, y), p.ink, "midtop")
            y += line_height(bf)
            value = f"{shape} {ts.held}/{ts.required}"
            vfont = vf if text_width(vf, value) <= cell.w - 8 else t.font("body", True)
            draw_text(surface, vfont, value, (cx, y), tc.text if ts.status != "amber" else p.warn.text, "midtop")
            y += line_height(vfont)
            state = ctx.t(*CURRENT.get(ts.current, (ts.current,)))
            if y + line_height(sf) <= cell.bottom:
                draw_text(surface, sf, ctx.t(f"本期{state}", f"now: {state}"), (cx, y), p.ink, "midtop")


SCREENS: dict[str, Callable[[KioskContext], Screen]] = {"dashboard": DashboardScreen}

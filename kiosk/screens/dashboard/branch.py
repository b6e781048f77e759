"""One branch's page (opened from its dashboard card): its status and four meeting types, its meetings.

The summary card on top repeats the dashboard card's figures larger; the list below holds every meeting
of the branch, newest first, with attendance coloured by rate (and said in figures, not only colour).
"""

from __future__ import annotations

import pygame

from core.dashboard import BranchFigures, branch_figures, branch_meetings
from kiosk.context import KioskContext
from kiosk.screens.dashboard.cards import draw_status_pill
from kiosk.screens.dashboard.data import CURRENT, STATUS, TYPE_EN, MeetingRow, percent, status_colors
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, split_columns, split_rows, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ScrollList


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

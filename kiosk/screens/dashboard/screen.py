"""数据看板 itself: the organisation's totals, attendance per branch, and one 三会一课 card per branch.

Landscape puts the totals and the chart side by side over the cards in a row; portrait stacks them,
cards 2 × 2. The figures are read again each time the page is opened, and the page is laid out again
only when they changed.
"""

from __future__ import annotations

from kiosk.context import KioskContext
from kiosk.screens.dashboard.branch import BranchDetailScreen
from kiosk.screens.dashboard.cards import BranchCard, ChartCard, StatCard
from kiosk.screens.dashboard.data import Overview, load_overview, percent, short_name
from kiosk.ui.drawing import line_height
from kiosk.ui.layout import grid, inset, split_columns, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.label import Label


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

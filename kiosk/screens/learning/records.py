"""What members have achieved: 我的记录 (:class:`HistoryScreen`, the identified member's results and
points) and 积分榜 (:class:`LeaderboardScreen`, everyone's points, the visitor's row highlighted)."""

from __future__ import annotations

import pygame

from core.content import articles_by_guid
from core.members import by_number, points_total
from core.quiz import EXAM_PASS, BoardRow, history, leaderboard
from kiosk.context import KioskContext
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import MODE_EN, MODE_ZH
from kiosk.screens.learning.login import LoginScreen
from kiosk.screens.learning.widgets import Run, TextBlock, runs_height
from kiosk.ui.drawing import draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, take_bottom, take_top, tile_grid
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import mix
from kiosk.ui.widgets import Button, ListItem, ScrollList, Tile


class HistoryScreen(CardScreen):
    """我的记录: the identified member's results and points (asks to sign in otherwise)."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "history")
        self.title = ctx.t("我的记录", "My history")
        self.list: ScrollList | None = None
        self.summary: dict[str, int] = {}
        self._member: str | None = None

    def load(self) -> tuple[list[ListItem], dict[str, int]]:
        ctx = self.ctx
        t = self.theme
        assert t is not None
        p = t.palette
        items: list[ListItem] = []
        summary = {"points": 0, "exams": 0, "best": 0, "practice": 0}
        with ctx.session() as s:
            member = by_number(s, ctx.visitor.member_number or "")
            if member is None:
                return items, summary
            rows = history(s, member, limit=100)
            titles = {guid: ctx.t(a.title_zh, a.title_en or a.title_zh) for guid, a in articles_by_guid(s).items()}
            summary["points"] = points_total(s, member)
        for r in rows:
            when = ctx.date_text(r.finished_at, with_time=True)
            pts = ctx.t(f"+{r.points} 积分", f"+{r.points} pts")
            if r.mode == "reading":
                title = ctx.t("阅读文章：", "Read: ") + titles.get(str(r.answers.get("article")), "")
                items.append(ListItem(title, when, pts, p.gold_dark))
                continue
            pct = round(100 * r.score / r.total) if r.total else 0
            mode = ctx.t(MODE_ZH.get(r.mode, r.mode), MODE_EN.get(r.mode, r.mode))
            title = ctx.t(f"{mode}  答对 {r.score}/{r.total}（{pct}%）", f"{mode}  {r.score}/{r.total} ({pct}%)")
            if r.mode == "exam":
                summary["exams"] += 1
                summary["best"] = max(summary["best"], pct)
                passed = r.total and r.score / r.total >= EXAM_PASS
                title += ctx.t("  通过" if passed else "  未通过", "  passed" if passed else "  not passed")
            else:
                summary["practice"] += 1
            items.append(ListItem(title, when, pts, p.gold_dark))
        return items, summary

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        area = inset(self.rect, sp.pad)
        self._member = ctx.visitor.member_number
        self.list = None
        if not self._member:
            box = pygame.Rect(0, 0, min(area.w, round(900 * t.scale)), round(sp.target * 4.5))
            box.center = area.center
            self.cards.append(box)
            inner = inset(box, sp.pad)
            btn, text = take_bottom(inner, sp.target, sp.gap)
            self.add(TextBlock(text, t, [Run(ctx.t("请先登录", "Please sign in"), "heading", True, p.red),
                                         Run(ctx.t("登录后可查看您的答题成绩和积分记录",
                                                   "Sign in to see your results and points"), "body",
                                             color=p.ink_muted)], align="center"))
            nav = self.nav
            self.add(Button(btn, t, ctx.t("党员登录", "Sign in"),
                            lambda: nav.push(LoginScreen(ctx)) if nav else None))
            return
        items, self.summary = self.load()
        stats_h = round(sp.target * 1.9)
        stats, rest = take_top(area, stats_h, sp.gap)
        name = ctx.visitor.member_name or self._member
        specs = [(ctx.t("累计积分", "Points"), name, self.summary["points"], self.unit("分")),
                 (ctx.t("考试次数", "Exams"), "Exams", self.summary["exams"], self.unit("次")),
                 (ctx.t("最好成绩", "Best exam"), "Best exam", f"{self.summary['best']}%" if self.summary["exams"]
                  else "—", None),
                 (ctx.t("练习次数", "Practice"), "Practice", self.summary["practice"], self.unit("次"))]
        cols = 2 if t.portrait else 4
        if t.portrait:
            stats, rest = take_top(area, stats_h * 2 + sp.gap, sp.gap)
        for rect, (title, sub, num, unit) in zip(tile_grid(stats, 4, gap=sp.gap, min_size=sp.target, cols=cols),
                                                 specs, strict=True):
            self.add(Tile(rect, t, title, sub if ctx.lang == "zh" else None, icon=title[:1], number=num, unit=unit,
                          accent=p.gold if title == specs[0][0] else p.red))
        self.list = self.add(ScrollList(rest, t, items, row_height=sp.row,
                                        empty_text=ctx.t("还没有记录，去练习答题吧", "No results yet")))

    def enter(self) -> None:
        if self.ctx.visitor.member_number != self._member:
            self.rebuild()

    def update(self, dt: float) -> None:
        super().update(dt)
        if self.ctx.visitor.member_number != self._member:
            self.rebuild()


class LeaderboardScreen(CardScreen):
    """积分榜: rank, name, branch, points; the identified visitor's row is highlighted."""

    LIMIT = 30

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "leaderboard")
        self.title = ctx.t("积分榜", "Leaderboard")
        self.rows: list[BoardRow] = []
        self.list: ScrollList | None = None

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        with ctx.session() as s:
            self.rows = leaderboard(s, limit=self.LIMIT)
        area = inset(self.rect, sp.pad)
        if not t.portrait:
            w = min(area.w, round(1500 * t.scale))
            area = pygame.Rect(area.centerx - w // 2, area.y, w, area.h)
        me = self.my_row()
        note = (ctx.t(f"您目前排名第 {me.rank} 位，{me.points} 积分", f"You are #{me.rank} with {me.points} points")
                if me else ctx.t("学习文章、练习答题和模拟考试都可以获得积分",
                                 "Earn points by reading articles, practising and taking exams"))
        runs = [Run(ctx.t(f"学习积分榜 · 前 {self.LIMIT} 名", f"Top {self.LIMIT} learners"), "heading", True, p.red),
                Run(note, "small", color=p.ink_muted)]
        head, rest = take_top(area, runs_height(t, runs, area.w), sp.gap)
        self.add(TextBlock(head, t, runs))
        self.list = self.add(ScrollList(rest, t, self.rows, row_height=sp.row, render_row=self._render_row,
                                        empty_text=ctx.t("还没有积分记录，快来答题吧！", "No points yet")))
        if me is not None:
            self.list.scroll_to(max(0, self.rows.index(me) - 2))

    def my_row(self) -> BoardRow | None:
        number = self.ctx.visitor.member_number
        return next((r for r in self.rows if number and r.number == number), None)

    def _render_row(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object,
                    pressed: bool) -> None:
        t = self.theme
        assert t is not None and isinstance(item, BoardRow)
        p = t.palette
        sp = t.spacing
        mine = item.number == self.ctx.visitor.member_number
        if mine:
            surface.fill(mix(p.surface, p.gold, 0.35), rect)
            pygame.draw.rect(surface, p.red, (rect.x, rect.y, max(6, sp.unit), rect.h))
        pad = sp.pad // 2 + sp.unit
        d = round(t.type.title * 1.3)
        center = (rect.x + pad + d // 2 + sp.unit, rect.centery)
        medals = {1: p.gold, 2: (200, 200, 204), 3: (214, 150, 92)}
        if item.rank in medals:
            pygame.draw.circle(surface, medals[item.rank], center, d // 2)
        draw_text(surface, t.font("title", True), str(item.rank), center, p.ink, "center")
        x = center[0] + d // 2 + sp.gap
        pf, uf = t.font("title", True), t.font("small")
        unit = self.ctx.t("分", "pts")
        right = rect.right - pad - sp.unit
        draw_text(surface, uf, unit, (right, rect.centery), p.ink_muted, "midright")
        right -= text_width(uf, unit) + sp.unit
        draw_text(surface, pf, str(item.points), (right, rect.centery), p.red, "midright")
        right -= text_width(pf, str(item.points)) + sp.gap
        bf, sf = t.font("body", True), t.font("small")
        name = item.name + (self.ctx.t("（我）", " (me)") if mine else "")
        h = line_height(bf) + line_height(sf)
        top = rect.centery - h // 2
        width = max(0, right - x)
        draw_text(surface, bf, ellipsize(name, width, measurer(bf)), (x, top), p.ink)
        draw_text(surface, sf, ellipsize(f"{item.branch} · {item.number}", width, measurer(sf)),
                  (x, top + line_height(bf)), p.ink_muted)
        pygame.draw.line(surface, p.divider, (rect.x + pad, rect.bottom - 1), (rect.right - pad, rect.bottom - 1))

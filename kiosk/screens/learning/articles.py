"""学习园地: the list of published articles and one article; reading an article to the end lets an
identified member collect its points (:func:`core.quiz.award_reading`)."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from core.content import visible
from core.members import by_number
from core.models import ContentItem
from core.quiz import articles_read, award_reading
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import reading_minutes
from kiosk.screens.learning.login import LoginScreen
from kiosk.screens.learning.widgets import Run, TextBlock, runs_height
from kiosk.ui.layout import inset, take_bottom, take_top
from kiosk.ui.widgets import Button, ListItem, ScrollList


@dataclass(frozen=True)
class ArticleRow:
    id: int
    guid: str
    title: str
    category: str
    minutes: int
    points: int
    published: object
    done: bool


class ArticleListScreen(CardScreen):
    """学习园地: published articles with category, reading minutes and points."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "articles")
        self.title = ctx.t("学习园地", "Articles")
        self.rows: list[ArticleRow] = []
        self.list: ScrollList | None = None
        self._member: str | None = None

    def load(self) -> list[ArticleRow]:
        ctx = self.ctx
        with ctx.session() as s:
            done = articles_read(s, by_number(s, ctx.visitor.member_number or ""))
            return [ArticleRow(a.id, a.guid, ctx.t(a.title_zh, a.title_en or a.title_zh), a.category,
                               reading_minutes(a.body), a.points, a.published_at, a.guid in done)
                    for a in visible(s, "article", ctx.now())]

    def build(self) -> None:
        t = self.theme
        assert t is not None
        p = t.palette
        ctx = self.ctx
        self.rows = self.load()
        self._member = ctx.visitor.member_number
        area = inset(self.rect, t.spacing.pad)
        hint = (ctx.t("阅读全文后可领取积分", "Read an article to the end to collect its points")
                if ctx.visitor.member_number else
                ctx.t("登录后阅读全文可领取积分", "Sign in, then read an article to the end to collect its points"))
        runs = [Run(ctx.t(f"学习园地 · 共 {len(self.rows)} 篇", f"Articles · {len(self.rows)}"), "heading", True,
                    p.red), Run(hint, "small", color=p.ink_muted)]
        head, rest = take_top(area, runs_height(t, runs, area.w), t.spacing.gap)
        self.add(TextBlock(head, t, runs))
        items = []
        for r in self.rows:
            meta = " · ".join(x for x in (r.category, ctx.t(f"约 {r.minutes} 分钟", f"~{r.minutes} min"),
                                              ctx.date_text(r.published)) if x)
            if r.points:
                trailing = ctx.t("已领积分", "collected") if r.done else ctx.t(f"+{r.points} 积分", f"+{r.points} pts")
            else:
                trailing = None
            items.append(ListItem(r.title, meta, trailing, p.ok.text if r.done else p.gold_dark))
        self.list = self.add(ScrollList(rest, t, items, row_height=round(t.spacing.row * 1.1), on_select=self._open,
                                        empty_text=ctx.t("暂无学习文章", "No articles yet")))

    def enter(self) -> None:
        """Back from an article (or a sign-in): show collected points, keeping the scroll position."""
        if self.list is None or (self.load() == self.rows and self._member == self.ctx.visitor.member_number):
            return
        offset = self.list.offset
        self.rebuild()
        if self.list is not None:
            self.list.offset = offset
            self.list.set_items(self.list.items, keep_offset=True)  # clamps the offset

    def _open(self, index: int) -> None:
        if self.nav is not None and 0 <= index < len(self.rows):
            self.nav.push(ArticleScreen(self.ctx, self.rows[index].id))


class ArticleScreen(CardScreen):
    """One article (DocumentView). An identified member who has scrolled to the end collects its points."""

    def __init__(self, ctx: KioskContext, article_id: int) -> None:
        super().__init__(ctx, "article")
        self.title = ctx.t("学习园地", "Articles")
        self.article_id = article_id
        self.doc: DocumentView | None = None
        self.award_button: Button | None = None
        self.status: TextBlock | None = None
        self.reached_end = False
        self.awarded = False
        with ctx.session() as s:
            a = s.get(ContentItem, article_id)
            if a is None:
                raise LookupError(f"no article {article_id}")
            self.guid = a.guid
            self.heading = ctx.t(a.title_zh, a.title_en or a.title_zh)
            body = a.body if ctx.lang != "en" or not a.body_en else f"{a.body_en}\n\n{a.body}"
            self.body = body
            self.category = a.category
            self.points = a.points
            self.minutes = reading_minutes(a.body)
            self.published = a.published_at
            self.image_path = a.image_path
            self.awarded = a.guid in articles_read(s, by_number(s, ctx.visitor.member_number or ""))

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        ctx = self.ctx
        area = inset(self.rect, sp.pad)
        if t.portrait:
            bar, doc_rect = take_bottom(area, sp.target + 2 * sp.unit * 2, sp.gap)
            self.cards.append(bar)
            inner = inset(bar, sp.unit * 2)
            btn_w = max(round(inner.w * 0.42), 2 * sp.target)
            status_rect = pygame.Rect(inner.x + sp.unit, inner.y, inner.w - btn_w - sp.gap - sp.unit, inner.h)
            btn_rect = pygame.Rect(inner.right - btn_w, inner.y, btn_w, inner.h)
        else:
            side_w = round(area.w * 0.27)
            doc_rect = pygame.Rect(area.x, area.y, area.w - side_w - sp.gap * 2, area.h)
            side = pygame.Rect(doc_rect.right + sp.gap * 2, area.y, side_w, area.h)
            self.cards.append(side)
            inner = inset(side, sp.pad)
            btn_rect, status_rect = take_bottom(inner, round(sp.target * 1.2), sp.gap)
        meta = " · ".join(x for x in (self.category, ctx.date_text(self.published),
                                      ctx.t(f"约 {self.minutes} 分钟", f"~{self.minutes} min"),
                                      ctx.t(f"{self.points} 积分", f"{self.points} points") if self.points else "")
                          if x)
        self.doc = self.add(DocumentView(doc_rect, t, title=self.heading, meta=meta, body=self.body,
                                         image_path=self.image_path))
        self.status = self.add(TextBlock(status_rect, t, [], valign="center" if t.portrait else "top"))
        self.award_button = self.add(Button(btn_rect, t, "", self._award))
        self.reached_end = self.reached_end or self.doc.max_offset <= 1
        self._sync()

    def _sync(self) -> None:
        t = self.theme
        assert t is not None and self.award_button is not None and self.status is not None
        p = t.palette
        ctx = self.ctx
        b = self.award_button
        runs: list[Run] = []
        if not t.portrait:
            runs = [Run(self.category or ctx.t("学习文章", "Article"), "title", True, p.red),
                    Run(ctx.t(f"约 {self.minutes} 分钟读完", f"About {self.minutes} min to read"), "body",
                        color=p.ink_muted, gap_before=t.spacing.gap)]
            if self.points:
                runs.append(Run(ctx.t(f"本文积分 {self.points} 分", f"Worth {self.points} points"), "title", True,
                                p.gold_dark, gap_before=t.spacing.gap))
        b.visible = bool(self.points)
        identified = bool(ctx.visitor.member_number)
        if not self.points:
            note = ctx.t("本文不设积分", "No points for this article")
        elif not identified:
            note = ctx.t("登录后阅读全文可领取积分", "Sign in to collect the points")
            b.set_text(ctx.t("登录领积分", "Sign in"))
            b.kind, b.enabled = "secondary", True
        elif self.awarded:
            note = ctx.t("本文积分已领取", "Points collected")
            b.set_text(ctx.t("已领取", "Collected"))
            b.kind, b.enabled = "primary", False
        elif not self.reached_end:
            note = ctx.t("请读到文末再领取积分", "Read to the end to collect the points")
            b.set_text(ctx.t(f"领取 {self.points} 积分", f"Collect {self.points}"))
            b.kind, b.enabled = "primary", False
        else:
            note = ctx.t("已读完，请领取积分", "Done reading: collect your points")
            b.set_text(ctx.t(f"领取 {self.points} 积分", f"Collect {self.points}"))
            b.kind, b.enabled = "primary", True
        runs.append(Run(note, "body", color=p.ink_muted if t.portrait else p.ink, gap_before=0 if t.portrait
                        else t.spacing.gap * 2))
        self.status.set_runs(runs)
        b.dirty = True

    def update(self, dt: float) -> None:
        super().update(dt)
        if self.doc is not None and not self.reached_end and self.doc.offset >= self.doc.max_offset - 2:
            self.reached_end = True
            self._sync()

    def enter(self) -> None:
        if self.award_button is not None:
            with self.ctx.session() as s:
                self.awarded = self.guid in articles_read(s, by_number(s, self.ctx.visitor.member_number or ""))
            self._sync()

    def _award(self) -> None:
        nav = self.nav
        assert nav is not None
        ctx = self.ctx
        if not ctx.visitor.member_number:
            nav.push(LoginScreen(ctx))
            return
        with ctx.session() as s:
            member = by_number(s, ctx.visitor.member_number)
            article = s.get(ContentItem, self.article_id)
            given = award_reading(s, member, article, ctx.now(), ctx.terminal.terminal_id) if member and article else 0
        self.awarded = True
        if given:
            nav.notify(ctx.t(f"获得 {given} 积分：{self.heading}", f"+{given} points: {self.heading}"),
                       tag=ctx.t("积分 +" + str(given), f"+{given}"), duration=3.0)
        else:
            nav.notify(ctx.t("本文积分已领取过", "Points already collected"), tag=ctx.t("提示", "Info"), duration=3.0)
        self._sync()

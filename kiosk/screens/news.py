"""党建资讯 (news) and 通知公告 (notices): lists of published items and their detail pages.

Only published, unexpired items are listed (``core.content.visible``). Items that arrived since the
visitor opened the list are marked 新; pinned notices come first; the header of the list says when the
content was last synced and shows 离线 when the last sync failed, so nobody mistakes an old copy for
today's news.
"""

from __future__ import annotations

import pygame

from core import content
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.ui.drawing import draw_text
from kiosk.ui.layout import take_top
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ListItem, ScrollList

#: Characters of a summary handed to a list row: more than any row width shows (it is ellipsised there).
SUMMARY_CAP = 400


class ItemListScreen(Screen):
    """A list of one kind of content item; tapping a row opens it."""

    kind = "news"
    title_zh, title_en = "党建资讯", "Party News"

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(self.kind)
        self.ctx = ctx
        self.title = ctx.t(self.title_zh, self.title_en)
        self.items: list = []
        self.seen_ids: set[int] = set()

    def load(self) -> list:
        with self.ctx.session() as s:
            return content.visible(s, self.kind, self.ctx.now())

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -pad)
        area.y = self.rect.y + pad // 2
        top, rest = take_top(area, th.spacing.target, th.spacing.gap)
        self.items = self.load()
        self.add(Label(top, th, self._freshness(), role="small", color=self._freshness_color()))
        if not self.seen_ids:
            self.seen_ids = {i.id for i in self.items}
        self.list = self.add(ScrollList(rest, th, [self._row(i) for i in self.items], on_select=self.open,
                                        empty_text=ctx.t("暂无内容", "Nothing here yet")))

    def _freshness(self) -> str:
        ctx = self.ctx
        offline = ctx.status.get("network") in ("bad", "off")
        if ctx.last_sync is None:
            synced = ctx.t("本机内容", "content stored on this terminal")
        else:
            synced = ctx.t(f"最后同步 {ctx.date_text(ctx.last_sync, True)}",
                           f"last synced {ctx.date_text(ctx.last_sync, True)}")
        count = ctx.t(f"共 {len(self.items)} 条", f"{len(self.items)} items")
        return f"{ctx.t('离线', 'OFFLINE')} · {synced} · {count}" if offline else f"{synced} · {count}"

    def _freshness_color(self):
        offline = self.ctx.status.get("network") in ("bad", "off")
        return self.theme.palette.bad.text if offline else self.theme.palette.ink_muted

    def _row(self, item) -> ListItem:
        ctx = self.ctx
        prefix = ctx.t("【置顶】", "[Pinned] ") if item.pinned else ""
        if item.id not in self.seen_ids:
            prefix += ctx.t("【新】", "[New] ")
        title = prefix + ctx.t(item.title_zh, item.title_en)
        sub = (item.summary or item.body).replace("\n", " ")
        if ctx.lang == "en" and item.body_en:
            sub = item.body_en.replace("\n", " ")
        # Cut by the row's width (the list ellipsises at a word boundary, left of the date column), not by a
        # character count: 80 characters cut an English summary mid-sentence with no ellipsis at 1920 px
        # and still overflowed a portrait row. The cap only bounds the work of measuring a huge body.
        return ListItem(title, sub[:SUMMARY_CAP], ctx.date_text(item.published_at))

    def open(self, index: int) -> None:
        self.nav.push(ItemScreen(self.ctx, self.items[index]))

    def refresh(self) -> None:
        """New items arrived: rebuild the list, marking what the visitor has not seen."""
        self.layout(self.rect)


class NewsScreen(ItemListScreen):
    kind = "news"
    title_zh, title_en = "党建资讯", "Party News"


class NoticesScreen(ItemListScreen):
    kind = "notice"
    title_zh, title_en = "通知公告", "Notices"


class ItemScreen(Screen):
    """One news item, notice or article as a scrolling document."""

    def __init__(self, ctx: KioskContext, item) -> None:
        super().__init__(f"item:{item.id}")
        self.ctx, self.item = ctx, item
        self.title = ctx.t({"news": "党建资讯", "notice": "通知公告", "article": "学习园地"}[item.kind],
                           {"news": "Party News", "notice": "Notice", "article": "Reading"}[item.kind])

    def build(self) -> None:
        ctx, item = self.ctx, self.item
        body = item.body_en if ctx.lang == "en" and item.body_en else item.body
        meta = " · ".join(x for x in (ctx.date_text(item.published_at), item.category,
                                      ctx.t(f"有效期至 {ctx.date_text(item.expires_at)}",
                                            f"valid until {ctx.date_text(item.expires_at)}")
                                      if item.expires_at else "") if x)
        self.doc = self.add(DocumentView(self.rect, self.theme, title=ctx.t(item.title_zh, item.title_en),
                                         meta=meta, body=body, image_path=item.image_path))


#: An urgent notice is shown whole this long before anyone may minimise it to a banner.
URGENT_MIN_SHOWN_S = 5.0


class UrgentScreen(Screen):
    """紧急通知: takes the whole screen (no header) until the notice expires or an admin clears it — but
    after ``URGENT_MIN_SHOWN_S`` any visitor may minimise it ("知道了") to a banner that stays pinned.

    Why: a notice nobody could dismiss blocked the terminal for its whole validity — on first run the
    demo's notice held the screen for 24 h with no admin PIN set, and at a real site a member arriving for
    a meeting could not reach sign-in. Once everyone in front of the screen has seen it, a tap is enough.
    """

    fullscreen = True

    def __init__(self, ctx: KioskContext, item, on_minimise=None) -> None:
        super().__init__("urgent")
        self.ctx, self.item = ctx, item
        self.on_minimise = on_minimise
        self.background = None
        self.shown_s = 0.0
        self.minimise_button = None

    @property
    def can_minimise(self) -> bool:
        return self.on_minimise is not None and self.shown_s >= URGENT_MIN_SHOWN_S

    def build(self) -> None:
        from kiosk.ui.widgets.button import Button

        th = self.theme
        pad = th.spacing.pad * 2
        band, rest = take_top(self.rect, th.spacing.header * 2)
        self.band = band
        self.minimise_button = None
        if self.can_minimise:
            row = pygame.Rect(rest.x + pad, rest.bottom - pad - th.spacing.target, rest.w - 2 * pad, th.spacing.target)
            rest = pygame.Rect(rest.x, rest.y, rest.w, row.y - rest.y)
            self.minimise_button = self.add(Button(row, th, self.ctx.t("知道了（收起为横幅）", "OK (keep as a banner)"),
                                                   self.minimise, kind="primary", role="title"))
        body = self.ctx.t(self.item.body, self.item.body_en or self.item.body)
        self.add(DocumentView(rest.inflate(-pad, -pad), th, title=self.ctx.t(self.item.title_zh, self.item.title_en),
                              meta=self.ctx.date_text(self.item.published_at, True), body=body))

    def update(self, dt: float) -> None:
        super().update(dt)
        before = self.can_minimise
        self.shown_s += dt
        if self.can_minimise and not before and self.rect.w > 0:
            self.layout(self.rect)  # the button appears

    def minimise(self) -> None:
        if self.can_minimise:
            self.on_minimise(self.item)

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        th = self.theme
        pygame.draw.rect(surface, th.palette.red, self.band)
        draw_text(surface, th.font("display", bold=True), "紧急通知  URGENT", self.band.center, th.palette.on_red,
                  anchor="center")


SCREENS = {"news": NewsScreen, "notices": NoticesScreen}

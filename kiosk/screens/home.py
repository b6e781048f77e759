"""The home screen: one big tile per feature, the latest headline, and the language switch.

Tiles appear only for features this build has (the hall, the assistant, sign-in and the map join as they
are built), so a visitor never taps into an empty screen.

The numbers on the tiles are the lists' own counts (``content.visible`` for 党建资讯 and 通知公告, this
week's remaining meetings for 会议安排, as the list shows them first), recounted every ``RECOUNT_S`` while
Home is shown: a feed sync or a push that lands while Home is on screen used to leave "1 条" on the tile
beside a list of 10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from core import content
from core.meetings import upcoming
from kiosk.context import KioskContext
from kiosk.ui.layout import take_bottom, tile_grid
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.tile import Tile

#: Seconds between recounts of the tile numbers and the headline while Home is shown (three small queries).
RECOUNT_S = 5.0


@dataclass(frozen=True)
class Feature:
    name: str
    zh: str
    en: str
    icon: str


FEATURES = (
    Feature("signin", "会议签到", "Meeting Sign-in", "签"),
    Feature("hall", "VR展厅", "VR Exhibition Hall", "展"),
    Feature("news", "党建资讯", "Party News", "讯"),
    Feature("notices", "通知公告", "Notices", "告"),
    Feature("learning", "学习考试", "Learning & Quizzes", "学"),
    Feature("services", "便民服务", "Services", "服"),
    Feature("dashboard", "数据看板", "Dashboard", "数"),
    Feature("meetings", "会议安排", "Meetings", "会"),
    Feature("map", "党建地图", "Party Map", "图"),
    Feature("assistant", "智能助手", "Assistant", "问"),
)


class HomeScreen(Screen):
    def __init__(self, ctx: KioskContext, open_screen: Callable[[str], object],
                 available: Callable[[str], bool] = lambda name: True,
                 note: Callable[[str], str | None] = lambda name: None) -> None:
        super().__init__("home")
        self.ctx, self.open_screen, self.available = ctx, open_screen, available
        self.note = note
        """A feature's line under its title while it is built but cannot open now (the hall after a
        crash: "VR展厅暂不可用：…"), shown instead of the other language's name."""
        self.tiles: dict[str, Tile] = {}
        self.headline: Button | None = None
        self._since_count = 0.0

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = self.rect.inflate(-2 * pad, -2 * pad)
        bottom, grid_area = take_bottom(area, th.spacing.target, gap)
        features = [f for f in FEATURES if self.available(f.name)]
        counts = self._counts()
        rects = tile_grid(grid_area, len(features), gap=gap, min_size=th.spacing.target)
        self.tiles = {}
        for feature, rect in zip(features, rects, strict=True):
            number = counts.get(feature.name)
            note = self.note(feature.name)
            self.tiles[feature.name] = self.add(Tile(
                rect, th, ctx.t(feature.zh, feature.en), note or (feature.en if ctx.lang == "zh" else feature.zh),
                icon=feature.icon, number=number, accent=th.palette.ink_muted if note else None,
                unit=ctx.t("条", "items") if feature.name in ("news", "notices") else
                (ctx.t("场·本周", "this week") if feature.name == "meetings" else None),
                on_tap=lambda name=feature.name: self.open_screen(name)))
        lang_w = max(th.spacing.target * 2, bottom.w // 6)
        headline = bottom.copy()
        headline.w -= lang_w + gap
        self.headline = self.add(Button(headline, th, self._headline(), lambda: self.open_screen("news"),
                                        kind="quiet", role="body"))
        self._since_count = 0.0
        self.add(Button((headline.right + gap, bottom.y, lang_w, bottom.h), th,
                        "English" if ctx.lang == "zh" else "中文", self.toggle_language, kind="secondary"))

    def update(self, dt: float) -> None:
        super().update(dt)
        self._since_count += dt
        if self._since_count >= RECOUNT_S and self.tiles:
            self.recount()

    def recount(self) -> None:
        """The tile numbers and the headline as the lists are now (new items from a sync, a meeting over)."""
        self._since_count = 0.0
        for name, number in self._counts().items():
            tile = self.tiles.get(name)
            if tile is not None:
                tile.set_number(number)
        if self.headline is not None:
            self.headline.set_text(self._headline())

    def _counts(self) -> dict[str, int]:
        ctx = self.ctx
        now = ctx.now()
        with ctx.session() as s:
            # meetings: the rest of this week (to Sunday), as the 会议安排 list shows them first — the
            # tile said "0 场" (today only) beside a list of eight this week
            today = ctx.local(now).date()
            sunday = today + timedelta(days=6 - today.weekday())
            return {"news": len(content.visible(s, "news", now)), "notices": len(content.visible(s, "notice", now)),
                    "meetings": sum(1 for m in upcoming(s, now, 200) if ctx.local(m.starts_at).date() <= sunday)}

    def _headline(self) -> str:
        with self.ctx.session() as s:
            latest = content.visible(s, "news", self.ctx.now(), limit=1)
        if not latest:
            return self.ctx.t("暂无资讯", "No news yet")
        return self.ctx.t("最新：", "Latest: ") + self.ctx.t(latest[0].title_zh, latest[0].title_en)

    def toggle_language(self) -> None:
        self.ctx.lang = "en" if self.ctx.lang == "zh" else "zh"
        self.nav.header.set_language(self.ctx.lang)
        for screen in self.nav.stack:
            screen.layout(screen.rect)

    def enter(self) -> None:
        self.layout(self.rect)  # counts and the headline are live

"""会议安排: this week's and upcoming 三会一课 meetings — what, which branch, when and where."""

from __future__ import annotations

from core.meetings import upcoming
from kiosk.context import KioskContext
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.scroll_list import ListItem, ScrollList


class MeetingsScreen(Screen):
    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("meetings")
        self.ctx = ctx
        self.title = ctx.t("会议安排", "Meetings")

    def build(self) -> None:
        ctx = self.ctx
        now = ctx.now()
        with ctx.session() as s:
            meetings = upcoming(s, now, limit=50)
            rows = []
            for m in meetings:
                running = m.starts_at <= now <= m.ends_at
                when = f"{ctx.weekday_text(m.starts_at)} {ctx.date_text(m.starts_at, True)}"
                state = ctx.t("进行中", "now") if running else when
                title = f"【{m.type}】{ctx.t(m.title_zh, m.title_en)}"
                rows.append(ListItem(title, f"{m.branch.name_zh} · {m.place_zh} · {len(m.roster)}{ctx.t('人', ' people')}",
                                     state, self.theme.palette.ok.text if running else None))
        pad = self.theme.spacing.pad
        self.add(ScrollList(self.rect.inflate(-2 * pad, -pad), self.theme, rows,
                            empty_text=ctx.t("近期没有会议安排", "No meetings scheduled")))


SCREENS = {"meetings": MeetingsScreen}

"""办公时间与指南 (:class:`OfficeHoursScreen`): the office's hours, address and phone from the site, and
the how-to guides of :mod:`kiosk.screens.services.guides`."""

from __future__ import annotations

from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.screens.services.common import organisation_info, organisation_rows, pair
from kiosk.screens.services.guides import GUIDES, Guide
from kiosk.screens.services.widgets import Heading, InfoPanel, ToggleButton
from kiosk.ui.layout import grid, inset, split_columns, take_top
from kiosk.ui.screens import Screen


class OfficeHoursScreen(Screen):
    """办公时间与指南: the office's hours, address and phone, and how-to guides."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("office")
        self.ctx = ctx
        self.title = ctx.t("办公时间与指南", "Office Hours & Guides")
        self.selected = GUIDES[0].key
        self.guide_buttons: dict[str, ToggleButton] = {}

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        org = organisation_info(ctx)
        rows = organisation_rows(ctx, org) or [(ctx.t("提示", "Note"), ctx.t("尚未配置办公信息", "Not configured yet"),
                                                "")]
        name_zh = org.get("name_zh", "") or ctx.t("党委办公室", "Party committee office")
        title = ctx.t("党委办公室", "Party committee office")
        subtitle = ctx.t(name_zh, org.get("name_en", "")) or name_zh
        footer = ctx.t("来访办事请在办公时间内前往；也可先致电咨询。",
                       "Visit in office hours, or call first to ask.")
        bh = th.spacing.row
        if th.portrait:
            panel = InfoPanel(area, th, title, subtitle, rows, footer)
            info, area = take_top(area, min(area.h // 3, panel.preferred_height()), gap)
            head, area = take_top(area, Heading.height(th), th.spacing.unit)
        else:
            info, area = split_columns(area, [1, 1.8], gap * 2)
            panel = InfoPanel(info, th, title, subtitle, rows, footer)
            head, area = take_top(area, Heading.height(th), th.spacing.unit)
        buttons, doc = take_top(area, 2 * bh + gap, gap)
        cells = grid(buttons, 2, 2, gap, len(GUIDES))
        panel.set_rect(info)
        self.info = self.add(panel)
        zh, en = pair(ctx, "办事指南", "Guides")
        self.add(Heading(head, th, zh, en))
        self.guide_buttons = {}
        for guide, cell in zip(GUIDES, cells, strict=True):
            primary, secondary = pair(ctx, guide.title_zh, guide.title_en)
            self.guide_buttons[guide.key] = self.add(ToggleButton(
                cell, th, primary, secondary, lambda k=guide.key: self.show_guide(k),
                selected=guide.key == self.selected))
        self.doc = self.add(DocumentView(doc, th, title="", body=""))
        self.show_guide(self.selected)

    def guide(self, key: str) -> Guide:
        return next(g for g in GUIDES if g.key == key)

    def show_guide(self, key: str) -> None:
        self.selected = key
        g, ctx = self.guide(key), self.ctx
        for k, button in self.guide_buttons.items():
            button.selected = k == key
        title, meta = pair(ctx, g.title_zh, g.title_en)
        if ctx.lang == "en":
            body = f"{g.body_en}\n\n中文：\n\n{g.body_zh}"
        else:
            body = f"{g.body_zh}\n\nIn English:\n\n{g.body_en}"
        self.doc.set_document(title, meta, body, None)
        self.doc.dirty = True

"""办公时间与指南 (:class:`OfficeHoursScreen`): the office's name, hours, address and phone from the site,
and the how-to guides — reviewed site content (``guides.yaml``, stored as published ``guide`` items), so the
office they name is the site's and a correction is made once, not in code."""

from __future__ import annotations

from dataclasses import dataclass

from core.content import visible
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.screens.services.common import office_names, organisation_info, organisation_rows, pair
from kiosk.screens.services.widgets import Heading, InfoPanel, ToggleButton
from kiosk.ui.layout import grid, inset, split_columns, take_top
from kiosk.ui.screens import Screen


@dataclass(frozen=True)
class Guide:
    key: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str


def load_guides(ctx: KioskContext) -> list[Guide]:
    """The site's published guides, in the site file's order (at most four fit the page)."""
    with ctx.session() as s:
        return [Guide(i.guid, i.title_zh, i.title_en or "", i.body or "", i.body_en or "")
                for i in visible(s, "guide", ctx.now(), limit=4)]


class OfficeHoursScreen(Screen):
    """办公时间与指南: the office's hours, address and phone, and how-to guides."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("office")
        self.ctx = ctx
        self.title = ctx.t("办公时间与指南", "Office Hours & Guides")
        self.guides = load_guides(ctx)
        self.selected = self.guides[0].key if self.guides else ""
        self.guide_buttons: dict[str, ToggleButton] = {}

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        org = organisation_info(ctx)
        rows = organisation_rows(ctx, org) or [(ctx.t("提示", "Note"), ctx.t("尚未配置办公信息", "Not configured yet"),
                                                "")]
        office_zh, office_en = office_names(ctx)
        name_zh = org.get("name_zh", "") or office_zh
        title = ctx.t(office_zh, office_en)
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
        cells = grid(buttons, 2, 2, gap, max(1, len(self.guides)))
        panel.set_rect(info)
        self.info = self.add(panel)
        zh, en = pair(ctx, "办事指南", "Guides")
        self.add(Heading(head, th, zh, en))
        self.guide_buttons = {}
        for guide, cell in zip(self.guides, cells, strict=False):
            primary, secondary = pair(ctx, guide.title_zh, guide.title_en)
            self.guide_buttons[guide.key] = self.add(ToggleButton(
                cell, th, primary, secondary, lambda k=guide.key: self.show_guide(k),
                selected=guide.key == self.selected))
        self.doc = self.add(DocumentView(doc, th, title="", body=""))
        if self.guides:
            self.show_guide(self.selected)
        else:
            self.doc.set_document(ctx.t("暂无办事指南", "No guides yet"), "",
                                  ctx.t("办事指南由党组织审核后发布。", "Guides appear once the Party committee "
                                        "has reviewed and published them."), None)

    def guide(self, key: str) -> Guide:
        return next(g for g in self.guides if g.key == key)

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

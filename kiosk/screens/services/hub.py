"""便民服务 hub (:class:`ServicesScreen`): three big tiles for the services, and the organisation's
phone and hours at a glance."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.context import KioskContext
from kiosk.screens.services.common import office_names, organisation_info, organisation_rows, pair
from kiosk.screens.services.contacts import ContactsScreen
from kiosk.screens.services.dues import DuesScreen
from kiosk.screens.services.office import OfficeHoursScreen
from kiosk.screens.services.widgets import Heading, InfoPanel
from kiosk.ui.layout import inset, split_columns, take_bottom, take_top, tile_grid
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.tile import Tile


@dataclass(frozen=True)
class Service:
    name: str
    zh: str
    en: str
    icon: str
    note_zh: str
    note_en: str


SERVICES = (
    Service("dues", "党费计算", "Party Dues Calculator", "费", "按税后月收入计算每月党费", "Monthly dues from after-tax pay"),
    Service("contacts", "通讯录", "Contacts", "话", "各支部与支委的联系电话", "Phones of branches and committees"),
    Service("office", "办公时间与指南", "Office Hours & Guides", "时", "办公时间、地址与办事指南",
            "Hours, address and how-to guides"),
)

#: The screens the hub's tiles open (the package's SCREENS lists the hub too, so the hub names its targets
#: itself: the package imports the hub, never the other way round).
TARGETS = {"dues": DuesScreen, "contacts": ContactsScreen, "office": OfficeHoursScreen}


class ServicesScreen(Screen):
    """便民服务 hub: dues calculator, contacts, office hours and guides."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("services")
        self.ctx = ctx
        self.title = ctx.t("便民服务", "Services")
        self.tiles: dict[str, Tile] = {}

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        org = organisation_info(ctx)
        zh, en = pair(ctx, "请选择您要办理的服务", "Choose a service")
        head, area = take_top(area, Heading.height(th), gap)
        self.add(Heading(head, th, zh, en))
        rows = organisation_rows(ctx, org)
        info: pygame.Rect | None = None
        name_zh = org.get("name_zh", "")
        office_zh, office_en = office_names(ctx)
        panel = InfoPanel(area, th, ctx.t("联系党委", "Contact the Party committee"),
                          ctx.t(name_zh, org.get("name_en", "")) or name_zh, rows,
                          ctx.t(f"如需帮助，请在办公时间内来电或到{office_zh}咨询。",
                                f"For help, call or visit the {office_en} in office hours."))
        info: pygame.Rect | None = None
        if th.portrait:
            if rows:
                info, area = take_bottom(area, min(area.h // 3, panel.preferred_height()), gap)
        elif rows:
            area, info = split_columns(area, [1.9, 1], gap)
        rects = tile_grid(area, len(SERVICES), gap=gap, min_size=th.spacing.target, cols=1)
        self.tiles = {}
        for service, rect in zip(SERVICES, rects, strict=True):
            title, sub = pair(ctx, service.zh, service.en)
            note = ctx.t(service.note_zh, service.note_en)
            self.tiles[service.name] = self.add(Tile(
                rect, th, title, f"{sub} · {note}", icon=service.icon,
                on_tap=lambda name=service.name: self.open(name)))
        if info is not None:
            panel.set_rect(info)
            self.info = self.add(panel)

    def open(self, name: str) -> None:
        self.nav.push(TARGETS[name](self.ctx))

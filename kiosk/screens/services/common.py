"""Helpers every services screen uses: the bilingual (primary, secondary) pair, digits of a phone
number, and the organisation's contact rows that both the hub and the office-hours page show."""

from __future__ import annotations

import re

from core.demo import organisation, site_facts
from kiosk.context import KioskContext


def pair(ctx: KioskContext, zh: str, en: str) -> tuple[str, str]:
    """(primary, secondary) text: the kiosk's language first, the other one as the subtitle."""
    return (en, zh) if ctx.lang == "en" and en else (zh, en)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def organisation_info(ctx: KioskContext) -> dict:
    with ctx.session() as s:
        return organisation(s)


def organisation_rows(ctx: KioskContext, org: dict) -> list[tuple[str, str, str]]:
    hours_zh = org.get("office_hours_zh", "")
    hours_en = org.get("office_hours_en", "")
    rows = [
        (ctx.t("办公时间", "Office hours"), ctx.t(hours_zh, hours_en) or hours_zh,
         hours_en if ctx.lang == "zh" else hours_zh),
        (ctx.t("地址", "Address"), org.get("address_zh", ""), ""),
        (ctx.t("电话", "Phone"), org.get("phone", ""), ctx.t("工作时间内接听", "answered in office hours")),
    ]
    return [r for r in rows if r[1]]


def office_names(ctx: KioskContext) -> tuple[str, str]:
    """The contact office (zh, en) as the site's facts name it (site.yaml ``facts: office_zh``), so a
    screen never names a different office than the knowledge base and the notices."""
    with ctx.session() as s:
        facts = site_facts(s)
    return facts.get("office_zh") or "党委办公室", facts.get("office_en") or "Party committee office"

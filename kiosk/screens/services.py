"""便民服务 (services): the party-dues calculator, the contacts directory, office hours and short guides.

- ``ServicesScreen``: the hub (three big tiles, and the organisation's phone and hours at a glance).
- ``DuesScreen``: pick a category with big toggles, type the after-tax monthly pay on the keypad, and
  read the monthly and yearly dues, the rate and the band; the table of bands marks the one that
  applies. Input the calculator cannot use (nothing typed, an absurd amount) gives a plain message,
  never an exception. The keypad has no decimal point: whole yuan is enough to find the band, and the
  dues are computed exactly (``Decimal``) by ``core.dues``.
- ``ContactsScreen``: branches (secretary, phone, meeting place) and committee members (anyone whose
  role is not plain 党员) with phones. A full IME is out of scope at a kiosk, so the directory is
  searched by typing digits of a phone number, by tapping a branch, or by a surname's pinyin initial.
- ``OfficeHoursScreen``: office hours, address and phone from the site, and how-to guides (党费,
  组织关系转接, 刷脸签到, 入党申请) in Chinese and English.

Chinese first: every label is written in the kiosk's language with the other one smaller beside or
under it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pygame
from sqlalchemy import select

from core.demo import organisation
from core.dues import (
    EMPLOYED_BANDS,
    FIXED_MONTHLY,
    RETIRED_BANDS,
    Dues,
    DuesError,
    monthly_dues,
    parse_amount,
)
from core.models import Branch, Member
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import (
    grid,
    inset,
    split_columns,
    split_rows,
    take_bottom,
    take_left,
    take_top,
    tile_grid,
)
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import MIN_GAP, MIN_TARGET, RGB, Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Button, Callback, Pressable
from kiosk.ui.widgets.dialog import Dialog
from kiosk.ui.widgets.keypad import OK, NumericKeypad
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ScrollList
from kiosk.ui.widgets.tile import Tile

try:  # optional: the pinyin-initial filter falls back to English names, or is left out
    from pypinyin import Style, lazy_pinyin
except ImportError:  # pragma: no cover - depends on the installation
    lazy_pinyin = None  # type: ignore[assignment]
    Style = None  # type: ignore[assignment,misc]


def pair(ctx: KioskContext, zh: str, en: str) -> tuple[str, str]:
    """(primary, secondary) text: the kiosk's language first, the other one as the subtitle."""
    return (en, zh) if ctx.lang == "en" and en else (zh, en)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


# ---------------------------------------------------------------------------------------------------
# Small widgets shared by the screens of this module
# ---------------------------------------------------------------------------------------------------
class Heading(Widget):
    """A section title with a smaller subtitle on the same line (or under it when it does not fit)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str,
                 subtitle: str = "", *, role: str = "title") -> None:
        super().__init__(rect, theme)
        self.title, self.subtitle, self.role = title, subtitle, role

    @staticmethod
    def height(theme: Theme, role: str = "title") -> int:
        return line_height(theme.font(role, True)) + theme.spacing.unit

    def draw(self, surface: pygame.Surface) -> None:
        t, p, r = self.theme, self.theme.palette, self.rect
        tf = t.fit_font(self.title, r.w, self.role, "body", bold=True)
        box = draw_text(surface, tf, ellipsize(self.title, r.w, measurer(tf)), (r.x, r.centery), p.ink, "midleft")
        # a short red bar under the title: the page's section mark
        pygame.draw.rect(surface, p.red, (r.x, r.bottom - 4, min(box.w, t.spacing.target), 4), border_radius=2)
        if self.subtitle:
            sf = t.font("small")
            room = r.right - box.right - t.spacing.gap
            if text_width(sf, self.subtitle) <= room:  # a cut-off subtitle helps nobody: all or nothing
                draw_text(surface, sf, self.subtitle, (box.right + t.spacing.gap, r.centery + 2), p.ink_muted,
                          "midleft")


class ToggleButton(Pressable):
    """A big two-line choice (Chinese over English). Selected: red fill, white text and a tick; not
    selected: white with a red outline — the state is never shown by colour alone."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str,
                 subtitle: str = "", on_tap: Callback | None = None, *, selected: bool = False,
                 role: str = "button") -> None:
        super().__init__(rect, theme, on_tap)
        self.title, self.subtitle, self.role = title, subtitle, role
        self._selected = selected

    @property
    def selected(self) -> bool:
        return self._selected

    @selected.setter
    def selected(self, value: bool) -> None:
        if value != self._selected:
            self._selected = value
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        radius = min(t.spacing.radius, r.h // 2)
        off = max(2, radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        if self._selected:
            fill, fg, sub, border = (p.red_pressed if self.pressed else p.red), p.on_red, p.on_red, None
        else:
            fill, fg, sub, border = (p.surface_pressed if self.pressed else p.surface), p.ink, p.ink_muted, p.red
        shadow = None if self.pressed else mix(p.bg, (0, 0, 0), 0.18)
        card(surface, body, fill, radius, shadow=shadow, border=border, border_width=2)
        mark = "✓ " if self._selected else ""
        room = body.w - 2 * t.spacing.unit
        tf = t.fit_font(mark + self.title, room, self.role, "caption", bold=True)
        sf = t.font("caption")
        two = bool(self.subtitle) and body.h >= line_height(tf) + line_height(sf) + t.spacing.unit
        if two:
            h = line_height(tf) + line_height(sf)
            top = body.centery - h // 2
            draw_text(surface, tf, ellipsize(mark + self.title, room, measurer(tf)), (body.centerx, top), fg, "midtop")
            draw_text(surface, sf, ellipsize(self.subtitle, room, measurer(sf)),
                      (body.centerx, top + line_height(tf)), sub, "midtop")
        else:
            draw_text(surface, tf, ellipsize(mark + self.title, room, measurer(tf)), body.center, fg, "center")


class InfoPanel(Widget):
    """A white card of (label, value, note) rows: office hours, address, phone; an optional footer."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str, subtitle: str,
                 rows: Sequence[tuple[str, str, str]], footer: str = "") -> None:
        super().__init__(rect, theme)
        self.title, self.subtitle, self.rows, self.footer = title, subtitle, list(rows), footer

    def texts(self) -> list[str]:
        return [self.title, self.subtitle, *(x for row in self.rows for x in row if x), self.footer]

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        pygame.draw.rect(surface, p.gold, (r.x, r.y, r.w, max(6, t.spacing.unit)),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        self.flow(surface)

    def preferred_height(self) -> int:
        """The height that shows everything at the current width."""
        return self.flow(None)

    def flow(self, surface: pygame.Surface | None) -> int:
        """Lay the card out (and draw it when ``surface`` is given); return the height used."""
        t, p = self.theme, self.theme.palette
        r = self.rect
        pad = t.spacing.pad
        x, y, w = r.x + pad, r.y + pad, r.w - 2 * pad
        bottom = r.bottom - t.spacing.unit if surface is not None else 1 << 30

        def put(font, text: str, pos: tuple[int, int], color: RGB) -> None:
            if surface is not None:
                draw_text(surface, font, text, pos, color)

        tf = t.fit_font(self.title, w, "title", "body", bold=True)
        put(tf, ellipsize(self.title, w, measurer(tf)), (x, y), p.red)
        y += line_height(tf)
        sf, bf, lf = t.font("small"), t.font("body"), t.font("body", True)
        if self.subtitle:
            put(sf, ellipsize(self.subtitle, w, measurer(sf)), (x, y), p.ink_muted)
            y += line_height(sf)
        y += t.spacing.unit
        label_w = max((text_width(lf, label) for label, _, _ in self.rows), default=0) + t.spacing.gap
        if label_w > w // 3:  # narrow card: labels above values
            label_w = 0
        for label, value, note in self.rows:
            if y + line_height(bf) + t.spacing.unit > bottom:
                break
            if surface is not None:
                pygame.draw.line(surface, p.divider, (x, y), (x + w, y))
            y += t.spacing.unit
            put(lf, label, (x, y), p.ink)
            if not label_w:
                y += line_height(lf)
            vx, vw = x + label_w, w - label_w
            for line in wrap_text(value, vw, measurer(bf), max_lines=2):
                if y + line_height(bf) > bottom:
                    break
                put(bf, line, (vx, y), p.ink)
                y += line_height(bf)
            for line in wrap_text(note, vw, measurer(sf), max_lines=2) if note else ():
                if y + line_height(sf) > bottom:
                    break
                put(sf, line, (vx, y), p.ink_muted)
                y += line_height(sf)
            y += t.spacing.unit
        if self.footer:
            lines = wrap_text(self.footer, w, measurer(sf), max_lines=3)
            y += t.spacing.unit
            if surface is not None:  # the footer sits at the bottom of the card
                y = max(y, r.bottom - pad - len(lines) * line_height(sf))
            for line in lines:
                if y + line_height(sf) > bottom:
                    break
                put(sf, line, (x, y), p.ink_muted)
                y += line_height(sf)
        return y + pad - r.y


# ---------------------------------------------------------------------------------------------------
# Hub
# ---------------------------------------------------------------------------------------------------
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
        panel = InfoPanel(area, th, ctx.t("联系党委", "Contact the Party committee"),
                          ctx.t(name_zh, org.get("name_en", "")) or name_zh, rows,
                          ctx.t("如需帮助，请在办公时间内来电或到党委办公室咨询。",
                                "For help, call or visit the Party committee office in office hours."))
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
        factory = SCREENS[name]
        self.nav.push(factory(self.ctx))


# ---------------------------------------------------------------------------------------------------
# Dues calculator
# ---------------------------------------------------------------------------------------------------
#: (category value for core.dues, zh label, en label)
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("在职", "在职党员", "Employed"),
    ("退休", "离退休党员", "Retired"),
    ("学生", "学生·无固定收入", "Student / no fixed income"),
)


def band_rows(category: str) -> list[tuple[str, str, str]]:
    """(band zh, band en, rate) for every band of ``category``, worded exactly as ``core.dues`` words the
    result, so the row that applies can be found by its text. The rate is "" for the fixed amount."""
    if category not in ("在职", "退休"):
        d = monthly_dues(0, category)  # type: ignore[arg-type]
        return [(d.band_zh, d.band_en, d.percent)]
    bands = RETIRED_BANDS if category == "退休" else EMPLOYED_BANDS
    rows, lower = [], Decimal(0)
    for upper, _rate in bands:
        probe = upper if upper is not None else lower + 1
        d = monthly_dues(probe, category)  # type: ignore[arg-type]
        rows.append((d.band_zh, d.band_en, d.percent))
        lower = upper if upper is not None else lower
    return rows


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


class PayKeypad(NumericKeypad):
    """The toolkit keypad, but 确定 stays tappable with nothing typed, so that an empty submit is
    answered with a message instead of silently doing nothing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keys[OK].enabled = True

    def press(self, key: str) -> None:
        if key in (OK, "ok", "OK", "enter") and not self.value:
            if self.on_submit is not None:
                self.on_submit("")
            return
        super().press(key)
        self.keys[OK].enabled = True


class DuesResult(Widget):
    """The result card: monthly dues in big type, yearly dues, rate and band — or a prompt, or an error."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.dues: Dues | None = None
        self.pay: Decimal | None = None
        self.error: str | None = None

    # state ------------------------------------------------------------------------------------------
    def show(self, dues: Dues, pay: Decimal | None) -> None:
        self.dues, self.pay, self.error = dues, pay, None
        self.dirty = True

    def show_error(self, message: str) -> None:
        self.dues, self.pay, self.error = None, None, message
        self.dirty = True

    def show_prompt(self) -> None:
        self.dues = self.pay = self.error = None
        self.dirty = True

    @property
    def monthly_text(self) -> str:
        """"127.50 元/月", or "" when nothing is computed."""
        return f"{money(self.dues.monthly)} {self.ctx.t('元/月', 'yuan / month')}" if self.dues else ""

    def lines(self) -> list[tuple[str, str, RGB, bool]]:
        """The texts the card shows below the big number: (text, role, colour, bold)."""
        ctx, p = self.ctx, self.theme.palette
        if self.error:
            return [(self.error, "body", p.bad.text, True),
                    (ctx.t("请用数字键输入税后月收入（元），再按“确定”。",
                           "Type your after-tax monthly pay in yuan on the keypad, then press OK."), "small", p.ink_muted,
                     False)]
        if self.dues is None:
            return [(ctx.t("请选择类别，并输入税后月收入（元）", "Choose a category and type your after-tax monthly "
                           "pay (yuan)"), "body", p.ink, False),
                    (ctx.t("Choose a category and type your after-tax monthly pay", "请选择类别，并输入税后月收入（元）"),
                     "small", p.ink_muted, False)]
        d = self.dues
        zh, en = pair(ctx, d.band_zh, d.band_en)
        rate = d.percent or ctx.t("定额", "fixed")
        out = [(f"{ctx.t('全年', 'Per year')} {money(d.yearly)} {ctx.t('元', 'yuan')}    "
                f"{ctx.t('费率', 'Rate')} {rate}", "body", p.ink, True),
               (zh, "body", p.ink, False), (en, "small", p.ink_muted, False)]
        if d.rate is None:
            out.append((ctx.t("定额交纳，无需输入收入", "A fixed amount: no need to type your pay"), "small",
                        p.ink_muted, False))
        if self.pay is not None:
            out.append((ctx.t(f"按税后月收入 {money(self.pay)} 元计算", f"for after-tax monthly pay of "
                              f"{money(self.pay)} yuan"), "small", p.ink_muted, False))
        return out

    def text(self) -> str:
        """Everything the card shows (tests)."""
        head = self.monthly_text or ""
        return "\n".join([head, *(t for t, *_ in self.lines())])

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        accent = p.bad.fill if self.error else (p.red if self.dues else p.gold)
        pygame.draw.rect(surface, accent, (r.x, r.y, r.w, max(6, t.spacing.unit)),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        pad = t.spacing.pad
        x, y, w = r.x + pad, r.y + pad, r.w - 2 * pad
        cap = t.font("body")
        if self.error:
            d = line_height(t.font("title", True))
            pygame.draw.circle(surface, p.bad.fill, (x + d // 2, y + d // 2), d // 2)
            draw_text(surface, t.font("title", True), "!", (x + d // 2, y + d // 2), p.bad.on_fill, "center")
            draw_text(surface, t.font("title", True), ctx.t("无法计算", "Cannot calculate"),
                      (x + d + t.spacing.unit * 2, y + d // 2), p.bad.text, "midleft")
            y += d + t.spacing.gap
        else:
            draw_text(surface, cap, ctx.t("每月应缴党费", "Monthly dues"), (x, y), p.ink_muted)
            y += line_height(cap)
            if self.dues is None:
                hf = t.font("title", True)
                y += t.spacing.unit
                draw_text(surface, hf, ctx.t("等待输入…", "Waiting for input…"), (x, y), p.ink_muted)
                y += line_height(hf) + t.spacing.gap
                for text, role, color, bold in self.lines():
                    font = t.font(role, bold)
                    for line in wrap_text(text, w, measurer(font), max_lines=3):
                        if y + line_height(font) > r.bottom - t.spacing.unit:
                            return
                        draw_text(surface, font, line, (x, y), color)
                        y += line_height(font)
                return
            nf = t.fonts.get(t.type.display, True) if t.fonts else t.font("number", True)
            if r.h < 5 * line_height(cap) + line_height(nf):
                nf = t.font("number", True)
            number = money(self.dues.monthly)
            size = nf.size if isinstance(nf.size, (int, float)) else nf.size[0]
            while t.fonts and text_width(nf, number) > w * 0.7 and size > t.type.number:
                size -= 4
                nf = t.fonts.get(int(size), True)
            box = draw_text(surface, nf, number, (x, y), p.red)
            unit = ctx.t("元/月", "yuan/month")
            draw_text(surface, t.font("title"), unit, (box.right + t.spacing.unit, box.bottom - t.spacing.unit),
                      p.ink, "bottomleft")
            y = box.bottom + t.spacing.unit
        for text, role, color, bold in self.lines():
            font = t.font(role, bold)
            for line in wrap_text(text, w, measurer(font), max_lines=2):
                if y + line_height(font) > r.bottom - t.spacing.unit:
                    return
                draw_text(surface, font, line, (x, y), color)
                y += line_height(font)
            y += t.spacing.unit // 2


class BandTable(Widget):
    """The bands of one category, the one that applies highlighted (gold fill and a 当前 mark)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.category = "在职"
        self.rows: list[tuple[str, str, str]] = band_rows("在职")
        self.current: int | None = None

    def set_state(self, category: str, dues: Dues | None) -> None:
        self.category = category
        self.rows = band_rows(category)
        self.current = next((i for i, row in enumerate(self.rows) if dues and row[0] == dues.band_zh), None)
        self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        r = self.rect
        surface.fill(p.bg, r)
        hf = t.font("body", True)
        label = next((zh for value, zh, _ in CATEGORIES if value == self.category), self.category)
        label_en = next((en for value, _, en in CATEGORIES if value == self.category), "")
        head = ctx.t(f"缴纳标准（{label}）", f"Rates ({label_en})")
        draw_text(surface, hf, ellipsize(head, r.w, measurer(hf)), (r.x, r.y), p.ink)
        y = r.y + line_height(hf) + t.spacing.unit
        bf, sf = t.font("body"), t.font("small")
        rows = max(1, len(self.rows))
        two_h = line_height(bf) + line_height(sf) + t.spacing.unit
        one_h = line_height(bf) + t.spacing.unit * 2
        room = r.bottom - y
        row_h = min(two_h + t.spacing.unit * 2, room // rows) if room // rows >= two_h else max(one_h, room // rows)
        two = row_h >= two_h
        mark = ctx.t("◀ 当前", "◀ yours")
        mark_w = text_width(t.font("small", True), mark)
        for i, (zh, en, rate) in enumerate(self.rows):
            rate = rate or ctx.t(f"{money(FIXED_MONTHLY)}元/月", f"{money(FIXED_MONTHLY)} / month")
            row = pygame.Rect(r.x, y + i * row_h, r.w, row_h - 2)
            if row.bottom > r.bottom + 1:
                break
            current = i == self.current
            fill = p.gold if current else (p.surface if i % 2 == 0 else p.bg)
            pygame.draw.rect(surface, fill, row, border_radius=t.spacing.radius // 2)
            if current:
                pygame.draw.rect(surface, p.red, row, 3, border_radius=t.spacing.radius // 2)
            pad = t.spacing.gap // 2 + t.spacing.unit
            rate_font = t.font("body", True)
            rate_w = max(text_width(rate_font, "2%") * 2, text_width(rate_font, rate))
            right = row.right - pad
            if current:
                draw_text(surface, t.font("small", True), mark, (right, row.centery), p.ink, "midright")
                right -= mark_w + t.spacing.gap
            draw_text(surface, rate_font, rate, (right, row.centery), p.ink if current else p.red, "midright")
            text_w = right - rate_w - t.spacing.gap - (row.x + pad)
            zh_short = zh.split("：", 1)[-1]
            en_short = en.split(": ", 1)[-1]
            primary, secondary = pair(ctx, zh_short, en_short)
            if two:
                top = row.centery - (line_height(bf) + line_height(sf)) // 2
                draw_text(surface, bf, ellipsize(primary, text_w, measurer(bf)), (row.x + pad, top), p.ink)
                draw_text(surface, sf, ellipsize(secondary, text_w, measurer(sf)),
                          (row.x + pad, top + line_height(bf)), p.ink if current else p.ink_muted)
            else:
                draw_text(surface, bf, ellipsize(primary, text_w, measurer(bf)), (row.x + pad, row.centery), p.ink,
                          "midleft")


class DuesScreen(Screen):
    """党费计算: category toggles, a keypad for the after-tax monthly pay, the result and the bands."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("dues")
        self.ctx = ctx
        self.title = ctx.t("党费计算", "Party Dues")
        self.category = "在职"
        self.toggles: dict[str, ToggleButton] = {}
        self._value = ""

    def enter(self) -> None:
        # A member who identified at the kiosk starts on their own category.
        number = self.ctx.visitor.member_number
        if number and not self._value:
            with self.ctx.session() as s:
                member = s.scalars(select(Member).where(Member.number == number)).first()
                category = member.category if member else None
            if category:
                self.set_category("学生" if category == "无业" else category)

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = inset(self.rect, pad)
        heading_h = Heading.height(th)
        toggle_h = th.spacing.row
        if th.portrait:
            head, area = take_top(area, heading_h, th.spacing.unit)
            toggles, area = take_top(area, toggle_h, gap)
            table_h = min(area.h // 3, heading_h + 4 * (line_height(th.font("body")) + line_height(th.font("small"))
                                                         + th.spacing.unit * 3))
            table, middle = take_bottom(area, table_h, gap * 2)
            pad_area, result = split_columns(middle, [1, 1], gap)
            pay_head, pad_area = take_top(pad_area, heading_h, th.spacing.unit)
        else:
            left, right = split_columns(area, [1, 1.1], gap * 2)
            head, left = take_top(left, heading_h, th.spacing.unit)
            toggles, left = take_top(left, toggle_h, gap)
            pay_head, pad_area = take_top(left, heading_h, th.spacing.unit)
            result, table = split_rows(right, [1.1, 1], gap * 2)
        zh, en = pair(ctx, "第一步：选择类别", "Step 1: category")
        self.add(Heading(head, th, zh, en))
        self.toggles = {}
        for (value, czh, cen), rect in zip(CATEGORIES, split_columns(toggles, [1, 1, 1.35], gap), strict=True):
            title, sub = pair(ctx, czh, cen)
            self.toggles[value] = self.add(ToggleButton(rect, th, title, sub, lambda v=value: self.set_category(v),
                                                        selected=value == self.category))
        zh, en = pair(ctx, "第二步：输入税后月收入", "Step 2: after-tax monthly pay")
        self.add(Heading(pay_head, th, zh, en))
        kw = min(pad_area.w, round(pad_area.h * 0.85), round(640 * th.scale))
        box = pygame.Rect(pad_area.x, pad_area.y, kw, pad_area.h)
        if not th.portrait:
            box.centerx = pad_area.centerx
        self.keypad = self.add(PayKeypad(box, th, max_length=8, on_submit=self.submit, on_change=self.changed,
                                         placeholder=ctx.t("单位：元，如 8500", "In yuan, e.g. 8500")))
        for key in self._value:
            self.keypad.press(key)
        self.result = self.add(DuesResult(result, th, ctx))
        self.table = self.add(BandTable(table, th, ctx))
        self.recompute()

    # -- behaviour ----------------------------------------------------------------------------------
    def set_category(self, category: str) -> None:
        self.category = category
        for value, toggle in self.toggles.items():
            toggle.selected = value == category
        if self.widgets:
            self.recompute()

    def changed(self, value: str) -> None:
        self._value = value
        self.recompute()

    def submit(self, value: str) -> None:
        self._value = value
        self.recompute(submitted=True)

    def recompute(self, submitted: bool = False) -> None:
        """Compute from the keypad's value; every problem becomes a message on the card."""
        ctx = self.ctx
        value = self.keypad.value
        dues: Dues | None = None
        try:
            if self.category == "学生":
                dues = monthly_dues(0, "学生")
                self.result.show(dues, None)
            elif not value:
                if submitted:
                    self.result.show_error(ctx.t("还没有输入金额，请先输入税后月收入。",
                                                 "No amount yet: please type your after-tax monthly pay first."))
                else:
                    self.result.show_prompt()
            else:
                pay = parse_amount(value)
                dues = monthly_dues(pay, self.category)  # type: ignore[arg-type]
                self.result.show(dues, pay)
        except DuesError as exc:
            dues = None
            self.result.show_error(str(exc))
        self.table.set_state(self.category, dues)


# ---------------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------------
ROLE_ORDER = ("书记", "副书记", "组织委员", "宣传委员", "纪检委员", "党小组长")
#: Surnames read differently from the character's everyday reading.
SURNAME_INITIALS = {"曾": "Z", "单": "S", "解": "X", "仇": "Q", "朴": "P", "区": "O", "查": "Z", "缪": "M",
                    "覃": "Q", "翟": "Z", "乐": "Y", "召": "S", "盖": "G", "种": "C", "秘": "B", "员": "Y",
                    "繁": "P", "隗": "W", "卜": "B", "过": "G", "祭": "Z", "阚": "K", "尉": "Y", "长": "Z",
                    "万": "W", "沈": "S", "任": "R", "华": "H", "纪": "J", "燕": "Y"}


def name_initial(name: str, name_en: str = "") -> str | None:
    """The capital pinyin initial of a person's surname: from the English name when it has one, else from
    pypinyin (with the usual surname readings), else None."""
    if name_en[:1].isascii() and name_en[:1].isalpha():
        return name_en[0].upper()
    if not name:
        return None
    if name[0] in SURNAME_INITIALS:
        return SURNAME_INITIALS[name[0]]
    if name[0].isascii():
        return name[0].upper() if name[0].isalpha() else None
    if lazy_pinyin is None:
        return None
    letter = lazy_pinyin(name[0], style=Style.FIRST_LETTER)[0][:1].upper()
    return letter if letter.isascii() and letter.isalpha() else None


@dataclass(frozen=True)
class Contact:
    kind: str  # "branch" | "member"
    name: str
    name_en: str
    role: str
    branch_code: str
    branch_name: str
    phone: str
    place: str = ""
    secretary: str = ""
    initial: str | None = None

    @property
    def phone_digits(self) -> str:
        return digits(self.phone)


def load_contacts(ctx: KioskContext) -> tuple[list[Contact], list[tuple[str, str, str]]]:
    """All directory entries (a branch, then its committee members) and the branches (code, zh, en)."""
    with ctx.session() as s:
        branches = list(s.scalars(select(Branch).order_by(Branch.code)))
        members = list(s.scalars(select(Member).where(Member.active).order_by(Member.number)))
        by_number = {m.number: m for m in members}
        out: list[Contact] = []
        for b in branches:
            sec = by_number.get(b.secretary_number or "")
            out.append(Contact("branch", b.name_zh, b.name_en, ctx.t("党支部", "Branch"), b.code, b.name_zh, b.phone,
                               b.place_zh, sec.name if sec else ""))
            committee = [m for m in members if m.branch_id == b.id and m.role != "党员"]
            committee.sort(key=lambda m: (ROLE_ORDER.index(m.role) if m.role in ROLE_ORDER else len(ROLE_ORDER),
                                          m.number))
            out += [Contact("member", m.name, m.name_en, m.role, b.code, b.name_zh, m.phone,
                            initial=name_initial(m.name, m.name_en)) for m in committee]
        return out, [(b.code, b.name_zh, b.name_en) for b in branches]


def short_branch(name_zh: str) -> str:
    """"第一党支部（机关）" → "第一党支部"."""
    return re.split(r"[（(]", name_zh, maxsplit=1)[0] or name_zh


class ContactsScreen(Screen):
    """通讯录: branches and committee members, filtered by phone digits, branch and pinyin initial."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("contacts")
        self.ctx = ctx
        self.title = ctx.t("通讯录", "Contacts")
        self.contacts: list[Contact] = []
        self.branches: list[tuple[str, str, str]] = []
        self.results: list[Contact] = []
        self.query = ""
        self.branch: str | None = None
        self.letter: str | None = None
        self.branch_buttons: dict[str | None, Button] = {}
        self.letter_buttons: dict[str, Button] = {}

    # -- layout -------------------------------------------------------------------------------------
    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        if not self.contacts:
            self.contacts, self.branches = load_contacts(ctx)
        area = inset(self.rect, pad)
        letters = sorted({c.initial for c in self.contacts if c.initial})
        key_w, key_h = MIN_TARGET, th.spacing.target
        if th.portrait:
            bottom_h = min(area.h * 2 // 5, 6 * th.spacing.target + 5 * gap)
            bottom, area = take_bottom(area, bottom_h, gap)
            pad_area, side = split_columns(bottom, [1.15, 1], gap * 2)
            lists_area = area
        else:
            side_w = max(3 * th.spacing.target + 2 * gap, round(area.w * 0.28))
            left, lists_area = take_left(area, side_w, gap * 2)
            side, pad_area = take_top(left, self._side_height(), gap)
        # branch filter row
        row, lists_area = take_top(lists_area, th.spacing.target, gap)
        specs: list[tuple[str | None, str]] = [(None, ctx.t("全部", "All"))]
        specs += [(code, short_branch(zh) if ctx.lang == "zh" else (en.split(" (")[0] or zh))
                  for code, zh, en in self.branches]
        self.branch_buttons = {}
        for (code, label), rect in zip(specs, split_columns(row, [1] * len(specs), gap), strict=True):
            self.branch_buttons[code] = self.add(Button(rect, th, label, lambda c=code: self.set_branch(c),
                                                        kind="secondary"))
        # pinyin initial row(s)
        self.letter_buttons = {}
        if letters:
            lgap = MIN_GAP  # letters are many: the smallest gap the touch rules allow
            label = ctx.t("姓氏拼音", "Surname")
            label_w = text_width(th.font("body", True), label) + gap
            per_row = max(1, (lists_area.w - label_w + lgap) // (key_w + lgap))
            nrows = -(-len(letters) // per_row)
            strip, lists_area = take_top(lists_area, nrows * key_h + (nrows - 1) * lgap, gap)
            label_rect, keys = take_left(strip, label_w - gap, gap)
            self.add(Label((label_rect.x, label_rect.y, label_rect.w, key_h), th, label,
                           role="body", bold=True, color=th.palette.ink_muted))
            cols = min(per_row, len(letters))
            keys.w = cols * key_w + (cols - 1) * lgap
            for letter, rect in zip(letters, grid(keys, cols, nrows, lgap), strict=False):
                self.letter_buttons[letter] = self.add(Button(rect, th, letter, lambda x=letter: self.set_letter(x),
                                                              kind="secondary", role="title"))
        self.list = self.add(ScrollList(lists_area, th, [], row_height=th.spacing.row, on_select=self.open,
                                        render_row=self._render_row,
                                        empty_text=ctx.t("没有找到匹配的联系人", "No matching contacts")))
        # search side: what is typed, the count, a clear button, the keypad
        self._build_side(side)
        kw = min(pad_area.w, round(pad_area.h * 0.8))
        box = pygame.Rect(pad_area.x, pad_area.y, kw, pad_area.h)
        self.keypad = self.add(NumericKeypad(box, th, max_length=11, on_change=self.set_query,
                                             on_submit=self.set_query,
                                             placeholder=ctx.t("输入电话号码", "Phone digits")))
        for key in self.query:
            self.keypad.press(key)
        self.refresh()

    def _side_height(self) -> int:
        """Height of the landscape side panel above the keypad (title and clear button, count, hint)."""
        th = self.theme
        return th.spacing.target + th.spacing.unit + line_height(th.font("body")) * 2

    def _build_side(self, side: pygame.Rect) -> None:
        """Title, clear button, result count and hint. Landscape puts the clear button beside the title so
        the keypad below keeps keys of full touch size."""
        th, ctx = self.theme, self.ctx
        gap = th.spacing.gap
        compact = not th.portrait
        label = ctx.t("清除筛选", "Clear") if compact else ctx.t("清除全部筛选", "Clear all filters")
        clear_w = max(th.spacing.target * 2, text_width(th.font("button"), label) + 2 * th.spacing.pad)
        if compact:
            head, rest = take_top(side, th.spacing.target, th.spacing.unit)
            clear, head = pygame.Rect(head.right - clear_w, head.y, clear_w, head.h), \
                pygame.Rect(head.x, head.y, head.w - clear_w - gap, head.h)
        else:
            head, rest = take_top(side, Heading.height(th), th.spacing.unit)
        zh, en = pair(ctx, "按电话查找", "Find by phone")
        self.add(Heading(head, th, zh, en))
        line = line_height(th.font("body"))
        hint, rest = take_top(rest, line * 2, gap)
        self.count_label = self.add(Label((hint.x, hint.y, hint.w, line), th, "", role="body", bold=True))
        self.add(Label((hint.x, hint.y + line, hint.w, line), th,
                       ctx.t("输入号码中任意几位数字即可", "Any part of the number will do"), role="small",
                       color=th.palette.ink_muted))
        if not compact:
            clear = pygame.Rect(rest.x, rest.y, min(rest.w, clear_w), th.spacing.target)
        self.clear_button = self.add(Button(clear, th, label, self.clear_filters, kind="quiet"))

    # -- filtering ------------------------------------------------------------------------------------
    def set_query(self, value: str) -> None:
        self.query = value
        self.refresh()

    def set_branch(self, code: str | None) -> None:
        self.branch = code
        self.refresh()

    def set_letter(self, letter: str) -> None:
        self.letter = None if self.letter == letter else letter
        self.refresh()

    def clear_filters(self) -> None:
        self.branch = self.letter = None
        if self.keypad.value:
            self.keypad.clear()  # calls set_query("") → refresh
        self.query = ""
        self.refresh()

    def filtered(self) -> list[Contact]:
        out = []
        for c in self.contacts:
            if self.branch and c.branch_code != self.branch:
                continue
            if self.letter and c.initial != self.letter:
                continue
            if self.query and self.query not in c.phone_digits:
                continue
            out.append(c)
        return out

    def refresh(self) -> None:
        ctx = self.ctx
        self.results = self.filtered()
        self.list.set_items(self.results)
        for code, button in self.branch_buttons.items():
            button.kind = "primary" if code == self.branch else "secondary"
            button.dirty = True
        for letter, button in self.letter_buttons.items():
            button.kind = "primary" if letter == self.letter else "secondary"
            button.dirty = True
        n = len(self.results)
        self.count_label.set_text(ctx.t(f"找到 {n} 条", f"{n} found") + (
            f" · {ctx.t('号码含', 'number has')} {self.query}" if self.query else ""))
        self.clear_button.enabled = bool(self.query or self.branch or self.letter)

    # -- rows -------------------------------------------------------------------------------------------
    def _render_row(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object,
                    pressed: bool) -> None:
        c: Contact = item  # type: ignore[assignment]
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        if pressed:
            surface.fill(p.surface_pressed, rect)
        pad = t.spacing.gap
        x = rect.x + pad
        # tag: 支部 (red) or the committee role (outlined)
        tf = t.font("small", True)
        tag = ctx.t("支部", "Branch") if c.kind == "branch" else c.role
        tag_w = max(text_width(tf, "组织委员"), text_width(tf, tag)) + t.spacing.unit * 3
        tag_rect = pygame.Rect(x, 0, tag_w, line_height(tf) + t.spacing.unit)
        tag_rect.centery = rect.centery
        if c.kind == "branch":
            pygame.draw.rect(surface, p.red, tag_rect, border_radius=tag_rect.h // 2)
            draw_text(surface, tf, tag, tag_rect.center, p.on_red, "center")
        else:
            pygame.draw.rect(surface, p.gold_dark, tag_rect, 2, border_radius=tag_rect.h // 2)
            draw_text(surface, tf, ellipsize(tag, tag_w - 8, measurer(tf)), tag_rect.center, p.gold_dark, "center")
        x = tag_rect.right + pad
        # phone at the right, the typed digits marked
        pf = t.font("title", True) if rect.w > 900 else t.font("body", True)
        right = rect.right - pad - t.spacing.unit
        pw = self._draw_phone(surface, pf, c.phone, (right, rect.centery))
        right -= pw + pad
        bf, sf = t.font("body", True), t.font("small")
        if c.kind == "branch":
            title = c.name if ctx.lang == "zh" or not c.name_en else c.name_en
            bits = [f"{ctx.t('书记', 'Secretary')} {c.secretary}" if c.secretary else "", c.place]
        else:
            title = c.name + (f"  {c.name_en}" if c.name_en else "")
            bits = [c.branch_name]
        subtitle = " · ".join(b for b in bits if b)
        width = max(0, right - x)
        h = line_height(bf) + line_height(sf)
        top = rect.centery - h // 2
        draw_text(surface, bf, ellipsize(title, width, measurer(bf)), (x, top), p.ink)
        draw_text(surface, sf, ellipsize(subtitle, width, measurer(sf)), (x, top + line_height(bf)), p.ink_muted)
        pygame.draw.line(surface, p.divider, (rect.x + pad, rect.bottom - 1), (rect.right - pad, rect.bottom - 1))

    def _draw_phone(self, surface: pygame.Surface, font, phone: str, midright: tuple[int, int]) -> int:
        """Draw ``phone`` right-aligned with the digits of the query underlined in red; return its width."""
        p = self.theme.palette
        width = text_width(font, phone)
        x, y = midright[0] - width, midright[1]
        marked: set[int] = set()
        if self.query:
            positions = [i for i, ch in enumerate(phone) if ch.isdigit()]
            start = digits(phone).find(self.query)
            if start >= 0:
                marked = set(positions[start:start + len(self.query)])
        run_start = 0
        for i in range(len(phone) + 1):  # draw runs of equal marking
            if i == len(phone) or (i > run_start and ((i in marked) != (run_start in marked))):
                text = phone[run_start:i]
                if text:
                    hit = run_start in marked
                    box = draw_text(surface, font, text, (x, y), p.red if hit else p.ink, "midleft")
                    if hit:
                        pygame.draw.line(surface, p.red, (box.x, box.bottom - 1), (box.right, box.bottom - 1), 3)
                    x += text_width(font, text)
                run_start = i
        return width

    def open(self, index: int) -> None:
        c = self.results[index]
        ctx = self.ctx
        if c.kind == "branch":
            lines = [f"{ctx.t('书记', 'Secretary')}：{c.secretary or '—'}", f"{ctx.t('电话', 'Phone')}：{c.phone}",
                     f"{ctx.t('活动地点', 'Meets at')}：{c.place or '—'}"]
            title = c.name
        else:
            lines = [f"{ctx.t('职务', 'Role')}：{c.role}", f"{ctx.t('所在支部', 'Branch')}：{c.branch_name}",
                     f"{ctx.t('电话', 'Phone')}：{c.phone}"]
            title = c.name + (f"（{c.name_en}）" if c.name_en else "")
        self.nav.show_dialog(Dialog(self.theme, title, "\n".join(lines), [(ctx.t("关闭", "Close"), None)]))


# ---------------------------------------------------------------------------------------------------
# Office hours and guides
# ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Guide:
    key: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str


GUIDES: tuple[Guide, ...] = (
    Guide(
        "dues", "如何缴纳党费", "How to pay Party dues",
        "1. 计算：在职党员以每月工资收入（税后）为基数，按比例交纳；离退休党员以每月离退休费为基数；"
        "学生、无固定收入的党员每月交纳0.2元。可在本机“党费计算”中算出您每月应交的金额。\n\n"
        "2. 按月交纳：党员应主动按月向所在党支部（党小组）交纳党费。遇到特殊情况，经党支部同意，"
        "可以按季度交纳，也可以预交，预交时间一般不超过一年。\n\n"
        "3. 交纳方式：交给党支部（党小组）的党费收缴人员，或使用本单位党组织指定的线上缴费渠道。"
        "请保存好缴费记录。本终端只提供计算，不收取任何费用。\n\n"
        "4. 党员自愿多交党费不限。党章规定，党员没有正当理由，连续六个月不交纳党费，就被认为是自行脱党。"
        "有疑问请联系所在支部的组织委员。",
        "Dues are a share of after-tax monthly pay (retirees: of the pension); students and members without a "
        "fixed income pay 0.20 yuan a month. Use the calculator on this kiosk to see your amount.\n\n"
        "Pay every month to your branch or Party group. In special cases, and with the branch's consent, you may "
        "pay by the quarter or in advance, usually for no more than a year. Pay the branch's dues collector or "
        "use the online channel your Party organisation names, and keep the receipt. This kiosk only calculates; "
        "it takes no payment. Failing to pay for six months in a row without good reason counts as leaving "
        "the Party. Ask your branch's organisation officer if in doubt.",
    ),
    Guide(
        "transfer", "如何转接组织关系", "How to transfer your Party membership",
        "1. 申请：因工作调动、升学、退休等需要转出时，向所在党支部提出申请，说明转入的单位或地方。\n\n"
        "2. 开具介绍信：党支部核实后，由有权限的党委开具《中国共产党党员组织关系介绍信》，"
        "或在全国党员管理信息系统中网上办理。介绍信上注明党费交到的年月。\n\n"
        "3. 报到：持介绍信（或收到网上转接通知后）在有效期内（一般不超过三个月）到接收党组织报到，"
        "编入党支部，按时参加组织生活。\n\n"
        "4. 转入本单位的党员，请携带介绍信到党委办公室办理，并联系所在支部书记。",
        "Ask your branch when you move (new job, study, retirement) and say where you are going. After checking, "
        "the Party committee issues a membership transfer letter, or makes the transfer online in the national "
        "Party member information system; the letter states the month up to which dues are paid.\n\n"
        "Report to the receiving Party organisation within the letter's validity (usually no more than three "
        "months) so that you join a branch and keep taking part in Party life. Members transferring to us: bring "
        "the letter to the Party committee office and contact your branch secretary.",
    ),
    Guide(
        "face", "如何使用刷脸签到", "How to sign in with your face",
        "1. 会议开始前30分钟起即可签到。在首页进入签到页面，确认屏幕上显示的是您要参加的会议。\n\n"
        "2. 站在屏幕正前方约半米到一米处，面向摄像头，摘下帽子和口罩，稍等片刻。\n\n"
        "3. 识别成功后屏幕显示您的姓名，确认后即完成签到，结果立即保存。\n\n"
        "4. 未能识别时，可改用数字键输入党员编号和个人PIN码签到。\n\n"
        "5. 人脸信息须经本人同意才采集，加密保存，仅用于签到；如需删除，请联系党委办公室。",
        "Sign-in opens 30 minutes before a meeting starts. Open sign-in from the home screen and check that "
        "the meeting shown is yours. Stand half a metre to a metre in front of the screen, face the camera, take "
        "off hat and mask, and wait a moment. When your name appears, confirm: the sign-in is saved at once.\n\n"
        "If you are not recognised, sign in with your member number and PIN on the keypad. Face data is taken "
        "only with your consent, stored encrypted and used only for sign-in; ask the Party committee office to "
        "delete it at any time.",
    ),
    Guide(
        "apply", "如何递交入党申请书", "How to apply to join the Party",
        "1. 条件：年满十八岁，承认党的纲领和章程，愿意参加党的一个组织并在其中积极工作、"
        "执行党的决议和按期交纳党费。\n\n"
        "2. 递交：向工作、学习所在单位的党组织提出入党申请；没有工作、学习单位或单位未建立党组织的，"
        "向居住地党组织提出。入党申请书应写明对党的认识、入党动机和本人履历等。\n\n"
        "3. 谈话：党组织收到入党申请书后，在一个月内派人同申请人谈话，了解基本情况。\n\n"
        "4. 此后需经过入党积极分子培养、发展对象考察、预备党员考察等程序，详情请咨询所在支部。",
        "Anyone aged 18 or over who accepts the Party's programme and Constitution and is willing to work in one "
        "of its organisations, carry out its decisions and pay dues may apply. Hand your written application to "
        "the Party organisation where you work or study; if there is none, to the one where you live.\n\n"
        "Within a month of receiving it, the Party organisation sends someone to talk with you. Training as an "
        "activist, review as a candidate and a probationary period follow; your branch will explain each step.",
    ),
)


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


SCREENS: dict[str, Callable[[KioskContext], Screen]] = {
    "services": ServicesScreen,
    "dues": DuesScreen,
    "contacts": ContactsScreen,
    "office": OfficeHoursScreen,
}

"""党费计算 (:class:`DuesScreen`): pick a category with big toggles, type the after-tax monthly pay on
the keypad, and read the monthly and yearly dues, the rate and the band; the table of bands marks the
one that applies. Input the calculator cannot use (nothing typed, an absurd amount) gives a plain
message, never an exception. The keypad has no decimal point: whole yuan is enough to find the band,
and the dues are computed exactly (``Decimal``) by ``core.dues``."""

from __future__ import annotations

from decimal import Decimal

import pygame

from core import members
from core.dues import (
    EMPLOYED_BANDS,
    FIXED_MONTHLY,
    RETIRED_BANDS,
    Dues,
    DuesError,
    monthly_dues,
    parse_amount,
)
from kiosk.context import KioskContext
from kiosk.screens.services.common import pair
from kiosk.screens.services.widgets import Heading, ToggleButton
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, split_columns, split_rows, take_bottom, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.keypad import OK, NumericKeypad

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
                member = members.by_number(s, number)
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
        self.keypad = self.add(PayKeypad(box, th, max_length=10, decimals=2, on_submit=self.submit, on_change=self.changed,
                                         placeholder=ctx.t("单位：元，如 8500", "In yuan, e.g. 8500")))
        for key in self._value:
            self.keypad.press(key)
        self.result = self.add(DuesResult(result, th, ctx))
        self.table = self.add(BandTable(table, th, ctx))
        self.recompute()

    # -- behaviour ----------------------------------------------------------------------------------
    def prefill(self, pay: str, category: str) -> None:
        """Show a calculation the assistant made (a DuesAsked event): the category and the pay typed in."""
        digits = "".join(c for c in pay if c.isdigit() or c == ".")
        self._value = digits
        if self.widgets:
            self.keypad.value = digits
            self.keypad._sync()
        self.set_category("学生" if category == "无业" else category)
        if self.widgets:
            self.recompute(submitted=bool(digits))

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

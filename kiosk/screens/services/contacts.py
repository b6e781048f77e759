"""通讯录 (:class:`ContactsScreen`): branches (secretary, phone, meeting place) and committee members
(anyone whose role is not plain 党员) with phones. A full IME is out of scope at a kiosk, so the
directory is searched by typing digits of a phone number, by tapping a branch, or by a surname's
pinyin initial (:func:`name_initial`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pygame

from core import directory
from kiosk.context import KioskContext
from kiosk.screens.services.common import digits, pair
from kiosk.screens.services.widgets import Heading
from kiosk.ui.drawing import draw_text, line_height, measurer, text_width
from kiosk.ui.layout import grid, inset, split_columns, take_bottom, take_left, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import MIN_GAP, MIN_TARGET
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.dialog import Dialog
from kiosk.ui.widgets.keypad import NumericKeypad
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ScrollList

try:  # optional: the pinyin-initial filter falls back to English names, or is left out
    from pypinyin import Style, lazy_pinyin
except ImportError:  # pragma: no cover - depends on the installation
    lazy_pinyin = None  # type: ignore[assignment]
    Style = None  # type: ignore[assignment,misc]


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
        branches = directory.branches(s)
        members = directory.active_members(s)
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

"""党员登录 (:class:`LoginScreen`): member number then PIN on the numeric keypad, checked with
:func:`core.secrets.check_member_pin` — the same persisted, escalating lockout as sign-in (per number and per
terminal, kept in the database, so leaving the screen or restarting lifts nothing; every failure audited).
Nothing is looked up between the two steps: an unknown number, a member without a PIN and a wrong PIN get
the same answer, and the name appears only once the PIN is right, so nobody can list members here either.
Identification is only needed for history and points, so the hub, the articles and the history screen all
push this screen when they need it."""

from __future__ import annotations

from collections.abc import Callable

import pygame

from core.members import first_active
from core.secrets import PIN_MAX, check_member_pin
from kiosk.context import KioskContext
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import member_candidates
from kiosk.screens.learning.widgets import Run, TextBlock
from kiosk.screens.services.common import office_names
from kiosk.ui.layout import inset, split_columns, take_top
from kiosk.ui.widgets import NumericKeypad


class LoginScreen(CardScreen):
    """党员登录: member number (the digits of "M0101", or all of it) then the PIN, both on the keypad."""

    def __init__(self, ctx: KioskContext, then: Callable[[], object] | None = None) -> None:
        super().__init__(ctx, "login")
        self.title = ctx.t("党员登录", "Member sign-in")
        self.then = then
        self.step = "number"  # "number" | "pin"
        self.typed = ""  # step 1 as typed: looked up only with the PIN, in step 2
        self.number: str | None = None  # the member number as typed ("0101" → "M0101"), not looked up
        self.message = ""
        self.message_bad = False
        self.keypad: NumericKeypad | None = None
        self.info: TextBlock | None = None

    def _runs(self) -> list[Run]:
        ctx = self.ctx
        assert self.theme is not None
        p = self.theme.palette
        if self.step == "number":
            step = ctx.t("第 1 步 / 共 2 步：党员编号", "Step 1 of 2: member number")
            how = ctx.t("请输入党员编号中的数字，如 M0101 输入 0101", "Type the digits of your member number, "
                        "e.g. 0101 for M0101")
        else:
            step = ctx.t("第 2 步 / 共 2 步：PIN 密码", "Step 2 of 2: PIN")
            how = ctx.t(f"党员编号 {self.number}，请输入您的 PIN", f"Member {self.number}: enter your PIN")
        runs = [Run(step, "heading", True, p.red), Run(how, "body", gap_before=self.theme.spacing.gap)]
        if self.message:
            color = p.bad.text if self.message_bad else p.ok.text
            runs.append(Run(self.message, "body", True, color, gap_before=self.theme.spacing.gap,
                            mark="bad" if self.message_bad else None))
        office_zh, office_en = office_names(ctx)
        runs.append(Run(ctx.t(f"练习答题无需登录。登录后可查看成绩记录、累计学习积分。未设置 PIN 的党员请联系{office_zh}。",
                              "Practice needs no sign-in. Sign in to see your results and earn points. "
                              f"No PIN yet? Ask the {office_en} ({office_zh})."),
                        "small", color=p.ink_muted, gap_before=self.theme.spacing.gap * 2))
        return runs

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        area = inset(self.rect, sp.pad)
        pad_w = min(area.w, round(560 * t.scale) + 2 * sp.target)
        pad_h = min(round(pad_w * 1.35), area.h if not t.portrait else round(area.h * 0.62))
        if t.portrait:
            info_rect, rest = take_top(area, area.h - pad_h - sp.gap * 2, sp.gap * 2)
            box = pygame.Rect(0, 0, pad_w, pad_h)
            box.midtop = (rest.centerx, rest.y)
        else:
            left, right = split_columns(area, [1.25, 1], sp.gap * 3)
            info_rect = left
            box = pygame.Rect(0, 0, min(pad_w, right.w), min(pad_h, right.h))
            box.center = right.center
        self.cards.append(info_rect)
        self.info = self.add(TextBlock(info_rect, t, self._runs(), padding=sp.pad))
        if self.step == "number":
            self.keypad = self.add(NumericKeypad(box, t, max_length=6, on_submit=self._submit_number,
                                                 on_change=self._typing, placeholder=self.t("如 0101", "e.g. 0101")))
        else:
            self.keypad = self.add(NumericKeypad(box, t, max_length=PIN_MAX, masked=True, on_submit=self._submit_pin,
                                                 on_change=self._typing))

    def _say(self, text: str, bad: bool = True) -> None:
        self.message, self.message_bad = text, bad
        if self.info is not None:
            self.info.set_runs(self._runs())

    def _typing(self, value: str) -> None:
        if self.step == "number" and value:
            self._say(self.t(f"党员编号：{member_candidates(value)[0]}", f"Member number: "
                             f"{member_candidates(value)[0]}"), bad=False)
        elif self.message_bad:
            self._say("")

    def _submit_number(self, value: str) -> None:
        candidates = member_candidates(value)
        if not candidates:
            return
        self.typed, self.number = value, candidates[0]  # nothing looked up: see the module docstring
        self.step = "pin"
        self.message = ""
        self.rebuild()

    def _submit_pin(self, pin: str) -> None:
        assert self.keypad is not None and self.nav is not None
        now = self.ctx.now()
        with self.ctx.session() as s:
            member = first_active(s, member_candidates(self.typed))
            number = member.number if member is not None else (self.number or "")
            check = check_member_pin(s, number, member, pin, terminal_id=self.ctx.terminal.terminal_id, now=now,
                                     purpose="learning")
            name = member.name if check.ok else ""
        if not check.ok:  # committed: the failure, its lockout and its audit row
            self.keypad.clear()
            zh, en = check.message(now)
            if check.locked_until is not None:
                self.nav.pop()
                self.nav.notify(self.t(zh, en), tag=self.t("登录失败", "Sign-in"))
                return
            self._say(self.t(zh, en))
            return
        v = self.ctx.visitor
        v.member_number, v.member_name = number, name
        then = self.then
        self.nav.pop()
        self.nav.notify(self.t(f"欢迎您，{name}同志", f"Welcome, {name}"), tag=self.t("已登录", "Signed in"),
                        duration=3.0)
        if then is not None:
            then()

    def on_back(self) -> bool:
        if self.step == "pin":
            self.step, self.number, self.typed, self.message = "number", None, "", ""
            self.rebuild()
            return True
        return False

"""党员登录 (:class:`LoginScreen`): member number then PIN on the numeric keypad, checked with
:func:`core.secrets.verify_pin`. Identification is only needed for history and points, so the hub,
the articles and the history screen all push this screen when they need it."""

from __future__ import annotations

from collections.abc import Callable

import pygame
from sqlalchemy import select

from core.models import Member
from core.secrets import verify_pin
from kiosk.context import KioskContext
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import MAX_PIN_TRIES, find_member, member_candidates
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
        self.number: str | None = None  # the member number found in step 1
        self.failures = 0
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
            self.keypad = self.add(NumericKeypad(box, t, max_length=6, masked=True, on_submit=self._submit_pin,
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
        with self.ctx.session() as s:
            member = find_member(s, value)
            found = member is not None
            has_pin = bool(member and member.pin_hash)
            number = member.number if member else member_candidates(value)[0]
        assert self.keypad is not None
        if not found:
            self.keypad.clear()
            self._say(self.t(f"未找到党员编号 {number}，请核对后重新输入", f"No member {number}; please check"))
            return
        if not has_pin:
            self.keypad.clear()
            self._say(self.t(f"党员编号 {number} 尚未设置 PIN，请联系党群工作部设置",
                             f"Member {number} has no PIN yet: please ask the Party affairs office (党群工作部)"))
            return
        self.number = number
        self.step = "pin"
        self.message = ""
        self.rebuild()

    def _submit_pin(self, pin: str) -> None:
        assert self.keypad is not None and self.nav is not None
        with self.ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == self.number)).first()
            ok = member is not None and verify_pin(pin, member.pin_hash)
            name = member.name if member else ""
            number = member.number if member else None
        if not ok:
            self.failures += 1
            self.keypad.clear()
            left = MAX_PIN_TRIES - self.failures
            if left <= 0:
                self.nav.pop()
                self.nav.notify(self.t("PIN 错误次数过多，请稍后再试或联系党群工作部",
                                       "Too many wrong PINs; try again later"), tag=self.t("登录失败", "Sign-in"))
                return
            self._say(self.t(f"PIN 不正确，还可以再试 {left} 次", f"Wrong PIN; {left} tries left"))
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
            self.step, self.number, self.message = "number", None, ""
            self.rebuild()
            return True
        return False

"""The hidden administrator entry: PIN keypad, then a panel with sync, screenshot, clear urgent notice,
restart and exit. Reached only by holding a corner for 5 seconds — there is no keyboard escape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from core import content
from core.audit import audit
from kiosk.admin_lock import AdminLock
from kiosk.context import KioskContext
from kiosk.ui.layout import split_columns, split_rows, take_top, tile_grid
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.keypad import NumericKeypad
from kiosk.ui.widgets.label import Label


class AdminPinScreen(Screen):
    def __init__(self, ctx: KioskContext, lock: AdminLock, on_unlocked: Callable[[], object]) -> None:
        super().__init__("admin_pin")
        self.ctx, self.lock, self.on_unlocked = ctx, lock, on_unlocked
        self.title = ctx.t("管理员", "Administrator")
        self.message = ctx.t("请输入管理员密码", "Enter the administrator PIN")

    def build(self) -> None:
        th = self.theme
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, th.spacing.target, th.spacing.gap)
        self.label = self.add(Label(top, th, self.message, role="title", align="center"))
        width = min(rest.w, int(th.spacing.target * 6))
        keypad_rect = rest.copy()
        keypad_rect.w = width
        keypad_rect.centerx = rest.centerx
        keypad_rect.h = min(rest.h, int(width * 1.4))
        self.keypad = self.add(NumericKeypad(keypad_rect, th, max_length=12, masked=True, on_submit=self.submit))

    def submit(self, pin: str) -> None:
        result = self.lock.try_unlock(pin, self.ctx.now())
        self.message = self.ctx.t(result.message_zh, result.message_en)
        self.label.set_text(self.message)
        self.keypad.value = ""
        self.keypad.invalidate()
        if result.ok:
            self.on_unlocked()


class AdminPanelScreen(Screen):
    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_panel")
        self.ctx = ctx
        self.title = ctx.t("管理面板", "Admin panel")

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, th.spacing.target * 2, th.spacing.gap)
        info = [f"{ctx.t('终端', 'Terminal')}: {ctx.terminal.terminal_id}",
                f"{ctx.t('最后同步', 'Last sync')}: "
                f"{ctx.date_text(ctx.last_sync, True) if ctx.last_sync else ctx.t('无', 'never')}"]
        hall_error = ctx.actions.get("hall_last_error")
        error = hall_error() if hall_error is not None else None
        row = top
        if error is not None:  # why the hall tile says unavailable (or why a visitor was sent home), full width
            row, below = split_rows(top, [1, 1], th.spacing.unit)
            when = ctx.date_text(datetime.fromtimestamp(error["at"], UTC), True)
            self.add(Label(below, th, f"{ctx.t('展厅最后错误', 'Last hall error')}: {when} "
                                      f"{str(error.get('error', ''))[:160]}", role="body"))
        for rect, text in zip(split_columns(row, [1, 1], th.spacing.gap), info, strict=True):
            self.add(Label(rect, th, text, role="body"))
        actions = [
            ("sync", ctx.t("立即同步", "Sync now")),
            ("screenshot", ctx.t("截屏", "Screenshot")),
            ("clear_urgent", ctx.t("解除紧急通知", "Clear urgent notice")),
            ("admin_signin", ctx.t("管理员代签到", "Sign in a member")),
            ("member_pin", ctx.t("设置党员 PIN", "Set a member's PIN")),
            ("restart", ctx.t("重启程序", "Restart")),
            ("exit", ctx.t("退出程序", "Exit")),
        ]
        for rect, (key, label) in zip(tile_grid(rest, len(actions), gap=th.spacing.gap, min_size=th.spacing.target),
                                      actions, strict=True):
            self.add(Button(rect, th, label, lambda k=key: self.run(k), kind="secondary" if key != "exit" else "primary"))

    def run(self, key: str) -> None:
        if key == "clear_urgent":
            with self.ctx.session() as s:
                item = content.active_urgent(s, self.ctx.now())
                if item is not None:
                    item.cleared_at = self.ctx.now()
                    audit(s, "admin", "notice.clear_urgent", f"content:{item.id}", self.ctx.terminal.terminal_id)
            self.nav.notify(self.ctx.t("紧急通知已解除", "Urgent notice cleared"), tag=self.ctx.t("管理", "Admin"))
            return
        if key == "admin_signin":
            self.nav.push(AdminSignInScreen(self.ctx))
            return
        if key == "member_pin":
            self.nav.push(AdminMemberPinScreen(self.ctx))
            return
        action = self.ctx.actions.get(key)
        if action is not None:
            action()


class AdminSignInScreen(Screen):
    """管理员代签到: after the PIN, an administrator signs in a member who cannot use the camera or has no
    PIN (the method is recorded as admin, the audit names the administrator). Committed before shown."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_signin")
        self.ctx = ctx
        self.title = ctx.t("管理员代签到", "Sign in a member")
        self.message = ""

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, th.spacing.target * 2, th.spacing.gap)
        meeting = self._meeting()
        head = (ctx.t("当前会议：", "Meeting: ") + f"【{meeting.type}】{ctx.t(meeting.title_zh, meeting.title_en)}"
                if meeting else ctx.t("当前没有进行中的会议", "No meeting is open now"))
        info, msg = split_rows(top, [1, 1], th.spacing.unit)
        self.add(Label(info, th, head, role="body"))
        self.label = self.add(Label(msg, th, self.message or ctx.t("输入党员编号（如 0101），点确定",
                                                                   "Enter the member number (e.g. 0101)"),
                                    role="body", color=th.palette.ink_muted))
        width = min(rest.w, int(th.spacing.target * 6))
        keypad_rect = rest.copy()
        keypad_rect.w, keypad_rect.centerx = width, rest.centerx
        keypad_rect.h = min(rest.h, int(width * 1.4))
        self.keypad = self.add(NumericKeypad(keypad_rect, th, max_length=8, on_submit=self.submit))

    def _meeting(self):
        from core.meetings import current_meetings

        with self.ctx.session() as s:
            meetings = current_meetings(s, self.ctx.now())
            return meetings[0] if meetings else None

    def submit(self, digits: str) -> None:
        from sqlalchemy import select

        from core.attendance import SignInError, sign_in
        from core.models import Meeting, Member

        ctx = self.ctx
        number = digits if digits.upper().startswith("M") else f"M{digits.zfill(4)}"
        meeting = self._meeting()
        with ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == number)).first()
            if meeting is None:
                self.message = ctx.t("当前没有进行中的会议", "No meeting is open now")
            elif member is None:
                self.message = ctx.t(f"没有编号为 {number} 的党员", f"No member numbered {number}")
            else:
                try:
                    result = sign_in(s, s.get(Meeting, meeting.id), member, method="admin",
                                     terminal_id=ctx.terminal.terminal_id, now=ctx.now(), admin="admin:kiosk")
                except SignInError as exc:
                    self.message = str(exc)
                else:
                    done = ctx.t("已签到过", "already signed in") if not result.created else ctx.t("代签到成功", "signed in")
                    self.message = f"{member.name}（{member.number}）{done}" + (ctx.t("，迟到", ", late")
                                                                            if result.late else "")
        self.label.set_text(self.message)
        self.keypad.value = ""
        self.keypad.invalidate()


class AdminMemberPinScreen(Screen):
    """设置党员 PIN: after the admin PIN, give a member the PIN for sign-in by number (a standalone site has
    no central roster to bring one): member number, the new PIN, the PIN again. 6-12 digits, too-simple
    PINs refused; the number's wrong-PIN lockout is cleared; audited (``member.pin_set``). The PIN is shown
    masked and kept only as a scrypt hash."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_member_pin")
        self.ctx = ctx
        self.title = ctx.t("设置党员 PIN", "Set a member's PIN")
        self.step = "number"
        self.number: str | None = None
        self.first_pin = ""
        self.message = ""

    def _prompt(self) -> str:
        ctx = self.ctx
        if self.step == "number":
            return ctx.t("输入党员编号（如 0101），点确定", "Enter the member number (e.g. 0101)")
        if self.step == "pin":
            return ctx.t(f"为 {self.number} 输入新的 PIN（6-12 位数字）", f"New PIN for {self.number} (6-12 digits)")
        return ctx.t(f"再次输入 {self.number} 的新 PIN", f"The new PIN for {self.number} again")

    def build(self) -> None:
        th = self.theme
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, th.spacing.target * 2, th.spacing.gap)
        info, msg = split_rows(top, [1, 1], th.spacing.unit)
        self.add(Label(info, th, self._prompt(), role="body"))
        self.label = self.add(Label(msg, th, self.message, role="body", color=th.palette.ink_muted))
        width = min(rest.w, int(th.spacing.target * 6))
        keypad_rect = rest.copy()
        keypad_rect.w, keypad_rect.centerx = width, rest.centerx
        keypad_rect.h = min(rest.h, int(width * 1.4))
        self.keypad = self.add(NumericKeypad(keypad_rect, th, max_length=8 if self.step == "number" else 12,
                                             masked=self.step != "number", on_submit=self.submit))

    def _go(self, step: str, message: str = "") -> None:
        self.step, self.message = step, message
        if self.nav is not None:
            self.layout(self.rect)

    def submit(self, digits: str) -> None:
        from sqlalchemy import select

        from core.models import Member
        from core.secrets import MEMBER_PIN, MEMBER_PIN_MIN, Lockout, PinError, check_pin_format, hash_pin

        ctx = self.ctx
        if self.step == "number":
            number = digits if digits.upper().startswith("M") else f"M{digits.zfill(4)}"
            with ctx.session() as s:
                member = s.scalars(select(Member).where(Member.number == number)).first()
            if member is None:
                self._go("number", ctx.t(f"没有编号为 {number} 的党员", f"No member numbered {number}"))
            else:
                self.number = number
                self._go("pin")
            return
        if self.step == "pin":
            try:
                pin = check_pin_format(digits, MEMBER_PIN_MIN)
                if len(set(pin)) == 1 or pin in "01234567890" or pin in "09876543210":
                    raise PinError("PIN 过于简单（如 111111、123456） / too easy to guess (like 111111 or 123456)")
            except PinError as exc:
                zh, _, en = str(exc).partition(" / ")
                self._go("pin", ctx.t(zh, en or zh))
                return
            self.first_pin = pin
            self._go("again")
            return
        if digits != self.first_pin:
            self.first_pin = ""
            self._go("pin", ctx.t("两次输入不一致，请重新输入", "The two PINs differ: enter the new PIN again"))
            return
        with ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == self.number)).first()
            member.pin_hash = hash_pin(self.first_pin, MEMBER_PIN_MIN)
            Lockout(f"pin:{member.number}", MEMBER_PIN).clear(s)
            audit(s, "admin:kiosk", "member.pin_set", f"member:{member.number}", ctx.terminal.terminal_id)
        done = self.number
        self.number, self.first_pin = None, ""
        self._go("number", ctx.t(f"已为 {done} 设置 PIN", f"PIN set for {done}"))

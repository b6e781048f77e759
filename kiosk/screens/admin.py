"""The hidden administrator entry: PIN keypad, then a panel with sync, screenshot, clear urgent notice,
代签到, member PINs, restart and exit. Reached only by holding a corner for 5 seconds — there is no
keyboard escape.

Bilingual like every screen: each label and button carries both languages, the kiosk's language first
in the larger type and the other one under it (Chinese first on a Chinese kiosk) — the person holding
the admin PIN may be the site's English-speaking technician. Restart and exit ask first and are audited
(who, why) before the loop is asked to stop, so the log says why a terminal went dark.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pygame

from core import content
from core.attendance import SignInError, sign_in
from core.audit import audit
from core.meetings import current_meetings
from core.member_pins import check_new_pin, set_member_pin
from core.members import by_number
from core.models import Meeting
from core.secrets import PinError
from kiosk.admin_lock import AdminLock
from kiosk.context import KioskContext
from kiosk.ui.drawing import draw_text, line_height, measurer
from kiosk.ui.layout import split_columns, split_rows, take_top, tile_grid
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.bilingual import BiButton, BiKeypad
from kiosk.ui.widgets.dialog import Dialog

#: Who the audit log names for what is done on the panel: whoever knows this terminal's admin PIN.
ACTOR = "admin:kiosk"


def pair(ctx: KioskContext, zh: str, en: str) -> tuple[str, str]:
    """(first, second): the kiosk's language first, the other one under it."""
    return (en, zh) if ctx.lang == "en" and en else (zh, en)


def member_number(digits: str) -> str:
    """The member number typed on the keypad: "101" → "M0101" (one typed with its M is kept)."""
    return digits if digits.upper().startswith("M") else f"M{digits.zfill(4)}"


def halves(message: str) -> tuple[str, str]:
    """(zh, en) of a core message written "中文 / English" (the English half empty when there is none)."""
    zh, sep, en = message.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (message, "")


class BiLabel(Widget):
    """Two lines centred on ``rect``'s height: ``text`` in ``role`` type (shrunk to fit before any
    ellipsis) and ``second``, the other language, in the small muted type under it."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, text: str, second: str = "",
                 *, role: str = "body", align: str = "left") -> None:
        super().__init__(rect, theme)
        self.text, self.second, self.role, self.align = text, second, role, align

    def set_text(self, text: str, second: str = "") -> None:
        if (text, second) != (self.text, self.second):
            self.text, self.second = text, second
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        first = t.fit_font(self.text, self.rect.w, self.role, "body" if self.role != "body" else "small")
        small = t.font("small")
        gap = t.spacing.unit // 2
        height = line_height(first) + (gap + line_height(small) if self.second else 0)
        y = self.rect.centery - height // 2
        anchor = "midtop" if self.align == "center" else "topleft"
        x = self.rect.centerx if self.align == "center" else self.rect.x
        draw_text(surface, first, ellipsize(self.text, self.rect.w, measurer(first)), (x, y), t.palette.ink, anchor)
        if self.second:
            draw_text(surface, small, ellipsize(self.second, self.rect.w, measurer(small)),
                      (x, y + line_height(first) + gap), t.palette.ink_muted, anchor)


def keypad_rect(rest: pygame.Rect, theme: Theme) -> pygame.Rect:
    width = min(rest.w, int(theme.spacing.target * 6))
    rect = rest.copy()
    rect.w, rect.centerx = width, rest.centerx
    rect.h = min(rest.h, int(width * 1.4))
    return rect


class AdminPinScreen(Screen):
    def __init__(self, ctx: KioskContext, lock: AdminLock, on_unlocked: Callable[[], object]) -> None:
        super().__init__("admin_pin")
        self.ctx, self.lock, self.on_unlocked = ctx, lock, on_unlocked
        self.title = ctx.t("管理员", "Administrator")
        self.said = pair(ctx, "请输入管理员密码", "Enter the administrator PIN")

    @property
    def message(self) -> str:
        """What the screen says now, both languages (first line the kiosk's)."""
        return "\n".join(x for x in self.said if x)

    def build(self) -> None:
        th = self.theme
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, int(th.spacing.target * 1.5), th.spacing.gap)
        self.label = self.add(BiLabel(top, th, *self.said, role="title", align="center"))
        self.keypad = self.add(BiKeypad(keypad_rect(rest, th), th, max_length=12, masked=True, on_submit=self.submit,
                                        lang=self.ctx.lang))

    def submit(self, pin: str) -> None:
        result = self.lock.try_unlock(pin, self.ctx.now())
        self.said = pair(self.ctx, result.message_zh, result.message_en)
        self.label.set_text(*self.said)
        self.keypad.value = ""
        self.keypad.invalidate()
        if result.ok:
            self.on_unlocked()


class AdminPanelScreen(Screen):
    ACTIONS = (  # key, zh, en — the order the soak test taps them in (sync, screenshot, clear, sign-in)
        ("sync", "立即同步", "Sync now"),
        ("screenshot", "截屏", "Screenshot"),
        ("clear_urgent", "解除紧急通知", "Clear urgent notice"),
        ("admin_signin", "管理员代签到", "Sign in a member"),
        ("member_pin", "设置党员 PIN", "Set a member's PIN"),
        ("restart", "重启程序", "Restart"),
        ("exit", "退出程序", "Exit"),
    )
    #: What the confirmation says and what the audit log records for the two that stop the loop.
    STOPS = {
        "restart": ("kiosk.restart", "重启程序？", "Restart the program?",
                    "程序退出后由系统自动重新启动（约 10 秒）。", "It quits and the system starts it again (about 10 s).",
                    "重启", "Restart"),
        "exit": ("kiosk.exit", "退出程序？", "Exit the program?",
                 "程序退出，屏幕回到系统桌面，直到有人再次启动它。",
                 "It quits to the desktop until someone starts it again.", "退出", "Exit"),
    }

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_panel")
        self.ctx = ctx
        self.title = ctx.t("管理面板", "Admin panel")
        self.buttons: dict[str, BiButton] = {}

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        top, rest = take_top(area, th.spacing.target * 2, th.spacing.gap)
        sync = ctx.date_text(ctx.last_sync, True) if ctx.last_sync else None
        info = [pair(ctx, f"终端：{ctx.terminal.terminal_id}", f"Terminal: {ctx.terminal.terminal_id}"),
                pair(ctx, f"最后同步：{sync or '无'}", f"Last sync: {sync or 'never'}")]
        hall_error = ctx.actions.get("hall_last_error")
        error = hall_error() if hall_error is not None else None
        row = top
        if error is not None:  # why the hall tile says unavailable (or why a visitor was sent home), full width
            row, below = split_rows(top, [1, 1], th.spacing.unit)
            when = ctx.date_text(datetime.fromtimestamp(error["at"], UTC), True)
            what = str(error.get("error", ""))[:160]
            self.add(BiLabel(below, th, *pair(ctx, f"展厅最后错误：{when} {what}", f"Last hall error: {when} {what}")))
        for rect, (first, second) in zip(split_columns(row, [1, 1], th.spacing.gap), info, strict=True):
            self.add(BiLabel(rect, th, first, second))
        self.buttons = {}
        for rect, (key, zh, en) in zip(tile_grid(rest, len(self.ACTIONS), gap=th.spacing.gap,
                                                 min_size=th.spacing.target), self.ACTIONS, strict=True):
            self.buttons[key] = self.add(BiButton(rect, th, *pair(ctx, zh, en), lambda k=key: self.run(k),
                                                  kind="secondary" if key != "exit" else "primary"))

    def run(self, key: str) -> None:
        ctx = self.ctx
        if key == "clear_urgent":
            with ctx.session() as s:
                item = content.active_urgent(s, ctx.now())
                if item is not None:
                    item.cleared_at = ctx.now()
                    audit(s, "admin", "notice.clear_urgent", f"content:{item.id}", ctx.terminal.terminal_id)
            self.nav.notify(" · ".join(pair(ctx, "紧急通知已解除", "Urgent notice cleared")), tag=ctx.t("管理", "Admin"))
            return
        if key == "admin_signin":
            self.nav.push(AdminSignInScreen(ctx))
            return
        if key == "member_pin":
            self.nav.push(AdminMemberPinScreen(ctx))
            return
        if key in self.STOPS:
            self.confirm_stop(key)
            return
        action = ctx.actions.get(key)
        if action is not None:
            action()

    def confirm_stop(self, key: str) -> Dialog:
        """Restart and exit end the kiosk: asked first (one stray tap must not take a terminal down),
        then audited with who and why before the loop is asked to stop."""
        ctx = self.ctx
        action, title_zh, title_en, why_zh, why_en, go_zh, go_en = self.STOPS[key]
        first, second = pair(ctx, title_zh, title_en)
        body = "\n".join(pair(ctx, why_zh, why_en)) + "\n" + "\n".join(
            pair(ctx, "此操作将记入审计日志。", "This is written to the audit log."))

        def stop() -> None:
            with ctx.session() as s:
                audit(s, ACTOR, action, "kiosk", ctx.terminal.terminal_id, reason="admin_panel",
                      reason_text=f"{title_zh} {title_en}", screen=self.name)
            stopper = ctx.actions.get(key)
            if stopper is not None:
                stopper()

        return self.nav.show_dialog(Dialog(self.theme, f"{first}  {second}", body,
                                           ((" ".join(pair(ctx, "取消", "Cancel")), None),
                                            (" ".join(pair(ctx, go_zh, go_en)), stop))))


class _Entry(Screen):
    """A keypad screen of the panel with a prompt line and a message line, both bilingual."""

    def __init__(self, name: str, ctx: KioskContext) -> None:
        super().__init__(name)
        self.ctx = ctx
        self.said: tuple[str, str] = ("", "")

    @property
    def message(self) -> str:
        return "\n".join(x for x in self.said if x)

    def say(self, zh: str, en: str = "") -> None:
        self.said = pair(self.ctx, zh, en) if zh else ("", "")

    def prompt(self) -> tuple[str, str]:
        raise NotImplementedError

    def build(self) -> None:
        self.entry(masked=False, max_length=8)

    def entry(self, masked: bool, max_length: int) -> None:
        """Prompt and message above the keypad (portrait), or beside it when the screen is wide: at
        1280×720 a keypad under two bilingual lines has keys too low for their English."""
        th = self.theme
        pad = th.spacing.pad
        area = self.rect.inflate(-2 * pad, -2 * pad)
        lines = th.spacing.target * 3
        if area.w >= area.h * 1.3:
            left, right = split_columns(area, [1, 1], th.spacing.gap * 2)
            text = pygame.Rect(left.x, left.y, left.w, min(left.h, lines))
            pad_rect = keypad_rect(right, th)
            pad_rect.centery = right.centery
        else:
            text, rest = take_top(area, lines, th.spacing.gap)
            pad_rect = keypad_rect(rest, th)
        info, msg = split_rows(text, [1, 1], th.spacing.unit)
        self.info = self.add(BiLabel(info, th, *self.prompt()))
        self.label = self.add(BiLabel(msg, th, *self.said))
        self.keypad = self.add(BiKeypad(pad_rect, th, max_length=max_length, masked=masked, on_submit=self.submit,
                                        lang=self.ctx.lang))

    def submit(self, digits: str) -> None:
        raise NotImplementedError


class AdminSignInScreen(_Entry):
    """管理员代签到: after the PIN, an administrator signs in a member who cannot use the camera or has no
    PIN (the method is recorded as admin, the audit names the administrator). Committed before shown."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_signin", ctx)
        self.title = ctx.t("管理员代签到", "Sign in a member")

    def prompt(self) -> tuple[str, str]:
        meeting = self._meeting()
        if meeting is None:
            return pair(self.ctx, "当前没有进行中的会议", "No meeting is open now")
        return pair(self.ctx, f"当前会议：【{meeting.type}】{meeting.title_zh}",
                    f"Meeting: {meeting.title_en or meeting.title_zh}")

    def build(self) -> None:
        if not any(self.said):
            self.say("输入党员编号（如 0101），点确定", "Enter the member number (e.g. 0101), then OK")
        self.entry(masked=False, max_length=8)

    def _meeting(self) -> Meeting | None:
        """The meeting a sign-in goes to: the first one open now (core.meetings decides which are)."""
        with self.ctx.session() as s:
            return next(iter(current_meetings(s, self.ctx.now())), None)

    def submit(self, digits: str) -> None:
        ctx = self.ctx
        number = member_number(digits)
        with ctx.session() as s:
            meeting = next(iter(current_meetings(s, ctx.now())), None)
            member = by_number(s, number)
            if meeting is None:
                self.say("当前没有进行中的会议", "No meeting is open now")
            elif member is None:
                self.say(f"没有编号为 {number} 的党员", f"No member numbered {number}")
            else:
                try:
                    result = sign_in(s, meeting, member, method="admin",
                                     terminal_id=ctx.terminal.terminal_id, now=ctx.now(), admin=ACTOR)
                except SignInError as exc:
                    self.say(*halves(str(exc)))
                else:
                    who = f"{member.name}（{member.number}）"
                    if not result.created:
                        self.say(f"{who}已签到过", f"{who} was already signed in")
                    else:
                        self.say(f"{who}代签到成功" + ("，迟到" if result.late else ""),
                                 f"{who} signed in" + (", late" if result.late else ""))
        self.label.set_text(*self.said)
        self.keypad.value = ""
        self.keypad.invalidate()


class AdminMemberPinScreen(_Entry):
    """设置党员 PIN: after the admin PIN, give a member the PIN for sign-in by number (a standalone site has
    no central roster to bring one): member number, the new PIN, the PIN again. 6-12 digits, too-simple
    PINs refused; the number's wrong-PIN lockout is cleared; audited (``member.pin_set``). The PIN is shown
    masked and kept only as a scrypt hash."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("admin_member_pin", ctx)
        self.title = ctx.t("设置党员 PIN", "Set a member's PIN")
        self.step = "number"
        self.number: str | None = None
        self.first_pin = ""

    def prompt(self) -> tuple[str, str]:
        if self.step == "number":
            return pair(self.ctx, "输入党员编号（如 0101），点确定", "Enter the member number (e.g. 0101), then OK")
        if self.step == "pin":
            return pair(self.ctx, f"为 {self.number} 输入新的 PIN（6-12 位数字）", f"New PIN for {self.number} (6-12 digits)")
        return pair(self.ctx, f"再次输入 {self.number} 的新 PIN", f"The new PIN for {self.number} again")

    def build(self) -> None:
        self.entry(masked=self.step != "number", max_length=8 if self.step == "number" else 12)

    def _go(self, step: str, zh: str = "", en: str = "") -> None:
        self.step = step
        self.say(zh, en)
        if self.nav is not None:
            self.layout(self.rect)

    def submit(self, digits: str) -> None:
        ctx = self.ctx
        if self.step == "number":
            number = member_number(digits)
            with ctx.session() as s:
                member = by_number(s, number)
            if member is None:
                self._go("number", f"没有编号为 {number} 的党员", f"No member numbered {number}")
            else:
                self.number = number
                self._go("pin")
            return
        if self.step == "pin":
            try:
                pin = check_new_pin(digits)
            except PinError as exc:
                self._go("pin", *halves(str(exc)))
                return
            self.first_pin = pin
            self._go("again")
            return
        if digits != self.first_pin:
            self.first_pin = ""
            self._go("pin", "两次输入不一致，请重新输入", "The two PINs differ: enter the new PIN again")
            return
        with ctx.session() as s:
            member = set_member_pin(s, self.number or "", self.first_pin, actor=ACTOR,
                                    terminal_id=ctx.terminal.terminal_id)
        done = self.number
        self.number, self.first_pin = None, ""
        if member is None:  # removed (a roster sync) between the number and the PIN
            self._go("number", f"没有编号为 {done} 的党员", f"No member numbered {done}")
            return
        self._go("number", f"已为 {done} 设置 PIN", f"PIN set for {done}")

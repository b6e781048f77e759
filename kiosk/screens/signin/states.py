"""The modes of the sign-in screen's person-facing panel, as one table (the pibooth style of state machine).

Each mode is a :class:`State`: what its panel says (``runs``), which widgets it builds (``panel``), what it
does every frame (``do``: time-outs, the result card's countdown, deferred events), when the person seems to
have walked away (``expired``) and what the back gesture does (``back``). The screen owns the data and the
transitions (``SignInScreen._go``); this table is the one place to read what a mode looks like and how it
ends. Adding a mode is adding a row, not another ``elif`` in five methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pygame

from kiosk.screens.signin.data import VERIFY_DIGITS, last_digits
from kiosk.screens.signin.widgets import ResultCard, Run, TextStack
from kiosk.ui.layout import inset, split_rows, take_bottom, take_left
from kiosk.ui.widgets import Button, NumericKeypad
from kiosk.ui.widgets.bilingual import BiKeypad

if TYPE_CHECKING:
    from kiosk.screens.signin.screen import SignInScreen

WAITING = "waiting"  # face the camera (or, without a camera, the number keypad: see SignInScreen._idle_mode)
LIVENESS = "liveness"  # blink or turn your head
CONFIRM = "confirm"  # 您是 张三 同志吗？ — tap your name
VERIFY = "verify"  # last digits of the chosen member's number
PENDING = "pending"  # IdentityConfirmed published; waiting for the worker's SignedIn
NUMBER = "number"  # fallback step 1: member number
PIN = "pin"  # fallback step 2: PIN
RESULT = "result"  # the result card

RESULT_S = 5.0  # the result card, then back to waiting
MIN_RESULT_S = 2.0  # a result card is never replaced sooner by the next person's prompt
PENDING_S = 10.0  # waiting for the worker's SignedIn after a confirmation
LIVENESS_S = 12.0  # the passive prompt, if nothing follows it (a challenge step: its seconds + 3)
CONFIRM_QUIET_S = 30.0  # a confirmation nobody answers
KEYPAD_QUIET_S = 45.0  # half-typed input nobody finishes
MAX_PIN_TRIES = 5
MAX_VERIFY_TRIES = 2


# ------------------------------------------------------------------------------------------- the panel's text
def waiting_runs(s: SignInScreen) -> list[Run]:
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    return [Run(ctx.t("请正对摄像头", "Please face the camera"), "heading", True, p.red),
            Run(ctx.t("识别后自动签到，无需触摸屏幕", "You will be signed in automatically"), "body", gap=sp.unit),
            Run(ctx.t("未能识别时，请点下方按钮用党员编号签到",
                      "Not recognised? Tap the button below to use your member number"), "small",
                color=p.ink_muted, gap=sp.gap)]


def liveness_runs(s: SignInScreen) -> list[Run]:
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    zh, _, en = s.prompt.partition(" / ")
    c = s.challenge
    if c is not None and c.step and zh and en:  # a challenge step: both languages, large
        head = ctx.t(f"活体验证 第 {c.index}/{c.total} 步", f"Liveness check, step {c.index} of {c.total}")
        other = en if ctx.lang != "en" else zh
        runs = [Run(head, "body", True, p.ink_muted),
                Run(ctx.t(zh, en), "number", True, p.red, gap=sp.unit),
                Run(other, "title", True, p.ink, gap=sp.unit)]
        left = seconds_left(s)
        if left is not None:
            runs.append(Run(ctx.t(f"请在 {left} 秒内完成", f"{left} s left"), "body", color=p.ink_muted,
                            gap=sp.gap))
        return runs
    return [Run(ctx.t(zh or "请眨眨眼或左右转头", en or "Please blink or turn your head"), "number", True, p.red),
            Run(ctx.t("请看着摄像头", "Keep looking at the camera"), "body", color=p.ink_muted, gap=sp.gap)]


def confirm_runs(s: SignInScreen) -> list[Run]:
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    if len(s.candidates) == 1:
        name = s.candidates[0][1]
        head = ctx.t(f"您是 {name} 同志吗？", f"Are you {name}?")
    else:
        head = ctx.t("您是以下哪位同志？", "Which of these are you?")
    return [Run(head, "heading", True, p.ink),
            Run(ctx.t(f"请点选您的姓名，再输入您党员编号的后 {VERIFY_DIGITS} 位确认",
                      f"Tap your name, then type the last {VERIFY_DIGITS} digits of your member number"),
                "body", color=p.ink_muted, gap=sp.unit)]


def pending_runs(s: SignInScreen) -> list[Run]:
    return [Run(s.ctx.t("正在签到，请稍候…", "Signing you in…"), "heading", True, s.theme.palette.red)]


def verify_runs(s: SignInScreen) -> list[Run]:
    if s.verify is None:
        return []
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    n = len(last_digits(s.verify[0]))
    return [Run(ctx.t("请确认身份", "Please confirm"), "title", True, p.red),
            Run(ctx.t(f"{s.verify[1]} 同志，请输入您党员编号的后 {n} 位",
                      f"{s.verify[1]}, type the last {n} digits of your member number"), "body", gap=sp.unit)]


def number_runs(s: SignInScreen) -> list[Run]:
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    return [Run(ctx.t("第 1 步：党员编号", "Step 1: member number"), "title", True, p.red),
            Run(ctx.t("请输入党员编号中的数字，如 M0101 输入 0101，然后按“确定”",
                      "Type the digits of your member number (0101 for M0101), then 确定"), "body", gap=sp.unit)]


def pin_runs(s: SignInScreen) -> list[Run]:
    ctx, p, sp = s.ctx, s.theme.palette, s.theme.spacing
    return [Run(ctx.t("第 2 步：PIN 密码", "Step 2: PIN"), "title", True, p.red),
            Run(ctx.t(f"党员编号 {s.pin_number}，请输入您的 PIN", f"Member number {s.pin_number}: enter your PIN"),
                "body", gap=sp.unit)]


def no_runs(s: SignInScreen) -> list[Run]:
    return []


def seconds_left(s: SignInScreen) -> int | None:
    """The liveness step's countdown in whole seconds, or None when there is none to show."""
    c = s.challenge
    if s.mode != LIVENESS or c is None or not c.step or c.seconds <= 0:
        return None
    return max(0, int(c.seconds - s.mode_s + 0.999))


# ----------------------------------------------------------------------------------------- the panel's widgets
def result_panel(s: SignInScreen, panel: pygame.Rect) -> None:
    if s.result is None:
        waiting_panel(s, panel)
        return
    row, card_rect = take_bottom(panel, s.theme.spacing.target, s.theme.spacing.gap)
    s.result_card = s.add(ResultCard(card_rect, s.theme, s.ctx, s.result))
    s.buttons["next"] = s.add(Button(row, s.theme, next_label(s), s.reset, kind="secondary"))


def next_label(s: SignInScreen) -> str:
    left = max(1, int(RESULT_S - s.mode_s + 0.999))
    return s.ctx.t(f"下一位（{left} 秒）", f"Next ({left} s)")


def keypad_panel(s: SignInScreen, panel: pygame.Rect) -> None:
    """NUMBER, PIN and VERIFY: what to type on the left, the keypad on the right."""
    th, sp = s.theme, s.theme.spacing
    info, pad_area = take_left(panel, round(panel.w * 0.44), sp.gap)
    s._panel_cards = [info]
    inner = inset(info, sp.pad)
    back = back_button_spec(s)
    if back is not None:
        row, inner = take_bottom(inner, sp.target, sp.gap)
        s.buttons["back"] = s.add(Button(row, th, back[0], back[1], kind="secondary"))
    s.info = s.add(TextStack(inner, th, s._runs()))
    box = pygame.Rect(0, 0, min(pad_area.w, round(620 * th.scale)), pad_area.h)
    box.midtop = pad_area.midtop
    s.keypad = s.add(make_keypad(s, box))


def make_keypad(s: SignInScreen, box: pygame.Rect) -> NumericKeypad:
    th, ctx = s.theme, s.ctx
    if s.mode == VERIFY:
        n = len(last_digits(s.verify[0])) if s.verify else VERIFY_DIGITS
        return BiKeypad(box, th, lang=ctx.lang, max_length=n, on_submit=s._submit_digits,
                        on_change=s._typed_digits, placeholder=ctx.t(f"编号后 {n} 位", f"last {n} digits"))
    if s.mode == PIN:
        return BiKeypad(box, th, lang=ctx.lang, max_length=12, masked=True, on_submit=s._submit_pin,
                        on_change=s._typed, placeholder=ctx.t("请输入 PIN", "PIN"))
    return BiKeypad(box, th, lang=ctx.lang, max_length=8, on_submit=s._submit_number, on_change=s._typed,
                    placeholder=ctx.t("如 0101", "e.g. 0101"))


def back_button_spec(s: SignInScreen) -> tuple[str, Callable[[], object]] | None:
    ctx = s.ctx
    if s.mode == VERIFY:
        return ctx.t("不是我 / 用工号签到", "Not me / use my number"), s.not_me
    if s.mode == PIN:
        return ctx.t("重新输入编号", "Change number"), s.use_keypad
    if s.face_available:
        return ctx.t("返回刷脸签到", "Back to face sign-in"), s.reset
    return None


def confirm_panel(s: SignInScreen, panel: pygame.Rect) -> None:
    """One big button per candidate (nearest first) and 不是我, under the question."""
    th, sp = s.theme, s.theme.spacing
    s._panel_cards = [panel]
    inner = inset(panel, sp.pad)
    tall = round(sp.target * 1.25)
    count = len(s.candidates) + 1
    rows, text = take_bottom(inner, count * tall + (count - 1) * sp.gap, sp.gap)
    cells = split_rows(rows, [1] * count, sp.gap)
    for i, ((number, name), cell) in enumerate(zip(s.candidates, cells, strict=False)):
        s.buttons[f"name:{number}"] = s.add(Button(
            cell, th, name, lambda n=number, nm=name: s.choose_candidate(n, nm),
            kind="primary" if i == 0 else "secondary", role="title"))
    s.buttons["not_me"] = s.add(Button(cells[-1], th, s.ctx.t("不是我 / 用工号签到", "Not me / use my number"),
                                       s.not_me, kind="quiet"))
    s.info = s.add(TextStack(text, th, s._runs(), valign="center"))


def waiting_panel(s: SignInScreen, panel: pygame.Rect) -> None:
    """WAITING, LIVENESS and PENDING: the words, big and centred, over the member-number button."""
    th, sp = s.theme, s.theme.spacing
    s._panel_cards = [panel]
    inner = inset(panel, sp.pad)
    row, text = take_bottom(inner, round(sp.target * 1.25), sp.gap)
    s.buttons["keypad"] = s.add(Button(row, th, s.ctx.t("用党员编号签到", "Sign in with member number"),
                                       s.use_keypad, kind="secondary", role="title"))
    s.info = s.add(TextStack(text, th, s._runs(), align="center", valign="center"))


# --------------------------------------------------------------------------------------- time: do and expired
def never(s: SignInScreen) -> bool:
    return False


def liveness_expired(s: SignInScreen) -> bool:
    c = s.challenge
    return s.mode_s >= (c.seconds + 3.0 if c is not None and c.step and c.seconds > 0 else LIVENESS_S)


def confirm_expired(s: SignInScreen) -> bool:
    return s.quiet_s >= CONFIRM_QUIET_S


def keypad_expired(s: SignInScreen) -> bool:
    left_over = s.typing or bool(s.message) or s.mode != s._idle_mode()
    return s.quiet_s >= KEYPAD_QUIET_S and left_over


def reset_when_expired(s: SignInScreen) -> bool:
    if STATES[s.mode].expired(s):
        s.reset()
    return False


def result_do(s: SignInScreen) -> bool:
    """Events held back while the card is read, then the countdown on 下一位; ends the frame's update."""
    if s.deferred and s.mode_s >= MIN_RESULT_S:
        events, s.deferred = s.deferred, []
        for e in events:
            s.on_event(e)
        if s.mode != RESULT:
            return True
    if s.mode_s >= RESULT_S:
        s.reset()
    elif "next" in s.buttons:
        s.buttons["next"].set_text(next_label(s))
    return True


def pending_do(s: SignInScreen) -> bool:
    if s.mode_s >= PENDING_S:
        s.track_id, s.verify, s.candidates = None, None, []
        s._go(NUMBER, s.ctx.t("刷脸签到未完成，请用党员编号签到",
                              "Face sign-in did not finish: please use your member number"))
    return False


def liveness_do(s: SignInScreen) -> bool:
    if liveness_expired(s):
        s.reset()
    elif s.info is not None:
        left = seconds_left(s)
        if left != s._shown_left:  # the step's countdown, once a second
            s._shown_left = left
            s.info.set_runs(s._runs())
    return False


# --------------------------------------------------------------------------------------------- the back gesture
def back_to_idle(s: SignInScreen) -> bool:
    if s.mode != s._idle_mode():
        s.reset()
        return True
    return False


def back_from_verify(s: SignInScreen) -> bool:
    if s.candidates:
        s._go(CONFIRM)
        return True
    return False


def back_from_pin(s: SignInScreen) -> bool:
    s.use_keypad()
    return True


# ------------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class State:
    """One mode of the panel; every hook takes the screen."""

    name: str
    runs: Callable[[SignInScreen], list[Run]]
    """The panel's words (the screen adds its message under them)."""
    panel: Callable[[SignInScreen, pygame.Rect], None]
    """Builds the panel's widgets into the given rect."""
    do: Callable[[SignInScreen], bool] = reset_when_expired
    """Every frame; True ends the frame's update there (the camera and refresh checks wait)."""
    expired: Callable[[SignInScreen], bool] = never
    """The person seems to have walked away from this step."""
    back: Callable[[SignInScreen], bool] = back_to_idle
    """The back gesture; True when it was used."""


STATES: dict[str, State] = {s.name: s for s in (
    State(WAITING, waiting_runs, waiting_panel, back=never),
    State(LIVENESS, liveness_runs, waiting_panel, do=liveness_do, expired=liveness_expired),
    State(CONFIRM, confirm_runs, confirm_panel, expired=confirm_expired),
    State(VERIFY, verify_runs, keypad_panel, expired=confirm_expired, back=back_from_verify),
    State(PENDING, pending_runs, waiting_panel, do=pending_do),
    State(NUMBER, number_runs, keypad_panel, expired=keypad_expired),
    State(PIN, pin_runs, keypad_panel, expired=keypad_expired, back=back_from_pin),
    State(RESULT, no_runs, result_panel, do=result_do),
)}

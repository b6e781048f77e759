"""会议签到: sign attendees in to the current 三会一课 meeting — by face, or by member number + PIN.

What the screen shows
  * top: the meeting(s) open for sign-in now (type, title, branch, place, time) and the attendance counter
    (已签到 present / 应到 expected, 迟到). Several open meetings are cards to choose from. With none open the
    page says "当前没有进行中的会议", names the next one, and offers no sign-in at all;
  * left (landscape) / top (portrait): the live camera preview from ``ctx.actions["camera_frame"]`` (a
    callable the app provides, returning the latest RGB frame or None), mirrored, with the face box and name
    from the latest ``FaceSeen`` — the name carries "？" until that member is signed in, since a match is a
    guess until then; without frames a calm placeholder "摄像头不可用，请使用工号签到" (not an error).
    Face sign-in counts as available only while the face worker reports its camera ``ok`` (``DeviceStatus``
    → ``ctx.status["camera"]``); otherwise the number keypad is the waiting state;
  * right / bottom: what the person must do now — the prompts of the face worker, the keypad fallback,
    and the result card.

The face worker decides and commits; this screen only shows and asks (front ends never call devices):
  * ``LivenessPrompt`` → the liveness challenge's current step, in large type in both languages (Chinese
    first): "请眨一下眼睛 / Please blink", then "请向左转头 / Turn your head to your left" (or right: the
    person's own side, which is the same side in the mirrored preview), with the step's number and the
    seconds left; also on the band over the preview. A prompt without a step (the passive check) reads
    "请眨眨眼或左右转头";
  * ``ConfirmIdentity`` → "您是 张三 同志吗？" with one big button per candidate (nearest first) and
    "不是我 / 用工号签到";
  * ``SignedIn`` (published by the worker only after ``core.attendance.sign_in`` committed) → the result card:
    name, branch, time, 迟到 when late, 已签到 when the member had signed in before. It goes back to the
    waiting state after 5 s (or on "下一位") for the next attendee;
  * ``FaceSignInFailed`` → its message and the member-number keypad.

Why a tap on a name is not enough (the confirmation UX)
  DESIGN measured that on East Asian faces about half of strangers land near *some* enrolled member, so a
  ``ConfirmIdentity`` is often shown to someone who is not the candidate. A bare "是我" button would let a
  stranger (or a colleague who looks alike, or someone who taps the first big button without reading) sign
  a member in. So tapping a name only selects it: the person must then type the **last 4 digits of that
  member's number** (all the digits when the number has fewer) on the keypad before ``IdentityConfirmed``
  is published. Members know their own number (they type it at every keypad here); a stranger or a
  look-alike usually does not know the candidate's. Typing is one short step (auto-checked at the 4th digit),
  needs no PIN — so members without a PIN can still be confirmed — and the face match still has to agree: the
  worker only accepts a confirmation for a candidate it offered to that face. Member numbers are not secret:
  this stops look-alikes and careless taps, not someone who resembles a colleague *and* knows their number
  (a site that needs that must ask for the PIN here instead). Two wrong tries end in the ordinary
  member number + PIN fallback; "不是我 / 用工号签到" goes there at once. Nothing is signed in on the screen's
  side for a face: it publishes ``IdentityConfirmed`` and waits (正在签到…) for the worker's ``SignedIn``
  (10 s, then the fallback with a message).

The fallback: member number (the digits of "M0101", or all of it) then PIN, checked with
``core.secrets.check_member_pin``; ``core.attendance.sign_in(method="pin")`` commits before the result card is
drawn, and ``SignedIn`` is then published on the bus like the worker's (so the rest of the terminal hears of
every sign-in). Nothing about the number is looked up or shown before the PIN is right: the PIN step shows
only the number as typed, and an unknown number, a member without a PIN and a wrong PIN get one and the
same message ("党员编号或 PIN 不正确…") — so a visitor cannot list members by typing numbers in sequence. The
member's name appears with the result. Wrong PINs are counted per number and per terminal in the database
(``core.secrets``: 5 free tries, then 1, 2, 4 … minutes; a restart forgets nothing), and every failure is
audited.

Someone typing on the keypad is not interrupted by a face passing the camera: prompts are ignored then, and a
``SignedIn`` for someone else only shows a banner. A result card stays at least 2 s before the next person's
prompt replaces it. Half-typed input is dropped after 45 s without a touch.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pygame
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.attendance import SignInError, attendance_summary, choose_meeting, on_roster, sign_in
from core.events import (
    ConfirmIdentity,
    DeviceStatus,
    Event,
    FaceSeen,
    FaceSignInFailed,
    IdentityConfirmed,
    LivenessPrompt,
    SignedIn,
)
from core.meetings import current_meetings, upcoming
from core.models import Attendance, Meeting, Member
from core.secrets import check_member_pin
from kiosk.context import KioskContext
from kiosk.qr_panel import QrPanel, QrWidget
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, split_columns, split_rows, take_bottom, take_left, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets import Button, NumericKeypad, Widget
from kiosk.ui.widgets.bilingual import BiKeypad
from kiosk.ui.widgets.button import Pressable

log = logging.getLogger(__name__)

# -- states of the person-facing panel
WAITING = "waiting"  # face the camera (or, without a camera, the number keypad: see _idle_mode)
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
REFRESH_S = 30.0  # re-read the open meetings and the counter (other terminals sign people in too)
BOX_S = 3.0  # a face box older than this is not drawn
PREVIEW_FPS = 12.0
MAX_PIN_TRIES = 5
MAX_VERIFY_TRIES = 2
VERIFY_DIGITS = 4
MAX_MEETINGS_SHOWN = 3

TYPE_EN = {"支部党员大会": "Branch general meeting", "支委会": "Branch committee", "党小组会": "Party group meeting",
           "党课": "Party lecture"}
METHOD_ZH = {"face": "刷脸签到", "pin": "工号签到", "admin": "管理员确认", "qr": "扫码签到"}
METHOD_EN = {"face": "face", "pin": "member number", "admin": "administrator", "qr": "QR code"}


# ------------------------------------------------------------------------------------------------ helpers
def number_candidates(typed: str) -> list[str]:
    """Member numbers to try for what was typed: ``"0101"`` → ``["M0101", "0101"]``."""
    text = typed.strip().upper()
    if not text:
        return []
    return [f"M{text}", text] if text.isdigit() else [text]


def find_active_member(session: Session, typed: str) -> Member | None:
    for number in number_candidates(typed):
        member = session.scalars(select(Member).options(selectinload(Member.branch))
                                 .where(Member.number == number, Member.active.is_(True))).first()
        if member is not None:
            return member
    return None


def last_digits(number: str, count: int = VERIFY_DIGITS) -> str:
    """The digits a person types to confirm ``number``: its last ``count`` digits ("M0101" → "0101")."""
    return re.sub(r"\D", "", number)[-count:]


def split_bilingual(ctx: KioskContext, message: str) -> str:
    """Messages from core and the worker read "中文 / English": keep the current language's half."""
    zh, sep, en = message.partition(" / ")
    return ctx.t(zh.strip(), en.strip()) if sep else message


def frame_to_surface(frame: Any) -> pygame.Surface | None:
    """An RGB (or RGBA) ``uint8`` array of shape (h, w, 3|4) as a pygame surface; None for anything else."""
    shape = getattr(frame, "shape", None)
    if shape is None or len(shape) != 3 or shape[2] < 3 or shape[0] < 2 or shape[1] < 2:
        return None
    data = frame[:, :, :3]
    if str(data.dtype) != "uint8":
        data = data.clip(0, 255).astype("uint8")
    return pygame.image.frombytes(data.tobytes(), (int(shape[1]), int(shape[0])), "RGB")


def draw_check(surface: pygame.Surface, center: tuple[int, int], diameter: int, fill: RGB, stroke: RGB) -> None:
    """A ✓ in a disc, drawn with lines (no font can turn it into tofu)."""
    cx, cy = center
    r = max(8, diameter // 2)
    pygame.draw.circle(surface, fill, center, r)
    pts = [(cx - r * 0.48, cy + r * 0.02), (cx - r * 0.12, cy + r * 0.38), (cx + r * 0.5, cy - r * 0.36)]
    pygame.draw.lines(surface, stroke, False, pts, max(4, r // 4))


def pill(surface: pygame.Surface, font, text: str, pos: tuple[int, int], fill: RGB, ink: RGB, pad: int,
         anchor: str = "topleft") -> pygame.Rect:
    """Text on a rounded pill; returns the pill's rect."""
    w, h = text_width(font, text) + 2 * pad, line_height(font) + pad
    r = pygame.Rect(0, 0, w, h)
    setattr(r, anchor, pos)
    pygame.draw.rect(surface, fill, r, border_radius=h // 2)
    draw_text(surface, font, text, r.center, ink, "center")
    return r


# ---------------------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class MeetingInfo:
    """What the screen shows of a meeting, read inside a session (no lazy loads later)."""

    id: int
    type: str
    title_zh: str
    title_en: str
    branch_zh: str
    branch_en: str
    place: str
    starts_at: datetime
    ends_at: datetime
    uuid: str = ""
    """The meeting across terminals and the central server (the QR code names it)."""

    @classmethod
    def of(cls, m: Meeting) -> MeetingInfo:
        return cls(m.id, m.type, m.title_zh, m.title_en or "", m.branch.name_zh, m.branch.name_en or "",
                   m.place_zh or "", m.starts_at, m.ends_at, m.uuid or "")


@dataclass(frozen=True)
class SignInCard:
    """The result card's content (read after the commit)."""

    meeting_id: int
    meeting_title: str
    number: str
    name: str
    branch: str
    signed_at: datetime
    method: str
    late: bool
    already: bool
    walk_in: bool = False
    """Not on the meeting's roster: signed in as 列席 (core.attendance.OFF_ROSTER)."""


@dataclass(frozen=True)
class Run:
    """One block of wrapped text in a :class:`TextStack`."""

    text: str
    role: str = "body"
    bold: bool = False
    color: RGB | None = None
    gap: int = 0
    spacing: float = 1.25


# ------------------------------------------------------------------------------------------------ widgets
class TextStack(Widget):
    """Runs of wrapped text stacked top-down; ``fits`` is False when the last ones had to be cut."""

    def __init__(self, rect, theme: Theme, runs: Sequence[Run] = (), *, align: str = "left",
                 valign: str = "top") -> None:
        super().__init__(rect, theme)
        self.runs = list(runs)
        self.align = align
        self.valign = valign

    def set_runs(self, runs: Sequence[Run]) -> None:
        if list(runs) != self.runs:
            self.runs = list(runs)
            self.dirty = True

    def text(self) -> str:
        return "\n".join(r.text for r in self.runs)

    def lines(self) -> tuple[list[tuple[Run, str, int, int]], int]:
        """(run, line, y offset, line height) for every line, and the total height."""
        out, y = [], 0
        for run in self.runs:
            font = self.theme.font(run.role, run.bold)
            lh = line_height(font, run.spacing)
            y += run.gap
            for line in wrap_text(run.text, max(1, self.rect.w), measurer(font)):
                out.append((run, line, y, lh))
                y += lh
        return out, y

    @property
    def fits(self) -> bool:
        return self.lines()[1] <= self.rect.h

    def draw(self, surface: pygame.Surface) -> None:
        lines, total = self.lines()
        shown = [ln for ln in lines if ln[2] + ln[3] <= self.rect.h] or lines[:1]
        cut = len(shown) < len(lines)
        top = self.rect.y + (max(0, self.rect.h - total) // 2 if self.valign == "center" else 0)
        for i, (run, line, y, lh) in enumerate(shown):
            font = self.theme.font(run.role, run.bold)
            text = line
            if cut and i == len(shown) - 1:
                text = ellipsize(line, self.rect.w, measurer(font), force=True)
            x = self.rect.x
            if self.align == "center":
                x = self.rect.centerx - text_width(font, text) // 2
            draw_text(surface, font, text, (x, top + y + (lh - line_height(font)) // 2),
                      run.color or self.theme.palette.ink)


class MeetingCard(Pressable):
    """One open meeting: 【type】title, then branch · place · time. Tappable when there is a choice."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, info: MeetingInfo, *, selected: bool,
                 choosable: bool, on_tap: Callable[[], object] | None = None) -> None:
        super().__init__(rect, theme, on_tap, enabled=choosable)
        self.ctx, self.info = ctx, info
        self.selected, self.choosable = selected, choosable

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def title_text(self) -> str:
        i, ctx = self.info, self.ctx
        kind = ctx.t(i.type, TYPE_EN.get(i.type, i.type))
        return ctx.t(f"【{kind}】{i.title_zh}", f"[{kind}] {i.title_en or i.title_zh}")

    def detail_text(self) -> str:
        """Time and state first: they must survive when a narrow card cuts the line."""
        i, ctx = self.info, self.ctx
        start, end = ctx.local(i.starts_at), ctx.local(i.ends_at)
        state = ctx.t("进行中", "in progress") if i.starts_at <= ctx.now() else ctx.t("即将开始", "starting soon")
        parts = [f"{start:%H:%M}–{end:%H:%M}", state, ctx.t(i.branch_zh, i.branch_en), i.place]
        return " · ".join(p for p in parts if p)

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        highlight = self.choosable and self.selected
        fill = p.surface_pressed if self.pressed else p.surface
        card(surface, self.rect, fill, sp.radius, border=p.red if highlight else p.divider,
             border_width=4 if highlight else 2)
        bar = pygame.Rect(self.rect.x + sp.unit, self.rect.y + sp.unit * 2, max(6, sp.unit), self.rect.h - sp.unit * 4)
        pygame.draw.rect(surface, p.red if (highlight or not self.choosable) else p.divider, bar, border_radius=3)
        x = bar.right + sp.gap
        w = self.rect.right - sp.gap - x
        title = self.title_text()
        # One size for every card when there is a choice (a shrunk title would look less important).
        tf = t.font("button", True) if self.choosable else t.fit_font(title, w, "title", "button", bold=True)
        bf = t.font("body")
        th, bh = line_height(tf), line_height(bf)
        room = max(1, (self.rect.h - 2 * sp.unit - th - sp.unit) // bh)  # detail lines that fit
        details = wrap_text(self.detail_text(), w, measurer(bf))
        if len(details) > room:
            details = details[:room]
            details[-1] = ellipsize(details[-1], w, measurer(bf), force=True)
        y = self.rect.centery - (th + sp.unit + bh * len(details)) // 2
        draw_text(surface, tf, ellipsize(title, w, measurer(tf)), (x, y), p.ink)
        y += th + sp.unit
        for line in details:
            draw_text(surface, bf, line, (x, y), p.ink_muted)
            y += bh


class Counter(Widget):
    """已签到 present / 应到 expected, with the late count."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, summary: dict[str, int]) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.summary = dict(summary)

    def set_summary(self, summary: dict[str, int]) -> None:
        if dict(summary) != self.summary:
            self.summary = dict(summary)
            self.dirty = True

    def texts(self) -> tuple[str, str, str]:
        s, ctx = self.summary, self.ctx
        late = s.get("late", 0)
        foot = ctx.t(f"应到 {s.get('expected', 0)} 人", f"expected {s.get('expected', 0)}")
        if late:
            foot += ctx.t(f" · 迟到 {late}", f" · late {late}")
        if s.get("walk_ins"):
            foot += ctx.t(f" · 列席 {s['walk_ins']}", f" · guests {s['walk_ins']}")
        return ctx.t("已签到", "Signed in"), f"{s.get('present', 0)} / {s.get('expected', 0)}", foot

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        card(surface, self.rect, p.surface, sp.radius, border=p.divider)
        label, number, foot = self.texts()
        inner = self.rect.w - 2 * sp.gap
        nf = t.fit_font(number, inner, "number", "title", bold=True)
        sf = t.font("small")
        heights = line_height(sf) + line_height(nf) + line_height(sf)
        y = self.rect.centery - heights // 2
        cx = self.rect.centerx
        draw_text(surface, sf, ellipsize(label, inner, measurer(sf)), (cx, y), p.ink_muted, "midtop")
        y += line_height(sf)
        draw_text(surface, nf, number, (cx, y), p.red, "midtop")
        y += line_height(nf)
        draw_text(surface, sf, ellipsize(foot, inner, measurer(sf)), (cx, y),
                  p.warn.text if self.summary.get("late") else p.ink_muted, "midtop")


class CameraPreview(Widget):
    """The latest camera frame (mirrored, like a mirror), the face box and name, and a prompt band.

    Frames come from ``ctx.actions["camera_frame"]`` at most ``PREVIEW_FPS`` times a second; without that
    action (or while it returns None) a placeholder says to use the member number instead.
    """

    def __init__(self, rect, theme: Theme, ctx: KioskContext) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.frame: pygame.Surface | None = None  # scaled to fit ``rect``
        self.frame_rect = pygame.Rect(0, 0, 0, 0)
        self.frame_size = (0, 0)  # camera pixels
        self.box: tuple[int, int, int, int] | None = None  # top, right, bottom, left (camera pixels)
        self.label = ""
        self.band = ""
        self._wait = 0.0
        self._failing = False

    @property
    def has_source(self) -> bool:
        return "camera_frame" in self.ctx.actions

    def set_face(self, box: tuple[int, int, int, int] | None, label: str) -> None:
        if (box, label) != (self.box, self.label):
            self.box, self.label = box, label
            self.dirty = True

    def set_band(self, text: str) -> None:
        if text != self.band:
            self.band = text
            self.dirty = True

    def poll(self) -> None:
        """Fetch and scale the latest frame now."""
        grab = self.ctx.actions.get("camera_frame")
        frame = None
        if grab is not None:
            try:
                frame = grab()
                self._failing = False
            except Exception:
                if not self._failing:
                    log.exception("camera_frame failed; showing the placeholder")
                self._failing = True
        surf = frame_to_surface(frame) if frame is not None else None
        if surf is None:
            if self.frame is not None:
                self.frame = None
                self.dirty = True
            return
        surf = pygame.transform.flip(surf, True, False)
        w, h = surf.get_size()
        scale = min(self.rect.w / w, self.rect.h / h)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        self.frame = pygame.transform.smoothscale(surf, size)
        self.frame_rect = pygame.Rect((0, 0), size)
        self.frame_rect.center = self.rect.center
        self.frame_size = (w, h)
        self.dirty = True

    def update(self, dt: float) -> None:
        self._wait -= dt
        if self._wait <= 0:
            self._wait = 1.0 / PREVIEW_FPS
            if self.has_source or self.frame is not None:
                self.poll()

    def placeholder_texts(self) -> list[Run]:
        ctx, p = self.ctx, self.theme.palette
        if self.has_source and ctx.status.get("camera") == "ok":
            head, sub = ctx.t("摄像头暂无画面", "No camera picture yet"), ctx.t("请稍候，或使用工号签到",
                                                                         "Please wait, or sign in with your number")
        else:
            head, sub = ctx.t("摄像头不可用", "Camera not available"), ctx.t("请使用工号签到",
                                                                     "Please sign in with your member number")
        return [Run(head, "title", True, p.ink), Run(sub, "body", color=p.ink_muted, gap=self.theme.spacing.unit)]

    def band_font(self):
        sp = self.theme.spacing
        return self.theme.fit_font(self.band, self.rect.w - 2 * sp.pad, "title", "body", bold=True)

    def band_rect(self) -> pygame.Rect:
        h = line_height(self.band_font()) + 2 * self.theme.spacing.gap
        return pygame.Rect(self.rect.x, self.rect.bottom - h, self.rect.w, h)

    def box_rect(self) -> pygame.Rect | None:
        """The face box on screen (mirrored like the frame), or None."""
        if self.box is None or self.frame is None or not self.frame_size[0]:
            return None
        top, right, bottom, left = self.box
        w = self.frame_size[0]
        s = self.frame_rect.w / w
        x0, x1 = (w - right) * s, (w - left) * s
        return pygame.Rect(round(self.frame_rect.x + x0), round(self.frame_rect.y + top * s), round(x1 - x0),
                           round((bottom - top) * s)).clip(self.frame_rect)

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        if self.frame is None:
            card(surface, self.rect, mix(p.bg, p.divider, 0.5), sp.radius, border=p.divider)
            self._draw_camera_icon(surface)
            runs = self.placeholder_texts()
            area = pygame.Rect(self.rect.x + sp.pad, self.rect.centery + sp.unit, self.rect.w - 2 * sp.pad,
                               self.rect.h // 2 - sp.pad)
            TextStack(area, t, runs, align="center").draw(surface)
        else:
            pygame.draw.rect(surface, p.ink, self.rect, border_radius=sp.radius)
            surface.blit(self.frame, self.frame_rect)
            box = self.box_rect()
            if box is not None and box.w > 4 and box.h > 4:
                pygame.draw.rect(surface, p.gold, box, max(4, sp.unit // 2), border_radius=sp.unit)
                if self.label:
                    font = t.font("body", True)
                    floor = self.frame_rect.bottom if not self.band else min(self.frame_rect.bottom, self.band_rect().y)
                    below = box.bottom + sp.unit + line_height(font) + sp.unit <= floor
                    pos = (box.centerx, box.bottom + sp.unit) if below else (box.centerx, box.top - sp.unit)
                    pill(surface, font, ellipsize(self.label, self.rect.w - 2 * sp.pad, measurer(font)), pos,
                         p.red, p.on_red, sp.unit * 2, "midtop" if below else "midbottom")
        if self.band:
            font = self.band_font()
            band = self.band_rect()
            pygame.draw.rect(surface, p.red, band, border_bottom_left_radius=sp.radius,
                             border_bottom_right_radius=sp.radius)
            draw_text(surface, font, ellipsize(self.band, band.w - 2 * sp.pad, measurer(font)), band.center,
                      p.on_red, "center")

    def _draw_camera_icon(self, surface: pygame.Surface) -> None:
        p, sp = self.theme.palette, self.theme.spacing
        size = min(self.rect.w // 3, self.rect.h // 4, round(180 * self.theme.scale))
        body = pygame.Rect(0, 0, size, round(size * 0.66))
        body.midbottom = (self.rect.centerx, self.rect.centery - sp.gap)
        bump = pygame.Rect(0, 0, size // 3, size // 8)
        bump.midbottom = (body.centerx, body.top + 2)
        pygame.draw.rect(surface, p.ink_muted, bump, border_radius=4)
        pygame.draw.rect(surface, p.ink_muted, body, border_radius=max(6, size // 10))
        pygame.draw.circle(surface, mix(p.bg, p.divider, 0.5), body.center, body.h // 3)
        pygame.draw.circle(surface, p.ink_muted, body.center, body.h // 5)


class ResultCard(Widget):
    """签到成功 / 已签到: a ✓, the name big, branch, number, time, method and a 迟到 tag."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, result: SignInCard) -> None:
        super().__init__(rect, theme)
        self.ctx, self.result = ctx, result

    def texts(self) -> list[str]:
        r, ctx = self.result, self.ctx
        head = ctx.t("已签到", "Already signed in") if r.already else ctx.t("签到成功", "Signed in")
        when = f"{ctx.local(r.signed_at):%H:%M}"
        time_text = (ctx.t(f"签到时间 {when}（此前已签到）", f"signed in at {when} (earlier)") if r.already
                     else ctx.t(f"签到时间 {when}", f"signed in at {when}"))
        method = ctx.t(METHOD_ZH.get(r.method, r.method), f"by {METHOD_EN.get(r.method, r.method)}")
        return [head, ctx.t(f"{r.name} 同志", r.name), f"{r.branch} · {r.number}", f"{time_text} · {method}",
                r.meeting_title]

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        sp = t.spacing
        r = self.result
        card(surface, self.rect, p.surface, sp.radius, shadow=mix(p.bg, (0, 0, 0), 0.12), border=p.divider)
        accent = p.warn.fill if r.late and not r.already else p.ok.fill
        pygame.draw.rect(surface, accent, (self.rect.x, self.rect.y, self.rect.w, max(8, sp.unit)),
                         border_top_left_radius=sp.radius, border_top_right_radius=sp.radius)
        head, name, who, when, meeting = self.texts()
        inner = self.rect.w - 2 * sp.pad
        hf, nf, bf, sf = t.font("heading", True), t.fit_font(name, inner, "number", "title", True), t.font("body"), \
            t.font("small")
        tag_h = line_height(bf) + sp.unit
        d = round(t.type.number * 1.2)
        parts = [d, line_height(hf), line_height(nf), line_height(bf), line_height(bf), tag_h, line_height(sf)]
        total = sum(parts) + sp.unit * 2 * (len(parts) - 1)
        y = self.rect.y + max(sp.pad, (self.rect.h - total) // 2)
        cx = self.rect.centerx
        draw_check(surface, (cx, y + d // 2), d, p.ok.fill if not r.already else p.off.fill, p.on_red)
        y += d + sp.unit * 2
        draw_text(surface, hf, head, (cx, y), p.ok.text if not r.already else p.ink, "midtop")
        y += line_height(hf) + sp.unit * 2
        draw_text(surface, nf, ellipsize(name, inner, measurer(nf)), (cx, y), p.ink, "midtop")
        y += line_height(nf) + sp.unit * 2
        draw_text(surface, bf, ellipsize(who, inner, measurer(bf)), (cx, y), p.ink_muted, "midtop")
        y += line_height(bf) + sp.unit * 2
        draw_text(surface, bf, ellipsize(when, inner, measurer(bf)), (cx, y), p.ink, "midtop")
        y += line_height(bf) + sp.unit * 2
        tags = []
        if r.late:
            tags.append((ctx.t("迟到", "Late"), p.warn.fill, p.warn.on_fill))
        if r.already:
            tags.append((ctx.t("已签到", "Already signed in"), p.off.fill, p.off.on_fill))
        if r.walk_in:
            tags.append((ctx.t("列席", "Guest"), p.off.fill, p.off.on_fill))
        if not tags:
            tags.append((ctx.t("按时", "On time"), p.ok.fill, p.ok.on_fill))
        widths = [text_width(bf, text) + 4 * sp.unit for text, _, _ in tags]
        x = cx - (sum(widths) + sp.gap * (len(tags) - 1)) // 2
        for (text, fill, ink), w in zip(tags, widths, strict=True):
            pill(surface, bf, text, (x, y), fill, ink, sp.unit * 2)
            x += w + sp.gap
        y += tag_h + sp.unit * 2
        draw_text(surface, sf, ellipsize(meeting, inner, measurer(sf)), (cx, y), p.ink_muted, "midtop")


# ------------------------------------------------------------------------------------------------- screen
class SignInScreen(Screen):
    """会议签到. Feed it the face worker's events through :meth:`on_event` (see the module docstring)."""

    # People arrive over a quarter of an hour: stay on the sign-in screen longer than the usual idle time.
    idle_seconds = 300

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("signin")
        self.ctx = ctx
        self.title = ctx.t("会议签到", "Meeting sign-in")
        self.meetings: list[MeetingInfo] = []
        self.next_meeting: MeetingInfo | None = None
        self.selected = 0
        self.chosen = False  # the person picked a meeting card (else the member's own meeting is used)
        self.summary: dict[str, int] = {}
        self.mode = WAITING
        self.mode_s = 0.0
        self.quiet_s = 0.0
        self.refresh_s = REFRESH_S
        self.message = ""
        self.message_bad = True
        self.track_id: int | None = None
        self.candidates: list[tuple[str, str]] = []  # (number, name), nearest first
        self.verify: tuple[str, str] | None = None  # the candidate being confirmed
        self.verify_failures = 0
        self.pin_number: str | None = None  # as typed ("0101" → "M0101"), not looked up: see _submit_number
        self.pin_typed = ""
        self.pin_name = ""
        self.pin_failures = 0
        self.prompt = ""
        self.challenge: LivenessPrompt | None = None  # the liveness step being shown (step, index, seconds)
        self._shown_left: int | None = None
        self.result: SignInCard | None = None
        self.deferred: list[Event] = []
        self.face_box: tuple[int, int, int, int] | None = None
        self.face_number: str | None = None  # of the latest FaceSeen; "" when it matched nobody
        self.face_age = BOX_S
        self._face_names: dict[str, str] = {}
        self._face_ready = self.face_available
        # widgets of the current build
        self.preview: CameraPreview | None = None
        self.counter: Counter | None = None
        self.cards: list[MeetingCard] = []
        self.info: TextStack | None = None
        self.keypad: NumericKeypad | None = None
        self.buttons: dict[str, Button] = {}
        self.result_card: ResultCard | None = None
        self.qr = QrPanel.from_config(ctx.theme, ctx.terminal.config)
        """扫码签到 (#20): the meeting's code for phones, when web.base_url and web.kiosk_qr ask for it."""
        self._load()
        self.mode = self._idle_mode()

    # -- data ------------------------------------------------------------------------------------
    @property
    def face_available(self) -> bool:
        """Face sign-in can happen: the face worker reported its camera working (DeviceStatus → ctx.status).
        A preview alone is not enough: frames without a running matcher would make people wait for nothing."""
        return self.ctx.status.get("camera") == "ok"

    @property
    def meeting(self) -> MeetingInfo | None:
        return self.meetings[self.selected] if self.meetings else None

    def _load(self) -> bool:
        """Re-read the open meetings (and the next one); True when what the page shows of them changed."""
        now = self.ctx.now()
        before = ([m.id for m in self.meetings], self.next_meeting)
        keep = self.meeting.id if self.meeting else None
        with self.ctx.session() as s:
            self.meetings = [MeetingInfo.of(m) for m in current_meetings(s, now)][:MAX_MEETINGS_SHOWN]
            self.next_meeting = None
            if not self.meetings:
                later = next((m for m in upcoming(s, now, limit=10) if m.starts_at > now), None)
                self.next_meeting = MeetingInfo.of(later) if later is not None else None
        ids = [m.id for m in self.meetings]
        self.selected = ids.index(keep) if keep in ids else 0
        if keep not in ids:
            self.chosen = False
        self._count()
        return (ids, self.next_meeting) != before

    def _count(self) -> None:
        if self.meeting is None:
            self.summary = {}
        else:
            with self.ctx.session() as s:
                meeting = s.get(Meeting, self.meeting.id)
                self.summary = attendance_summary(s, meeting, self.ctx.now()) if meeting is not None else {}
        if self.counter is not None:
            self.counter.set_summary(self.summary)

    def _member_name(self, number: str) -> str:
        if number not in self._face_names:
            with self.ctx.session() as s:
                m = s.scalars(select(Member).where(Member.number == number)).first()
                self._face_names[number] = self.ctx.t(m.name, m.name_en) if m is not None else number
        return self._face_names[number]

    def _card_for(self, session: Session, meeting_id: int, number: str, method: str, late: bool,
                  already: bool) -> SignInCard:
        ctx = self.ctx
        member = session.scalars(select(Member).options(selectinload(Member.branch))
                                 .where(Member.number == number)).first()
        meeting = session.get(Meeting, meeting_id)
        record = None
        if member is not None:
            record = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                              Attendance.member_id == member.id)).first()
        title = ctx.t(meeting.title_zh, meeting.title_en) if meeting is not None else ""
        return SignInCard(
            meeting_id, title, number, ctx.t(member.name, member.name_en) if member else number,
            ctx.t(member.branch.name_zh, member.branch.name_en) if member else "",
            record.signed_at if record is not None else ctx.now(), record.method if record is not None else method,
            record.late if record is not None else late, already,
            walk_in=member is not None and meeting is not None and not on_roster(meeting, member))

    # -- layout ----------------------------------------------------------------------------------
    def _idle_mode(self) -> str:
        return WAITING if self.face_available else NUMBER

    def build(self) -> None:
        th = self.theme
        assert th is not None
        sp = th.spacing
        self.preview = self.counter = self.info = self.keypad = self.result_card = None
        self.cards, self.buttons = [], {}
        area = inset(self.rect, sp.pad)
        if not self.meetings:
            self._build_no_meeting(area)
            return
        strip, body = take_top(area, self._strip_height(), sp.gap)
        self._build_strip(strip)
        if th.portrait:
            cam, panel = take_top(body, round(body.h * 0.4), sp.gap)
        else:
            cam, panel = take_left(body, round(body.w * 0.4), sp.gap)
        if self.qr.wanted:  # 扫码签到: beside the camera (portrait), under it, or in its place without one
            if not self.face_available:
                cam, qr = None, cam
            elif th.portrait:
                cam, qr = take_left(cam, round(cam.w * 0.55), sp.gap)
            else:
                qr, cam = take_bottom(cam, round(cam.h * 0.5), sp.gap)
            self.add(QrWidget(qr, th, self.qr, lambda: self.meeting, self.ctx.now))
        if cam is not None:
            self.preview = self.add(CameraPreview(cam, th, self.ctx))
            self.preview.set_face(self.face_box if self.face_age < BOX_S else None, self.face_label)
            self.preview.set_band(self._band_text())
            self.preview.poll()
        self._build_panel(panel)

    def _band_text(self) -> str:
        """The instruction over the preview: both languages for a challenge step (it must be read at a
        glance, by whoever stands there), the current one otherwise."""
        if self.mode != LIVENESS:
            return ""
        zh, _, en = self.prompt.partition(" / ")
        if self.challenge is not None and self.challenge.step and en:
            return f"{zh}  {en}"
        return split_bilingual(self.ctx, self.prompt)

    def _seconds_left(self) -> int | None:
        c = self.challenge
        if self.mode != LIVENESS or c is None or not c.step or c.seconds <= 0:
            return None
        return max(0, int(c.seconds - self.mode_s + 0.999))

    def _card_height(self) -> int:
        th = self.theme
        return (line_height(th.font("title", True)) + line_height(th.font("body")) + th.spacing.unit
                + th.spacing.pad)

    def _strip_height(self) -> int:
        th = self.theme
        sf = th.font("small")
        counter_h = 2 * line_height(sf) + line_height(th.font("number", True)) + th.spacing.pad
        n = len(self.meetings)
        cards_h = self._card_height() * n + th.spacing.gap * (n - 1) if th.portrait else self._card_height()
        return max(counter_h, cards_h)

    def _build_strip(self, strip: pygame.Rect) -> None:
        th, sp = self.theme, self.theme.spacing
        width = round(300 * th.scale) if th.portrait else round(340 * th.scale)
        cards_area, counter = take_left(strip, strip.w - width - sp.gap, sp.gap)
        n = len(self.meetings)
        rects = (split_rows(cards_area, [1] * n, sp.gap) if th.portrait
                 else split_columns(cards_area, [1] * n, sp.gap))
        for i, (rect, info) in enumerate(zip(rects, self.meetings, strict=True)):
            self.cards.append(self.add(MeetingCard(rect, th, self.ctx, info, selected=i == self.selected,
                                                   choosable=n > 1, on_tap=lambda i=i: self.choose(i))))
        self.counter = self.add(Counter(counter, th, self.ctx, self.summary))

    def _build_no_meeting(self, area: pygame.Rect) -> None:
        th, ctx, p = self.theme, self.ctx, self.theme.palette
        sp = th.spacing
        box = pygame.Rect(0, 0, min(area.w, round(1200 * th.scale)), min(area.h, round(720 * th.scale)))
        box.center = area.center
        self._panel_cards = [box]
        runs = [Run(ctx.t("当前没有进行中的会议", "No meeting is open for sign-in now"), "heading", True, p.ink),
                Run(ctx.t("会议开始前 30 分钟开放签到", "Sign-in opens 30 minutes before a meeting starts"),
                    "body", color=p.ink_muted, gap=sp.unit)]
        m = self.next_meeting
        if m is not None:
            kind = ctx.t(m.type, TYPE_EN.get(m.type, m.type))
            when = f"{ctx.weekday_text(m.starts_at)} {ctx.date_text(m.starts_at, True)}"
            runs += [Run(ctx.t("下一场会议", "Next meeting"), "small", True, p.red, gap=sp.pad),
                     Run(ctx.t(f"【{kind}】{m.title_zh}", f"[{kind}] {m.title_en or m.title_zh}"), "title", True,
                         gap=sp.unit),
                     Run(" · ".join(x for x in (when, ctx.t(m.branch_zh, m.branch_en), m.place) if x), "body",
                         color=p.ink_muted, gap=sp.unit)]
        else:
            runs.append(Run(ctx.t("近期没有会议安排", "No meetings are scheduled"), "title", gap=sp.pad))
        self.info = self.add(TextStack(inset(box, sp.pad * 2), th, runs, align="center", valign="center"))

    def _build_panel(self, panel: pygame.Rect) -> None:
        th, sp = self.theme, self.theme.spacing
        self._panel_cards = []
        if self.mode == RESULT and self.result is not None:
            row, card_rect = take_bottom(panel, sp.target, sp.gap)
            self.result_card = self.add(ResultCard(card_rect, th, self.ctx, self.result))
            self.buttons["next"] = self.add(Button(row, th, self._next_label(), self.reset, kind="secondary"))
            return
        if self.mode in (NUMBER, PIN, VERIFY):
            info, pad_area = take_left(panel, round(panel.w * 0.44), sp.gap)
            self._panel_cards = [info]
            inner = inset(info, sp.pad)
            back = self._back_button_spec()
            if back is not None:
                row, inner = take_bottom(inner, sp.target, sp.gap)
                self.buttons["back"] = self.add(Button(row, th, back[0], back[1], kind="secondary"))
            self.info = self.add(TextStack(inner, th, self._runs()))
            box = pygame.Rect(0, 0, min(pad_area.w, round(620 * th.scale)), pad_area.h)
            box.midtop = pad_area.midtop
            self.keypad = self.add(self._make_keypad(box))
            return
        self._panel_cards = [panel]
        inner = inset(panel, sp.pad)
        tall = round(sp.target * 1.25)
        if self.mode == CONFIRM:
            count = len(self.candidates) + 1
            rows_h = count * tall + (count - 1) * sp.gap
            rows, text = take_bottom(inner, rows_h, sp.gap)
            cells = split_rows(rows, [1] * count, sp.gap)
            for i, ((number, name), cell) in enumerate(zip(self.candidates, cells, strict=False)):
                self.buttons[f"name:{number}"] = self.add(Button(
                    cell, th, name, lambda n=number, nm=name: self.choose_candidate(n, nm),
                    kind="primary" if i == 0 else "secondary", role="title"))
            self.buttons["not_me"] = self.add(Button(cells[-1], th, self.ctx.t("不是我 / 用工号签到",
                                                                               "Not me / use my number"),
                                                     self.not_me, kind="quiet"))
            self.info = self.add(TextStack(text, th, self._runs(), valign="center"))
            return
        row, text = take_bottom(inner, tall, sp.gap)
        self.buttons["keypad"] = self.add(Button(row, th, self.ctx.t("用党员编号签到", "Sign in with member number"),
                                                 self.use_keypad, kind="secondary", role="title"))
        self.info = self.add(TextStack(text, th, self._runs(), align="center", valign="center"))

    def _make_keypad(self, box: pygame.Rect) -> NumericKeypad:
        th, ctx = self.theme, self.ctx
        if self.mode == VERIFY:
            n = len(last_digits(self.verify[0])) if self.verify else VERIFY_DIGITS
            return BiKeypad(box, th, lang=self.ctx.lang, max_length=n, on_submit=self._submit_digits, on_change=self._typed_digits,
                                 placeholder=ctx.t(f"编号后 {n} 位", f"last {n} digits"))
        if self.mode == PIN:
            return BiKeypad(box, th, lang=self.ctx.lang, max_length=12, masked=True, on_submit=self._submit_pin,
                                 on_change=self._typed, placeholder=ctx.t("请输入 PIN", "PIN"))
        return BiKeypad(box, th, lang=self.ctx.lang, max_length=8, on_submit=self._submit_number, on_change=self._typed,
                             placeholder=ctx.t("如 0101", "e.g. 0101"))

    def _back_button_spec(self) -> tuple[str, Callable[[], object]] | None:
        ctx = self.ctx
        if self.mode == VERIFY:
            return ctx.t("不是我 / 用工号签到", "Not me / use my number"), self.not_me
        if self.mode == PIN:
            return ctx.t("重新输入编号", "Change number"), self.use_keypad
        if self.face_available:
            return ctx.t("返回刷脸签到", "Back to face sign-in"), self.reset
        return None

    def _next_label(self) -> str:
        left = max(1, int(RESULT_S - self.mode_s + 0.999))
        return self.ctx.t(f"下一位（{left} 秒）", f"Next ({left} s)")

    def _runs(self) -> list[Run]:
        ctx, th = self.ctx, self.theme
        p, sp = th.palette, th.spacing
        runs: list[Run] = []
        if self.mode == WAITING:
            runs = [Run(ctx.t("请正对摄像头", "Please face the camera"), "heading", True, p.red),
                    Run(ctx.t("识别后自动签到，无需触摸屏幕", "You will be signed in automatically"), "body",
                        gap=sp.unit),
                    Run(ctx.t("未能识别时，请点下方按钮用党员编号签到",
                              "Not recognised? Tap the button below to use your member number"), "small",
                        color=p.ink_muted, gap=sp.gap)]
        elif self.mode == LIVENESS:
            zh, _, en = self.prompt.partition(" / ")
            c = self.challenge
            if c is not None and c.step and zh and en:  # a challenge step: both languages, large
                head = ctx.t(f"活体验证 第 {c.index}/{c.total} 步", f"Liveness check, step {c.index} of {c.total}")
                other = en if ctx.lang != "en" else zh
                runs = [Run(head, "body", True, p.ink_muted),
                        Run(ctx.t(zh, en), "number", True, p.red, gap=sp.unit),
                        Run(other, "title", True, p.ink, gap=sp.unit)]
                left = self._seconds_left()
                if left is not None:
                    runs.append(Run(ctx.t(f"请在 {left} 秒内完成", f"{left} s left"), "body", color=p.ink_muted,
                                    gap=sp.gap))
            else:
                runs = [Run(ctx.t(zh or "请眨眨眼或左右转头", en or "Please blink or turn your head"), "number", True,
                            p.red),
                        Run(ctx.t("请看着摄像头", "Keep looking at the camera"), "body", color=p.ink_muted,
                            gap=sp.gap)]
        elif self.mode == CONFIRM:
            if len(self.candidates) == 1:
                name = self.candidates[0][1]
                head = ctx.t(f"您是 {name} 同志吗？", f"Are you {name}?")
            else:
                head = ctx.t("您是以下哪位同志？", "Which of these are you?")
            runs = [Run(head, "heading", True, p.ink),
                    Run(ctx.t(f"请点选您的姓名，再输入您党员编号的后 {VERIFY_DIGITS} 位确认",
                              f"Tap your name, then type the last {VERIFY_DIGITS} digits of your member number"),
                        "body", color=p.ink_muted, gap=sp.unit)]
        elif self.mode == PENDING:
            runs = [Run(ctx.t("正在签到，请稍候…", "Signing you in…"), "heading", True, p.red)]
        elif self.mode == VERIFY and self.verify is not None:
            n = len(last_digits(self.verify[0]))
            runs = [Run(ctx.t("请确认身份", "Please confirm"), "title", True, p.red),
                    Run(ctx.t(f"{self.verify[1]} 同志，请输入您党员编号的后 {n} 位",
                              f"{self.verify[1]}, type the last {n} digits of your member number"), "body",
                        gap=sp.unit)]
        elif self.mode == NUMBER:
            head = ctx.t("第 1 步：党员编号", "Step 1: member number")
            runs = [Run(head, "title", True, p.red),
                    Run(ctx.t("请输入党员编号中的数字，如 M0101 输入 0101，然后按“确定”",
                              "Type the digits of your member number (0101 for M0101), then 确定"), "body",
                        gap=sp.unit)]
        elif self.mode == PIN:
            runs = [Run(ctx.t("第 2 步：PIN 密码", "Step 2: PIN"), "title", True, p.red),
                    Run(ctx.t(f"党员编号 {self.pin_number}，请输入您的 PIN",
                              f"Member number {self.pin_number}: enter your PIN"), "body", gap=sp.unit)]
        if self.message:
            runs.append(Run(self.message, "body", True, p.bad.text if self.message_bad else p.ok.text, gap=sp.gap))
        return runs

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        t = self.theme
        for c in getattr(self, "_panel_cards", []):
            card(surface, c, t.palette.surface, t.spacing.radius, shadow=mix(t.palette.bg, (0, 0, 0), 0.10))

    # -- state changes ---------------------------------------------------------------------------
    def _go(self, mode: str, message: str = "", bad: bool = True) -> None:
        self.mode, self.mode_s, self.quiet_s = mode, 0.0, 0.0
        self.message, self.message_bad = message, bad
        if self.nav is not None:
            self.layout(self.rect)

    def _say(self, message: str, bad: bool = True) -> None:
        self.message, self.message_bad = message, bad
        if self.info is not None:
            self.info.set_runs(self._runs())

    def reset(self, message: str = "") -> None:
        """Back to waiting for the next attendee; forget everything about the last one."""
        self.track_id, self.candidates, self.verify, self.verify_failures = None, [], None, 0
        self.pin_number, self.pin_name, self.pin_failures = None, "", 0
        self.prompt, self.result = "", None
        if not self.meetings:
            self._load()
        self._go(self._idle_mode(), message)

    def choose(self, index: int) -> None:
        """A meeting card was tapped."""
        if 0 <= index < len(self.meetings):
            self.selected, self.chosen = index, True
            for i, c in enumerate(self.cards):
                c.set_selected(i == index)
            self._count()

    def use_keypad(self) -> None:
        self.pin_number, self.pin_name, self.pin_failures = None, "", 0
        self._go(NUMBER)

    def not_me(self) -> None:
        """Not the person the camera suggested: the member number + PIN fallback (the worker stays asking)."""
        self.candidates, self.verify = [], None
        self.use_keypad()

    def choose_candidate(self, number: str, name: str) -> None:
        if not last_digits(number):  # nothing to type: use the PIN
            self.not_me()
            return
        self.verify, self.verify_failures = (number, name), 0
        self._go(VERIFY)

    @property
    def typing(self) -> bool:
        """Someone is at the keypad (do not pull it away for a face passing by)."""
        if self.mode in (PIN, VERIFY):
            return True
        return self.mode == NUMBER and self.keypad is not None and bool(self.keypad.value)

    # -- keypad steps ----------------------------------------------------------------------------
    def _typed(self, value: str) -> None:
        if self.mode == NUMBER and value:
            self._say(self.ctx.t(f"党员编号：{number_candidates(value)[0]}",
                                 f"Member number: {number_candidates(value)[0]}"), bad=False)
        elif self.message_bad and self.message:
            self._say("")

    def _typed_digits(self, value: str) -> None:
        if self.verify is not None and len(value) == len(last_digits(self.verify[0])):
            self._submit_digits(value)
        elif value and self.message:
            self._say("")

    def _submit_digits(self, value: str) -> None:
        if self.verify is None or self.track_id is None:
            self.use_keypad()
            return
        number, _name = self.verify
        if value == last_digits(number):
            self.ctx.terminal.bus.publish(IdentityConfirmed(self.track_id, number))
            self._go(PENDING)
            return
        self.verify_failures += 1
        if self.verify_failures >= MAX_VERIFY_TRIES:
            self.candidates, self.verify = [], None
            self.use_keypad()
            self._say(self.ctx.t("未能确认身份，请用党员编号和 PIN 签到",
                                 "Could not confirm who you are: please use your member number and PIN"))
            return
        if self.keypad is not None:
            self.keypad.clear()
        self._say(self.ctx.t("编号不符，请再试一次", "That does not match; please try again"))

    def _submit_number(self, value: str) -> None:
        """Go on to the PIN without looking the number up: whether it exists is told by nothing here."""
        if self.keypad is not None:
            self.keypad.clear()
        candidates = number_candidates(value)
        if not candidates:
            self._say(self.ctx.t("请输入党员编号", "Please type your member number"))
            return
        self.pin_number, self.pin_typed, self.pin_name, self.pin_failures = candidates[0], value, "", 0
        self._go(PIN)

    def _meeting_for(self, session: Session, member: Member) -> Meeting:
        """The chosen meeting, else the member's own by ``core.attendance.choose_meeting`` (as the worker):
        someone on no open roster is never put into the first meeting silently. Raises ``SignInError``."""
        chosen = self.meeting.id if self.chosen and self.meeting else None
        return choose_meeting(session, member, self.ctx.now(), chosen_id=chosen)

    def _submit_pin(self, pin: str) -> None:
        ctx = self.ctx
        error, shown = "", None
        now = ctx.now()
        with ctx.session() as s:
            member = find_active_member(s, self.pin_typed or self.pin_number or "")
            number = member.number if member is not None else (self.pin_number or "")
            check = check_member_pin(s, number, member, pin, terminal_id=ctx.terminal.terminal_id, now=now,
                                     purpose="signin")
            ok = check.ok
            if ok:
                try:
                    meeting = self._meeting_for(s, member)
                    done = sign_in(s, meeting, member, method="pin", terminal_id=ctx.terminal.terminal_id, now=now)
                except SignInError as exc:
                    error = split_bilingual(ctx, str(exc))
                else:  # committed: only now is it shown and announced
                    shown = self._card_for(s, meeting.id, member.number, "pin", done.late, not done.created)
        if self.keypad is not None:
            self.keypad.clear()
        if not ok:  # committed too: the failure, its lockout and its audit row
            self.pin_failures += 1
            zh, en = check.message(now)
            if check.locked_until is not None:
                self.reset(ctx.t(zh, en))
                return
            self._say(ctx.t(zh, en))
            return
        if shown is None:
            self._say(error)
            return
        self.ctx.terminal.bus.publish(SignedIn(shown.meeting_id, shown.number, shown.name, "pin", shown.late,
                                               already=shown.already))
        self._show(shown)

    def _show(self, result: SignInCard) -> None:
        self.track_id, self.candidates, self.verify, self.prompt = None, [], None, ""
        self.pin_number, self.pin_name, self.pin_failures = None, "", 0
        self.result = result
        ids = [m.id for m in self.meetings]
        if result.meeting_id in ids and not self.chosen:  # count the meeting the person was signed in to
            self.selected = ids.index(result.meeting_id)
        self._count()
        self._go(RESULT)

    # -- events from the app ---------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """The face worker's events (and DeviceStatus), forwarded by the app on the UI thread."""
        if isinstance(event, FaceSeen):
            self._face_seen(event)
            return
        if isinstance(event, DeviceStatus):
            return  # the camera's state is read from ctx.status in update()
        if self.mode == RESULT and self.mode_s < MIN_RESULT_S and not self._same_result(event):
            self.deferred.append(event)  # let the last person read their card first
            return
        if isinstance(event, SignedIn):
            self._signed_in(event)
        elif isinstance(event, ConfirmIdentity):
            self._confirm(event)
        elif isinstance(event, LivenessPrompt):
            self._liveness(event)
        elif isinstance(event, FaceSignInFailed):
            self._failed(event)

    def _same_result(self, event: Event) -> bool:
        r = self.result
        return (isinstance(event, SignedIn) and r is not None and event.meeting_id == r.meeting_id
                and event.member_number == r.number)

    @property
    def face_label(self) -> str:
        """The name over the face box: with "？" until that member is signed in (a match is a guess until
        then), "未能识别" when nobody enrolled is near."""
        number = self.face_number
        if number is None:
            return ""
        if not number:
            return self.ctx.t("未能识别", "Not recognised")
        signed = self.mode == RESULT and self.result is not None and self.result.number == number
        return self._member_name(number) + ("" if signed else self.ctx.t("？", "?"))

    def _face_seen(self, event: FaceSeen) -> None:
        self.face_box = tuple(event.box) if event.box else None  # type: ignore[assignment]
        self.face_number = event.member_number or ""
        self.face_age = 0.0
        if self.preview is not None:
            self.preview.set_face(self.face_box, self.face_label)

    def _signed_in(self, event: SignedIn) -> None:
        if self._same_result(event):
            return  # our own announcement of a PIN sign-in coming back
        if not self.meetings:
            self._load()
        if self.mode == PENDING:
            mine = self.verify is None or self.verify[0] == event.member_number
        elif self.mode == CONFIRM:
            mine = event.member_number in [c[0] for c in self.candidates]
        else:
            mine = not self.typing
        if not mine:  # someone else, while this person is busy: a banner, and the counter
            self._count()
            if self.nav is not None:
                self.nav.notify(self.ctx.t(f"{event.member_name} 同志签到成功", f"{event.member_name} signed in"),
                                tag=self.ctx.t("签到", "Sign-in"), duration=3.0)
            return
        with self.ctx.session() as s:
            shown = self._card_for(s, event.meeting_id, event.member_number, event.method, event.late, event.already)
        self._show(shown)

    def _confirm(self, event: ConfirmIdentity) -> None:
        if not self.meetings and not (self._load() and self.meetings):
            return
        if self.mode == VERIFY and self.verify is not None and self.verify[0] in event.candidates:
            self.track_id = event.track_id  # the same person's face, found again: keep their progress
            return
        if self.typing:
            return
        names = list(event.names) + [""] * len(event.candidates)
        self.track_id = event.track_id
        self.candidates = [(n, names[i] or self._member_name(n)) for i, n in enumerate(event.candidates)][:3]
        self.verify, self.verify_failures, self.prompt = None, 0, ""
        if not self.candidates:
            self.use_keypad()
            return
        self._go(CONFIRM)

    def _liveness(self, event: LivenessPrompt) -> None:
        if not self.meetings and not (self._load() and self.meetings):
            return
        if self.typing or self.mode in (CONFIRM, PENDING):
            return
        self.track_id, self.prompt, self.challenge = event.track_id, event.prompt, event
        self._shown_left = None
        self._go(LIVENESS)

    def _failed(self, event: FaceSignInFailed) -> None:
        if self.typing:
            return
        if event.reason == "no_meeting":
            self._load()
            if not self.meetings:
                self.reset()
                return
        if self.mode in (CONFIRM, PENDING) and event.track_id != self.track_id:
            return  # another face gave up; the person in front is still being asked / signed in
        text = split_bilingual(self.ctx, event.message) if event.message else self.ctx.t(
            "未能刷脸签到，请用党员编号签到", "Face sign-in did not work: please use your member number")
        self.track_id, self.candidates, self.verify, self.prompt = None, [], None, ""
        self.pin_number, self.pin_name, self.pin_failures = None, "", 0
        self._go(NUMBER, text)

    # -- input / time ----------------------------------------------------------------------------
    def handle(self, gesture) -> bool:
        self.quiet_s = 0.0
        return super().handle(gesture)

    def on_back(self) -> bool:
        if self.mode == PIN:
            self.use_keypad()
            return True
        if self.mode == VERIFY and self.candidates:
            self._go(CONFIRM)
            return True
        if self.mode in (NUMBER, CONFIRM, LIVENESS, PENDING, RESULT) and self.mode != self._idle_mode():
            self.reset()
            return True
        return False

    def enter(self) -> None:
        if self._load() and self.nav is not None and not self.typing:
            self.layout(self.rect)

    def exit(self) -> None:
        """Left the screen: nothing half-typed or personal stays behind."""
        if self.mode != self._idle_mode():
            self.track_id, self.candidates, self.verify, self.result = None, [], None, None
            self.pin_number, self.pin_name, self.prompt, self.message = None, "", "", ""
            self.deferred = []
            self.mode = self._idle_mode()
            self.layout(self.rect)

    def _expired(self, mode: str) -> bool:
        """The person seems to have walked away from this step."""
        if mode == LIVENESS:
            c = self.challenge
            return self.mode_s >= (c.seconds + 3.0 if c is not None and c.step and c.seconds > 0 else LIVENESS_S)
        if mode in (CONFIRM, VERIFY):
            return self.quiet_s >= CONFIRM_QUIET_S
        left_over = self.typing or bool(self.message) or mode != self._idle_mode()
        return mode in (NUMBER, PIN) and self.quiet_s >= KEYPAD_QUIET_S and left_over

    def update(self, dt: float) -> None:
        super().update(dt)
        self.mode_s += dt
        self.quiet_s += dt
        self.face_age += dt
        if self.face_box is not None and self.face_age >= BOX_S:
            self.face_box, self.face_number = None, None
            if self.preview is not None:
                self.preview.set_face(None, "")
        mode = self.mode
        if mode == RESULT:
            if self.deferred and self.mode_s >= MIN_RESULT_S:
                events, self.deferred = self.deferred, []
                for e in events:
                    self.on_event(e)
                if self.mode != RESULT:
                    return
            if self.mode_s >= RESULT_S:
                self.reset()
            elif "next" in self.buttons:
                self.buttons["next"].set_text(self._next_label())
            return
        if mode == PENDING and self.mode_s >= PENDING_S:
            self.track_id, self.verify, self.candidates = None, None, []
            self._go(NUMBER, self.ctx.t("刷脸签到未完成，请用党员编号签到",
                                        "Face sign-in did not finish: please use your member number"))
        elif self._expired(mode):
            self.reset()
        elif mode == LIVENESS and self.info is not None:
            left = self._seconds_left()
            if left != self._shown_left:  # the step's countdown, once a second
                self._shown_left = left
                self.info.set_runs(self._runs())
        face = self.face_available
        if face != self._face_ready:
            self._face_ready = face
            if not self.typing and self.mode in (WAITING, NUMBER):
                self.reset(self.message)
        self.refresh_s -= dt
        if self.refresh_s <= 0:
            self.refresh_s = REFRESH_S
            if self._load() and not self.typing and self.mode in (WAITING, NUMBER):
                self.reset(self.message)


SCREENS = {"signin": SignInScreen}

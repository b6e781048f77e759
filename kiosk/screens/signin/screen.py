"""The sign-in screen itself: it holds the person's progress and composes the pieces of this package.

What a mode looks like and how it times out is in :mod:`.states` (the table); what is read from the database
in :mod:`.data`; what is drawn in :mod:`.widgets` and :mod:`.preview`. Here: the page's layout (meetings strip,
camera, QR code, panel), the transitions between modes, the keypad steps and the face worker's events (see
the package docstring for the confirmation UX these follow).
"""

from __future__ import annotations

import logging

import pygame
from sqlalchemy.orm import Session

from core.attendance import SignInError, choose_meeting, sign_in
from core.events import (
    Event,
    IdentityConfirmed,
    LivenessPrompt,
    SignedIn,
)
from core.models import Meeting, Member
from core.secrets import check_member_pin
from kiosk.context import KioskContext
from kiosk.qr_panel import QrPanel, QrWidget
from kiosk.screens.signin.data import (
    MeetingInfo,
    SignInCard,
    card_for,
    count_attendance,
    find_active_member,
    last_digits,
    load_meetings,
    member_name,
    number_candidates,
    split_bilingual,
)
from kiosk.screens.signin.events import FaceEvents
from kiosk.screens.signin.preview import CameraPreview
from kiosk.screens.signin.states import (
    LIVENESS,
    MAX_VERIFY_TRIES,
    NUMBER,
    PENDING,
    PIN,
    RESULT,
    STATES,
    VERIFY,
    WAITING,
)
from kiosk.screens.signin.widgets import Counter, MeetingCard, ResultCard, Run, TextStack, no_meeting_runs
from kiosk.ui.drawing import card, line_height
from kiosk.ui.layout import inset, split_columns, split_rows, take_bottom, take_left, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.theme import mix
from kiosk.ui.widgets import Button, NumericKeypad

log = logging.getLogger(__name__)

REFRESH_S = 30.0  # re-read the open meetings and the counter (other terminals sign people in too)
BOX_S = 3.0  # a face box older than this is not drawn


class SignInScreen(FaceEvents, Screen):
    """会议签到. Feed it the face worker's events through :meth:`on_event` (see the package docstring)."""

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
        before = ([m.id for m in self.meetings], self.next_meeting)
        keep = self.meeting.id if self.meeting else None
        self.meetings, self.next_meeting = load_meetings(self.ctx)
        ids = [m.id for m in self.meetings]
        self.selected = ids.index(keep) if keep in ids else 0
        if keep not in ids:
            self.chosen = False
        self._count()
        return (ids, self.next_meeting) != before

    def _count(self) -> None:
        self.summary = count_attendance(self.ctx, self.meeting)
        if self.counter is not None:
            self.counter.set_summary(self.summary)

    def _member_name(self, number: str) -> str:
        if number not in self._face_names:
            self._face_names[number] = member_name(self.ctx, number)
        return self._face_names[number]

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
        th, sp = self.theme, self.theme.spacing
        box = pygame.Rect(0, 0, min(area.w, round(1200 * th.scale)), min(area.h, round(720 * th.scale)))
        box.center = area.center
        self._panel_cards = [box]
        runs = no_meeting_runs(self.ctx, th, self.next_meeting)
        self.info = self.add(TextStack(inset(box, sp.pad * 2), th, runs, align="center", valign="center"))

    def _build_panel(self, panel: pygame.Rect) -> None:
        self._panel_cards = []
        STATES[self.mode].panel(self, panel)

    def _runs(self) -> list[Run]:
        """The panel's words for the current mode, and the message under them."""
        runs = STATES[self.mode].runs(self)
        if self.message:
            th = self.theme
            runs.append(Run(self.message, "body", True, th.palette.bad.text if self.message_bad else th.palette.ok.text,
                            gap=th.spacing.gap))
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
                    shown = card_for(self.ctx, s, meeting.id, member.number, "pin", done.late, not done.created)
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

    # -- input / time ----------------------------------------------------------------------------
    def handle(self, gesture) -> bool:
        self.quiet_s = 0.0
        return super().handle(gesture)

    def on_back(self) -> bool:
        return STATES[self.mode].back(self)

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

    def update(self, dt: float) -> None:
        super().update(dt)
        self.mode_s += dt
        self.quiet_s += dt
        self.face_age += dt
        if self.face_box is not None and self.face_age >= BOX_S:
            self.face_box, self.face_number = None, None
            if self.preview is not None:
                self.preview.set_face(None, "")
        if STATES[self.mode].do(self):
            return
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


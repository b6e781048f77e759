"""How the sign-in screen answers the face worker's events (FaceSeen, LivenessPrompt, ConfirmIdentity,
SignedIn, FaceSignInFailed), forwarded by the app on the UI thread.

A mixin of :class:`~kiosk.screens.signin.screen.SignInScreen`, kept apart because the rules are the subtle
part of the screen: someone at the keypad is not interrupted by a face passing the camera, a result card is
read for ``MIN_RESULT_S`` before the next person's prompt replaces it, and a ``SignedIn`` for somebody else
while this person is busy is only a banner.
"""

from __future__ import annotations

from core.events import (
    ConfirmIdentity,
    DeviceStatus,
    Event,
    FaceSeen,
    FaceSignInFailed,
    LivenessPrompt,
    SignedIn,
)
from kiosk.screens.signin.data import card_for, split_bilingual
from kiosk.screens.signin.states import CONFIRM, LIVENESS, MIN_RESULT_S, NUMBER, PENDING, RESULT, VERIFY


class FaceEvents:
    """``on_event`` and its handlers; every attribute they use is the screen's."""

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
            shown = card_for(self.ctx, s, event.meeting_id, event.member_number, event.method, event.late, event.already)
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

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

The package: data.py (what is read), widgets.py + preview.py (what is drawn), states.py (the modes as a table:
each mode's words, panel, per-frame check, time-out and back gesture), events.py (the face worker's events),
screen.py (SignInScreen, composing them). Every name is re-exported here, as before the split.
"""

from kiosk.screens.signin.data import (
    MAX_MEETINGS_SHOWN,
    VERIFY_DIGITS,
    MeetingInfo,
    SignInCard,
    find_active_member,
    last_digits,
    number_candidates,
    split_bilingual,
)
from kiosk.screens.signin.preview import PREVIEW_FPS, CameraPreview, frame_to_surface
from kiosk.screens.signin.screen import BOX_S, REFRESH_S, SignInScreen
from kiosk.screens.signin.states import (
    CONFIRM,
    CONFIRM_QUIET_S,
    KEYPAD_QUIET_S,
    LIVENESS,
    LIVENESS_S,
    MAX_PIN_TRIES,
    MAX_VERIFY_TRIES,
    MIN_RESULT_S,
    NUMBER,
    PENDING,
    PENDING_S,
    PIN,
    RESULT,
    RESULT_S,
    STATES,
    VERIFY,
    WAITING,
    State,
)
from kiosk.screens.signin.widgets import (
    METHOD_EN,
    METHOD_ZH,
    TYPE_EN,
    Counter,
    MeetingCard,
    ResultCard,
    Run,
    TextStack,
    draw_check,
    pill,
)

SCREENS = {"signin": SignInScreen}

__all__ = [
    "BOX_S", "CONFIRM", "CONFIRM_QUIET_S", "KEYPAD_QUIET_S", "LIVENESS", "LIVENESS_S", "MAX_MEETINGS_SHOWN",
    "MAX_PIN_TRIES", "MAX_VERIFY_TRIES", "METHOD_EN", "METHOD_ZH", "MIN_RESULT_S", "NUMBER", "PENDING",
    "PENDING_S", "PIN", "PREVIEW_FPS", "REFRESH_S", "RESULT", "RESULT_S", "SCREENS", "STATES", "TYPE_EN",
    "VERIFY", "VERIFY_DIGITS", "WAITING", "CameraPreview", "Counter", "MeetingCard", "MeetingInfo", "ResultCard",
    "Run", "SignInCard", "SignInScreen", "State", "TextStack", "draw_check", "find_active_member",
    "frame_to_surface", "last_digits", "number_candidates", "pill", "split_bilingual",
]

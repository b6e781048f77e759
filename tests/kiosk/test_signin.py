"""会议签到 on the real kiosk: real pygame (SDL dummy), a fresh SQLite demo site, taps through the gesture
recogniser, and the face worker's events fed to the screen as the app will forward them."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pygame
import pytest
from sqlalchemy import select

from core.attendance import SignInError, sign_in
from core.events import (
    ConfirmIdentity,
    FaceSeen,
    FaceSignInFailed,
    IdentityConfirmed,
    LivenessPrompt,
    SignedIn,
)
from core.meetings import create_meeting
from core.models import Attendance, AuditEntry, Meeting, Member, utcnow
from core.secrets import hash_pin
from kiosk.screens.signin import (
    CONFIRM,
    NUMBER,
    PENDING,
    PIN,
    RESULT,
    VERIFY,
    WAITING,
    CameraPreview,
    MeetingCard,
    SignInScreen,
    TextStack,
    last_digits,
)
from kiosk.ui.fonts import has_glyphs, missing_glyphs
from kiosk.ui.screens import ErrorScreen
from kiosk.ui.widgets import Button, NumericKeypad
from tests.kiosk.test_kiosk_app import Finger, distinct_colours, render

PIN_CODE = "246813"
SIZES = [(1920, 1080), (1080, 1920)]
#: Far from the demo's meetings (which are around the real "this week"), so only the test's meeting is open.
LATER = timedelta(days=400)


def open_signin(make_app, size=(1920, 1080), *, camera=False, started_ago=3, meeting=True, extra=False):
    """A kiosk whose clock is in the future, with one B01 meeting open (started ``started_ago`` min ago) and
    M0101 holding a PIN; the sign-in screen pushed and drawn once."""
    now = utcnow().replace(microsecond=0) + LATER
    app = make_app(size, now=now)
    meeting_id = None
    with app.terminal.db.session() as s:
        s.scalars(select(Member).where(Member.number == "M0101")).one().pin_hash = hash_pin(PIN_CODE)
        if meeting:
            m = create_meeting(s, type="支部党员大会", title_zh="支部党员大会：学习贯彻全会精神", title_en="General meeting",
                               branch_code="B01", starts_at=now - timedelta(minutes=started_ago),
                               ends_at=now + timedelta(hours=2), place_zh="三楼会议室")
            meeting_id = m.id
        if extra:
            create_meeting(s, type="支委会", title_zh="支委会：研究发展党员", branch_code="B02",
                           starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1), place_zh="五楼")
    if camera:
        app.ctx.status["camera"] = "ok"
    screen = SignInScreen(app.ctx)
    app.nav.push(screen)
    render(app)
    return app, screen, meeting_id


def texts(screen) -> str:
    """Every text the screen shows now (text blocks, buttons, cards), for assertions."""
    out = []
    for w in screen.widgets:
        if isinstance(w, TextStack):
            out.append(w.text())
        elif isinstance(w, Button):
            out.append(w.text)
        elif isinstance(w, MeetingCard):
            out += [w.title_text(), w.detail_text()]
        elif hasattr(w, "texts"):
            out += list(w.texts())
        elif isinstance(w, CameraPreview):
            out += [r.text for r in w.placeholder_texts()] + [w.label, w.band]
    return "\n".join(out)


def type_keys(finger, keypad: NumericKeypad, digits: str, submit: bool = True) -> None:
    for d in digits:
        finger.tap(keypad.keys[d].rect.center)
    if submit:
        finger.tap(keypad.keys["确定"].rect.center)


def draw_now(app) -> pygame.Surface:
    """Draw without advancing time (``render`` runs 3 s of updates: a face box would age out)."""
    surface = pygame.Surface(app.theme.size)
    app.nav.invalidate()
    app.nav.draw(surface)
    return surface


def attendance(app, meeting_id):
    """Rows as a fresh session sees them: only what was committed."""
    with app.terminal.db.session() as s:
        return [(a.member.number, a.method, a.late) for a in
                s.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id))]


def test_pin_fallback_signs_in_commits_then_shows_the_card_and_second_time_already(make_app):
    app, screen, meeting_id = open_signin(make_app)
    finger = Finger(app)
    announced = app.terminal.bus.subscribe(SignedIn)
    assert screen.mode == NUMBER  # no camera: the keypad is the waiting state
    assert "摄像头不可用，请使用工号签到" in texts(screen).replace("\n", "，")
    type_keys(finger, screen.keypad, "0101")
    assert screen.mode == PIN and "M0101" in texts(screen) and "王建国" not in texts(screen)  # no name yet
    type_keys(finger, screen.keypad, PIN_CODE)
    assert screen.mode == RESULT
    assert attendance(app, meeting_id) == [("M0101", "pin", False)]  # on disk before the card is drawn
    shown = texts(screen)
    assert "签到成功" in shown and "王建国 同志" in shown and "第一党支部" in shown and "迟到" not in shown
    assert screen.counter.summary["present"] == 1
    (event,) = announced.drain()
    assert (event.member_number, event.method, event.already) == ("M0101", "pin", False)

    finger.tap(screen.buttons["next"].rect.center)  # 下一位
    assert screen.mode == NUMBER
    type_keys(finger, screen.keypad, "0101")
    type_keys(finger, screen.keypad, PIN_CODE)
    assert screen.mode == RESULT and screen.result.already
    assert "已签到" in texts(screen)
    assert len(attendance(app, meeting_id)) == 1


def _pin_audit(app):
    with app.terminal.db.session() as s:
        return [(e.actor, e.action, e.detail.get("reason")) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action.like("pin.%")).order_by(AuditEntry.id))]


def test_unknown_number_member_without_pin_and_wrong_pin_look_the_same(make_app):
    """No enumeration: nothing tells a visitor whether a number exists or has a PIN, and no name is shown."""
    app, screen, meeting_id = open_signin(make_app, (1080, 1920))
    finger = Finger(app)
    shown = []
    for number in ("0199", "0102", "0101"):  # unknown; a demo member with no PIN; M0101 with a wrong PIN
        type_keys(finger, screen.keypad, number)
        assert screen.mode == PIN and f"M{number}" in texts(screen)
        type_keys(finger, screen.keypad, "999999")
        shown.append(texts(screen).replace(f"M{number}", "M____"))
        assert "李秀英" not in shown[-1] and "王建国" not in shown[-1]
        screen.use_keypad()
    assert shown[0] == shown[1] == shown[2] and "党员编号或 PIN 不正确，还可以再试 4 次" in shown[0]
    assert [a[1:] for a in _pin_audit(app)] == [("pin.failed", "unknown_number"), ("pin.failed", "no_pin"),
                                                ("pin.failed", "wrong")]
    assert attendance(app, meeting_id) == []


def test_twenty_wrong_pins_lock_escalating_audited_and_a_restart_forgets_nothing(make_app):
    app, screen, meeting_id = open_signin(make_app)
    finger = Finger(app)
    clock = [app.ctx.now()]
    app.ctx.clock = lambda: clock[0]
    locks = []
    for i in range(20):
        if screen.mode != PIN:
            type_keys(finger, screen.keypad, "0101")
        type_keys(finger, screen.keypad, "999999")
        if i < 4:
            assert screen.mode == PIN and f"还可以再试 {4 - i} 次" in texts(screen)
        else:  # the 5th wrong PIN and every later one lock: 1, 2, 4 … minutes
            assert screen.mode == NUMBER and "PIN 错误次数过多" in texts(screen), i
            locks.append(_locked_minutes(texts(screen)))
            if i < 19:
                clock[0] += timedelta(minutes=locks[-1])  # wait the lock out, then guess again
    assert locks[:5] == [1, 2, 4, 8, 16] and locks[-1] == 24 * 60
    assert sum(1 for a in _pin_audit(app) if a[1] == "pin.failed") == 20
    # A restart: a new kiosk over the same database refuses the right PIN while the lock runs.
    later = clock[0] + timedelta(minutes=78)
    app2 = make_app(now=later)
    with app2.terminal.db.session() as s:
        meeting_id = create_meeting(s, type="党课", title_zh="党课", branch_code="B01", starts_at=later,
                                    ends_at=later + timedelta(hours=1)).id
    screen2 = SignInScreen(app2.ctx)
    app2.nav.push(screen2)
    render(app2)
    finger2 = Finger(app2)
    type_keys(finger2, screen2.keypad, "0101")
    type_keys(finger2, screen2.keypad, PIN_CODE)
    assert screen2.mode == NUMBER and "分钟后再试" in texts(screen2)
    assert attendance(app, meeting_id) == []
    assert _pin_audit(app2)[-1][:2] == ("member:M0101", "pin.locked")


def _locked_minutes(text: str) -> int:
    import re

    return int(re.search(r"请 (\d+) 分钟后再试", text).group(1))


def test_no_current_meeting_names_the_next_one_and_offers_no_sign_in(make_app):
    app, screen, _ = open_signin(make_app, meeting=False)
    shown = texts(screen)
    assert "当前没有进行中的会议" in shown and "近期没有会议安排" in shown
    assert screen.keypad is None and not screen.buttons and screen.preview is None
    with app.terminal.db.session() as s:
        create_meeting(s, type="党小组会", title_zh="第一党小组会：作风建设", branch_code="B01",
                       starts_at=app.ctx.now() + timedelta(days=2), ends_at=app.ctx.now() + timedelta(days=2, hours=1))
    screen.refresh_s = 0
    app.nav.update(0.05)  # the periodic re-read
    shown = texts(screen)
    assert "当前没有进行中的会议" in shown and "下一场会议" in shown and "第一党小组会：作风建设" in shown
    # a face event with nothing open is not shown as a prompt
    screen.on_event(ConfirmIdentity(1, ("M0101",), ("王建国",), 0.41))
    assert screen.mode != CONFIRM and screen.keypad is None


def test_confirm_identity_needs_the_last_digits_then_publishes_identity_confirmed(make_app):
    app, screen, meeting_id = open_signin(make_app, camera=True)
    finger = Finger(app)
    confirmed = app.terminal.bus.subscribe(IdentityConfirmed)
    assert screen.mode == WAITING and "请正对摄像头" in texts(screen)
    screen.on_event(ConfirmIdentity(7, ("M0101", "M0102"), ("王建国", "李秀英"), 0.41, 0.02))
    render(app)
    assert screen.mode == CONFIRM and "您是以下哪位同志？" in texts(screen)
    first, second = screen.buttons["name:M0101"], screen.buttons["name:M0102"]
    assert (first.kind, second.kind) == ("primary", "secondary") and first.rect.y < second.rect.y  # nearest first
    finger.tap(first.rect.center)  # a tap on the name alone signs nobody in
    assert screen.mode == VERIFY and confirmed.drain() == []
    assert "王建国 同志，请输入您党员编号的后 4 位" in texts(screen)
    type_keys(finger, screen.keypad, "1111", submit=False)  # checked at the 4th digit
    assert screen.mode == VERIFY and "编号不符" in texts(screen) and confirmed.drain() == []
    type_keys(finger, screen.keypad, last_digits("M0101"), submit=False)
    assert confirmed.drain() == [IdentityConfirmed(7, "M0101")]
    assert screen.mode == PENDING and "正在签到" in texts(screen)
    # the worker commits, then publishes SignedIn; the app forwards it
    with app.terminal.db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        member = s.scalars(select(Member).where(Member.number == "M0101")).one()
        sign_in(s, meeting, member, method="face", terminal_id="kiosk-01", now=app.ctx.now())
    screen.on_event(SignedIn(meeting_id, "M0101", "王建国", "face", False))
    assert screen.mode == RESULT and "王建国 同志" in texts(screen) and "刷脸签到" in texts(screen)


def test_confirmation_single_candidate_not_me_and_two_wrong_tries_fall_back(make_app):
    app, screen, _ = open_signin(make_app, (1080, 1920), camera=True)
    finger = Finger(app)
    confirmed = app.terminal.bus.subscribe(IdentityConfirmed)
    screen.on_event(ConfirmIdentity(3, ("M0103",), ("张伟",), 0.42))
    render(app)
    assert "您是 张伟 同志吗？" in texts(screen)
    finger.tap(screen.buttons["not_me"].rect.center)
    assert screen.mode == NUMBER and confirmed.drain() == []
    finger.tap(screen.buttons["back"].rect.center)  # 返回刷脸签到
    assert screen.mode == WAITING
    screen.on_event(ConfirmIdentity(4, ("M0103",), ("张伟",), 0.42))
    finger.tap(screen.buttons["name:M0103"].rect.center)
    type_keys(finger, screen.keypad, "1111", submit=False)
    type_keys(finger, screen.keypad, "2222", submit=False)
    assert screen.mode == NUMBER and "未能确认身份" in texts(screen) and confirmed.drain() == []


def test_signed_in_event_shows_the_result_card_late_and_returns_after_5_s(make_app):
    app, screen, meeting_id = open_signin(make_app, camera=True, started_ago=20)
    with app.terminal.db.session() as s:
        meeting = s.get(Meeting, meeting_id)
        member = s.scalars(select(Member).where(Member.number == "M0104")).one()
        done = sign_in(s, meeting, member, method="face", terminal_id="kiosk-01", now=app.ctx.now())
        assert done.late
    screen.on_event(SignedIn(meeting_id, "M0104", "刘芳", "face", True))
    shown = texts(screen)
    assert screen.mode == RESULT and "刘芳 同志" in shown and "迟到" in shown and "第一党支部" in shown
    assert f"{app.ctx.local(app.ctx.now()):%H:%M}" in shown
    assert screen.counter.summary == {"expected": 10, "present": 1, "late": 1, "absent": 9, "walk_ins": 0}
    screen.on_event(SignedIn(meeting_id, "M0104", "刘芳", "face", True, already=True))  # the same: no change
    for _ in range(4):
        app.nav.update(1.0)
    assert screen.mode == RESULT and "下一位（1 秒）" in texts(screen)
    app.nav.update(1.1)
    assert screen.mode == WAITING and screen.result is None


def test_liveness_prompt_and_failure_show_text_and_the_fallback(make_app):
    app, screen, _ = open_signin(make_app, camera=True)
    screen.on_event(LivenessPrompt(5))
    render(app)
    assert "请眨眨眼或左右转头" in texts(screen) and screen.preview.band == "请眨眨眼或左右转头"
    screen.on_event(FaceSignInFailed(5, "liveness", "未通过活体检测，请使用党员编号签到 / liveness not shown"))
    render(app)
    assert screen.mode == NUMBER and isinstance(screen.keypad, NumericKeypad)
    assert "未通过活体检测，请使用党员编号签到" in texts(screen) and "liveness not shown" not in texts(screen)


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
def test_the_challenge_shows_each_step_in_both_languages_with_its_countdown(make_app, size, tmp_path):
    """The face worker's randomised challenge (#17): each step arrives as a LivenessPrompt with its
    instruction, number and seconds; the screen shows it large in Chinese and English (whatever the
    kiosk's language), counts down, and puts both on the band over the preview."""
    app, screen, _ = open_signin(make_app, size, camera=True)
    frame = np.full((480, 640, 3), 90, np.uint8)
    app.ctx.actions["camera_frame"] = lambda: frame
    screen.on_event(LivenessPrompt(5, "请眨一下眼睛 / Please blink", step="blink", index=1, total=2, seconds=5.0))
    render(app)
    shown = texts(screen)
    # render() settles the screen with three 1-s updates: 2 of the step's 5 s are left
    assert "请眨一下眼睛" in shown and "Please blink" in shown and "第 1/2 步" in shown and "请在 2 秒内完成" in shown
    assert screen.preview.band == "请眨一下眼睛  Please blink"
    app.nav.update(1.0)
    assert "请在 1 秒内完成" in texts(screen)
    screen.on_event(LivenessPrompt(5, "请向左转头 / Turn your head to your left", step="turn_left", index=2,
                                   total=2, seconds=5.0))
    surface = render(app)
    shown = texts(screen)
    assert "请向左转头" in shown and "Turn your head to your left" in shown and "第 2/2 步" in shown
    assert not missing_glyphs(app.theme.font("number", True), shown.replace("\n", ""))
    pygame.image.save(surface, str(tmp_path / f"challenge-{size[0]}x{size[1]}.png"))
    assert distinct_colours(surface) > 20
    # in English the instruction leads and the Chinese follows; the countdown ends in the fallback's time
    app.ctx.lang = "en"
    screen.layout(screen.rect)
    panel = screen.info.text()
    assert panel.index("Turn your head to your left") < panel.index("请向左转头")
    app.nav.update(5.5)  # the worker's FaceSignInFailed never came (the face left): back to waiting
    assert screen.mode == WAITING


def test_a_face_passing_by_does_not_interrupt_someone_typing(make_app):
    app, screen, meeting_id = open_signin(make_app, camera=True)
    finger = Finger(app)
    finger.tap(screen.buttons["keypad"].rect.center)
    type_keys(finger, screen.keypad, "0101")
    assert screen.mode == PIN
    screen.on_event(ConfirmIdentity(9, ("M0105",), ("陈志强",), 0.41))
    screen.on_event(LivenessPrompt(9))
    screen.on_event(FaceSignInFailed(9, "liveness", "x"))
    screen.on_event(SignedIn(meeting_id, "M0105", "陈志强", "face", False))
    assert screen.mode == PIN and screen.pin_number == "M0101"
    assert app.nav.banner.visible  # someone else's sign-in: only a banner


def test_camera_preview_draws_frames_face_box_and_name_or_a_placeholder(make_app):
    app, screen, meeting_id = open_signin(make_app)
    app.ctx.status["camera"] = "ok"  # the face worker's DeviceStatus, as the app records it
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:, :] = (30, 160, 60)
    app.ctx.actions["camera_frame"] = lambda: frame
    screen.reset()
    render(app)
    assert screen.mode == WAITING and screen.preview.frame is not None
    screen.on_event(FaceSeen("M0101", 0.3, 0.1, (100, 400, 300, 240)))
    surface = draw_now(app)
    box = screen.preview.box_rect()
    assert box is not None and screen.preview.frame_rect.contains(box)
    # mirrored: camera x 240..400 of 640 → 240..400 from the right edge
    fr = screen.preview.frame_rect
    assert abs((box.x - fr.x) / fr.w - (640 - 400) / 640) < 0.01
    assert screen.preview.label == "王建国？"  # a match is a guess until the member is signed in
    assert surface.get_at((fr.x + 5, fr.y + 5))[:3] == (30, 160, 60)
    assert surface.get_at((box.centerx, box.top + 1))[:3] == app.theme.palette.gold

    screen.on_event(SignedIn(meeting_id, "M0101", "王建国", "face", False))
    assert screen.preview.label == "王建国"
    screen.on_event(FaceSeen(None, 0.6, None, (100, 400, 300, 240)))
    assert screen.preview.label == "未能识别"

    def broken():
        raise OSError("camera gone")

    app.ctx.actions["camera_frame"] = broken
    render(app)
    assert screen.preview.frame is None and not isinstance(app.nav.top, ErrorScreen)
    assert "摄像头暂无画面" in texts(screen)


def test_choosing_between_two_open_meetings(make_app):
    app, screen, meeting_id = open_signin(make_app, extra=True)
    finger = Finger(app)
    assert len(screen.cards) == 2 and all(c.enabled for c in screen.cards)
    b01 = next(i for i, m in enumerate(screen.meetings) if m.id == meeting_id)
    finger.tap(screen.cards[b01].rect.center)
    assert screen.meeting.id == meeting_id and screen.cards[b01].selected
    assert screen.counter.summary["expected"] == 10


def _check_layout(app, screen, size):
    th = app.theme
    tappable = [w for w in screen.widgets if isinstance(w, (Button, MeetingCard)) and w.enabled]
    if screen.keypad is not None:
        tappable += list(screen.keypad.keys.values())
    for w in tappable:
        assert min(w.rect.w, w.rect.h) >= 80, (screen.mode, w.rect)
        assert screen.rect.contains(w.rect), (screen.mode, w.rect)
    top = [w for w in screen.widgets if w.visible]
    for i, a in enumerate(top):
        assert screen.rect.contains(a.rect), (screen.mode, type(a).__name__, a.rect)
        for b in top[i + 1:]:
            assert not a.rect.colliderect(b.rect), (screen.mode, type(a).__name__, type(b).__name__)
    for w in screen.widgets:
        if isinstance(w, TextStack):
            assert w.fits, (size, screen.mode, w.text())
            assert all(th.type.size(r.role) >= 24 for r in w.runs)
    font = th.font("body")
    shown = texts(screen)
    assert has_glyphs(font, shown), missing_glyphs(font, shown)


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
def test_every_state_renders_in_both_orientations(make_app, size, tmp_path):
    app, screen, meeting_id = open_signin(make_app, size, camera=True, extra=True)
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[120:360, 240:400] = (220, 180, 150)

    def states():
        yield "waiting"
        app.ctx.actions["camera_frame"] = lambda: frame
        screen.on_event(FaceSeen("M0101", 0.4, 0.02, (120, 400, 360, 240)))
        screen.on_event(LivenessPrompt(1))
        yield "liveness"
        screen.on_event(ConfirmIdentity(1, ("M0101", "M0102"), ("王建国", "李秀英"), 0.41, 0.02))
        yield "confirm"
        screen.choose_candidate("M0101", "王建国")
        screen.keypad.press("0")
        yield "verify"
        for d in "101":
            screen.keypad.press(d)
        yield "pending"
        screen.on_event(SignedIn(meeting_id, "M0101", "王建国", "face", True))
        yield "result"
        screen.mode_s = 3
        screen.on_event(FaceSignInFailed(2, "refused", "不在会议签到时间内 / the meeting is not open for sign-in"))
        yield "failed"
        for d in "0101":
            screen.keypad.press(d)
        screen.keypad.press("ok")
        yield "pin"
        del app.ctx.actions["camera_frame"]
        app.ctx.status["camera"] = "off"
        screen.reset()
        yield "no_camera"

    expected = {"waiting": WAITING, "liveness": "liveness", "confirm": CONFIRM, "verify": VERIFY, "pending": PENDING,
                "result": RESULT, "failed": NUMBER, "pin": PIN, "no_camera": NUMBER}
    for name in states():
        assert screen.mode == expected[name], name
        surface = render(app)
        assert not isinstance(app.nav.top, ErrorScreen), app.nav.errors[-1:]
        assert distinct_colours(surface) > 12, name
        _check_layout(app, screen, size)
        pygame.image.save(surface, str(tmp_path / f"signin-{name}-{size[0]}x{size[1]}.png"))
    later = utcnow() + LATER * 2
    none_app = make_app(size, now=later)
    with none_app.terminal.db.session() as s:
        create_meeting(s, type="党小组会", title_zh="第一党小组会：安全生产与作风建设讨论", branch_code="B01",
                       starts_at=later + timedelta(days=1), ends_at=later + timedelta(days=1, hours=1),
                       place_zh="运维基地综合楼二楼党员活动室")
    none_screen = SignInScreen(none_app.ctx)
    none_app.nav.push(none_screen)
    surface = render(none_app)
    _check_layout(none_app, none_screen, size)
    assert "下一场会议" in texts(none_screen)
    pygame.image.save(surface, str(tmp_path / f"signin-none-{size[0]}x{size[1]}.png"))


def test_the_next_persons_prompt_waits_for_the_card_and_a_lost_confirmation_falls_back(make_app):
    app, screen, meeting_id = open_signin(make_app, camera=True)
    screen.on_event(SignedIn(meeting_id, "M0106", "杨丽娟", "face", False))
    screen.on_event(ConfirmIdentity(11, ("M0107",), ("赵磊",), 0.42))
    assert screen.mode == RESULT  # the last person reads their card first
    app.nav.update(1.0)
    app.nav.update(1.1)
    assert screen.mode == CONFIRM and screen.track_id == 11
    screen.choose_candidate("M0107", "赵磊")
    for d in last_digits("M0107"):
        screen.keypad.press(d)
    assert screen.mode == PENDING
    for _ in range(11):  # the worker never answered (its track was lost)
        app.nav.update(1.0)
    assert screen.mode == NUMBER and "刷脸签到未完成" in texts(screen)


def test_an_off_roster_member_is_a_guest_or_refused_never_silently_put_elsewhere(make_app):
    """M0201 (branch B02) is on no open roster: the B01 支部党员大会 (the only open meeting) takes them as
    列席, counted apart from the roster; when a B02 支委会 (no walk-ins) is open too, nothing is chosen for
    them silently: 不在本次会议名单."""
    app, screen, meeting_id = open_signin(make_app)
    finger = Finger(app)
    with app.terminal.db.session() as s:
        s.scalars(select(Member).where(Member.number == "M0201")).one().pin_hash = hash_pin(PIN_CODE)
    type_keys(finger, screen.keypad, "0201")
    type_keys(finger, screen.keypad, PIN_CODE)
    assert screen.mode == RESULT and screen.result.walk_in and "列席" in texts(screen)
    assert attendance(app, meeting_id) == [("M0201", "pin", False)]
    assert screen.counter.summary["present"] == 0 and screen.counter.summary["walk_ins"] == 1
    with app.terminal.db.session() as s:  # the second kiosk shares this database: one open B01 meeting only
        s.get(Meeting, meeting_id).closed = True

    app, screen, meeting_id = open_signin(make_app, extra=True, started_ago=5)  # not the closed one again
    finger = Finger(app)
    with app.terminal.db.session() as s:
        s.scalars(select(Member).where(Member.number == "M0102")).one().pin_hash = hash_pin(PIN_CODE)
        committee = s.scalars(select(Meeting).where(Meeting.type == "支委会")).all()[-1]
        committee.roster = [m for m in committee.roster if m.number != "M0201"]
        committee_id = committee.id
        member = s.scalars(select(Member).where(Member.number == "M0102")).one()
        with pytest.raises(SignInError, match="不在本次会议名单"):  # the committee takes no walk-ins
            sign_in(s, committee, member, method="pin", terminal_id="k1", now=app.ctx.now())
    type_keys(finger, screen.keypad, "0102")  # on the B01 roster: signed in there, not to the committee
    type_keys(finger, screen.keypad, PIN_CODE)
    assert screen.mode == RESULT and not screen.result.walk_in and screen.result.meeting_id == meeting_id
    assert attendance(app, committee_id) == []


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("camera", [True, False], ids=["camera", "no-camera"])
def test_the_sign_in_screen_shows_the_meetings_qr_code_for_phones(make_app, kiosk_config, size, camera, tmp_path):
    """扫码签到 (#20): with web.base_url set the screen shows a code — beside or under the camera, or in its
    place without one — that a phone's camera reads as the web app's URL for this meeting and terminal."""
    import cv2

    from core import qrsign
    from core.models import Meeting
    from kiosk.qr_panel import QrWidget

    kiosk_config.web.base_url = "http://192.168.1.20:8080"
    app, screen, meeting_id = open_signin(make_app, size, camera=camera)
    widgets = [w for w in screen.widgets if isinstance(w, QrWidget)]
    assert len(widgets) == 1
    assert (screen.preview is not None) == screen.face_available
    if screen.preview is not None:
        assert not widgets[0].rect.colliderect(screen.preview.rect)
    surface = draw_now(app)
    pygame.image.save(surface, str(tmp_path / f"signin-qr-{size[0]}x{size[1]}.png"))
    # read the code as a phone would frame it: the panel alone, enlarged (whole pixels), with a white margin
    panel = pygame.surfarray.array3d(surface.subsurface(widgets[0].rect)).swapaxes(0, 1)
    gray = cv2.cvtColor(np.ascontiguousarray(panel), cv2.COLOR_RGB2GRAY)
    url = ""
    for scale in (1, 2, 3, 4):  # like a phone trying again from another distance
        framed = cv2.copyMakeBorder(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST),
                                    40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
        for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
            url = detector.detectAndDecode(framed)[0] or url
        if url:
            break
    assert url.startswith("http://192.168.1.20:8080/qr/"), url
    claim = qrsign.verify(url.rsplit("/", 1)[1], key=qrsign.load_key(kiosk_config), now=app.ctx.now())
    with app.terminal.db.session() as s:
        assert claim.meeting_uuid == s.get(Meeting, meeting_id).uuid
    assert claim.terminal_id == kiosk_config.site.terminal_id


def test_the_result_card_names_a_qr_sign_in(make_app):
    app, screen, meeting_id = open_signin(make_app)
    screen.on_event(SignedIn(meeting_id, "M0101", "王建国", "qr", False))
    render(app)
    assert "扫码签到" in texts(screen)


def test_the_keypad_speaks_the_visitors_language(make_app):
    """清空 / 删除 / 确定 for a Chinese visitor, Clear / Delete / OK (with the Chinese under it) for an English one;
    the keys keep their names, so typing works the same."""
    from kiosk.screens.signin import PIN
    from kiosk.ui.widgets.bilingual import BiButton

    app, screen, _ = open_signin(make_app)  # no camera: the member-number keypad at once
    assert screen.mode == NUMBER
    keys = screen.keypad.keys
    assert isinstance(keys["确定"], BiButton) and (keys["确定"].text, keys["确定"].second) == ("确定", "OK")
    app.ctx.lang = "en"
    screen.layout(screen.rect)
    render(app)
    keys = screen.keypad.keys
    assert (keys["确定"].text, keys["确定"].second) == ("OK", "确定")
    assert (keys["清空"].text, keys["删除"].text) == ("Clear", "Delete")
    type_keys(Finger(app), screen.keypad, "0101")
    assert screen.mode == PIN

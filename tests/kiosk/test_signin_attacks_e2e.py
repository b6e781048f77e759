"""#17's Done-means in the real kiosk loop with the real face worker reading a video file as its camera and
the real database: a generated attack on an enrolled member (one photo, a blink faked by squeezing the eyes
shut, then its nose region warped sideways like a turn) is recognised, shown the randomised challenge on the
sign-in screen, refused, and sent to the member-number keypad, where the member's PIN still signs them in;
and with the camera gone, sign-in by PIN works and the face returns when the camera does."""

from __future__ import annotations

import base64
import os
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.events import FaceSignInFailed, LivenessPrompt
from core.meetings import create_meeting
from core.models import Attendance, Member
from core.secrets import hash_pin
from kiosk.screens.signin import LIVENESS, NUMBER, PIN, RESULT, SignInScreen
from robot_assistant.face.camera import write_video
from robot_assistant.face.enroll import Enroller
from robot_assistant.face.liveness import LivenessSettings
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.templates import TemplateCipher, TemplateStore
from robot_assistant.face.worker import FaceWorker
from tests.face.conftest import attack_frames, faces, sface  # noqa: F401 — the real SFace engine (skips without it)
from tests.kiosk.test_kiosk_app import Finger, render
from tests.kiosk.test_signin import type_keys

PIN_CODE = "246813"


def pump(app, until, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.on_frame(0.05)
        app.nav.update(0.05)
        if until():
            return True
        time.sleep(0.02)
    return False


def kiosk_with_member(make_app, sface, faces: Path, tmp_path: Path):  # noqa: F811
    """The real kiosk with a meeting open, M0101 (王建国) enrolled from df_person01's first photo and given
    a PIN, and the face key the worker reads."""
    key = os.urandom(32)
    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(key).decode())
    key_file.chmod(0o600)
    app = make_app((1280, 720))
    now = app.ctx.now()
    with app.terminal.db.session() as s:
        app.meeting_id = create_meeting(s, type="支部党员大会", title_zh="支部党员大会：学习贯彻全会精神", title_en="General meeting",
                       branch_code="B01", starts_at=now - timedelta(minutes=3), ends_at=now + timedelta(hours=2)).id
        s.scalars(select(Member).where(Member.number == "M0101")).one().pin_hash = hash_pin(PIN_CODE)
        store = TemplateStore(TemplateCipher(key), sface.template_model)
        report = Enroller(sface, store, jitters=2).enroll(s, {"M0101": [faces / "df_person01" / "1.jpg"]},
                                                          consent_version="v1", actor="admin:t")
        assert report.enrolled == ["M0101"], report.lines()
    return app, key_file


def attendance_rows(app) -> int:
    """Sign-ins to the test's meeting (the demo site has half a year of history)."""
    with app.terminal.db.session() as s:
        return s.scalar(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == app.meeting_id))


def test_a_generated_attack_is_shown_the_challenge_refused_and_the_pin_still_works(make_app, sface, faces,  # noqa: F811
                                                                                  tmp_path: Path):
    app, key_file = kiosk_with_member(make_app, sface, faces, tmp_path)
    photo = faces / "df_person01" / "1.jpg"
    frames = (attack_frames(sface, photo, "still", frames=15, blink_at={6, 7, 8})
              + attack_frames(sface, photo, "nose_warp", frames=48, amplitude=30.0))
    app.terminal.config.devices.camera = str(write_video(tmp_path / "attack.avi", frames, 15.0))
    seen = app.terminal.bus.subscribe(LivenessPrompt, FaceSignInFailed)
    settings = FaceSettings(key_file=key_file, upsample=0, liveness=LivenessSettings(step_window_s=2.5))
    worker = FaceWorker(app.terminal, settings, engine=sface).start()
    app.ctx.actions["camera_frame"] = worker.latest_rgb
    try:
        assert pump(app, lambda: app.ctx.status.get("camera") == "ok")
        screen = SignInScreen(app.ctx)
        app.nav.push(screen)
        shown = []

        def watch() -> bool:
            if screen.mode == LIVENESS:
                shown.append(screen.info.text())
            return screen.mode == NUMBER and bool(screen.message)

        assert pump(app, watch), f"no fallback: mode {screen.mode}"
        events = seen.drain()
        prompts = [e for e in events if isinstance(e, LivenessPrompt)]
        assert prompts and prompts[0].step == "blink" and prompts[0].total == 2
        assert shown and "活体验证 第 1/2 步" in shown[0] and "请眨一下眼睛" in shown[0] and "Please blink" in shown[0]
        assert any(isinstance(e, FaceSignInFailed) and e.reason == "liveness" for e in events)
        assert "请使用党员编号签到" in screen.message
        assert attendance_rows(app) == 0  # the photo signed nobody in
        render(app)
        finger = Finger(app)
        type_keys(finger, screen.keypad, "0101")
        assert screen.mode == PIN
        type_keys(finger, screen.keypad, PIN_CODE)
        assert screen.mode == RESULT and screen.result.number == "M0101" and screen.result.method == "pin"
        assert attendance_rows(app) == 1
    finally:
        worker.stop()


def test_with_the_camera_gone_the_pin_signs_in_and_the_face_returns_with_the_camera(make_app, sface, faces,  # noqa: F811
                                                                                      tmp_path: Path):
    app, key_file = kiosk_with_member(make_app, sface, faces, tmp_path)
    still = attack_frames(sface, faces / "obama" / "1.jpg", "still", frames=8)  # someone not enrolled
    video = write_video(tmp_path / "camera.avi", still, 10.0)
    app.terminal.config.devices.camera = str(video)
    worker = FaceWorker(app.terminal, FaceSettings(key_file=key_file, upsample=0), engine=sface).start()
    app.ctx.actions["camera_frame"] = worker.latest_rgb
    try:
        screen = SignInScreen(app.ctx)
        app.nav.push(screen)
        assert pump(app, lambda: screen.preview is not None and screen.preview.frame is not None)
        assert screen.mode != NUMBER  # face sign-in is the waiting state while the camera works
        video.rename(tmp_path / "unplugged.avi")
        assert pump(app, lambda: app.ctx.status.get("camera") != "ok" and screen.preview.frame is None)
        assert screen.mode == NUMBER and "摄像头不可用" in [r.text for r in screen.preview.placeholder_texts()]
        finger = Finger(app)
        type_keys(finger, screen.keypad, "0101")
        type_keys(finger, screen.keypad, PIN_CODE)
        assert screen.mode == RESULT and screen.result.method == "pin" and attendance_rows(app) == 1
        (tmp_path / "unplugged.avi").rename(video)
        assert pump(app, lambda: app.ctx.status.get("camera") == "ok" and screen.preview.frame is not None)
    finally:
        worker.stop()

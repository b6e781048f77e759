"""The sign-in preview after the camera is lost (#19), in the real kiosk loop with the real face worker
reading a video file as its camera: the preview showed the last picture for ever; now the worker forgets
it when the camera is lost and the screen shows the camera-unavailable placeholder, then the picture
again when the camera is back."""

from __future__ import annotations

import base64
import os
import time
from datetime import timedelta
from pathlib import Path

import cv2

from core.meetings import create_meeting
from kiosk.screens.signin import SignInScreen
from robot_assistant.face.camera import write_video
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.worker import FaceWorker
from tests.face.conftest import engine  # noqa: F401 — the real engine (skips, or fails in CI, without it)
from tests.kiosk.test_kiosk_app import render


def pump(app, until, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.on_frame(0.05)
        app.nav.update(0.05)
        render(app)
        if until():
            return True
        time.sleep(0.02)
    return False


def test_the_preview_drops_the_last_picture_when_the_camera_is_lost(make_app, engine, testdata: Path,  # noqa: F811
                                                                     tmp_path: Path):
    cap = cv2.VideoCapture(str(testdata / "video" / "real_person_clip.mp4"))
    frames = [cv2.resize(cap.read()[1], (320, 180)) for _ in range(8)]
    cap.release()
    video = write_video(tmp_path / "camera.avi", frames, fps=10)
    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    key_file.chmod(0o600)

    app = make_app((1280, 720))
    app.terminal.config.devices.camera = str(video)  # looped (devices.camera_loop defaults to true)
    worker = FaceWorker(app.terminal, FaceSettings(key_file=key_file, upsample=0), engine=engine).start()
    app.ctx.actions["camera_frame"] = worker.latest_rgb  # as run_kiosk wires it
    try:
        now = app.ctx.now()
        with app.terminal.db.session() as s:  # an open meeting: the screen waits for faces
            create_meeting(s, type="支部党员大会", title_zh="支部党员大会：学习贯彻全会精神", title_en="General meeting",
                           branch_code="B01", starts_at=now - timedelta(minutes=3), ends_at=now + timedelta(hours=2))
        assert pump(app, lambda: app.ctx.status.get("camera") == "ok")
        screen = SignInScreen(app.ctx)
        app.nav.push(screen)
        assert pump(app, lambda: screen.preview.frame is not None and app.ctx.status.get("camera") == "ok")

        video.rename(tmp_path / "unplugged.avi")  # the loop's reopen finds no file: the camera is lost
        assert pump(app, lambda: app.ctx.status.get("camera") == "bad" and screen.preview.frame is None)
        assert worker.latest_rgb() is None
        for _ in range(10):  # and it stays gone: no stale picture comes back
            app.on_frame(0.1)
            app.nav.update(0.1)
        render(app)
        assert screen.preview.frame is None
        assert "摄像头不可用" in [r.text for r in screen.preview.placeholder_texts()]

        (tmp_path / "unplugged.avi").rename(video)  # plugged back in: the picture returns
        assert pump(app, lambda: screen.preview.frame is not None and app.ctx.status.get("camera") == "ok")
    finally:
        worker.stop()

"""A video file as the camera (demos, tests; #19): it loops when configured to (``devices.camera_loop``, on
by default) so it is still playing when someone opens sign-in minutes later, and a missing or unreadable
file is a camera reported degraded with a message naming the file, never an exception or a busy loop."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import pytest

from core.config import load_config
from core.db import Database
from core.events import DeviceStatus, EventBus
from robot_assistant.face.camera import LOST, OFF, OK, OpenCVCamera, write_video
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.worker import FaceWorker
from tests.face.conftest import T0

CLIP_FRAMES = 275  # MANIFEST: 275 frames at 29.97 fps


@pytest.fixture
def clip(testdata: Path) -> Path:
    return testdata / "video" / "real_person_clip.mp4"


def test_the_real_clip_loops_in_continuing_video_time(clip: Path):
    cam = OpenCVCamera(clip, loop=True)
    frames, gaps = [], 0
    while len(frames) < CLIP_FRAMES + 60:
        f = cam.read()
        if f is None:
            gaps += 1  # the one read that reopens the file at its end
            assert gaps <= 2 and cam.state == OK, cam.message
            continue
        frames.append(f)
    cam.close()
    assert gaps == 1 and cam.reopen_attempts == 2
    times = [f.t for f in frames]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))  # time goes on across the wrap
    assert times[-1] == pytest.approx((CLIP_FRAMES + 59) / 29.97, abs=0.05)
    assert frames[CLIP_FRAMES].image.shape == frames[0].image.shape == (360, 640, 3)
    assert cv2.norm(frames[CLIP_FRAMES].image, frames[0].image) < 1e-6 * frames[0].image.size  # the start again


def test_the_real_clip_without_loop_ends_and_turns_off(clip: Path):
    states = []
    cam = OpenCVCamera(clip, loop=False, on_status=lambda s, m: states.append((s, m)))
    n = 0
    while cam.read() is not None:
        n += 1
    assert n == CLIP_FRAMES and cam.state == OFF and states[-1] == (OFF, f"video {str(clip)!r} ended")


def test_a_missing_or_unreadable_file_is_reported_not_raised(tmp_path: Path):
    clock = SimpleNamespace(t=100.0)
    for path, says in ((tmp_path / "nosuch.mp4", "does not exist"), (tmp_path, "is a folder, not a video file"),
                       (tmp_path / "junk.mp4", "cannot be read as video")):
        if path.name == "junk.mp4":
            path.write_bytes(os.urandom(4096))
        states = []
        cam = OpenCVCamera(path, loop=True, clock=lambda: clock.t, backoff_initial=0.5,
                           on_status=lambda s, m, out=states: out.append((s, m)))
        for _ in range(50):  # reads while it is missing: one attempt, then the backoff (not 50 reopens)
            assert cam.read() is None
        assert cam.state == LOST and cam.reopen_attempts == 1, cam.message
        assert says in cam.message and str(path) in cam.message and "devices.camera" in cam.message
        assert states == [(LOST, cam.message)]
        clock.t += cam.next_retry_in
        assert cam.read() is None and cam.reopen_attempts == 2  # retried after the wait


def test_a_file_that_opens_but_gives_no_frame_waits_instead_of_spinning(tmp_path: Path, clip: Path):
    """A truncated copy of the clip: OpenCV may open it yet decode nothing; with loop on, that was a
    reopen on every read."""
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[:2048])
    clock = SimpleNamespace(t=0.0)
    cam = OpenCVCamera(cut, loop=True, clock=lambda: clock.t)
    for _ in range(30):
        assert cam.read() is None
    assert cam.state == LOST and cam.reopen_attempts == 1
    assert "gives no frames" in cam.message or "cannot be read as video" in cam.message


def test_the_face_worker_loops_a_short_video_from_the_configuration(engine, clip: Path, tmp_path: Path):
    """The worker builds its camera from the real configuration (devices.camera + camera_loop): a
    ten-frame clip keeps delivering frames well past its end; with camera_loop false it stops."""
    cap = cv2.VideoCapture(str(clip))
    frames = [cap.read()[1] for _ in range(10)]
    cap.release()
    short = write_video(tmp_path / "short.avi", [cv2.resize(f, (320, 180)) for f in frames], fps=10)
    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    key_file.chmod(0o600)
    db = Database(f"sqlite:///{tmp_path / 'terminal.db'}")
    try:
        for loop, more_than in (("true", 25), ("false", None)):
            config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"),
                                          "DANGJIAN__DEVICES__CAMERA": str(short),
                                          "DANGJIAN__DEVICES__CAMERA_LOOP": loop})
            bus = EventBus()
            events = bus.subscribe(DeviceStatus)
            terminal = SimpleNamespace(bus=bus, db=db, terminal_id="kiosk-cam", now=lambda: T0, config=config)
            worker = FaceWorker(terminal, FaceSettings(key_file=key_file, upsample=0), engine=engine).start()
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    latest = worker.latest
                    if more_than and latest is not None and latest.index > more_than:
                        break
                    if not more_than and worker.camera is not None and worker.camera.state == OFF \
                            and worker.latest is None:
                        break
                    time.sleep(0.02)
                last = worker.latest
            finally:
                worker.stop()
            seen = [(e.state, e.message) for e in events.drain() if e.device == "camera"]
            if more_than:
                assert last.index > more_than and last.t > 2.5, seen
            else:
                assert worker.camera.state == OFF and last is None  # no last picture kept after the end
                assert ("off", f"video {str(short)!r} ended") in seen and ("ok", f"camera {str(short)!r} open") in seen
    finally:
        db.dispose()


def test_the_face_worker_reports_a_missing_video_file_degraded(engine, tmp_path: Path):
    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    key_file.chmod(0o600)
    db = Database(f"sqlite:///{tmp_path / 'terminal.db'}")
    missing = tmp_path / "demo.mp4"
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"),
                                  "DANGJIAN__DEVICES__CAMERA": str(missing)})
    bus = EventBus()
    events = bus.subscribe(DeviceStatus)
    terminal = SimpleNamespace(bus=bus, db=db, terminal_id="kiosk-cam", now=lambda: T0, config=config)
    worker = FaceWorker(terminal, FaceSettings(key_file=key_file, upsample=0), engine=engine).start()
    try:
        deadline, seen = time.monotonic() + 20, []
        while time.monotonic() < deadline and not seen:
            seen = [e for e in events.drain() if e.device == "camera" and e.state == "degraded"]
            time.sleep(0.02)
    finally:
        worker.stop()
        db.dispose()
    assert seen and f"video file {missing} does not exist" in seen[0].message
    assert worker.latest is None

"""The camera vanishes mid-session and comes back: the face worker reports it degraded, and once the
camera is back, frames and recognition resume within 3 s whatever the length of the gap.

The camera is a network camera on loopback (``mjpeg.py``: an MJPEG stream over HTTP, read by OpenCV's
FFmpeg backend exactly as an IP camera is) showing the real clip from the test data. It is unplugged for
longer than the reopen backoff's first steps add up to (0.5 + 1 + 2 s), so without the camera's probe the
next reopen would come up to 4 s after the camera is back.
"""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path
from types import SimpleNamespace

import cv2
import pytest

from core.db import Database
from core.events import DeviceStatus, EventBus, FaceSeen
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.worker import FaceWorker
from tests.face.conftest import T0, engine  # noqa: F401 — the real engine (skips, or fails in CI, without it)
from tests.faults.conftest import report
from tests.faults.mjpeg import MjpegCamera

OUTAGE_S = 4.0
RESUME_LIMIT_S = 3.0


def clip_frames(testdata: Path, first: int = 90, last: int = 210) -> list:
    """The clip's frames where a face is in view (about 90 px tall: found without upsampling)."""
    cap = cv2.VideoCapture(str(testdata / "video" / "real_person_clip.mp4"))
    frames = []
    try:
        while len(frames) < last:
            ok, image = cap.read()
            if not ok:
                break
            frames.append(image)
    finally:
        cap.release()
    assert len(frames) == last, "the test clip is shorter than expected"
    return frames[first:last]


def test_camera_unplugged_and_back_resumes_within_3_s(engine, testdata: Path, tmp_path: Path):  # noqa: F811
    camera = MjpegCamera(clip_frames(testdata), fps=15)
    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    key_file.chmod(0o600)
    db = Database(f"sqlite:///{tmp_path / 'terminal.db'}")  # no one enrolled: faces are seen as strangers
    bus = EventBus()
    events = bus.subscribe(DeviceStatus, FaceSeen)
    terminal = SimpleNamespace(bus=bus, db=db, terminal_id="kiosk-cam", now=lambda: T0,
                               config=SimpleNamespace(devices=SimpleNamespace(camera=camera.url)))
    # The worker opens the camera itself, as on a terminal: default backoff, default probe.
    worker = FaceWorker(terminal, FaceSettings(key_file=key_file, upsample=0), engine=engine)
    log: list[tuple[float, object]] = []

    def pump() -> None:
        now = time.monotonic()
        log.extend((now, e) for e in events.drain())

    def wait_for(what, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pump()
            found = what()
            if found is not None:
                return found
            time.sleep(0.005)
        return None

    def camera_state(after: float, state: str):
        return lambda: next((t for t, e in log if t >= after and isinstance(e, DeviceStatus)
                             and e.device == "camera" and e.state == state), None)

    def face_seen(after: float):
        return lambda: next((t for t, e in log if t >= after and isinstance(e, FaceSeen)), None)

    def new_frame(after: float):
        return lambda: worker.latest.t if worker.latest is not None and worker.latest.t >= after else None

    worker.start()
    try:
        began = time.monotonic()
        assert wait_for(camera_state(began, "ok"), 30), log
        assert wait_for(face_seen(began), 30), f"no face seen before the camera was unplugged: {log}"

        unplugged = time.monotonic()
        camera.unplug()
        degraded = wait_for(camera_state(unplugged, "degraded"), 5)
        assert degraded is not None, f"the worker did not report the camera degraded: {log}"
        message = next(e.message for t, e in log if t == degraded and isinstance(e, DeviceStatus))
        time.sleep(max(0.0, unplugged + OUTAGE_S - time.monotonic()))
        # nothing while it was gone: the last picture is dropped (a preview must not show a stale frame)
        assert worker.latest is None

        camera.plug()
        back = time.monotonic()
        frame_t = wait_for(new_frame(back), 10)
        ok_t = wait_for(camera_state(back, "ok"), 10)
        seen_t = wait_for(face_seen(back), 10)
    finally:
        worker.stop()
        camera.close()
        db.dispose()
    assert frame_t is not None and ok_t is not None, f"the camera never came back: {log}"
    assert seen_t is not None, f"no face recognised after the camera came back: {log}"
    frame_s, ok_s, seen_s = frame_t - back, ok_t - back, seen_t - back
    assert frame_s < RESUME_LIMIT_S, f"frames resumed {frame_s:.2f} s after the camera was back"
    assert seen_s < RESUME_LIMIT_S, f"recognition resumed {seen_s:.2f} s after the camera was back"
    report("camera_vanish", outage_s=OUTAGE_S, degraded_after_s=round(degraded - unplugged, 3),
           degraded_message=message, status_ok_after_s=round(ok_s, 3), first_frame_after_s=round(frame_s, 3),
           first_face_seen_after_s=round(seen_s, 3))


pytestmark = pytest.mark.slow

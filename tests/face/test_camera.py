"""The camera wrapper: a video file as a camera, loss and return with backoff, status reports."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robot_assistant.face.camera import LOST, OFF, OK, OpenCVCamera, parse_source, write_video


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def tiny_video(path: Path, n: int = 5) -> Path:
    frames = [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(n)]
    return write_video(path, frames, fps=10)


def test_video_file_reads_back_in_video_time(tmp_path: Path):
    video = tiny_video(tmp_path / "v.avi")
    cam = OpenCVCamera(video)
    frames = []
    while (f := cam.read()) is not None:
        frames.append(f)
    assert len(frames) == 5 and frames[0].image.shape == (48, 64, 3)
    assert [round(f.t, 2) for f in frames] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert cam.state == OFF  # a file without loop ends
    assert parse_source("0") == 0 and parse_source("rtsp://cam/1") == "rtsp://cam/1"


def test_file_camera_renamed_away_and_restored_reopens_with_backoff(tmp_path: Path):
    video = tiny_video(tmp_path / "cam.avi", n=3)
    clock = FakeClock()
    states = []
    cam = OpenCVCamera(video, loop=True, clock=clock, backoff_initial=0.5, backoff_max=4.0,
                       on_status=lambda state, msg: states.append(state))
    assert [cam.read() is not None for _ in range(3)] == [True] * 3
    video.rename(tmp_path / "gone.avi")  # unplugged
    assert cam.read() is None and cam.state == LOST
    assert cam.next_retry_in == pytest.approx(0.5)
    waits = []
    for _ in range(4):  # each failed reopen doubles the wait, up to backoff_max
        assert cam.read() is None  # not yet time: no attempt
        clock.t += cam.next_retry_in
        before = cam.reopen_attempts
        assert cam.read() is None and cam.reopen_attempts == before + 1
        waits.append(cam.next_retry_in)
    assert waits == [1.0, 2.0, 4.0, 4.0]
    (tmp_path / "gone.avi").rename(video)  # plugged back in
    clock.t += cam.next_retry_in
    frame = cam.read()
    assert cam.state == OK and frame is not None
    assert states[0] == OK and LOST in states and states[-1] == OK
    cam.close()


class FlakyCapture:
    """A capture whose source dies after ``good`` frames (a USB camera pulled out)."""

    opened = 0

    def __init__(self, source, good: int = 2, open_ok: bool = True):
        FlakyCapture.opened += 1
        self.left = good
        self.open_ok = open_ok

    def isOpened(self) -> bool:
        return self.open_ok

    def read(self):
        if self.left > 0:
            self.left -= 1
            return True, np.zeros((4, 4, 3), np.uint8)
        return False, None

    def get(self, _prop) -> float:
        return 0.0

    def release(self) -> None:
        pass


def test_device_that_stops_delivering_is_released_and_reopened(tmp_path: Path):
    clock = FakeClock()
    plan = iter([True, False, False, True])  # opens, then two failed reopens, then back

    def factory(source):
        return FlakyCapture(source, good=2, open_ok=next(plan))

    cam = OpenCVCamera(0, clock=clock, capture_factory=factory, fail_after=3, backoff_initial=1.0)
    assert cam.read() is not None and cam.read() is not None
    assert cam.read() is None and cam.state == OK  # one bad read is not yet a loss
    cam.read()
    assert cam.read() is None and cam.state == LOST and "stopped delivering" in cam.message
    for expected in (2.0, 4.0):
        clock.t += cam.next_retry_in
        assert cam.read() is None and cam.state == LOST
        assert cam.next_retry_in == expected
    clock.t += cam.next_retry_in
    assert cam.read() is not None and cam.state == OK
    assert cam.next_retry_in == 0.0


def test_missing_device_is_reported_not_raised():
    cam = OpenCVCamera("/nonexistent/camera.avi", clock=FakeClock())
    assert cam.read() is None and cam.state == LOST and "camera.avi does not exist" in cam.message

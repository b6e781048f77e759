"""Liveness rules on synthetic landmark sequences (the real videos are in test_pipeline.py)."""

from __future__ import annotations

import numpy as np
import pytest

from robot_assistant.face.geometry import eye_aspect_ratio, mean_ear, roll_degrees, yaw
from robot_assistant.face.liveness import BLINK, TURN, LivenessChecker, LivenessSettings


def face(ear: float = 0.3, nose_x: float = 0.0, jitter: float = 0.0, rng=None) -> dict:
    """68-point-style landmarks: eyes 40 px wide at y=100, nose tip between them shifted by nose_x."""
    rng = rng or np.random.default_rng(0)

    def eye(cx: float) -> list[tuple[float, float]]:
        h = ear * 40 / 2
        pts = [(cx - 20, 100), (cx - 7, 100 - h), (cx + 7, 100 - h), (cx + 20, 100), (cx + 7, 100 + h), (cx - 7, 100 + h)]
        return [(x + rng.normal(0, jitter), y + rng.normal(0, jitter)) for x, y in pts]

    return {"left_eye": eye(100), "right_eye": eye(180), "nose_bridge": [(140, 110), (140 + nose_x, 150)]}


def feed(checker: LivenessChecker, seq: list[dict], fps: float = 10) -> list:
    return [checker.update(i / fps, lm, face_px=150) for i, lm in enumerate(seq)]


def test_geometry():
    lm = face(ear=0.3)
    assert eye_aspect_ratio(lm["left_eye"]) == pytest.approx(0.3) and mean_ear(lm) == pytest.approx(0.3)
    assert yaw(lm) == pytest.approx(0.0) and yaw(face(nose_x=16)) == pytest.approx(0.2)
    assert roll_degrees(lm) == pytest.approx(0.0)


def test_blink_relative_to_a_narrow_eyed_persons_own_baseline():
    # open eyes at EAR 0.22 (what fixed-threshold detectors would already call "closed")
    seq = [face(0.22)] * 6 + [face(0.12), face(0.10)] + [face(0.22)] * 3
    states = feed(LivenessChecker(), seq)
    assert not states[5].passed and states[-1].passed and states[-1].how == BLINK


def test_eyes_closed_without_reopening_is_not_a_blink():
    seq = [face(0.3)] * 5 + [face(0.1)] * 5
    assert not feed(LivenessChecker(LivenessSettings(methods=(BLINK,))), seq)[-1].passed


def test_head_turn_passes_and_a_single_outlier_does_not():
    turn = [face(nose_x=x) for x in (0, 0, 4, 8, 12, 14, 14)]
    assert feed(LivenessChecker(), turn)[-1].how == TURN
    spike = [face(nose_x=0)] * 4 + [face(nose_x=20)] + [face(nose_x=0)] * 4  # one bad landmark fit
    assert not feed(LivenessChecker(), spike)[-1].passed


def test_still_photo_noise_fails_and_old_samples_leave_the_window():
    rng = np.random.default_rng(1)
    still = [face(0.3, nose_x=2, jitter=0.6, rng=rng) for _ in range(40)]
    assert not any(s.passed for s in feed(LivenessChecker(), still))
    checker = LivenessChecker(LivenessSettings(window_s=1.0))
    checker.update(0.0, face(0.3), 150)
    checker.update(0.1, face(0.1), 150)
    for i in range(20):
        state = checker.update(2.0 + i / 10, face(0.3), 150)
    assert not state.passed  # the dip is older than the window


def test_small_faces_are_not_judged():
    checker = LivenessChecker()
    for i, lm in enumerate([face(0.3)] * 3 + [face(0.1)] + [face(0.3)] * 3):
        state = checker.update(i / 10, lm, face_px=40)
    assert state.samples == 0 and not state.passed
    with pytest.raises(ValueError):
        LivenessSettings(methods=("smile",))

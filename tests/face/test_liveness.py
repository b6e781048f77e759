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
    turn = [face(nose_x=x) for x in (0, 0, 4, 8, 12, 18, 22, 22)]  # 68-point style: no mouth, no box: yaw only
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


# -------------------------------------------------------------- a rigid 3-D head against 2-D edits

def head(theta_deg: float, *, nose_shift: float = 0.0, squeeze: float = 1.0, box_from_points: bool = False) -> dict:
    """Five points and the face box of a rigid head (mm, 2 px/mm) turned by ``theta_deg`` about a vertical
    axis 50 mm behind the eyes. ``nose_shift`` (px) and ``squeeze`` edit the image of a frontal head in 2-D
    instead: the nose pushed sideways, the picture narrowed about the face centre."""
    t = np.radians(theta_deg)
    pts = {"le": (-31.5, 0, 0), "re": (31.5, 0, 0), "nose": (0, 35, 30), "ml": (-24, 65, 8), "mr": (24, 65, 8)}
    ring = [(75 * np.cos(a), 95 * np.sin(a) - 50) for a in np.linspace(0, 2 * np.pi, 72)]

    def project(x, z):
        return 320 + 2 * (x * np.cos(t) + (z + 50) * np.sin(t))

    out = {k: (project(x, z), 200 + 2 * y) for k, (x, y, z) in pts.items()}
    xs = [project(x, z) for x, z in ring]
    x0, x1 = min(xs), max(xs)
    cx = (x0 + x1) / 2
    out = {k: (cx + (x - cx) * squeeze, y) for k, (x, y) in out.items()}
    out["nose"] = (out["nose"][0] + nose_shift, out["nose"][1])
    return {"left_eye": [out["le"]], "right_eye": [out["re"]], "nose_bridge": [out["nose"]],
            "top_lip": [out["ml"], out["mr"]], "face_box": [(x0, 80.0), (x1, 430.0)]}


def test_a_rigid_3d_turn_passes_and_is_marked_3d():
    seq = [head(a) for a in (0, 0, 5, 12, 20, 28, 34, 34, 34)]
    state = feed(LivenessChecker(), seq)[-1]
    assert state.passed and state.how == TURN and state.turn_check == "3d"


@pytest.mark.parametrize("edit", ["nose", "nose_and_squeeze"])
def test_a_2d_edit_of_a_still_photo_that_moves_the_nose_like_a_turn_is_refused(edit):
    """The issue's attack: one photo, the nose region pushed sideways. The yaw swings as in a turn, but
    the eyes stay put in the face outline (and, without the squeeze, the eye line does not shorten)."""
    shifts = (0, 0, 5, 10, 16, 22, 26, 26, 26)
    seq = [head(0, nose_shift=d, squeeze=(np.cos(np.radians(d)) if edit == "nose_and_squeeze" else 1.0))
           for d in shifts]
    states = feed(LivenessChecker(), seq)
    assert states[-1].yaw_range >= LivenessSettings().turn_range  # the old check would have passed it
    assert not any(s.passed for s in states) and states[-1].turn_check == "eyes"
    assert feed(LivenessChecker(LivenessSettings(turn_3d=False)), seq)[-1].passed  # as before #17


def test_foreshortening_and_mouth_must_agree_too():
    # eyes moved inside the box as in a turn, but the eye line kept its length: not a rigid head
    seq = [head(a) for a in (0, 0, 5, 12, 20, 28, 34, 34, 34)]
    flat = []
    for a, lm in zip((0, 0, 5, 12, 20, 28, 34, 34, 34), seq, strict=True):
        c = np.cos(np.radians(a))
        (lx, ly), (rx, ry) = lm["left_eye"][0], lm["right_eye"][0]
        mid, half = (lx + rx) / 2, (rx - lx) / 2 / c
        flat.append({**lm, "left_eye": [(mid - half, ly)], "right_eye": [(mid + half, ry)]})
    assert feed(LivenessChecker(), flat)[-1].turn_check == "foreshortening"
    still_mouth = [{**lm, "top_lip": seq[0]["top_lip"]} for lm in seq]
    assert feed(LivenessChecker(), still_mouth)[-1].turn_check == "mouth"

"""Measurements on 68-point landmarks: eye aspect ratio, yaw and roll.

Why inner features only: dlib's jaw-line points jump by several pixels when the detector's box moves
(measured: a still 3/4-view photo shifted by a few pixels swung a jaw-based yaw by 0.2). Eyes and
the nose are stable, so yaw is taken as where the nose tip falls between the two eye centres.
"""

from __future__ import annotations

import math

import numpy as np

from robot_assistant.face.engine import Landmarks


def eye_aspect_ratio(eye: list[tuple[int, int]]) -> float:
    """Soukupová & Čech's EAR: eye height over width (about 0.2–0.45 open, below ~0.15 closed).
    NaN when the eye has fewer than dlib's six points (SFace's YuNet gives one point per eye)."""
    if len(eye) < 6:
        return float("nan")
    p = np.asarray(eye, dtype=float)
    width = np.linalg.norm(p[0] - p[3])
    if width == 0:
        return 0.0
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def mean_ear(lm: Landmarks) -> float:
    return (eye_aspect_ratio(lm["left_eye"]) + eye_aspect_ratio(lm["right_eye"])) / 2.0


def eye_centres(lm: Landmarks) -> tuple[np.ndarray, np.ndarray]:
    return np.mean(np.asarray(lm["left_eye"], float), axis=0), np.mean(np.asarray(lm["right_eye"], float), axis=0)


def yaw(lm: Landmarks) -> float:
    """Where the nose tip projects on the line between the eye centres, minus one half: 0 frontal,
    about ±0.3 at a clear three-quarter view (sign: the side the face turns to, in image terms)."""
    left, right = eye_centres(lm)
    nose = np.asarray(lm["nose_bridge"][-1], float)
    v = right - left
    denom = float(np.dot(v, v))
    if denom == 0:
        return 0.0
    return float(np.dot(nose - left, v) / denom - 0.5)


def roll_degrees(lm: Landmarks) -> float:
    """Angle of the line between the eyes against the horizontal."""
    left, right = eye_centres(lm)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def interocular(lm: Landmarks) -> float:
    left, right = eye_centres(lm)
    return float(np.linalg.norm(right - left))

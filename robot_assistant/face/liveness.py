"""Is a live person in front of the camera, or a photo? Blink or head turn, judged per person.

Why relative to the person's own baseline: eye openness differs between people (many East Asian
members have a lower open-eye aspect ratio — 0.20–0.26 on some test faces — than the 0.2–0.25 that
fixed-threshold blink detectors call "closed"). A blink is a dip to ``blink_ratio`` of this person's
usual EAR followed by recovery.

Why head turn as well: the real test clip shows no clean blink, but its head turns swing the yaw by
0.13–0.30 a second. A still photo moved about in front of the camera keeps its landmarks' geometry:
measured on the test stills, shifted, scaled and re-compressed, the yaw (median-of-3 smoothed) moved
by at most 0.09 and the EAR never dipped below 0.84 of its baseline. So a still photo fails both.

Limits (state them to the site): a video of the member played on a phone, or a 3-D mask, is not
caught by these cues; an operator watching the terminal remains part of the protocol.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from robot_assistant.face.engine import Landmarks
from robot_assistant.face.geometry import mean_ear, yaw

BLINK, TURN = "blink", "turn"


@dataclass(frozen=True)
class LivenessSettings:
    methods: tuple[str, ...] = (BLINK, TURN)
    blink_ratio: float = 0.65
    """A blink dips the EAR to this fraction of the person's baseline (75th percentile of the window)."""
    reopen_ratio: float = 0.85
    turn_range: float = 0.15
    """Smoothed yaw must span this much inside the window (0 frontal, ~0.3 three-quarter view)."""
    smooth: int = 3
    window_s: float = 4.0
    min_samples: int = 4
    min_face_px: int = 60
    """Landmarks on smaller faces are too noisy to judge; such frames are not used."""

    def __post_init__(self) -> None:
        unknown = set(self.methods) - {BLINK, TURN}
        if unknown:
            raise ValueError(f"unknown liveness method(s) {sorted(unknown)}: use blink, turn")


@dataclass(frozen=True)
class LivenessState:
    passed: bool
    how: str | None = None
    samples: int = 0
    yaw_range: float = 0.0
    min_ear_ratio: float = 1.0


class LivenessChecker:
    """Feed it the landmarks of one tracked face, frame after frame."""

    def __init__(self, settings: LivenessSettings = LivenessSettings()):
        self.settings = settings
        self._samples: deque[tuple[float, float, float]] = deque()  # t, ear, yaw
        self.state = LivenessState(False)

    def update(self, t: float, lm: Landmarks, face_px: int) -> LivenessState:
        if self.state.passed:
            return self.state
        s = self.settings
        if face_px >= s.min_face_px:
            self._samples.append((t, mean_ear(lm), yaw(lm)))
        while self._samples and self._samples[0][0] < t - s.window_s:
            self._samples.popleft()
        self.state = self._judge()
        return self.state

    def _judge(self) -> LivenessState:
        s = self.settings
        n = len(self._samples)
        if n < s.min_samples:
            return LivenessState(False, samples=n)
        ears = np.array([x[1] for x in self._samples])
        has_eyes = bool(np.isfinite(ears).all())  # five-point landmarks (SFace) carry no eye contour
        if not has_eyes:
            ears = np.ones_like(ears)
        yaws = np.array([x[2] for x in self._samples])
        k = max(1, s.smooth)
        smooth = np.array([np.median(yaws[max(0, i - k + 1):i + 1]) for i in range(k - 1, n)])
        yaw_range = float(smooth.max() - smooth.min()) if smooth.size else 0.0
        baseline = float(np.percentile(ears, 75))
        ratios = ears / baseline if baseline > 0 else np.ones_like(ears)
        how = None
        if BLINK in s.methods and has_eyes and _dip_and_recover(ratios, s.blink_ratio, s.reopen_ratio):
            how = BLINK
        elif TURN in s.methods and yaw_range >= s.turn_range:
            how = TURN
        return LivenessState(how is not None, how, n, yaw_range, float(ratios.min()))


def _dip_and_recover(ratios: np.ndarray, low: float, high: float) -> bool:
    """Open, then closed, then open again."""
    return any((ratios[:i] >= high).any() and (ratios[i + 1:] >= high).any()
               for i in np.flatnonzero(ratios <= low))

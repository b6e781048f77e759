"""Is a live person in front of the camera, or a photo? Blink or head turn, judged per person.

Why relative to the person's own baseline: eye openness differs between people (many East Asian
members have a lower open-eye aspect ratio — 0.20–0.26 on some test faces — than the 0.2–0.25 that
fixed-threshold blink detectors call "closed"). A blink is a dip to ``blink_ratio`` of this person's
usual EAR followed by recovery.

Why head turn as well: the real test clip shows no clean blink, but its head turns swing the yaw by
0.13–0.30 a second. A still photo moved about in front of the camera keeps its landmarks' geometry:
measured on the test stills, shifted, scaled and re-compressed, the yaw (median-of-3 smoothed) moved
by at most 0.09 and the EAR never dipped below 0.84 of its baseline. So a still photo fails both.

Why the turn must look three-dimensional: a video made from one still photo with only the nose region
warped sideways by ~15 px moved the nose between the eyes exactly like a turn and passed (issue #17). A
real head is rigid and 3-D, so when it turns by an angle θ three more things happen together that such an
edit does not produce (measured on the real clip, SFace's five points, yaw 0 → -0.36):

* **the eyes move inside the face's outline** (the detector's box): the eye midpoint shifted by about
  half the yaw change (-0.19 of the box width at yaw -0.34) — a nose-only warp leaves the eyes in place,
  and a photo squeezed, slid or scaled keeps every fraction of the box;
* **the eye line foreshortens**: interocular distance over the eye-to-mouth height fell from ~1.05 to
  ~0.73 (cos θ; vertical distances do not shrink with yaw) — a warp of the nose does not shorten it;
* **the mouth moves with the eyes**: the mouth corners' midpoint shifts inside the box like the eyes' —
  an edit that drags the eyes along but leaves the mouth (or the reverse) is not a head.

A turn counts only when the yaw span is reached *and* all three agree (``_rigid_turn``), compared between
the most frontal frames and the most turned ones by medians, so single noisy frames decide nothing.
Engines whose landmarks carry no face box of their own (dlib: its 68 points come with no box that moves
with them; the tracker's box is not aligned to them) fall back to the plain yaw span — and have blinks.

Limits (state them to the site): a video of the member played on a phone, a 3-D mask, or a 2-D edit made
to imitate all of these cues together (in practice a face re-rendered in 3-D) is not caught; IR or depth
cameras stop these. An operator watching the terminal remains part of the protocol.
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
    blink_ratio: float = 0.6
    """A blink dips the EAR to this fraction of the person's baseline (75th percentile of the window)."""
    reopen_ratio: float = 0.85
    turn_range: float = 0.15
    """Smoothed yaw must span this much inside the window (0 frontal, ~0.3 three-quarter view)."""
    turn_range_3d: float = 0.2
    """The span asked for where the 3-D check applies: larger, so the eye line's foreshortening (4% at a
    span of 0.15, 7% at 0.2) stands out of the landmark noise."""
    turn_3d: bool = True
    """Require the turn to look like a rigid 3-D head (eyes move in the face box, eye line foreshortens,
    mouth agrees) wherever the engine gives a face box and mouth corners."""
    eye_shift_ratio: float = 0.12
    """The eyes' move inside the face box, at least this times the yaw change (real turns ~0.5)."""
    foreshorten_share: float = 0.4
    """The eye line must shorten by at least this share of what a rigid head turning that far would."""
    mouth_ratio: float = 0.12
    """The mouth's move inside the face box, at least this times the yaw change (real turns ~0.45)."""
    smooth: int = 3
    window_s: float = 4.0
    min_samples: int = 4
    min_face_px: int = 60
    """Landmarks on smaller faces are too noisy to judge; such frames are not used."""
    challenge: tuple[str, ...] = (BLINK, TURN)
    """The randomised challenge's steps in order (``challenge.ChallengeChecker``): each ``turn`` goes to a
    side drawn at random. Empty: no challenge, the passive check above (any blink or 3-D turn)."""
    step_window_s: float = 5.0
    """Seconds to do each step once it is shown."""
    attempts: int = 1
    """Challenges (fresh random directions) given before the member-number fallback. More than one lets a
    replayed video that turns both ways pass any draw (it fails the first the wrong way, then matches)."""
    blink_still_yaw: float = 0.08
    """A blink counts only while the yaw stays within this of the frame before it (the head held still)."""
    baseline_s: float = 3.0
    """Seconds of frames before a blink step that count towards the person's open-eye baseline."""
    frontal_s: float = 0.5
    """Seconds of frames just before a turn step that give the yaw it is measured from."""
    wrong_way_share: float = 1.0
    """A turn the other way by this share of the asked span ends the attempt."""

    def __post_init__(self) -> None:
        unknown = set(self.methods) - {BLINK, TURN}
        if unknown:
            raise ValueError(f"unknown liveness method(s) {sorted(unknown)}: use blink, turn")
        unknown = set(self.challenge) - {BLINK, TURN, "turn_left", "turn_right"}
        if unknown:
            raise ValueError(f"unknown challenge step(s) {sorted(unknown)}: use blink, turn")


@dataclass(frozen=True)
class LivenessState:
    passed: bool
    how: str | None = None
    samples: int = 0
    yaw_range: float = 0.0
    min_ear_ratio: float = 1.0
    turn_check: str = ""
    """Why a turn of enough span was not taken as 3-D ("eyes", "foreshortening", "mouth"), or "3d"."""


class LivenessChecker:
    """Feed it the landmarks of one tracked face, frame after frame."""

    def __init__(self, settings: LivenessSettings = LivenessSettings()):
        self.settings = settings
        self._samples: deque[tuple[float, ...]] = deque()  # t, ear, yaw, foreshortening, eye shift, mouth shift
        self.state = LivenessState(False)

    def update(self, t: float, lm: Landmarks, face_px: int, box=None, ear: float | None = None) -> LivenessState:
        """One frame's landmarks of this face; ``box`` (top, right, bottom, left) is the face's box when the
        landmarks carry none of their own (``face_box``, from SFace's YuNet); ``ear`` the eye aspect ratio
        when the landmarks have no eye contours (``eyes.EyeContours`` on SFace's five points)."""
        if self.state.passed:
            return self.state
        s = self.settings
        if face_px >= s.min_face_px:
            self._samples.append((t, mean_ear(lm) if ear is None else ear, yaw(lm), *rigid_cues(lm, box)))
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
        k = max(1, s.smooth)
        cols = np.array([x[2:] for x in self._samples], float)  # yaw, foreshortening, eye shift, mouth yaw
        smooth = np.array([np.median(cols[max(0, i - k + 1):i + 1], axis=0) for i in range(k - 1, n)])
        yaw_range = float(smooth[:, 0].max() - smooth[:, 0].min()) if smooth.size else 0.0
        baseline = float(np.percentile(ears, 75))
        ratios = ears / baseline if baseline > 0 else np.ones_like(ears)
        how, check = None, ""
        if BLINK in s.methods and has_eyes and _dip_and_recover(ratios, s.blink_ratio, s.reopen_ratio):
            how = BLINK
        elif TURN in s.methods and yaw_range >= s.turn_range:
            rigid = s.turn_3d and bool(np.isfinite(smooth).all())
            if not rigid:
                check = "2d"
            elif yaw_range >= s.turn_range_3d:
                check = _rigid_turn(smooth, s)
            if check in ("3d", "2d"):
                how = TURN
        return LivenessState(how is not None, how, n, yaw_range, float(ratios.min()), check)


#: Yaw (nose between the eyes) of a head turned 90°: a rigid head at yaw y has turned by asin(y / K).
#: Fitted on the real clip: interocular over eye-mouth height fell to ~0.70 of frontal at yaw 0.36.
YAW_AT_90 = 0.55


def rigid_cues(lm: Landmarks, box=None) -> tuple[float, float, float]:
    """(foreshortening, eye shift, mouth shift) of one frame; NaN where the landmarks lack what is needed.

    foreshortening: interocular distance over the eyes-to-mouth height (cos θ times a constant);
    eye shift / mouth shift: the eye (mouth-corner) midpoint's offset from the face box's centre along the
    eye line, in box widths.
    """
    nan = float("nan")
    lip = lm.get("top_lip") or []
    if len(lip) < 2:
        return nan, nan, nan
    left, right = (np.mean(np.asarray(lm[k], float), axis=0) for k in ("left_eye", "right_eye"))
    m1, m2 = np.asarray(lip[0], float), np.asarray(lip[len(lip) // 2], float)
    v = right - left
    iod = float(np.linalg.norm(v))
    mv = m2 - m1
    if iod == 0 or not np.dot(mv, mv):
        return nan, nan, nan
    u = v / iod
    perp = np.array([-u[1], u[0]])
    eye_mid, mouth_mid = (left + right) / 2, (m1 + m2) / 2
    height = abs(float(np.dot(mouth_mid - eye_mid, perp)))
    fore = iod / height if height > 0 else nan
    corners = lm.get("face_box")
    if corners:
        (x0, y0), (x1, y1) = corners[0], corners[-1]
    elif box is not None:
        top, right_x, bottom, left_x = box
        x0, y0, x1, y1 = left_x, top, right_x, bottom
    else:
        return fore, nan, nan
    width = float(x1 - x0)
    if width <= 0:
        return fore, nan, nan
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    return fore, float(np.dot(eye_mid - centre, u)) / width, float(np.dot(mouth_mid - centre, u)) / width


def _rigid_turn(smooth: np.ndarray, s: LivenessSettings) -> str:
    """"3d" when, across the window, the cues move with the yaw as a rigid head's would, else the first cue
    that disagrees. ``smooth`` rows: yaw, foreshortening, eye shift, mouth shift (median-smoothed).

    Least-squares fits over every sample (a turn to one side, or both): the eye shift and the mouth shift
    must rise with the yaw (slopes ``eye_shift_ratio`` and ``mouth_ratio`` at least; real turns ~0.45),
    and log foreshortening against log cos θ (θ = asin(yaw / YAW_AT_90)) must have a slope of at
    least ``foreshorten_share`` (1 for a rigid head, 0 for a flat photo).
    """
    y = smooth[:, 0]
    yc = y - np.median(y[np.argsort(np.abs(y))[: max(1, len(y) // 5)]])  # yaw from this person's frontal
    if float(np.var(y)) == 0:
        return "eyes"

    def slope(values: np.ndarray, x: np.ndarray) -> float:
        x0 = x - x.mean()
        denom = float(np.dot(x0, x0))
        return float(np.dot(x0, values - values.mean()) / denom) if denom > 0 else 0.0

    if slope(smooth[:, 2], y) < s.eye_shift_ratio:
        return "eyes"
    cos = np.sqrt(np.clip(1 - (yc / YAW_AT_90) ** 2, 0.05, 1.0))
    fore = smooth[:, 1]
    if not (fore > 0).all() or float(np.ptp(np.log(cos))) < 1e-3 or \
            slope(np.log(fore), np.log(cos)) < s.foreshorten_share:
        return "foreshortening"
    if slope(smooth[:, 3], y) < s.mouth_ratio:
        return "mouth"
    return "3d"


def _dip_and_recover(ratios: np.ndarray, low: float, high: float) -> bool:
    """Open, then closed, then open again."""
    return any((ratios[:i] >= high).any() and (ratios[i + 1:] >= high).any()
               for i in np.flatnonzero(ratios <= low))

"""A randomised liveness challenge: blink, then turn the head to a side drawn at random, each step in its
own time window, each judged only on what happened after it was shown.

Why a challenge on top of the passive check (``liveness.LivenessChecker``): a passive check accepts any
blink or any 3-D turn in the last seconds, so a video of the member (or an edit of a photo) that happens
to contain both passes whenever it is played. A challenge asks for an order and a direction that the
attacker learns only when the screen shows them: a recording turns the right way half the time, and it
must also put the blink first, inside the window.

What each step counts (cues a 2-D edit of one photo does not produce together):

* **blink** — the eye aspect ratio (EAR, from dlib's 68-point eye contours, ``eyes.EyeContours``) dips to
  ``blink_ratio`` of *this person's* open-eye baseline (75th percentile of their recent frames, taken
  also from before the step was shown) and recovers to ``reopen_ratio``, after the step was shown. A still
  photo, a slid or scaled or blurred print and the nose/face warps keep the eyes open (measured: see
  bench/liveness_bench.py and README);
* **turn left / right** (the person's own left or right; on an unmirrored camera image their nose moves
  towards the image's right when they turn left) — the smoothed yaw moves from the person's frontal
  position at the step's start by ``turn_range_3d`` in the asked direction, and the samples of the step
  pass ``liveness._rigid_turn``: the eyes and the mouth move inside the face box with the yaw and the eye
  line foreshortens as a rigid 3-D head's would. A full turn the other way first fails the attempt (a
  recording that sweeps both ways would otherwise pass either direction).

A step not done inside its window, or a wrong-way turn, ends the attempt; ``attempts`` fresh challenges
(new random directions) are given before the face is sent to the member-number fallback.

Limits: a live video call or a replayed video that happens to follow the random order, a 3-D mask worn
by a person (who blinks and turns), and a real-time 3-D re-rendering are not caught; IR or depth cameras
stop the first and the last, an attendant the rest (docs/threat-model.md).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from robot_assistant.face.engine import Landmarks
from robot_assistant.face.geometry import mean_ear, yaw
from robot_assistant.face.liveness import (
    BLINK,
    TURN,
    LivenessSettings,
    _rigid_turn,
    rigid_cues,
)

TURN_LEFT, TURN_RIGHT = "turn_left", "turn_right"
STEPS = (BLINK, TURN_LEFT, TURN_RIGHT)

#: What the screen says for each step (Chinese first, large; English second).
INSTRUCTIONS = {
    BLINK: ("请眨一下眼睛", "Please blink"),
    TURN_LEFT: ("请向左转头", "Turn your head to your left"),
    TURN_RIGHT: ("请向右转头", "Turn your head to your right"),
}
#: Short names stored in ``attendance.liveness`` (16 characters at most).
SHORT = {BLINK: "blink", TURN_LEFT: "left", TURN_RIGHT: "right"}

TIMEOUT, WRONG_WAY = "timeout", "wrong_way"


def draw_steps(kinds: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    """The steps of one challenge: ``blink`` as it is, each ``turn`` to a side drawn at random
    (``turn_left`` / ``turn_right`` are taken as they are: tests and fixed-direction sites)."""
    out = []
    for kind in kinds:
        if kind == TURN:
            out.append(rng.choice((TURN_LEFT, TURN_RIGHT)))
        elif kind in STEPS:
            out.append(kind)
        else:
            raise ValueError(f"unknown challenge step {kind!r}: use blink, turn")
    return tuple(out)


@dataclass(frozen=True)
class ChallengeState:
    passed: bool = False
    started: bool = False
    step: str | None = None
    """The step being asked for now (None before the start and after the end)."""
    index: int = 0
    total: int = 0
    deadline: float = 0.0
    """Time (frame clock) by which the current step must be done."""
    attempt: int = 0
    failed: str = ""
    """Why the last attempt ended (``timeout`` or ``wrong_way``); with ``exhausted``, why it gave up."""
    exhausted: bool = False
    how: str | None = None
    """What was shown, for the attendance row: e.g. ``blink+left``."""
    min_ear_ratio: float = 1.0
    yaw_change: float = 0.0
    """How far the yaw has moved in the asked direction in this turn step (negative: the other way)."""
    turn_check: str = ""


class ChallengeChecker:
    """Feed it one tracked face's landmarks frame after frame; ``start(t)`` when the person has been told
    what to do (the first instruction is on screen). ``ear`` comes from ``eyes.EyeContours`` when the
    engine's landmarks have no eye contours (SFace)."""

    def __init__(self, settings: LivenessSettings | None = None, rng: random.Random | None = None):
        self.settings = settings or LivenessSettings()
        self.rng = rng or random.SystemRandom()
        self._samples: deque[tuple[float, ...]] = deque()  # t, ear, yaw, foreshortening, eye and mouth shift
        self.steps: tuple[str, ...] = ()
        self.state = ChallengeState()
        self._done: list[str] = []
        self._step_t = 0.0
        self._last_t = 0.0

    @property
    def needs_ear(self) -> bool:
        """Whether EARs are still wanted (a blink step is pending, or the challenge has not started)."""
        if self.state.passed or self.state.exhausted:
            return False
        return BLINK in self.settings.challenge if not self.state.started else BLINK in self.steps[self.state.index:]

    def start(self, t: float) -> ChallengeState:
        """Draw the steps and start the first one's window at ``t``."""
        if not self.state.started:
            self._new_attempt(t, attempt=1)
        return self.state

    def _new_attempt(self, t: float, attempt: int, failed: str = "") -> None:
        self.steps = draw_steps(self.settings.challenge, self.rng)
        self._done, self._step_t = [], t
        self.state = ChallengeState(started=True, step=self.steps[0], index=0, total=len(self.steps),
                                    deadline=t + self.settings.step_window_s, attempt=attempt, failed=failed)

    def give_up(self) -> ChallengeState:
        """End the challenge now as timed out (no frames came to judge the step)."""
        st = self.state
        if st.started and not st.passed:
            self.state = ChallengeState(False, True, None, st.index, st.total, st.deadline, st.attempt, TIMEOUT, True)
        return self.state

    def update(self, t: float, lm: Landmarks, face_px: int, box=None, ear: float | None = None) -> ChallengeState:
        s = self.settings
        self._last_t = t
        if face_px >= s.min_face_px:
            e = mean_ear(lm) if ear is None else ear
            self._samples.append((t, e, yaw(lm), *rigid_cues(lm, box)))
        keep = max(s.window_s, s.step_window_s) + s.baseline_s
        while self._samples and self._samples[0][0] < t - keep:
            self._samples.popleft()
        st = self.state
        if not st.started or st.passed or st.exhausted:
            return st
        step = self.steps[st.index]
        ok, detail = self._blink(t) if step == BLINK else self._turn(step, t)
        if ok:
            self._done.append(step)
            if st.index + 1 == len(self.steps):
                self.state = ChallengeState(True, True, None, st.index + 1, st.total, st.deadline, st.attempt,
                                            how="+".join(SHORT[k] for k in self._done), **detail)
            else:
                self._step_t = t
                self.state = ChallengeState(False, True, self.steps[st.index + 1], st.index + 1, st.total,
                                            t + s.step_window_s, st.attempt, st.failed, **detail)
            return self.state
        failed = detail.pop("failed", "") or (TIMEOUT if t > st.deadline else "")
        if failed:
            if st.attempt < s.attempts:
                self._new_attempt(t, st.attempt + 1, failed)
            else:
                self.state = ChallengeState(False, True, None, st.index, st.total, st.deadline, st.attempt,
                                            failed, True, **detail)
            return self.state
        self.state = ChallengeState(False, True, step, st.index, st.total, st.deadline, st.attempt, st.failed,
                                    **detail)
        return self.state

    # ------------------------------------------------------------------------------------ the steps

    def _since(self, t0: float) -> np.ndarray:
        rows = [x for x in self._samples if x[0] >= t0]
        return np.array(rows, float).reshape(len(rows), 6)

    def _blink(self, t: float) -> tuple[bool, dict]:
        s = self.settings
        every = self._since(t - s.baseline_s - s.step_window_s)
        ears = every[:, 1] if len(every) else np.zeros(0)
        ears = ears[np.isfinite(ears)] if len(ears) else ears
        if len(ears) < s.min_samples:
            return False, {}
        baseline = float(np.percentile(ears, 75))
        if not baseline > 0:
            return False, {}
        # the last frame before the step was shown (eyes open then) and every frame since
        before = [x for x in self._samples if x[0] < self._step_t and np.isfinite(x[1])][-1:]
        rows = np.array(before + [x for x in self._samples if x[0] >= self._step_t and np.isfinite(x[1])])
        if not len(rows):
            return False, {}
        ratios = rows[:, 1] / baseline
        return blink_while_still(ratios, rows[:, 2], s), {"min_ear_ratio": float(ratios.min())}

    def _turn(self, step: str, t: float) -> tuple[bool, dict]:
        """The yaw's move from where the head was when the step was shown (the last ``frontal_s`` seconds
        before it); only frames since then count as the turn, and the rigid-head fit takes those plus the
        frontal ones."""
        s = self.settings
        k = max(1, s.smooth)
        rows = self._since(self._step_t - s.frontal_s - k / 10)
        if len(rows) < k:
            return False, {}
        cols = rows[:, 2:]
        smooth = np.array([np.median(cols[max(0, i - k + 1):i + 1], axis=0) for i in range(k - 1, len(cols))])
        times = rows[k - 1:, 0]
        keep = times >= self._step_t - s.frontal_s
        smooth, times = smooth[keep], times[keep]
        after = times >= self._step_t
        if int(after.sum()) < max(1, s.min_samples - 1):
            return False, {}
        frontal = smooth[times <= self._step_t + 0.2, 0]
        ref = float(np.median(frontal if len(frontal) else smooth[after][:1, 0]))
        sign = 1.0 if step == TURN_LEFT else -1.0
        moved = sign * (smooth[after, 0] - ref)
        detail = {"yaw_change": float(moved.max() if moved.max() > -moved.min() else moved.min())}
        rigid = s.turn_3d and bool(np.isfinite(smooth).all())
        need = s.turn_range_3d if rigid else s.turn_range
        if float(moved.min()) <= -need * s.wrong_way_share:
            return False, {**detail, "failed": WRONG_WAY}
        if float(moved.max()) < need:
            return False, detail
        check = _rigid_turn(smooth, s) if rigid else "2d"
        return check in ("3d", "2d"), {**detail, "turn_check": check}


def blink_while_still(ratios: np.ndarray, yaws: np.ndarray, s: LivenessSettings) -> bool:
    """Open, then closed (``blink_ratio`` of the baseline or less), then open again (``reopen_ratio``),
    with the head still meanwhile: the yaw from the last open frame before the dip to the first open one
    after stays within ``blink_still_yaw`` of where it was. Why still: an edit that drags the eyes about
    (the warps and morphs of the attack set) also distorts the eye contours, and dlib's EAR dipped to
    0.56 of its baseline on some of them — but only while the picture was moving; a person asked to blink
    blinks in place."""
    opened = ratios >= s.reopen_ratio
    for i in np.flatnonzero(ratios <= s.blink_ratio):
        before = np.flatnonzero(opened[:i])
        after = np.flatnonzero(opened[i + 1:])
        if not len(before) or not len(after):
            continue
        a, b = before[-1], i + 1 + after[0]
        if float(np.max(np.abs(yaws[a:b + 1] - yaws[a]))) <= s.blink_still_yaw:
            return True
    return False

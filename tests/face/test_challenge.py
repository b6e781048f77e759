"""The randomised liveness challenge on synthetic five-point sequences (a rigid 3-D head, 2-D edits of a
photo) with eye aspect ratios; the real clip and the generated attacks through the pipeline are in
test_pipeline_sface.py and bench/liveness_bench.py."""

from __future__ import annotations

import random

import numpy as np
import pytest

from robot_assistant.face.challenge import (
    INSTRUCTIONS,
    TIMEOUT,
    TURN_LEFT,
    TURN_RIGHT,
    WRONG_WAY,
    ChallengeChecker,
    blink_while_still,
    draw_steps,
)
from robot_assistant.face.geometry import yaw
from robot_assistant.face.liveness import BLINK, TURN, LivenessSettings
from tests.face.test_liveness import head

FPS = 10.0


class Sides:
    """An rng that draws the given sides in turn."""

    def __init__(self, *sides):
        self.sides = list(sides)

    def choice(self, options):
        return self.sides.pop(0)


def frames(angles, ears=None, nose_shift=()) -> list[tuple[dict, float]]:
    ears = ears or [0.3] * len(angles)
    shifts = list(nose_shift) or [0.0] * len(angles)
    return [(head(a, nose_shift=d), e) for a, e, d in zip(angles, ears, shifts, strict=True)]


def run(checker: ChallengeChecker, seq, start_at: int = 0, t0: float = 0.0):
    states = []
    for i, (lm, ear) in enumerate(seq):
        t = t0 + i / FPS
        if i == start_at:
            checker.start(t)
        states.append(checker.update(t, lm, face_px=150, ear=ear))
    return states


def blink_then(angles_after) -> list:
    """Frontal with open eyes (1 s), a blink, open again, then the head at ``angles_after``."""
    return frames([0] * 10 + [0] * 6 + list(angles_after),
                  [0.3] * 10 + [0.3, 0.12, 0.1, 0.3, 0.3, 0.3] + [0.3] * len(angles_after))


def test_left_is_the_persons_own_left_the_nose_moving_to_the_image_right():
    # a head turned to its own left shows the nose towards the right of an unmirrored camera image
    assert yaw(head(25)) > 0.1 > -0.1 > yaw(head(-25))
    assert INSTRUCTIONS[TURN_LEFT] == ("请向左转头", "Turn your head to your left")


def test_blink_then_the_asked_turn_passes():
    checker = ChallengeChecker(rng=Sides(TURN_LEFT))
    states = run(checker, blink_then([0, 6, 14, 22, 30, 34, 34, 34]), start_at=10)
    assert states[10].step == BLINK and states[10].index == 0 and states[10].total == 2
    assert any(s.step == TURN_LEFT and s.index == 1 for s in states)
    assert states[-1].passed and states[-1].how == "blink+left" and states[-1].turn_check == "3d"
    assert not checker.needs_ear  # no more eye contours needed once the blink is in


def test_a_turn_the_other_way_fails_and_a_second_attempt_draws_again():
    seq = blink_then([0, -6, -14, -22, -30, -34, -34])
    checker = ChallengeChecker(rng=Sides(TURN_LEFT))
    state = run(checker, seq, start_at=10)[-1]
    assert not state.passed and state.exhausted and state.failed == WRONG_WAY
    checker = ChallengeChecker(LivenessSettings(attempts=2), rng=Sides(TURN_LEFT, TURN_RIGHT))
    state = run(checker, seq, start_at=10)[-1]
    assert not state.exhausted and state.attempt == 2 and state.failed == WRONG_WAY and state.step == BLINK


def test_what_happened_before_the_step_was_shown_does_not_count():
    # the blink and the turn were done before the challenge started: the blink step waits, then times out
    seq = blink_then([0, 6, 14, 22, 30, 34, 34, 0, 0]) + frames([0] * 60)
    checker = ChallengeChecker(rng=Sides(TURN_LEFT))
    states = run(checker, seq, start_at=len(seq) - 60)
    assert not any(s.passed for s in states)
    assert states[-1].exhausted and states[-1].failed == TIMEOUT and states[-1].index == 0


def test_the_turn_must_come_after_the_blink():
    # turned left while the blink was asked for, then blinked, then stayed frontal: the turn is not counted
    seq = frames([0] * 10 + [0, 10, 20, 30, 34, 20, 10, 0, 0, 0] + [0] * 6 + [0] * 60,
                 [0.3] * 20 + [0.3, 0.12, 0.1, 0.3, 0.3, 0.3] + [0.3] * 60)
    states = run(ChallengeChecker(rng=Sides(TURN_LEFT)), seq, start_at=10)
    assert any(s.step == TURN_LEFT for s in states) and not any(s.passed for s in states)
    assert states[-1].failed == TIMEOUT and states[-1].index == 1


def test_a_blink_counts_only_relative_to_the_persons_own_eyes_and_with_the_head_still():
    s = LivenessSettings()
    # narrow eyes (open EAR 0.22): a dip to 0.12 is a blink for this person
    assert blink_while_still(np.array([1, 1, 0.55, 1, 1]), np.zeros(5), s)
    assert not blink_while_still(np.array([1, 1, 0.7, 1, 1]), np.zeros(5), s)  # not closed enough
    assert not blink_while_still(np.array([1, 1, 0.4, 0.4, 0.4]), np.zeros(5), s)  # never reopened
    # the same dip while the picture swings sideways (a warp dragging the eyes): not a blink
    assert not blink_while_still(np.array([1, 1, 0.5, 1, 1]), np.array([0, 0.05, 0.12, 0.2, 0.25]), s)


def test_a_2d_nose_warp_after_a_real_looking_blink_fails_the_turn_step():
    """The issue's attack with a blink put in: the nose swings like a turn, the eyes stay put in the
    face box, so the turn step never passes and its window runs out."""
    shifts = [0] * 16 + [0, 5, 10, 16, 22, 26, 26, 26] + [26] * 50
    seq = frames([0] * len(shifts), [0.3] * 10 + [0.3, 0.12, 0.1, 0.3, 0.3, 0.3] + [0.3] * 58, nose_shift=shifts)
    states = run(ChallengeChecker(rng=Sides(TURN_LEFT)), seq, start_at=10)
    assert any(s.step == TURN_LEFT and s.yaw_change >= 0.2 for s in states)  # the old check would pass it
    assert not any(s.passed for s in states) and states[-1].failed == TIMEOUT
    assert any(s.turn_check == "eyes" for s in states)


def test_sides_are_drawn_at_random_and_steps_are_checked():
    rng = random.Random(17)
    draws = [draw_steps((BLINK, TURN), rng) for _ in range(400)]
    assert {d[0] for d in draws} == {BLINK}
    lefts = sum(d[1] == TURN_LEFT for d in draws)
    assert 160 < lefts < 240 and {d[1] for d in draws} == {TURN_LEFT, TURN_RIGHT}
    assert draw_steps(("turn_right",), rng) == (TURN_RIGHT,)
    with pytest.raises(ValueError, match="unknown challenge step"):
        LivenessSettings(challenge=("nod",))


def test_no_frames_to_judge_gives_up_when_asked():
    checker = ChallengeChecker(rng=Sides(TURN_LEFT))
    checker.start(0.0)
    state = checker.give_up()
    assert state.exhausted and state.failed == TIMEOUT and not state.passed

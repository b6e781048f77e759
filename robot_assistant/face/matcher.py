"""Open-set identification: accept, ask, or reject — never guess.

Why three outcomes: on East Asian faces dlib's encodings put strangers close to members (DESIGN:
tolerance 0.6 accepted every stranger; on our test set one stranger photo lay 0.374 from a member's
centroid while genuine photos reached 0.39). No single tolerance separates them, so:

* **accept** — every one of the last ``frames_to_agree`` frames names the same member, the mean of
  those frames' encodings is within ``accept_tolerance`` of that member, and at least ``min_margin``
  nearer than any other member;
* **ask** — within ``ask_tolerance`` but not clear enough: the kiosk shows the candidate(s) and asks
  for a one-tap confirmation or the member number;
* **reject** — nobody enrolled is near: sign in by PIN / member number instead.

Averaging the encodings of a few frames acts like dlib's jitter on the probe side, and requiring each
frame to agree stops one odd frame (blur, half-turned face) from deciding. Defaults were calibrated
with ``robot_assistant.face.calibration`` (see bench/face_bench.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from robot_assistant.face.templates import Hit, SearchResult, TemplateIndex

ACCEPT, ASK, REJECT, PENDING = "accept", "ask", "reject", "pending"


@dataclass(frozen=True)
class MatchPolicy:
    """Thresholds in the engine's distance. The defaults below are dlib's (Euclidean); the shipped
    policy per engine, SFace's included, is ``settings.ENGINE_DEFAULTS`` / ``engine_policy(name)``."""

    accept_tolerance: float = 0.36
    """Calibrated on faces_east_asian (3 frames, centroids of 10-jitter enrolment encodings): the
    nearest stranger lay at 0.373; at 0.38 one stranger in 25 was accepted."""
    ask_tolerance: float = 0.45
    """Every genuine East Asian probe fell under 0.39; strangers spread from 0.37 to 0.52."""
    min_margin: float = 0.06
    frames_to_agree: int = 3
    """Frames whose encodings are averaged, and which must each name the same nearest member."""

    def __post_init__(self) -> None:
        if not 0 < self.accept_tolerance <= self.ask_tolerance:
            raise ValueError("need 0 < accept_tolerance <= ask_tolerance")
        if self.frames_to_agree < 1 or self.min_margin < 0:
            raise ValueError("frames_to_agree must be >= 1 and min_margin >= 0")


@dataclass(frozen=True)
class Decision:
    outcome: str
    """accept | ask | reject | pending"""
    best: Hit | None = None
    candidates: tuple[Hit, ...] = ()
    """For ``ask``: the member(s) to offer, nearest first."""
    distance: float | None = None
    margin: float | None = None
    frames: int = 0
    agreed: bool = False

    @property
    def member_number(self) -> str | None:
        return self.best.number if self.best and self.outcome in (ACCEPT, ASK) else None


def decide(result: SearchResult, policy: MatchPolicy, agreed: bool = True, frames: int = 1) -> Decision:
    """The outcome for one (possibly frame-averaged) search result."""
    best = result.best
    if best is None:
        return Decision(REJECT, frames=frames)
    margin = result.margin
    finite_margin = None if margin == float("inf") else margin
    if agreed and best.distance <= policy.accept_tolerance and margin >= policy.min_margin:
        return Decision(ACCEPT, best, (best,), best.distance, finite_margin, frames, agreed)
    if best.distance <= policy.ask_tolerance:
        cands = [best]
        if result.second is not None and result.second.distance <= policy.ask_tolerance:
            cands.append(result.second)
        return Decision(ASK, best, tuple(cands), best.distance, finite_margin, frames, agreed)
    return Decision(REJECT, best, (), best.distance, finite_margin, frames, agreed)


class Agreement:
    """Per-face (per-track) evidence across frames."""

    def __init__(self, index: TemplateIndex, policy: MatchPolicy):
        self.index = index
        self.policy = policy
        self._frames: deque[tuple[np.ndarray, int | None]] = deque(maxlen=policy.frames_to_agree)
        self.count = 0

    def add(self, encoding: np.ndarray) -> Decision:
        single = self.index.search(encoding)
        self._frames.append((np.asarray(encoding, np.float32), single.best.member_id if single.best else None))
        self.count += 1
        if len(self._frames) < self.policy.frames_to_agree:
            return Decision(PENDING, single.best, (), single.best.distance if single.best else None,
                            frames=len(self._frames))
        mean = np.mean([f[0] for f in self._frames], axis=0)
        result = self.index.search(mean)
        agreed = result.best is not None and all(f[1] == result.best.member_id for f in self._frames)
        return decide(result, self.policy, agreed, len(self._frames))

    def reset(self) -> None:
        self._frames.clear()

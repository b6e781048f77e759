"""Face events: what the camera worker sees and asks, and the person's answers.

A face sign-in is FaceSeen → (LivenessPrompt | ConfirmIdentity → IdentityConfirmed)* → SignedIn or
FaceSignInFailed; the events of one person share ``track_id``, and the SignedIn names the FaceSeen it
completes in ``in_reply_to``. The kiosk reacts: ``ConfirmIdentity`` shows the candidate(s) for a
one-tap confirmation or the member-number keypad; ``LivenessPrompt`` asks the person to blink or turn;
``FaceSignInFailed`` offers the PIN fallback. ``IdentityConfirmed`` goes back to the face worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class FaceSeen(Event):
    """The camera worker's best guess for the face in front of it."""

    member_number: str | None
    distance: float | None
    margin: float | None
    box: tuple[int, int, int, int] | None = None
    """top, right, bottom, left in camera pixels."""
    track_id: int | None = None
    """The face track this guess belongs to (one person in front of the camera)."""


@dataclass(frozen=True)
class ConfirmIdentity(Event):
    """The face is near an enrolled member but not clearly enough: ask, do not guess."""

    track_id: int
    candidates: tuple[str, ...]
    """Member numbers, nearest first."""
    names: tuple[str, ...]
    distance: float
    margin: float | None = None
    meeting_id: int | None = None


@dataclass(frozen=True)
class IdentityConfirmed(Event):
    """The person confirmed who they are (a tap on their name, or their member number)."""

    track_id: int
    member_number: str


@dataclass(frozen=True)
class LivenessPrompt(Event):
    """Identity is clear but liveness is not yet shown: ask for a blink or a head turn. With the randomised
    challenge one prompt per step: ``step`` is blink | turn_left | turn_right (the person's own side),
    ``index`` of ``total`` (1-based), ``seconds`` left to do it, ``attempt`` counts fresh challenges."""

    track_id: int
    prompt: str = "请眨眨眼或左右转头 / please blink or turn your head"
    step: str = ""
    index: int = 0
    total: int = 0
    seconds: float = 0.0
    attempt: int = 1


@dataclass(frozen=True)
class FaceSignInFailed(Event):
    """No face sign-in for this person: ``reason`` is liveness | no_meeting | refused | unknown."""

    track_id: int
    reason: str
    message: str = ""
    member_number: str | None = None

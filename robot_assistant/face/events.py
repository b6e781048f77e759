"""Face sign-in events beyond core.events' FaceSeen / SignedIn.

Why here: they register with the same event registry (subclassing ``core.events.Event``), so they
cross the bus and process boundaries like the core ones; the lead may move them into core/events.py.
The kiosk reacts to them: ``ConfirmIdentity`` shows the candidate(s) for a one-tap confirmation or the
member-number keypad; ``LivenessPrompt`` asks the person to blink or turn their head;
``FaceSignInFailed`` offers the PIN / member-number fallback. ``IdentityConfirmed`` goes back to the
face worker when the person taps their name.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event


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
    """Identity is clear but liveness is not yet shown: ask for a blink or a head turn."""

    track_id: int
    prompt: str = "请眨眨眼或左右转头 / please blink or turn your head"


@dataclass(frozen=True)
class FaceSignInFailed(Event):
    """No face sign-in for this person: ``reason`` is liveness | no_meeting | refused | unknown."""

    track_id: int
    reason: str
    message: str = ""
    member_number: str | None = None

"""Attendance events: a sign-in asked for, and one committed."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class SignInRequested(Event):
    """Someone asked to sign in (a tap or '我要签到')."""

    meeting_id: int | None = None


@dataclass(frozen=True)
class SignedIn(Event):
    """A sign-in was committed to the database (only then is this published).

    ``method`` is face | pin | qr | manual. For a face sign-in ``in_reply_to`` names the FaceSeen it
    completes and ``track_id``/``distance``/``liveness`` say how it was decided.
    """

    meeting_id: int
    member_number: str
    member_name: str
    method: str
    late: bool
    already: bool = False
    """True when the member had already signed in to this meeting."""
    record_id: int | None = None
    """The attendance row's id."""
    track_id: int | None = None
    distance: float | None = None
    """Face distance of the match (face sign-ins only)."""
    liveness: str = ""
    """How liveness was shown (e.g. "turn", "blink+turn"); empty for PIN and QR."""
    terminal_id: str = ""

"""Speech events: what was heard (Transcript) and what to say (Speak, StopSpeaking).

A conversation is Transcript → Answer → Speak: the brain's Answer and the Speak that voices it carry
``in_reply_to`` = the Transcript's id.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class Transcript(Event):
    """Recognised speech (or a typed question). ``final`` is False for live partial results."""

    text: str
    language: str = "zh"
    final: bool = True
    confidence: float | None = None


@dataclass(frozen=True)
class Speak(Event):
    """Text for the speech-output worker."""

    text: str
    language: str = "zh"
    interrupt: bool = False


@dataclass(frozen=True)
class StopSpeaking(Event):
    """Stop any speech now (a tap, or the word 停)."""

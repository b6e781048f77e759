"""Assistant events: the brain's answer and the actions it asks the front ends for."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class Answer(Event):
    """What the assistant answers, shown as text and spoken (``in_reply_to``: the Transcript)."""

    text: str
    language: str = "zh"
    source_id: str | None = None
    """Knowledge-base entry id or tool name, or None when the assistant declined."""
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Understood(Event):
    """The brain's whole decision on one question (``in_reply_to``: the Transcript), published before
    the Answer or action it leads to: what was asked, the intent, the entry and how sure it was."""

    text: str
    intent: str
    """ask | guide | open | signin | stop | repeat | ..."""
    language: str = "zh"
    entry_id: str | None = None
    """Knowledge-base entry or tool answered from; None when declined or not a question."""
    score: float | None = None
    declined: bool = False
    slots: tuple[tuple[str, str], ...] = ()
    """What the question named (e.g. ("place", "h04")), as sorted pairs."""


@dataclass(frozen=True)
class DuesAsked(Event):
    """The assistant worked out party dues for an income stated in a question: the kiosk opens the
    dues calculator filled in, so the visitor sees the same figure and the bands."""

    pay: str
    """The stated monthly income in yuan ("" for a fixed-rate category)."""
    category: str = "在职"
    monthly: str = ""
    """The dues the assistant said, in yuan with two decimals."""


@dataclass(frozen=True)
class OpenScreen(Event):
    """Ask the kiosk to show a screen by name (e.g. from a voice command '看看新闻')."""

    screen: str

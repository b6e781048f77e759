"""Hall events: guiding the visitor in the VR exhibition hall."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class GuideTo(Event):
    """Walk the hall's visitor to an exhibit (or a room when ``exhibit_id`` names one)."""

    exhibit_id: str

"""Fleet events: how the terminal's sync with the central server is going."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class SyncStatus(Event):
    """Outcome of one content sync, for the header's freshness icon and the offline indicator."""

    online: bool
    last_success_iso: str | None
    message: str = ""

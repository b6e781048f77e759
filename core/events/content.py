"""Content events: news stored, an urgent notice active."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class NewsArrived(Event):
    """New published news items were stored (the kiosk shows a banner)."""

    item_ids: tuple[int, ...]
    """Database ids of the new items, newest first."""
    titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class UrgentNotice(Event):
    """An urgent notice (紧急通知) became active: the kiosk hands it the whole screen."""

    item_id: int
    title: str

"""The event base class: a frozen dataclass with an id, the id it answers, and a registry by name.

Why ids: a flow is a chain of events (Transcript → Answer → Speak, FaceSeen → SignedIn). Like the
Wyoming protocol's request/response pairs, each event carries its own ``id`` and, when it answers
another, ``in_reply_to`` — so a screen follows *its* conversation or sign-in by id instead of comparing
texts or member numbers. Both are keyword-only and excluded from equality, so two events that say the
same thing compare equal whoever sent them.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

_REGISTRY: dict[str, type[Event]] = {}


def new_id() -> str:
    """A short random id (12 hex digits: unique enough for a terminal's lifetime of events)."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Event:
    """Base class: subclasses register themselves under their class name."""

    type_name: ClassVar[str] = "Event"

    id: str = field(default_factory=new_id, kw_only=True, compare=False)
    """This event's id (random; set it only to re-create an event received from elsewhere)."""
    in_reply_to: str | None = field(default=None, kw_only=True, compare=False)
    """The id of the event this one answers (an Answer names its Transcript), or None."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__name__
        _REGISTRY[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "data": dataclasses.asdict(self)}

    def replying_to(self, other: Event | None) -> Event:
        """This event as an answer to ``other`` (unchanged when ``other`` is None)."""
        return self if other is None else dataclasses.replace(self, in_reply_to=other.id)


def event_from_dict(message: dict[str, Any]) -> Event:
    """Rebuild an event sent as ``to_dict()``; unknown types raise ValueError naming the type."""
    cls = _REGISTRY.get(message.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {message.get('type')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    data = {k: _tuples(v) for k, v in message.get("data", {}).items() if k in names}
    return cls(**data)


def _tuples(value: Any) -> Any:
    """JSON gives lists; frozen events hold tuples (nested ones too, e.g. slot pairs)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def event_types() -> dict[str, type[Event]]:
    """Every registered event type by name (the catalogue, for docs and tests)."""
    return dict(_REGISTRY)

"""Typed events that the parts of the terminal exchange, and the bus that carries them.

Like the Wyoming protocol's messages, every event is a small frozen dataclass with ``to_dict`` /
``event_from_dict`` so it can cross a process boundary (the hall runs in a child process) as plain
data. Workers (camera, microphone, speech, feed sync) publish; front ends (kiosk, hall) consume on
their own thread by draining a subscription queue once per frame — a worker never draws, and a
screen never calls a device.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

_REGISTRY: dict[str, type[Event]] = {}


@dataclass(frozen=True)
class Event:
    """Base class: subclasses register themselves under their class name."""

    type_name: ClassVar[str] = "Event"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type_name = cls.__name__
        _REGISTRY[cls.__name__] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "data": dataclasses.asdict(self)}


def event_from_dict(message: dict[str, Any]) -> Event:
    """Rebuild an event sent as ``to_dict()``; unknown types raise ValueError naming the type."""
    cls = _REGISTRY.get(message.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {message.get('type')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    data = {k: (tuple(v) if isinstance(v, list) else v) for k, v in message.get("data", {}).items() if k in names}
    return cls(**data)


# -------------------------------------------------------------------------------------------- content


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


@dataclass(frozen=True)
class SyncStatus(Event):
    """Outcome of one content sync, for the header's freshness icon and the offline indicator."""

    online: bool
    last_success_iso: str | None
    message: str = ""


# ------------------------------------------------------------------------------------------ assistant


@dataclass(frozen=True)
class Transcript(Event):
    """Recognised speech. ``final`` is False for live partial results."""

    text: str
    language: str = "zh"
    final: bool = True
    confidence: float | None = None


@dataclass(frozen=True)
class Answer(Event):
    """What the assistant answers, shown as text and spoken."""

    text: str
    language: str = "zh"
    source_id: str | None = None
    """Knowledge-base entry id, or None when the assistant declined."""
    suggestions: tuple[str, ...] = ()


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
class GuideTo(Event):
    """Walk the hall's visitor to an exhibit (or a room when ``exhibit_id`` names one)."""

    exhibit_id: str


@dataclass(frozen=True)
class OpenScreen(Event):
    """Ask the kiosk to show a screen by name (e.g. from a voice command '看看新闻')."""

    screen: str


@dataclass(frozen=True)
class Speak(Event):
    """Text for the speech-output worker."""

    text: str
    language: str = "zh"
    interrupt: bool = False


@dataclass(frozen=True)
class StopSpeaking(Event):
    """Stop any speech now (a tap, or the word 停)."""


# ---------------------------------------------------------------------------------------- attendance


@dataclass(frozen=True)
class FaceSeen(Event):
    """The camera worker's best guess for the face in front of it."""

    member_number: str | None
    distance: float | None
    margin: float | None
    box: tuple[int, int, int, int] | None = None
    """top, right, bottom, left in camera pixels."""


@dataclass(frozen=True)
class SignInRequested(Event):
    """Someone asked to sign in (a tap or '我要签到')."""

    meeting_id: int | None = None


@dataclass(frozen=True)
class SignedIn(Event):
    """A sign-in was committed to the database (only then is this published)."""

    meeting_id: int
    member_number: str
    member_name: str
    method: str
    late: bool
    already: bool = False
    """True when the member had already signed in to this meeting."""


@dataclass(frozen=True)
class DeviceStatus(Event):
    """A device changed state: ``device`` is camera | microphone | speaker | network."""

    device: str
    state: str
    """ok | degraded | off"""
    message: str = ""


# ------------------------------------------------------------------------------------------------ bus


@dataclass
class Subscription:
    """A consumer's queue; ``drain()`` returns what arrived since the last call, without blocking."""

    queue: queue.Queue = field(default_factory=lambda: queue.Queue(maxsize=10_000))
    types: tuple[type[Event], ...] = ()

    def drain(self, limit: int = 1000) -> list[Event]:
        out = []
        while len(out) < limit:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return out

    def get(self, timeout: float | None = None) -> Event | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


class EventBus:
    """Thread-safe publish/subscribe. Publishing never blocks: a full subscriber queue drops its
    oldest event (a stuck screen must not stall the camera worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[Subscription] = []

    def subscribe(self, *types: type[Event]) -> Subscription:
        sub = Subscription(types=types)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def publish(self, event: Event) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            if sub.types and not isinstance(event, sub.types):
                continue
            while True:
                try:
                    sub.queue.put_nowait(event)
                    break
                except queue.Full:
                    with contextlib.suppress(queue.Empty):
                        sub.queue.get_nowait()

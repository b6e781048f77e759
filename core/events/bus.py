"""The in-process bus: thread-safe publish/subscribe with a queue per consumer.

Workers (camera, microphone, speech, feed sync) publish; front ends (kiosk, hall) drain their
subscription once per frame on their own thread — a worker never draws, and a screen never calls a
device.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from dataclasses import dataclass, field

from core.events.base import Event


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

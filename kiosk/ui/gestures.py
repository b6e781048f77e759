"""Turn raw pygame pointer events into gestures: Down, Up, Tap, LongPress, Drag, Swipe, Fling, Wheel.

Why a recogniser of our own: on a touchscreen SDL delivers each touch twice, as FINGER* events and as
synthesised MOUSEBUTTON*/MOUSEMOTION events (pygame#2992). pygame marks the synthesised mouse events
with ``event.touch == True``; once finger events have been seen those are ignored, and any mouse event
arriving while a finger is down or shortly after it lifts is dropped as well (some X11 drivers do not set
the flag). A desktop mouse still works where there is no touchscreen.

Finger coordinates are normalised (0..1) and are multiplied by the screen size. Only one pointer is
tracked (a kiosk has one user at a time); a second finger is ignored until the first lifts.

Time comes from an injectable ``clock`` (seconds, monotonic) so tests are deterministic. Long presses
need :meth:`GestureRecognizer.poll` to be called every frame, because no event arrives while a finger
rests. Extra hold thresholds (``hold_s=(5.0,)``) produce further LongPress gestures, e.g. for the
5-second corner hold that opens the administrator PIN pad.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pygame

Point = tuple[float, float]


@dataclass(frozen=True)
class Down:
    """A pointer went down: show the pressed state now (within this frame)."""

    pos: Point


@dataclass(frozen=True)
class Up:
    """The pointer lifted. ``moved`` is True when it travelled beyond the tap slop (a drag)."""

    pos: Point
    moved: bool


@dataclass(frozen=True)
class Tap:
    """A short press that did not move: the main activation gesture. ``pos`` is where it went down."""

    pos: Point


@dataclass(frozen=True)
class LongPress:
    """The pointer has rested ``held`` seconds without moving (one gesture per configured threshold)."""

    pos: Point
    held: float


@dataclass(frozen=True)
class Drag:
    """The pointer moved by ``dx``/``dy`` since the previous Drag (the first one includes the slop)."""

    pos: Point
    dx: float
    dy: float
    start: Point


@dataclass(frozen=True)
class Swipe:
    """A quick straight stroke: ``direction`` is ``"left"``, ``"right"``, ``"up"`` or ``"down"``."""

    start: Point
    end: Point
    direction: str
    velocity: float


@dataclass(frozen=True)
class Fling:
    """The pointer lifted while moving fast; ``vx``/``vy`` in pixels per second (for inertia)."""

    pos: Point
    vx: float
    vy: float


@dataclass(frozen=True)
class Wheel:
    """Mouse wheel scroll: ``dy`` in pixels, positive moves content down (like a Drag's dy)."""

    pos: Point
    dy: float


@dataclass(frozen=True)
class Cancel:
    """The pointer was lost (window lost focus): drop any pressed state without activating."""

    pos: Point


Gesture = Down | Up | Tap | LongPress | Drag | Swipe | Fling | Wheel | Cancel


@dataclass(frozen=True)
class GestureConfig:
    """Thresholds. Distances in pixels, times in seconds, velocities in pixels per second."""

    tap_slop: float = 24.0  # movement still counted as a tap
    long_press_s: float = 0.6
    hold_s: tuple[float, ...] = ()  # further LongPress thresholds, e.g. (5.0,)
    swipe_min_distance: float = 120.0
    swipe_max_s: float = 0.6
    fling_min_velocity: float = 500.0
    velocity_window_s: float = 0.1  # velocity is measured over the last part of the stroke
    dedupe_s: float = 0.5  # mouse events this soon after a finger event are duplicates
    wheel_step: float = 60.0

    def scaled(self, scale: float) -> GestureConfig:
        """Distances and speeds scaled for a screen (``Theme.scale``); times unchanged."""
        return GestureConfig(
            tap_slop=self.tap_slop * scale,
            long_press_s=self.long_press_s,
            hold_s=self.hold_s,
            swipe_min_distance=self.swipe_min_distance * scale,
            swipe_max_s=self.swipe_max_s,
            fling_min_velocity=self.fling_min_velocity * scale,
            velocity_window_s=self.velocity_window_s,
            dedupe_s=self.dedupe_s,
            wheel_step=self.wheel_step * scale,
        )


_MOUSE = "mouse"


class GestureRecognizer:
    """Feed it every pygame event (:meth:`feed`) and call :meth:`poll` once a frame."""

    def __init__(
        self,
        screen_size: tuple[int, int],
        config: GestureConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.screen_size = (int(screen_size[0]), int(screen_size[1]))
        self.config = config or GestureConfig()
        self.clock = clock
        self._pointer: object | None = None
        self._start: Point = (0.0, 0.0)
        self._start_t = 0.0
        self._last: Point = (0.0, 0.0)
        self._samples: deque[tuple[float, float, float]] = deque(maxlen=64)
        self._moved = False
        self._holds_fired: set[float] = set()
        self._finger_seen = False
        self._last_finger_t = -math.inf

    @property
    def active(self) -> bool:
        """True while a pointer is down (the main loop then polls at full frame rate)."""
        return self._pointer is not None

    def process(self, events: Iterable[pygame.event.Event]) -> list[Gesture]:
        """Feed a batch of events and poll timers: the usual once-per-frame call."""
        out: list[Gesture] = []
        for event in events:
            out.extend(self.feed(event))
        out.extend(self.poll())
        return out

    # -- event intake -------------------------------------------------------------------------
    def feed(self, event: pygame.event.Event) -> list[Gesture]:
        """Gestures produced by one pygame event (often none)."""
        et = event.type
        now = self.clock()
        if et in (pygame.FINGERDOWN, pygame.FINGERMOTION, pygame.FINGERUP):
            self._finger_seen = True
            self._last_finger_t = now
            pointer = ("finger", getattr(event, "touch_id", 0), getattr(event, "finger_id", 0))
            w, h = self.screen_size
            pos = (float(event.x) * w, float(event.y) * h)
            if et == pygame.FINGERDOWN:
                return self._down(pointer, pos, now)
            if et == pygame.FINGERMOTION:
                return self._move(pointer, pos, now)
            return self._up(pointer, pos, now)
        if et in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION):
            if self._is_duplicate_mouse(event, now):
                return []
            pos = (float(event.pos[0]), float(event.pos[1]))
            if et == pygame.MOUSEBUTTONDOWN:
                return self._down(_MOUSE, pos, now) if getattr(event, "button", 1) == 1 else []
            if et == pygame.MOUSEBUTTONUP:
                return self._up(_MOUSE, pos, now) if getattr(event, "button", 1) == 1 else []
            return self._move(_MOUSE, pos, now)
        if et == pygame.MOUSEWHEEL:
            if getattr(event, "touch", False):
                return []
            pos = pygame.mouse.get_pos() if pygame.display.get_init() else (0, 0)
            return [Wheel((float(pos[0]), float(pos[1])), float(event.y) * self.config.wheel_step)]
        if et == pygame.WINDOWFOCUSLOST and self._pointer is not None:
            pos = self._last
            self._reset()
            return [Cancel(pos)]
        return []

    def _is_duplicate_mouse(self, event: pygame.event.Event, now: float) -> bool:
        if getattr(event, "touch", False) and self._finger_seen:
            return True
        if isinstance(self._pointer, tuple):  # a finger is down: any mouse event is its echo
            return True
        return now - self._last_finger_t < self.config.dedupe_s

    # -- state machine ------------------------------------------------------------------------
    def _reset(self) -> None:
        self._pointer = None
        self._samples.clear()
        self._moved = False
        self._holds_fired = set()

    def _down(self, pointer: object, pos: Point, now: float) -> list[Gesture]:
        if self._pointer is not None:
            return []  # second finger: ignored
        self._pointer = pointer
        self._start = self._last = pos
        self._start_t = now
        self._moved = False
        self._holds_fired = set()
        self._samples.clear()
        self._samples.append((now, pos[0], pos[1]))
        return [Down(pos)]

    def _move(self, pointer: object, pos: Point, now: float) -> list[Gesture]:
        if self._pointer is None or pointer != self._pointer:
            return []
        self._samples.append((now, pos[0], pos[1]))
        if not self._moved:
            if math.dist(pos, self._start) <= self.config.tap_slop:
                return []
            self._moved = True
            # The first Drag reports the distance from the press point, so content tracks the finger.
            self._last = self._start
        dx, dy = pos[0] - self._last[0], pos[1] - self._last[1]
        self._last = pos
        if dx == 0 and dy == 0:
            return []
        return [Drag(pos, dx, dy, self._start)]

    def _up(self, pointer: object, pos: Point, now: float) -> list[Gesture]:
        if self._pointer is None or pointer != self._pointer:
            return []
        out: list[Gesture] = []
        out.extend(self._move(pointer, pos, now))  # the last stretch, if no motion event reported it
        moved = self._moved
        held_long = bool(self._holds_fired)
        start, start_t = self._start, self._start_t
        vx, vy = self._velocity(now)
        self._reset()
        out.append(Up(pos, moved))
        if not moved:
            if not held_long:
                out.append(Tap(start))
            return out
        dx, dy = pos[0] - start[0], pos[1] - start[1]
        speed = math.hypot(vx, vy)
        if now - start_t <= self.config.swipe_max_s and max(abs(dx), abs(dy)) >= self.config.swipe_min_distance:
            horizontal = abs(dx) >= abs(dy)
            direction = ("right" if dx > 0 else "left") if horizontal else ("down" if dy > 0 else "up")
            out.append(Swipe(start, pos, direction, speed))
        if speed >= self.config.fling_min_velocity:
            out.append(Fling(pos, vx, vy))
        return out

    def _velocity(self, now: float) -> tuple[float, float]:
        window = [s for s in self._samples if s[0] >= now - self.config.velocity_window_s]
        if len(window) < 2:
            return 0.0, 0.0
        t0, x0, y0 = window[0]
        t1, x1, y1 = window[-1]
        dt = t1 - t0
        if dt <= 1e-6:
            return 0.0, 0.0
        return (x1 - x0) / dt, (y1 - y0) / dt

    # -- timers -------------------------------------------------------------------------------
    def poll(self) -> list[Gesture]:
        """LongPress gestures whose hold time has passed; call every frame."""
        if self._pointer is None or self._moved:
            return []
        held = self.clock() - self._start_t
        out: list[Gesture] = []
        for threshold in sorted({self.config.long_press_s, *self.config.hold_s}):
            if held >= threshold and threshold not in self._holds_fired:
                self._holds_fired.add(threshold)
                out.append(LongPress(self._start, threshold))
        return out

    def set_screen_size(self, size: tuple[int, int]) -> None:
        """Call after the window is resized so finger coordinates stay right."""
        self.screen_size = (int(size[0]), int(size[1]))


class CornerHold:
    """Detects a hold of ``seconds`` in a corner square (the hidden administrator entry).

    Give it every gesture; :meth:`feed` returns True once when a LongPress of at least ``seconds``
    starts inside the square of ``size`` pixels at ``corner`` (``"topleft"``, ``"topright"``,
    ``"bottomleft"``, ``"bottomright"``). The recogniser must have ``seconds`` among its ``hold_s``.
    """

    def __init__(self, screen_size: tuple[int, int], seconds: float = 5.0, corner: str = "topright",
                 size: int = 120) -> None:
        if corner not in ("topleft", "topright", "bottomleft", "bottomright"):
            raise ValueError(f"unknown corner {corner!r}")
        self.seconds = seconds
        w, h = screen_size
        x = 0 if corner.endswith("left") else w - size
        y = 0 if corner.startswith("top") else h - size
        self.rect = pygame.Rect(x, y, size, size)

    def feed(self, gesture: Gesture) -> bool:
        return (
            isinstance(gesture, LongPress)
            and gesture.held >= self.seconds
            and self.rect.collidepoint(gesture.pos)
        )

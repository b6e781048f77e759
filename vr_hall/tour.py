"""Guided walks: a tour through a list of exhibits, or one walk for GuideTo / a tap on the floor.

Pure logic stepped by time (``update(dt)``), so it runs the same at 20 or 120 fps, in a test without
a window, and in the hall's per-frame task. Positions follow an analytic speed profile (accelerate,
cruise, slow down) along a navgrid path, so where the visitor is after T seconds does not depend on
how T was split into frames; the heading turns towards the way ahead at a bounded rate. At each
exhibit the tour stops and emits a "narrate" event with the narration text — the hall shows it as a
subtitle and publishes a Speak event — then moves on when the narration's time is up (or when told
the speech finished). A robot guide walks ahead to stand beside each exhibit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from vr_hall.layout import heading_towards, heading_vector, wrap_degrees
from vr_hall.navgrid import NavGrid, Point
from vr_hall.scene import Exhibit, Scene


@dataclass
class Pose:
    x: float
    y: float
    heading: float

    def copy(self) -> Pose:
        return Pose(self.x, self.y, self.heading)


@dataclass(frozen=True)
class Stop:
    """A place to walk to: an exhibit's viewpoint (with its narration) or a spot in a room."""

    id: str
    x: float
    y: float
    heading: float | None
    exhibit: Exhibit | None = None


EventKind = Literal["walking", "arrived", "narrate", "narration_cancelled", "paused", "resumed",
                    "no_path", "finished", "stopped"]


@dataclass(frozen=True)
class TourEvent:
    kind: EventKind
    index: int
    stop_id: str
    text: str = ""
    language: str = "zh"


def make_stop(nav: NavGrid, scene: Scene, target_id: str, extra: float = 0.0) -> Stop:
    """The stop for an exhibit id (its viewpoint, ``extra`` metres farther back) or a room id (a free
    spot in its middle)."""
    for e in scene.exhibits:
        if e.id == target_id:
            x, y, h = nav.exhibit_target(e, extra)
            return Stop(e.id, x, y, h, e)
    for r in scene.rooms:
        if r.id == target_id:
            x, y = nav.room_target(r.id)
            return Stop(r.id, x, y, None, None)
    raise KeyError(f"no exhibit or room {target_id!r}")


def presenter_spot(nav: NavGrid, e: Exhibit, viewer: Point) -> Pose:
    """Where the robot guide stands while presenting ``e``: beside it, a little in front, facing the
    visitor — on whichever side is free, keeping the exhibit in the visitor's view."""
    fx, fy = heading_vector(e.facing)
    rx, ry = fy, -fx  # the exhibit's right-hand side seen from the front... either side will do
    w, d = e.footprint
    out = 0.4 if e.on_wall else d / 2 + 0.35
    side = w / 2 + (0.35 if e.on_wall else 0.5)
    for s in (side, -side, side + 0.5, -side - 0.5):
        x = e.position[0] + fx * out + rx * s
        y = e.position[1] + fy * out + ry * s
        if nav.is_free(x, y):
            break
    else:
        spot = nav.nearest_free(e.position[0] + fx * out, e.position[1] + fy * out) or viewer
        x, y = spot
    return Pose(x, y, heading_towards(viewer[0] - x, viewer[1] - y))


def trapezoid_distance(t: float, length: float, vmax: float, accel: float) -> float:
    """Distance covered after ``t`` seconds on a path of ``length`` with a trapezoidal speed profile
    (accelerate at ``accel`` to ``vmax``, cruise, decelerate to stop exactly at the end)."""
    if length <= 0 or t <= 0:
        return 0.0
    t_acc = vmax / accel
    d_acc = 0.5 * accel * t_acc * t_acc
    if 2 * d_acc > length:  # never reaches vmax: triangle profile
        t_acc = math.sqrt(length / accel)
        vpeak = accel * t_acc
        if t <= t_acc:
            return 0.5 * accel * t * t
        if t >= 2 * t_acc:
            return length
        u = t - t_acc
        return length / 2 + vpeak * u - 0.5 * accel * u * u
    t_cruise = (length - 2 * d_acc) / vmax
    if t <= t_acc:
        return 0.5 * accel * t * t
    if t <= t_acc + t_cruise:
        return d_acc + vmax * (t - t_acc)
    u = t - t_acc - t_cruise
    if u >= t_acc:
        return length
    return length - d_acc + vmax * u - 0.5 * accel * u * u


def turn_towards(heading: float, target: float, max_step: float) -> float:
    diff = wrap_degrees(target - heading)
    if abs(diff) <= max_step:
        return wrap_degrees(target)
    return wrap_degrees(heading + math.copysign(max_step, diff))


@dataclass
class PathWalker:
    """Moves ``pose`` along ``points`` (pose's place first), turning at ``turn_rate`` °/s; at the end it
    turns to ``final_heading`` when one is given."""

    pose: Pose
    points: list[Point]
    speed: float = 1.0
    turn_rate: float = 120.0
    final_heading: float | None = None
    accel: float = 1.2
    elapsed: float = 0.0
    leftover: float = 0.0
    _cumulative: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.points:
            self.points = [(self.pose.x, self.pose.y)]
        acc = [0.0]
        for a, b in zip(self.points, self.points[1:], strict=False):
            acc.append(acc[-1] + math.dist(a, b))
        self._cumulative = acc

    @property
    def length(self) -> float:
        return self._cumulative[-1]

    @property
    def travelled(self) -> float:
        return trapezoid_distance(self.elapsed, self.length, self.speed, self.accel)

    @property
    def remaining(self) -> float:
        return self.length - self.travelled

    def point_at(self, s: float) -> tuple[Point, tuple[float, float]]:
        """The point at arc length ``s`` and the unit direction of its segment."""
        s = min(max(s, 0.0), self.length)
        for k in range(len(self.points) - 1):
            a, b = self.points[k], self.points[k + 1]
            seg = self._cumulative[k + 1] - self._cumulative[k]
            if s <= self._cumulative[k + 1] + 1e-9 and seg > 1e-9:
                u = (s - self._cumulative[k]) / seg
                return ((a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u),
                        ((b[0] - a[0]) / seg, (b[1] - a[1]) / seg))
        return self.points[-1], (0.0, 0.0)

    @property
    def done(self) -> bool:
        if self.remaining > 1e-6:
            return False
        return self.final_heading is None or abs(wrap_degrees(self.final_heading - self.pose.heading)) < 0.5

    @property
    def path_seconds(self) -> float:
        """How long the path takes (without the final turn)."""
        t_acc = self.speed / self.accel
        d_acc = 0.5 * self.speed * t_acc
        if 2 * d_acc > self.length:
            return 2 * math.sqrt(self.length / self.accel)
        return 2 * t_acc + (self.length - 2 * d_acc) / self.speed

    def step(self, dt: float) -> bool:
        """Advance ``dt`` seconds; True once the end is reached and the final turn made. Time left
        over in this step after finishing is in ``leftover`` (for whatever comes next)."""
        dt = max(dt, 0.0)
        self.elapsed += dt
        self.leftover = 0.0
        s = self.travelled
        (x, y), (dx, dy) = self.point_at(s)
        self.pose.x, self.pose.y = x, y
        if self.length - s > 1e-6 and (dx or dy):
            # look a little ahead so corners are rounded off rather than snapped
            (lx, ly), _ = self.point_at(s + 0.6)
            target = heading_towards(lx - x, ly - y) if math.dist((lx, ly), (x, y)) > 1e-3 else self.pose.heading
            self.pose.heading = turn_towards(self.pose.heading, target, self.turn_rate * dt)
            return False
        target = self.final_heading if self.final_heading is not None else self.pose.heading
        # only the part of this step after the path ended is spent on the final turn
        available = min(dt, max(0.0, self.elapsed - self.path_seconds))
        need = abs(wrap_degrees(target - self.pose.heading)) / self.turn_rate if self.turn_rate > 0 else 0.0
        if need <= available:
            self.pose.heading = wrap_degrees(target)
            self.leftover = available - need
            return True
        # as above: only the time after the path ended turns (a 20-fps frame would otherwise turn
        # for its whole 50 ms and finish the turn, and the next walk, earlier than a 120-fps one)
        self.pose.heading = turn_towards(self.pose.heading, target, self.turn_rate * available)
        return self.done


def narration_seconds(text: str, language: str) -> float:
    """A speaking-time estimate: ~4.5 Chinese characters or ~2.6 English words a second, plus a breath."""
    if not text:
        return 1.5
    if language == "zh":
        return 1.0 + sum(1 for c in text if not c.isspace()) / 4.5
    return 1.0 + len(text.split()) / 2.6


class Tour:
    """Walk ``stops`` in order. ``state``: walking | narrating | paused | finished | stopped.

    ``on_event(TourEvent)`` is called for every change; ``pose`` is the visitor (the camera) and
    ``guide`` the robot guide. Call :meth:`update` once a frame with the frame's dt."""

    def __init__(self, nav: NavGrid, stops: list[Stop], pose: Pose,
                 on_event: Callable[[TourEvent], None] | None = None, *, speed: float = 1.1,
                 turn_rate: float = 100.0, language: str = "zh", narrate: bool = True,
                 guide: Pose | None = None, wait_for_speech: bool = False,
                 narration_time: Callable[[str, str], float] = narration_seconds):
        self.nav = nav
        self.stops = stops
        self.pose = pose
        self.on_event = on_event or (lambda _e: None)
        self.speed = speed
        self.turn_rate = turn_rate
        self.language = language
        self.narrate = narrate
        self.wait_for_speech = wait_for_speech
        self.narration_time = narration_time
        self.guide = guide.copy() if guide else Pose(pose.x, pose.y, pose.heading)
        self.index = 0
        self.state = "walking"
        self._paused_from: str | None = None
        self._walker: PathWalker | None = None
        self._guide_walker: PathWalker | None = None
        self._narration_left = 0.0
        self._started = False

    # --------------------------------------------------------------------------------- control

    @property
    def current(self) -> Stop | None:
        return self.stops[self.index] if 0 <= self.index < len(self.stops) else None

    @property
    def active(self) -> bool:
        return self.state in ("walking", "narrating", "paused")

    @property
    def walker(self) -> PathWalker | None:
        return self._walker

    def pause(self) -> None:
        if self.state in ("walking", "narrating"):
            self._paused_from = self.state
            self.state = "paused"
            self._emit("paused")

    def resume(self) -> None:
        if self.state == "paused":
            self.state = self._paused_from or "walking"
            self._paused_from = None
            self._emit("resumed")

    def skip(self) -> None:
        """Leave the current stop (walking to it or narrating it) for the next one."""
        if not self.active:
            return
        if self.state == "narrating" or self._paused_from == "narrating":
            self._emit("narration_cancelled")
        self._paused_from = None
        self._advance()

    def stop(self) -> None:
        if self.active:
            if self.state == "narrating" or self._paused_from == "narrating":
                self._emit("narration_cancelled")
            self.state = "stopped"
            self._walker = None
            self._emit("stopped")

    def speech_finished(self) -> None:
        """The speech worker finished the narration: move on (with ``wait_for_speech``)."""
        if self.state == "narrating":
            self._narration_left = 0.0

    # ----------------------------------------------------------------------------------- stepping

    def update(self, dt: float) -> None:
        if not self._started:
            self._started = True
            self._start_walk()
        if self.state == "paused" or not self.active:
            return
        self._step_guide(dt)
        # time left over when one phase ends inside this step goes to the next phase, so where
        # the visitor is after T seconds does not depend on how T was cut into frames
        left = dt
        for _ in range(len(self.stops) * 2 + 2):
            if self.state == "walking" and self._walker is not None:
                if not self._walker.step(left):
                    return
                left = self._walker.leftover
                self._arrive()
            elif self.state == "narrating":
                if self._narration_left > left:
                    self._narration_left -= left
                    return
                left -= max(self._narration_left, 0.0)
                self._narration_left = 0.0
                self._advance()
            else:
                return
            if left <= 0:
                return

    def _emit(self, kind: EventKind, text: str = "") -> None:
        stop = self.current
        self.on_event(TourEvent(kind, self.index, stop.id if stop else "", text, self.language))

    def _start_walk(self) -> None:
        stop = self.current
        if stop is None:
            self.state = "finished"
            self._emit("finished")
            return
        path = self.nav.find_path((self.pose.x, self.pose.y), (stop.x, stop.y))
        if path is None:
            self._emit("no_path")
            self.index += 1
            self._start_walk()
            return
        path[-1] = (stop.x, stop.y) if self.nav.is_free(stop.x, stop.y) else path[-1]
        self._walker = PathWalker(self.pose, path, self.speed, self.turn_rate, stop.heading)
        self.state = "walking"
        self._emit("walking")
        if stop.exhibit is not None:
            spot = presenter_spot(self.nav, stop.exhibit, (stop.x, stop.y))
            gpath = self.nav.find_path((self.guide.x, self.guide.y), (spot.x, spot.y)) or [(spot.x, spot.y)]
            self._guide_walker = PathWalker(self.guide, gpath, self.speed * 1.25, self.turn_rate * 1.5,
                                            spot.heading)
        else:
            self._guide_walker = None

    def _step_guide(self, dt: float) -> None:
        if self._guide_walker is not None:
            self._guide_walker.step(dt)
        elif self._walker is not None and self.state == "walking":
            # no exhibit to present: lead the way, 1.5 m ahead of the visitor on the path
            (x, y), (dx, dy) = self._walker.point_at(self._walker.travelled + 1.5)
            self.guide.x, self.guide.y = x, y
            if dx or dy:
                self.guide.heading = turn_towards(self.guide.heading, heading_towards(dx, dy), 180 * dt)

    def _arrive(self) -> None:
        stop = self.current
        assert stop is not None
        self._emit("arrived")
        if stop.exhibit is not None and self.narrate:
            text = stop.exhibit.text("narration", self.language) or stop.exhibit.text("title", self.language)
            self.state = "narrating"
            estimate = self.narration_time(text, self.language)
            # waiting for the speech worker, still move on if it never reports back
            self._narration_left = estimate * 2 + 5 if self.wait_for_speech else estimate
            self._emit("narrate", text)
        else:
            self._advance()

    def _advance(self) -> None:
        self.index += 1
        self._walker = None
        if self.index >= len(self.stops):
            self.state = "finished"
            self._emit("finished")
        else:
            self._start_walk()

    def run(self, seconds: float, dt: float = 1 / 30) -> None:
        """Step for ``seconds`` (tests and the offscreen renderer)."""
        t = 0.0
        while t < seconds - 1e-9 and self.active:
            step = min(dt, seconds - t)
            self.update(step)
            t += step


def tour_stops(nav: NavGrid, scene: Scene, tour_id: str, extra: float = 0.0) -> list[Stop]:
    return [make_stop(nav, scene, s, extra) for s in scene.tour(tour_id).stops]

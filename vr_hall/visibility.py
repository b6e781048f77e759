"""Which rooms the camera can see: its own, and those seen through chains of doorways (2-D portals).

Walls are full height and rooms meet only at doorways, so a room is visible only when a doorway
leading to it lies inside the view — narrowed by every doorway on the way. Hiding the other rooms
skips their draw calls and, on a software renderer, their pixels (a 3000-exhibit hall is 8 rooms;
from inside one, usually two or three are visible). Angles only, no pitch: conservative.
"""

from __future__ import annotations

import math

from vr_hall.layout import doorway_centres, wrap_degrees
from vr_hall.scene import Room, Scene

Interval = tuple[float, float]


def _doorway_ends(room: Room) -> list[tuple[tuple[float, float], tuple[float, float], tuple[float, float]]]:
    """(end a, end b, a point just beyond the middle) for each doorway of ``room``."""
    out = []
    for (x, y, wall), door in zip(doorway_centres(room), room.doorways, strict=True):
        half = door.width / 2
        if wall in ("east", "west"):
            a, b = (x, y - half), (x, y + half)
            beyond = (x + (0.3 if wall == "east" else -0.3), y)
        else:
            a, b = (x - half, y), (x + half, y)
            beyond = (x, y + (0.3 if wall == "north" else -0.3))
        out.append((a, b, beyond))
    return out


class RoomVisibility:
    """Precomputes each room's doorways and neighbours; :meth:`visible` answers per frame."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.links: dict[str, list[tuple[tuple[float, float], tuple[float, float], str]]] = {}
        for room in scene.rooms:
            links = []
            for a, b, beyond in _doorway_ends(room):
                other = next((r for r in scene.rooms if r.id != room.id and r.contains(*beyond)), None)
                if other is not None:
                    links.append((a, b, other.id))
            self.links[room.id] = links

    def visible(self, x: float, y: float, heading: float, hfov: float, margin: float = 4.0) -> set[str]:
        """Ids of the rooms a camera at (x, y) looking along ``heading`` with horizontal field of view
        ``hfov`` may see. A camera standing in a doorway sees from both rooms."""
        here = [r for r in self.scene.rooms if r.contains(x, y, margin=-0.45)]
        if not here:
            return {r.id for r in self.scene.rooms}  # outside every room: do not guess
        half = hfov / 2 + margin
        seen: set[str] = set()
        stack: list[tuple[str, Interval, int, frozenset[str]]] = [(r.id, (-half, half), 0, frozenset()) for r in here]
        while stack:
            room_id, (lo, hi), depth, path = stack.pop()
            seen.add(room_id)
            if depth > 12:
                continue
            for a, b, other in self.links[room_id]:
                if other in path:
                    continue
                span = self._span(x, y, heading, a, b)
                if span is None:  # standing in the doorway: the next room is fully in play
                    stack.append((other, (lo, hi), depth + 1, path | {room_id}))
                    continue
                nlo, nhi = max(lo, span[0]), min(hi, span[1])
                if nlo < nhi:
                    stack.append((other, (nlo, nhi), depth + 1, path | {room_id}))
        return seen

    @staticmethod
    def _span(x: float, y: float, heading: float, a: tuple[float, float], b: tuple[float, float]) -> Interval | None:
        """Angles (relative to the heading, degrees) the doorway a–b covers; None when the camera is
        within half a metre of it (the angles are meaningless then)."""
        if _distance_to_segment((x, y), a, b) < 0.5:
            return None
        angles = []
        for px, py in (a, b):
            angles.append(wrap_degrees(math.degrees(math.atan2(-(px - x), py - y)) - heading))
        lo, hi = min(angles), max(angles)
        if hi - lo > 180:  # it spans the direction behind the camera: from hi round to lo + 360
            return (hi, lo + 360.0)
        return (lo, hi)


def _distance_to_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.dist(p, (a[0] + t * dx, a[1] + t * dy))

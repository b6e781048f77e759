"""Plane geometry of a hall shared by the navigation grid, the tour and the renderer.

One place computes where walls are solid (doorways cut out), which way an exhibit faces and where a
visitor stands to look at it, so the walls the camera collides with are the walls that are drawn.
No Panda3D here: headings follow its convention (H 0 faces +y, 90 faces -x).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vr_hall.scene import Exhibit, Room, Scene

#: Eye height of the camera, metres.
EYE_HEIGHT = 1.6


def heading_vector(heading: float) -> tuple[float, float]:
    """Unit (dx, dy) of a Panda3D heading: 0 → (0, 1), 90 → (-1, 0), -90 → (1, 0)."""
    h = math.radians(heading)
    return (-math.sin(h), math.cos(h))


def heading_towards(dx: float, dy: float) -> float:
    """The heading that faces along (dx, dy)."""
    return math.degrees(math.atan2(-dx, dy))


def wrap_degrees(angle: float) -> float:
    """Into (-180, 180]."""
    a = (angle + 180.0) % 360.0 - 180.0
    return 180.0 if a == -180.0 else a


@dataclass(frozen=True)
class WallPiece:
    """A flat rectangle of wall from ``start`` to ``end`` between heights z0 and z1; ``normal`` points
    into ``room``. Pieces with z0 = 0 block walking; lintels (above a doorway) do not."""

    room: str
    wall: str
    start: tuple[float, float]
    end: tuple[float, float]
    z0: float
    z1: float
    normal: tuple[float, float]

    @property
    def blocks_walking(self) -> bool:
        return self.z0 <= 0.0

    @property
    def length(self) -> float:
        return math.dist(self.start, self.end)


_NORMALS = {"south": (0.0, 1.0), "north": (0.0, -1.0), "west": (1.0, 0.0), "east": (-1.0, 0.0)}


def wall_pieces(room: Room) -> list[WallPiece]:
    """The room's four walls as solid pieces between doorways, plus a lintel above each doorway."""
    pieces: list[WallPiece] = []
    for wall in ("south", "east", "north", "west"):
        (sx, sy), (ex, ey) = room.wall_line(wall)
        length = room.wall_length(wall)
        ux, uy = (ex - sx) / length, (ey - sy) / length
        doors = sorted((d for d in room.doorways if d.wall == wall), key=lambda d: d.offset)
        cursor = 0.0

        def piece(a: float, b: float, z0: float, z1: float, wall: str = wall,
                  sx: float = sx, sy: float = sy, ux: float = ux, uy: float = uy) -> None:
            if b - a > 1e-6 and z1 - z0 > 1e-6:
                pieces.append(WallPiece(room.id, wall, (sx + ux * a, sy + uy * a), (sx + ux * b, sy + uy * b),
                                        z0, z1, _NORMALS[wall]))

        for d in doors:
            lo, hi = d.offset - d.width / 2, d.offset + d.width / 2
            piece(cursor, lo, 0.0, room.height)
            piece(lo, hi, min(d.height, room.height), room.height)
            cursor = max(cursor, hi)
        piece(cursor, length, 0.0, room.height)
    return pieces


def doorway_centres(room: Room) -> list[tuple[float, float, str]]:
    """(x, y, wall) at the middle of each doorway on the floor."""
    out = []
    for d in room.doorways:
        (sx, sy), (ex, ey) = room.wall_line(d.wall)
        length = room.wall_length(d.wall)
        t = d.offset / length
        out.append((sx + (ex - sx) * t, sy + (ey - sy) * t, d.wall))
    return out


def exhibit_centre(e: Exhibit) -> tuple[float, float, float]:
    """The point a visitor looks at: a wall exhibit's centre, or a model's middle height."""
    z = e.elevation if e.on_wall else e.size[1] * 0.55
    return (e.position[0], e.position[1], z)


def view_distance(e: Exhibit) -> float:
    """How far in front of an exhibit a visitor stands to see all of it (80° horizontal field of view)."""
    if e.on_wall:
        return max(2.0, min(4.0, 0.75 * e.size[0] + 0.8))
    return e.footprint[1] / 2 + max(1.6, 0.6 * e.size[0] + 0.6)


def viewpoint(e: Exhibit, distance: float | None = None) -> tuple[float, float, float]:
    """(x, y, heading) in front of the exhibit, looking at it. The navgrid moves it off obstacles."""
    d = view_distance(e) if distance is None else distance
    fx, fy = heading_vector(e.facing)
    return (e.position[0] + fx * d, e.position[1] + fy * d, wrap_degrees(e.facing + 180.0))


def look_angles(x: float, y: float, z: float, target: tuple[float, float, float]) -> tuple[float, float]:
    """(heading, pitch) from an eye at (x, y, z) to ``target``."""
    dx, dy, dz = target[0] - x, target[1] - y, target[2] - z
    return heading_towards(dx, dy), math.degrees(math.atan2(dz, math.hypot(dx, dy)))


def facing_exhibit(scene: Scene, x: float, y: float, heading: float, max_distance: float = 2.6,
                   max_angle: float = 30.0) -> Exhibit | None:
    """The exhibit a visitor at (x, y) looking along ``heading`` is standing in front of, if any: within
    ``max_distance`` of it, on its front side, and within ``max_angle`` of looking straight at it."""
    best: tuple[float, Exhibit] | None = None
    for e in scene.exhibits:
        ex, ey = e.position
        dx, dy = ex - x, ey - y
        dist = math.hypot(dx, dy)
        reach = max_distance + (0.0 if e.on_wall else e.footprint[1] / 2)
        if dist > reach or dist < 1e-6:
            continue
        fx, fy = heading_vector(e.facing)
        if e.on_wall and (x - ex) * fx + (y - ey) * fy <= 0.2:
            continue  # behind the wall, or flat against it
        angle = abs(wrap_degrees(heading_towards(dx, dy) - heading))
        if angle > max_angle:
            continue
        score = dist + angle / 30.0
        if best is None or score < best[0]:
            best = (score, e)
    return best[1] if best else None

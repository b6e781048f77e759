"""The checks a scene's schema cannot make: references, placement and files, one function per concern.

Administrators edit scene files by hand, so :func:`check_scene` reports every problem at once, each
as a (key path, message) pair that :func:`vr_hall.scene.load_scene` turns into ``file:line: field:
message``: a room that overlaps another, a doorway past the end of its wall or with no twin on the
shared wall, a spawn outside its room, a point light without a place, an exhibit outside its room or
without its media file, a tour stop that names no exhibit. Each concern is a small generator run in
order (:data:`CHECKS`), so the messages come in the same order as the file reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.yamlfile import cut, display_path
from vr_hall.scene_schema import EPS, Doorway, Exhibit, Room, Scene

Problem = tuple[tuple, str]
"""(key path in the file, message)"""


def _footprint_corners(e: Exhibit) -> list[tuple[float, float]]:
    w, d = e.footprint
    h = math.radians(e.facing)
    c, s = math.cos(h), math.sin(h)
    out = []
    for lx, ly in ((-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2)):
        out.append((e.position[0] + lx * c - ly * s, e.position[1] + lx * s + ly * c))
    return out


def _shared_wall(a: Room, wall: str, rooms: Iterable[Room]) -> tuple[Room, str] | None:
    """The room on the other side of ``a``'s ``wall`` (touching along a stretch), if any."""
    opposite = {"east": "west", "west": "east", "north": "south", "south": "north"}[wall]
    for b in rooms:
        if b.id == a.id:
            continue
        if wall in ("east", "west"):
            line_a = a.x1 if wall == "east" else a.x0
            line_b = b.x0 if wall == "east" else b.x1
            if abs(line_a - line_b) < EPS and min(a.y1, b.y1) - max(a.y0, b.y0) > EPS:
                return b, opposite
        else:
            line_a = a.y1 if wall == "north" else a.y0
            line_b = b.y0 if wall == "north" else b.y1
            if abs(line_a - line_b) < EPS and min(a.x1, b.x1) - max(a.x0, b.x0) > EPS:
                return b, opposite
    return None


def _doorway_span(room: Room, door: Doorway) -> tuple[float, float]:
    """The doorway's extent along its wall's axis, in world coordinates (y for east/west walls)."""
    start = room.y0 if door.wall in ("east", "west") else room.x0
    return (start + door.offset - door.width / 2, start + door.offset + door.width / 2)


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that says False, not raises, for a name the OS refuses (too long, a NUL byte)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


@dataclass(frozen=True)
class _Checking:
    """What every check reads: the scene, whether to look for media files, and rooms by id (the
    last of a duplicated id wins, as a lookup would)."""

    scene: Scene
    check_media: bool
    rooms: dict[str, Room]


def _room_ids(c: _Checking) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, r in enumerate(c.scene.rooms):
        if r.id in seen:
            yield (("rooms", i, "id"), f"duplicate room id {r.id!r}")
        seen.add(r.id)


def _rooms(c: _Checking) -> Iterator[Problem]:
    """Per room: the rooms after it that it overlaps, then each of its doorways."""
    rooms = c.scene.rooms
    for i, a in enumerate(rooms):
        for b in rooms[i + 1:]:
            if min(a.x1, b.x1) - max(a.x0, b.x0) > EPS and min(a.y1, b.y1) - max(a.y0, b.y0) > EPS:
                yield (("rooms", i, "origin"), f"room {a.id!r} overlaps room {b.id!r}")
        for j, door in enumerate(a.doorways):
            yield from _doorway(rooms, a, door, ("rooms", i, "doorways", j))


def _doorway(rooms: list[Room], a: Room, door: Doorway, loc: tuple) -> Iterator[Problem]:
    """A doorway fits its wall and the ceiling, and a shared wall has the same gap on its other side."""
    length = a.wall_length(door.wall)
    lo, hi = door.offset - door.width / 2, door.offset + door.width / 2
    if lo < -EPS or hi > length + EPS:
        yield ((*loc, "offset"), f"doorway {lo:g}–{hi:g} m runs past the end of the "
               f"{door.wall} wall (0–{length:g} m)")
        return
    if door.height > a.height + EPS:
        yield ((*loc, "height"), f"doorway height {door.height:g} m is above the ceiling ({a.height:g} m)")
    other = _shared_wall(a, door.wall, rooms)
    if other is not None:
        b, wall_b = other
        span = _doorway_span(a, door)
        matched = any(d.wall == wall_b and abs(_doorway_span(b, d)[0] - span[0]) < 0.05
                      and abs(_doorway_span(b, d)[1] - span[1]) < 0.05 for d in b.doorways)
        if not matched:
            yield ((*loc, "wall"), f"the {door.wall} wall is shared with room {b.id!r}, "
                   f"whose {wall_b} wall has no doorway at the same place")


def _spawn(c: _Checking) -> Iterator[Problem]:
    spawn = c.scene.hall.spawn
    if spawn.room not in c.rooms:
        yield (("hall", "spawn", "room"), f"unknown room {spawn.room!r}")
    elif not c.rooms[spawn.room].contains(spawn.x, spawn.y, margin=0.3):
        r = c.rooms[spawn.room]
        yield (("hall", "spawn", "x"), f"spawn ({spawn.x:g}, {spawn.y:g}) is not inside room "
               f"{r.id!r} (x {r.x0:g}–{r.x1:g}, y {r.y0:g}–{r.y1:g}, 0.3 m from the walls)")


def _lights(c: _Checking) -> Iterator[Problem]:
    for i, light in enumerate(c.scene.lights):
        if light.type == "point":
            for key in ("x", "y", "z"):
                if getattr(light, key) is None:
                    yield (("lights", i), f"a point light needs {key}")
            if light.room is not None and light.room not in c.rooms:
                yield (("lights", i, "room"), f"unknown room {light.room!r}")


def _exhibits(c: _Checking) -> Iterator[Problem]:
    """Per exhibit, in order: its id, its place in its room, its media."""
    seen: set[str] = set()
    for i, e in enumerate(c.scene.exhibits):
        loc = ("exhibits", i)
        if e.id in seen:
            yield ((*loc, "id"), f"duplicate exhibit id {e.id!r}")
        elif e.id in c.rooms:
            yield ((*loc, "id"), f"exhibit id {e.id!r} is also a room id (GuideTo could not tell them apart)")
        seen.add(e.id)
        room = c.rooms.get(e.room)
        if room is None:
            yield ((*loc, "room"), f"unknown room {e.room!r}")
        else:
            yield from _exhibit_place(e, room, loc)
        yield from _exhibit_media(c, e, loc)


def _exhibit_place(e: Exhibit, room: Room, loc: tuple) -> Iterator[Problem]:
    """Inside its room (a floor model's whole footprint), and a wall exhibit between floor and ceiling."""
    points = [e.position] if e.on_wall else [e.position, *_footprint_corners(e)]
    if not all(room.contains(px, py) for px, py in points):
        what = "footprint" if room.contains(*e.position) else "position"
        yield ((*loc, "position"), f"{what} of {e.id} ({e.position[0]:g}, {e.position[1]:g}) "
               f"is outside room {room.id!r} (x {room.x0:g}–{room.x1:g}, y {room.y0:g}–{room.y1:g})")
    if e.on_wall:
        top = e.elevation + e.size[1] / 2
        bottom = e.elevation - e.size[1] / 2
        if bottom < -EPS or top > room.height + EPS:
            yield ((*loc, "elevation"), f"{e.id} spans {bottom:g}–{top:g} m, outside the room's "
                   f"floor-to-ceiling 0–{room.height:g} m")


def _exhibit_media(c: _Checking, e: Exhibit, loc: tuple) -> Iterator[Problem]:
    """The media its kind needs are named (and, with ``check_media``, every named file exists)."""
    scene = c.scene
    need = {"image_panel": "image", "model": "model", "showcase": "model"}.get(e.kind)
    if need is not None:
        rel = getattr(e.media, need, None) if e.media else None
        if rel is None:
            yield ((*loc, "media") if e.media else loc, f"a {e.kind} needs media.{need}")
        elif c.check_media and not _is_file(scene.media_path(rel)):
            yield ((*loc, "media", need), f"media file not found: {cut(rel)} "
                   f"(looked in {display_path(scene.base_dir)})")
    elif e.media is not None and c.check_media:
        for key in ("image", "model"):
            rel = getattr(e.media, key)
            if rel is not None and not _is_file(scene.media_path(rel)):
                yield ((*loc, "media", key), f"media file not found: {cut(rel)}")


def _tours(c: _Checking) -> Iterator[Problem]:
    exhibit_ids = {e.id for e in c.scene.exhibits}
    tour_ids: set[str] = set()
    for i, t in enumerate(c.scene.tours):
        if t.id in tour_ids:
            yield (("tours", i, "id"), f"duplicate tour id {t.id!r}")
        tour_ids.add(t.id)
        for j, stop in enumerate(t.stops):
            if stop not in exhibit_ids:
                yield (("tours", i, "stops", j), f"unknown exhibit {stop!r}")


#: The checks :func:`check_scene` runs, in the order their messages are listed.
CHECKS = (_room_ids, _rooms, _spawn, _lights, _exhibits, _tours)


def check_scene(scene: Scene, check_media: bool = True) -> list[Problem]:
    """Everything the schema cannot see: references, placement and files. Empty when all is well."""
    c = _Checking(scene, check_media, {r.id: r for r in scene.rooms})
    return [problem for check in CHECKS for problem in check(c)]

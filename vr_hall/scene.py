"""The hall's scene file (``scenes/hall.yaml``): its schema, and the checks a schema alone cannot make.

Administrators edit these files by hand, so every problem is reported as ``file:line: field: message``
(through :mod:`core.yamlfile`), and all problems are reported at once: an exhibit outside its room, a
tour stop that names no exhibit, a media file that is missing, a doorway wider than its wall. A scene
that loads here can be built and walked without further checks.

Conventions (see the header of ``scenes/hall.yaml``): metres; x east, y north, z up; headings are
Panda3D H degrees (0 faces +y/north, 90 faces -x/west); room origins are south-west corners.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from core.review import Reviewed
from core.site_facts_files import facts_for_scene
from core.sitefacts import render_tree
from core.yamlfile import YamlFileError, cut, display_path, dotted, load_model, read_yaml, where

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
Positive = Annotated[float, Field(gt=0)]
WallName = Literal["north", "south", "east", "west"]
ExhibitKind = Literal["image_panel", "text_board", "model", "showcase"]

#: Exhibit kinds that hang on a wall (flat) and kinds that stand on the floor (a glTF model).
WALL_KINDS = ("image_panel", "text_board")
FLOOR_KINDS = ("model", "showcase")
#: Tolerance for "inside": wall exhibits sit 0.1 m in front of the wall, well inside it.
EPS = 1e-6


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNREAD = object()


class SceneError(YamlFileError):
    """A scene file is wrong; ``messages`` are ``file:line: field: problem`` lines."""


class _Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not be silently ignored. NaN and infinity are
    errors too: ".nan" passes every bound (all comparisons are false) and ".inf" passes ``gt=0``, and
    either would reach the renderer and the placement maths (``cos(inf)`` raises)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Spawn(_Strict):
    """Where a visitor starts: world coordinates inside ``room``, and the initial heading."""

    room: str
    x: float
    y: float
    heading: float = 0.0


class HallInfo(_Strict):
    id: str
    title_zh: str
    title_en: str
    spawn: Spawn
    site: str | None = None
    """The site file (relative to the scene file) whose facts fill ``${name}`` in the scene's texts."""


class Surface(_Strict):
    color: Colour


class Doorway(_Strict):
    """A gap in a wall. ``offset`` is the gap's centre from the wall's start (south or west end)."""

    wall: WallName
    offset: float
    width: Positive
    height: Positive = 2.6


class Room(_Strict):
    id: str
    name_zh: str
    name_en: str
    origin: tuple[float, float]
    size: tuple[Positive, Positive, Positive]
    """width (x), depth (y), height (z)"""
    floor: Surface = Surface(color="#8A6A50")
    walls: Surface = Surface(color="#F3E9D8")
    ceiling: Surface = Surface(color="#FFFFFF")
    doorways: list[Doorway] = []

    @property
    def x0(self) -> float:
        return self.origin[0]

    @property
    def y0(self) -> float:
        return self.origin[1]

    @property
    def x1(self) -> float:
        return self.origin[0] + self.size[0]

    @property
    def y1(self) -> float:
        return self.origin[1] + self.size[1]

    @property
    def height(self) -> float:
        return self.size[2]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.size[0] / 2, self.y0 + self.size[1] / 2)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Whether (x, y) lies inside, at least ``margin`` from every wall (edges count as inside)."""
        return (self.x0 + margin - EPS <= x <= self.x1 - margin + EPS
                and self.y0 + margin - EPS <= y <= self.y1 - margin + EPS)

    def wall_line(self, wall: str) -> tuple[tuple[float, float], tuple[float, float]]:
        """The wall's start and end points (south→north for east/west walls, west→east otherwise)."""
        if wall == "south":
            return (self.x0, self.y0), (self.x1, self.y0)
        if wall == "north":
            return (self.x0, self.y1), (self.x1, self.y1)
        if wall == "west":
            return (self.x0, self.y0), (self.x0, self.y1)
        return (self.x1, self.y0), (self.x1, self.y1)

    def wall_length(self, wall: str) -> float:
        return self.size[0] if wall in ("north", "south") else self.size[1]


class Light(_Strict):
    """ambient: colour only; directional: heading/pitch of the light's direction; point: a room and x, y, z."""

    type: Literal["ambient", "directional", "point"]
    color: Colour = "#FFFFFF"
    intensity: Annotated[float, Field(ge=0)] = 1.0
    heading: float = 0.0
    pitch: float = -45.0
    room: str | None = None
    x: float | None = None
    y: float | None = None
    z: float | None = None


class Media(_Strict):
    """Paths relative to the scene file's folder."""

    image: str | None = None
    model: str | None = None
    turn: float = 0.0
    """Degrees added to the exhibit's facing for its model. A glTF model's front is +Z (glTF 2.0,
    3.4): it is turned to face the visitor with no override; a model authored facing another way
    (the demo's own models face glTF -Z) says so here (180)."""
    pitch: float = 0.0
    """Degrees the model is tipped forward (+) or back (-) before it is fitted: a model authored with
    Z up instead of glTF's Y up lies on its back and stands with ``pitch: -90`` (or 90)."""
    plinth: Annotated[float, Field(ge=0, le=2)] | None = None
    """Height in metres of the plinth a ``model`` exhibit stands on (0: on the floor); default
    0.2 m. A showcase's model stands on the showcase's base."""


class Exhibit(_Strict, Reviewed):
    """An exhibit; only published ones are built (``Reviewed``: a panel is read aloud to visitors)."""

    id: str
    room: str
    kind: ExhibitKind
    title_zh: str
    title_en: str
    description_zh: str = ""
    description_en: str = ""
    narration_zh: str = ""
    narration_en: str = ""
    position: tuple[float, float]
    elevation: float = 1.6
    """Height of a wall exhibit's centre (ignored for floor models, which stand on the floor)."""
    facing: float = 0.0
    size: tuple[Positive, Positive]
    """[width, height]"""
    depth: Positive | None = None
    """Footprint depth of a floor model; half its width when not given."""
    media: Media | None = None

    @property
    def on_wall(self) -> bool:
        return self.kind in WALL_KINDS

    @property
    def footprint(self) -> tuple[float, float]:
        """(width, depth) on the floor, in the exhibit's own frame (a showcase includes its glass box)."""
        w = self.size[0]
        if self.on_wall:
            return (w, 0.1)
        d = self.depth if self.depth is not None else w * 0.5
        if self.kind == "showcase":
            return (w + 0.3, d + 0.3)
        return (w, d)

    def text(self, field: str, lang: str) -> str:
        """``text("title", "en")`` → title_en, falling back to Chinese when the English is empty."""
        value = getattr(self, f"{field}_{lang}", "") or ""
        return value or getattr(self, f"{field}_zh", "")


class Tour(_Strict):
    id: str
    name_zh: str
    name_en: str
    stops: Annotated[list[str], Field(min_length=1)]


class Scene(_Strict):
    """A whole scene file. ``base_dir`` (set by :func:`load_scene`) resolves media paths."""

    hall: HallInfo
    rooms: Annotated[list[Room], Field(min_length=1)]
    lights: list[Light] = []
    exhibits: list[Exhibit] = []
    tours: list[Tour] = []

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="<scene>")
    _models: dict = PrivateAttr(default_factory=dict)
    """Exhibit id → vr_hall.models.ModelReport, set by :func:`check_scene_models`."""
    _model_problems: list = PrivateAttr(default_factory=list)

    @property
    def model_reports(self) -> dict:
        """Exhibit id → its model's :class:`vr_hall.models.ModelReport` (empty when not checked)."""
        return self._models

    @property
    def model_problems(self) -> list[str]:
        """``file:line: exhibits[ID].media.model: … cannot be loaded (…)`` for each refused model: the
        hall shows those exhibits without their model; ``hall --check-scene`` exits 2."""
        return self._model_problems

    def model_ok(self, exhibit_id: str) -> bool:
        """Build this exhibit's model? True when it was not checked (``check_media=False``) or passed."""
        report = self._models.get(exhibit_id)
        return report is None or report.ok

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def source(self) -> str:
        """The file it came from, as shown in messages."""
        return self._source

    def with_base(self, base_dir: Path, source: str | None = None) -> Scene:
        self._base_dir = Path(base_dir).resolve()
        if source is not None:
            self._source = source
        return self

    def media_path(self, relative: str) -> Path:
        """An absolute path (normalised, without touching the disk: 3000 exhibits, 3000 lookups)."""
        return Path(os.path.normpath(self._base_dir / relative))

    def room(self, room_id: str) -> Room:
        for r in self.rooms:
            if r.id == room_id:
                return r
        raise KeyError(room_id)

    def exhibit(self, exhibit_id: str) -> Exhibit:
        for e in self.exhibits:
            if e.id == exhibit_id:
                return e
        raise KeyError(exhibit_id)

    def tour(self, tour_id: str) -> Tour:
        for t in self.tours:
            if t.id == tour_id:
                return t
        raise KeyError(tour_id)

    def room_at(self, x: float, y: float) -> Room | None:
        for r in self.rooms:
            if r.contains(x, y):
                return r
        return None

    def exhibits_in(self, room_id: str) -> list[Exhibit]:
        return [e for e in self.exhibits if e.room == room_id]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around every room."""
        return (min(r.x0 for r in self.rooms), min(r.y0 for r in self.rooms),
                max(r.x1 for r in self.rooms), max(r.y1 for r in self.rooms))


# ------------------------------------------------------------------------------------ cross-checks

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


def check_scene(scene: Scene, check_media: bool = True) -> list[Problem]:
    """Everything the schema cannot see: references, placement and files. Empty when all is well."""
    problems: list[Problem] = []
    room_ids: dict[str, int] = {}
    for i, r in enumerate(scene.rooms):
        if r.id in room_ids:
            problems.append((("rooms", i, "id"), f"duplicate room id {r.id!r}"))
        room_ids.setdefault(r.id, i)
    rooms = {r.id: r for r in scene.rooms}

    for i, a in enumerate(scene.rooms):
        for b in scene.rooms[i + 1:]:
            if min(a.x1, b.x1) - max(a.x0, b.x0) > EPS and min(a.y1, b.y1) - max(a.y0, b.y0) > EPS:
                problems.append(((("rooms", i, "origin")), f"room {a.id!r} overlaps room {b.id!r}"))
        for j, door in enumerate(a.doorways):
            loc = ("rooms", i, "doorways", j)
            length = a.wall_length(door.wall)
            lo, hi = door.offset - door.width / 2, door.offset + door.width / 2
            if lo < -EPS or hi > length + EPS:
                problems.append(((*loc, "offset"), f"doorway {lo:g}–{hi:g} m runs past the end of the "
                                 f"{door.wall} wall (0–{length:g} m)"))
                continue
            if door.height > a.height + EPS:
                problems.append(((*loc, "height"), f"doorway height {door.height:g} m is above the ceiling "
                                 f"({a.height:g} m)"))
            other = _shared_wall(a, door.wall, scene.rooms)
            if other is not None:
                b, wall_b = other
                span = _doorway_span(a, door)
                matched = any(d.wall == wall_b and abs(_doorway_span(b, d)[0] - span[0]) < 0.05
                              and abs(_doorway_span(b, d)[1] - span[1]) < 0.05 for d in b.doorways)
                if not matched:
                    problems.append(((*loc, "wall"), f"the {door.wall} wall is shared with room {b.id!r}, "
                                     f"whose {wall_b} wall has no doorway at the same place"))

    spawn = scene.hall.spawn
    if spawn.room not in rooms:
        problems.append((("hall", "spawn", "room"), f"unknown room {spawn.room!r}"))
    elif not rooms[spawn.room].contains(spawn.x, spawn.y, margin=0.3):
        r = rooms[spawn.room]
        problems.append((("hall", "spawn", "x"), f"spawn ({spawn.x:g}, {spawn.y:g}) is not inside room "
                         f"{r.id!r} (x {r.x0:g}–{r.x1:g}, y {r.y0:g}–{r.y1:g}, 0.3 m from the walls)"))

    for i, light in enumerate(scene.lights):
        if light.type == "point":
            for key in ("x", "y", "z"):
                if getattr(light, key) is None:
                    problems.append((("lights", i), f"a point light needs {key}"))
            if light.room is not None and light.room not in rooms:
                problems.append((("lights", i, "room"), f"unknown room {light.room!r}"))

    ids: dict[str, int] = {}
    for i, e in enumerate(scene.exhibits):
        loc = ("exhibits", i)
        if e.id in ids:
            problems.append(((*loc, "id"), f"duplicate exhibit id {e.id!r}"))
        elif e.id in rooms:
            problems.append(((*loc, "id"), f"exhibit id {e.id!r} is also a room id (GuideTo could not tell them apart)"))
        ids.setdefault(e.id, i)
        room = rooms.get(e.room)
        if room is None:
            problems.append(((*loc, "room"), f"unknown room {e.room!r}"))
        else:
            points = [e.position] if e.on_wall else [e.position, *_footprint_corners(e)]
            if not all(room.contains(px, py) for px, py in points):
                what = "footprint" if room.contains(*e.position) else "position"
                problems.append(((*loc, "position"), f"{what} of {e.id} ({e.position[0]:g}, {e.position[1]:g}) "
                                 f"is outside room {room.id!r} (x {room.x0:g}–{room.x1:g}, y {room.y0:g}–{room.y1:g})"))
            if e.on_wall:
                top = e.elevation + e.size[1] / 2
                bottom = e.elevation - e.size[1] / 2
                if bottom < -EPS or top > room.height + EPS:
                    problems.append(((*loc, "elevation"), f"{e.id} spans {bottom:g}–{top:g} m, outside the room's "
                                     f"floor-to-ceiling 0–{room.height:g} m"))
        need = {"image_panel": "image", "model": "model", "showcase": "model"}.get(e.kind)
        if need is not None:
            rel = getattr(e.media, need, None) if e.media else None
            if rel is None:
                problems.append(((*loc, "media") if e.media else loc, f"a {e.kind} needs media.{need}"))
            elif check_media and not _is_file(scene.media_path(rel)):
                problems.append(((*loc, "media", need), f"media file not found: {cut(rel)} "
                                 f"(looked in {display_path(scene.base_dir)})"))
        elif e.media is not None and check_media:
            for key in ("image", "model"):
                rel = getattr(e.media, key)
                if rel is not None and not _is_file(scene.media_path(rel)):
                    problems.append(((*loc, "media", key), f"media file not found: {cut(rel)}"))

    tour_ids: set[str] = set()
    for i, t in enumerate(scene.tours):
        if t.id in tour_ids:
            problems.append((("tours", i, "id"), f"duplicate tour id {t.id!r}"))
        tour_ids.add(t.id)
        for j, stop in enumerate(t.stops):
            if stop not in ids:
                problems.append((("tours", i, "stops", j), f"unknown exhibit {stop!r}"))
    return problems


def scene_facts(path: Path, data: object) -> dict[str, str]:
    """The site facts a scene file refers to (``hall.site``), as SceneError when that file is wrong."""
    try:
        return facts_for_scene(path, data)
    except YamlFileError as exc:
        shown = display_path(path)
        try:
            at = where(("hall", "site"), read_yaml(path)[1], shown)
        except YamlFileError:
            at = shown
        raise SceneError([f"{at}: hall.site: {m}" for m in exc.messages]) from None


def published_only(scene: Scene) -> Scene:
    """The scene without the exhibits that are not published (and without them in tours; a tour left
    with no stop is dropped). Their places stay empty rather than show unreviewed text."""
    keep = [e for e in scene.exhibits if e.published]
    if len(keep) == len(scene.exhibits):
        return scene
    ids = {e.id for e in keep}
    tours = [t.model_copy(update={"stops": [s for s in t.stops if s in ids]}) for t in scene.tours]
    out = scene.model_copy(update={"exhibits": keep, "tours": [t for t in tours if t.stops]})
    return out.with_base(scene.base_dir, scene.source)


def check_scene_models(scene: Scene, path: Path) -> list[str]:
    """Check every exhibit model of ``scene`` (static check, then the real loader in a child process,
    cached by content hash: :mod:`vr_hall.models`); keep the reports on the scene and return a
    ``file:line: exhibits[ID].media.model: FILE cannot be loaded (why)`` line for each refused one.
    A bad model never fails the scene: the hall shows that exhibit's panel without its model."""
    from vr_hall.models import check_models

    wanted = {e.id: scene.media_path(e.media.model) for e in scene.exhibits
              if e.media is not None and e.media.model and _is_file(scene.media_path(e.media.model))}
    if not wanted:
        return []
    reports = check_models(list(wanted.values()))
    scene._models = {eid: reports[p] for eid, p in wanted.items()}
    bad = [e for e in scene.exhibits if e.id in wanted and not reports[wanted[e.id]].ok]
    problems: list[str] = []
    if bad:
        raw, origins = read_yaml(path)
        index = {x.get("id"): i for i, x in enumerate(raw.get("exhibits") or []) if isinstance(x, dict)} \
            if isinstance(raw, dict) else {}
        for e in bad:
            loc = ("exhibits", index.get(e.id, -1), "media", "model")
            problems.append(f"{where(loc, origins, scene.source)}: exhibits[{e.id}].media.model: "
                            f"{cut(e.media.model or '', 120)} cannot be loaded ({cut(reports[wanted[e.id]].error, 300)})")
    scene._model_problems = problems
    return problems


def load_scene(path: str | Path, check_media: bool = True, *, published: bool = True) -> Scene:
    """Read, validate and cross-check a scene file; raise SceneError listing every problem found.
    Site facts are filled in (``hall.site``); with ``published`` (the default) only published exhibits
    are kept. With ``check_media`` every (kept) exhibit model is checked too (:func:`check_scene_models`):
    a model that cannot be loaded is listed in ``scene.model_problems``, not raised."""
    path = Path(path)
    scene: Scene | None = None
    # fast path: libyaml without line marks (a 3000-exhibit hall parses 6× faster). Anything wrong,
    # including what PyYAML's constructors raise bare (ValueError for a date like 2024-13-45,
    # AttributeError for "!!timestamp x"), falls to the slow path, which reports it with its line.
    raw: object = _UNREAD
    with contextlib.suppress(Exception):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    if raw is _UNREAD:
        try:
            raw, _ = read_yaml(path)
        except YamlFileError as exc:
            raise SceneError(exc.messages) from None
    facts = scene_facts(path, raw)
    rendered, unfilled = render_tree(raw, facts)
    if not unfilled:
        with contextlib.suppress(Exception):
            scene = Scene.model_validate(rendered)
    if scene is None:  # something is wrong: read again keeping lines, for file:line: field messages
        try:
            scene = load_model(path, Scene, facts=facts)
        except YamlFileError as exc:
            raise SceneError(exc.messages) from None
    shown = display_path(path)
    scene.with_base(path.resolve().parent, shown)
    problems = check_scene(scene, check_media=check_media)
    if problems:
        _, origins = read_yaml(path)
        # cut: the messages quote ids, and an id can be a 100 kB string pasted by mistake
        raise SceneError([f"{where(loc, origins, shown)}: {dotted(loc)}: {cut(msg, 300)}" for loc, msg in problems])
    out = published_only(scene) if published else scene
    if check_media:
        check_scene_models(out, path)
    return out

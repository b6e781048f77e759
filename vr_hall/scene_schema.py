"""The hall scene's schema: rooms, doorways, lights, exhibits and tours as strict pydantic models.

Split from :mod:`vr_hall.scene` (which loads a file and re-exports every name here) so the shapes a
scene file may take read apart from how a file is read and cross-checked (:mod:`vr_hall.scene_checks`).
Unknown keys, NaN and infinity are refused here; what a schema cannot see (references, placement,
files) is the cross-checks' job.

Conventions (see the header of ``scenes/hall.yaml``): metres; x east, y north, z up; headings are
Panda3D H degrees (0 faces +y/north, 90 faces -x/west); room origins are south-west corners.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from core.review import Reviewed

Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB")]
Positive = Annotated[float, Field(gt=0)]
WallName = Literal["north", "south", "east", "west"]
ExhibitKind = Literal["image_panel", "text_board", "model", "showcase"]

#: Exhibit kinds that hang on a wall (flat) and kinds that stand on the floor (a glTF model).
WALL_KINDS = ("image_panel", "text_board")
FLOOR_KINDS = ("model", "showcase")
#: Tolerance for "inside": wall exhibits sit 0.1 m in front of the wall, well inside it.
EPS = 1e-6


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

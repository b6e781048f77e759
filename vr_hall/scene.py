"""The hall's scene file (``scenes/hall.yaml``): read it, fill in its site facts, validate and cross-check it.

Administrators edit these files by hand, so every problem is reported as ``file:line: field: message``
(through :mod:`core.yamlfile`), and all problems are reported at once: an exhibit outside its room, a
tour stop that names no exhibit, a media file that is missing, a doorway wider than its wall. A scene
that loads here can be built and walked without further checks.

The schema lives in :mod:`vr_hall.scene_schema` and the cross-checks in :mod:`vr_hall.scene_checks`;
every name of both is re-exported here, so ``from vr_hall.scene import Scene, check_scene`` still works.

Conventions (see the header of ``scenes/hall.yaml``): metres; x east, y north, z up; headings are
Panda3D H degrees (0 faces +y/north, 90 faces -x/west); room origins are south-west corners.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml

from core.site_facts_files import facts_for_scene
from core.sitefacts import render_tree
from core.yamlfile import YamlFileError, cut, display_path, dotted, load_model, read_yaml, where
from vr_hall.scene_checks import CHECKS, Problem, _is_file, check_scene
from vr_hall.scene_schema import (
    EPS,
    FLOOR_KINDS,
    WALL_KINDS,
    Colour,
    Doorway,
    Exhibit,
    ExhibitKind,
    HallInfo,
    Light,
    Media,
    Positive,
    Room,
    Scene,
    Spawn,
    Surface,
    Tour,
    WallName,
)

__all__ = [
    "CHECKS", "EPS", "FLOOR_KINDS", "WALL_KINDS", "Colour", "Doorway", "Exhibit", "ExhibitKind", "HallInfo",
    "Light", "Media", "Positive", "Problem", "Room", "Scene", "SceneError", "Spawn", "Surface", "Tour",
    "WallName", "check_scene", "check_scene_models", "load_scene", "published_only", "scene_facts",
]

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNREAD = object()


class SceneError(YamlFileError):
    """A scene file is wrong; ``messages`` are ``file:line: field: problem`` lines."""


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

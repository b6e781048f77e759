"""Turn a :class:`~vr_hall.scene.Scene` into a Panda3D scene graph, fast to load and cheap to draw.

Draw calls, not pixels, limit the frame rate on the kiosk's integrated GPU (and on a CPU renderer),
so each room ends up as a handful of Geoms — one per render state: lit vertex-coloured surfaces
(floor, walls, frames, models), unlit boards, the panel pictures (one texture atlas per room), text
(the font's glyph page), glass, and a model batch per kind of material. That takes three things:
every picture of a room packed into one atlas; glTF models stripped of their ModelRoot
(``clearModelNodes()``) and their per-part materials shared by value (baked into flat colours without
shaders, or colour moved into the vertices for the PBR shader: :mod:`vr_hall.model_fit`,
:mod:`vr_hall.pbr`), or ``flattenStrong()`` cannot merge them; and flattening per room, not the whole
hall, so rooms out of view are still culled. ``optimise=False`` builds the naive
hall (one node and one texture per exhibit) that the benchmark compares against.

Picking uses invisible collision solids (floor, walls, one box per exhibit tagged with its id) kept
apart from the flattened geometry, so a tap still knows which exhibit it hit (:mod:`vr_hall.colliders`).
What each room shell and exhibit looks like is :mod:`vr_hall.room_geometry`; this module decides which
batch each goes into, packs the atlases, places the models and flattens. Its former names are re-exported.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from panda3d.core import (
    AmbientLight,
    AnimControlCollection,
    CullBinManager,
    DirectionalLight,
    DynamicTextFont,
    Filename,
    NodePath,
    PointLight,
    SamplerState,
    Texture,
    TexturePool,
    TransparencyAttrib,
)
from PIL import Image

from vr_hall.atlas import Atlas, AtlasItem, build_atlas
from vr_hall.colliders import PICK_MASK, add_colliders
from vr_hall.mesh import MeshBuilder, hex_colour
from vr_hall.model_fit import ModelCache, add_plinth, normalise_model
from vr_hall.room_geometry import (
    FRAME,
    GOLD,
    INK,
    RED,
    WARM_WHITE,
    ExhibitFrame,
    door_signs,
    panel_frame,
    room_shell,
    showcase_glass,
    text_board,
)
from vr_hall.scene import Exhibit, Room, Scene

__all__ = ["EXHIBITS_BIN", "FRAME", "GOLD", "INK", "PICK_MASK", "RED", "WARM_WHITE", "BuildOptions", "BuiltHall",
           "Progress", "build_hall", "count_geoms", "set_anisotropy", "texture_from_image"]

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)


@dataclass
class BuildOptions:
    optimise: bool = True
    """Atlas the panel pictures and flatten each room; False builds one node and texture per exhibit."""
    atlas_cell: int = 768
    """Longer side, in pixels, of a picture in the atlas."""
    models: bool = True
    signs: bool = True
    """Room-name signs above doorways."""
    pbr: bool | None = None
    """Models keep their whole PBR material for the shader path (:mod:`vr_hall.pbr`); False bakes them for
    fixed-function drawing. None: the hall decides from the renderer (built alone: baked)."""


@dataclass
class BuiltHall:
    scene: Scene
    root: NodePath
    rooms: dict[str, NodePath]
    colliders: NodePath
    timings: dict[str, float] = field(default_factory=dict)
    atlases: dict[str, Atlas] = field(default_factory=dict)
    animations: dict[str, AnimControlCollection] = field(default_factory=dict)
    """Exhibit id → the animation controls of its animated model (kept here: they stop when freed)."""

    def geoms(self) -> int:
        """Geoms under the hall's root: what a frame with every room in view would draw."""
        return count_geoms(self.root)


def count_geoms(root: NodePath) -> int:
    total = sum(p.node().getNumGeoms() for p in root.findAllMatches("**/+GeomNode"))
    if root.node().isGeomNode():
        total += root.node().getNumGeoms()
    return total


def texture_from_image(img: Image.Image, name: str) -> Texture:
    """A mipmapped RGB texture from a Pillow image (no file round trip). No anisotropic filtering
    here: it halves the frame rate of a software renderer; :func:`set_anisotropy` adds it on a GPU."""
    img = img.convert("RGB")
    tex = Texture(name)
    tex.setup2dTexture(img.width, img.height, Texture.T_unsigned_byte, Texture.F_rgb8)
    # Panda3D keeps BGR rows bottom-up: let Pillow's raw encoder swap and flip in one pass
    tex.setRamImage(img.tobytes("raw", "BGR", 0, -1))
    tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
    tex.setMagfilter(SamplerState.FT_linear)
    tex.setWrapU(SamplerState.WM_clamp)
    tex.setWrapV(SamplerState.WM_clamp)
    return tex


def _lights(scene: Scene, root: NodePath, rooms: dict[str, NodePath]) -> None:
    for i, light in enumerate(scene.lights):
        r, g, b, _ = hex_colour(light.color)
        k = light.intensity
        if light.type == "ambient":
            node = AmbientLight(f"ambient-{i}")
            node.setColor((r * k, g * k, b * k, 1))
            root.setLight(root.attachNewNode(node))
        elif light.type == "directional":
            node = DirectionalLight(f"sun-{i}")
            node.setColor((r * k, g * k, b * k, 1))
            np_ = root.attachNewNode(node)
            np_.setHpr(light.heading, light.pitch, 0)
            root.setLight(np_)
        else:
            node = PointLight(f"lamp-{i}")
            node.setColor((r * k, g * k, b * k, 1))
            node.setAttenuation((1.0, 0.0, 0.012))
            np_ = root.attachNewNode(node)
            np_.setPos(light.x or 0.0, light.y or 0.0, light.z or 3.0)
            target = rooms.get(light.room) if light.room else None
            (target or root).setLight(np_)


def _atlas_texture(items: list[AtlasItem], cell: int, name: str) -> tuple[Atlas, Texture]:
    """Pack a room's pictures and make the texture with its mipmaps already in RAM (worker thread):
    otherwise the driver builds them during the first frame, which is what the visitor waits for."""
    atlas = build_atlas(items, cell=cell)
    tex = texture_from_image(atlas.image, name)
    tex.generateRamMipmapImages()
    return atlas, tex


def set_anisotropy(root: NodePath, font: DynamicTextFont | None, degree: int) -> None:
    """Sharper panels seen at an angle — cheap on a GPU, ruinous on llvmpipe (51 → 27 fps)."""
    for tex in root.findAllTextures():
        tex.setAnisotropicDegree(degree)
    if font is not None:
        font.setAnisotropicDegree(degree)


def _opener(path: Path) -> Callable[[], Image.Image]:
    return lambda: Image.open(path)


def _panels(scene: Scene, room: Room) -> list[Exhibit]:
    return [e for e in scene.exhibits_in(room.id) if e.kind == "image_panel" and e.media and e.media.image]


EXHIBITS_BIN = "hall-exhibits"


def _exhibits_bin() -> None:
    """A fixed-order bin drawn before "opaque" (the room shells); registered once per process."""
    bins = CullBinManager.getGlobalPtr()
    if bins.findBin(EXHIBITS_BIN) < 0:
        bins.addBin(EXHIBITS_BIN, CullBinManager.BT_fixed, 15)


def _start_atlases(scene: Scene, opts: BuildOptions,
                   pool: ThreadPoolExecutor | None) -> dict[str, Future[tuple[Atlas, Texture]]]:
    """Each room's panel atlas packed on a worker thread (Pillow decodes and resizes with the GIL
    released) while this thread builds geometry, text and models."""
    pending: dict[str, Future[tuple[Atlas, Texture]]] = {}
    if pool is None:
        return pending
    for room in scene.rooms:
        panels = _panels(scene, room)
        if panels:
            items = [AtlasItem(e.id, _opener(scene.media_path(e.media.image)), e.size[0] / e.size[1])  # type: ignore[union-attr]
                     for e in panels]
            pending[room.id] = pool.submit(_atlas_texture, items, opts.atlas_cell, f"atlas-{room.id}")
    return pending


def _room_pictures(scene: Scene, room: Room, room_np: NodePath, opts: BuildOptions,
                   pending: dict[str, Future[tuple[Atlas, Texture]]]) -> Atlas | None:
    """The room's panel pictures: one quad batch on its atlas, or (naive) one node and texture each."""
    panels = _panels(scene, room)
    if opts.optimise and panels:
        atlas, atlas_texture = pending[room.id].result()
        pics = MeshBuilder()
        for e in panels:
            pics.quad(*ExhibitFrame(e).rect(e.size[0], e.size[1], 0.0), (1, 1, 1, 1), normal=ExhibitFrame(e).n,
                      uv=atlas.uv[e.id])
        pic_np = room_np.attachNewNode(pics.node("panels"))
        pic_np.setTexture(atlas_texture)
        pic_np.setLightOff(1)
        pic_np.setBin(EXHIBITS_BIN, 0)
        return atlas
    for e in panels:
        one = MeshBuilder()
        one.quad(*ExhibitFrame(e).rect(e.size[0], e.size[1], 0.0), (1, 1, 1, 1), normal=ExhibitFrame(e).n)
        np_ = room_np.attachNewNode(one.node(f"panel-{e.id}"))
        tex = TexturePool.loadTexture(Filename.fromOsSpecific(str(scene.media_path(e.media.image))))  # type: ignore[union-attr]
        tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
        np_.setTexture(tex)
        np_.setLightOff(1)
    return None


def _room_models(scene: Scene, exhibits: list[Exhibit], room_np: NodePath, lit: MeshBuilder, opts: BuildOptions,
                 models: ModelCache) -> list[tuple[Exhibit, Path]]:
    """Plinths and the checked static models of the room; returns the animated ones, which are added
    after the room is flattened."""
    animated: list[tuple[Exhibit, Path]] = []
    if not opts.models:
        return animated
    for e in exhibits:
        if e.kind in ("model", "showcase") and e.media and e.media.model:
            add_plinth(e, lit)
            if not scene.model_ok(e.id):
                continue  # refused at load (scene.model_problems): the exhibit without it
            checked = scene.model_reports.get(e.id)  # a rewritten copy when the loader needs one
            source = Path(checked.load_path) if checked is not None and checked.load_path else \
                scene.media_path(e.media.model)
            if checked is not None and checked.animations:
                animated.append((e, source))
                continue
            inst = models.instance(source, bake=opts.optimise, pbr=bool(opts.pbr))
            normalise_model(inst, e).reparentTo(room_np)
    return animated


def _attach_batches(room_np: NodePath, frames: MeshBuilder, lit: MeshBuilder, unlit: MeshBuilder,
                    glass: MeshBuilder) -> None:
    """The room's picture frames (drawn early), lit surfaces, unlit boards and glass (drawn last)."""
    if not frames.empty:
        room_np.attachNewNode(frames.node("frames")).setBin(EXHIBITS_BIN, 1)
    room_np.attachNewNode(lit.node("surfaces"))
    if not unlit.empty:
        room_np.attachNewNode(unlit.node("boards")).setLightOff(1)
    if not glass.empty:
        g = room_np.attachNewNode(glass.node("glass"))
        g.setTransparency(TransparencyAttrib.MAlpha)
        g.setDepthWrite(False)
        g.setTwoSided(True)
        g.setLightOff(1)
        g.setBin("transparent", 10)


def build_hall(scene: Scene, *, font: DynamicTextFont | None = None, options: BuildOptions | None = None,
               progress: Progress | None = None, models: ModelCache | None = None) -> BuiltHall:
    """Build every room under a new root NodePath (not yet parented to ``render``)."""
    opts = options or BuildOptions()
    for problem in scene.model_problems:  # shown without their model; the administrator reads why here
        log.warning("%s", problem)
    _exhibits_bin()
    report = progress or (lambda _f, _m: None)
    models = models or ModelCache()
    t_start = time.perf_counter()
    timings: dict[str, float] = {"atlas": 0.0, "models": 0.0, "text": 0.0, "flatten": 0.0, "geometry": 0.0}
    root = NodePath("hall")
    rooms: dict[str, NodePath] = {}
    atlases: dict[str, Atlas] = {}
    animations: dict[str, AnimControlCollection] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) if opts.optimise else None
    pending = _start_atlases(scene, opts, pool)
    for k, room in enumerate(scene.rooms):
        report(k / len(scene.rooms), f"{room.name_zh} {room.name_en}")
        room_np = root.attachNewNode(f"room-{room.id}")
        rooms[room.id] = room_np
        exhibits = scene.exhibits_in(room.id)
        t = time.perf_counter()
        # exhibits (frames, boards, pictures) draw before the room's shell, nearest first: the
        # walls and floor behind them then fail the depth test early (a software renderer's
        # pixel cost is most of a frame)
        lit, unlit, glass, frames = MeshBuilder(), MeshBuilder(), MeshBuilder(), MeshBuilder()
        room_shell(room, lit, unlit)
        text_np = room_np.attachNewNode("text")
        for e in exhibits:
            if e.kind == "image_panel":
                panel_frame(e, frames)
            elif e.kind == "showcase":
                showcase_glass(e, glass, lit)
        timings["geometry"] += time.perf_counter() - t

        t = time.perf_counter()
        for e in exhibits:
            if e.kind == "text_board":
                text_board(e, unlit, font, text_np)
        if opts.signs:
            door_signs(scene, room, unlit, font, text_np)
        timings["text"] += time.perf_counter() - t

        t = time.perf_counter()
        atlas = _room_pictures(scene, room, room_np, opts, pending)
        if atlas is not None:
            atlases[room.id] = atlas
        timings["atlas"] += time.perf_counter() - t

        t = time.perf_counter()
        animated = _room_models(scene, exhibits, room_np, lit, opts, models)
        timings["models"] += time.perf_counter() - t

        _attach_batches(room_np, frames, lit, unlit, glass)
        if opts.optimise:
            t = time.perf_counter()
            room_np.clearModelNodes()
            room_np.flattenStrong()
            timings["flatten"] += time.perf_counter() - t
        for e, source in animated:  # one more batch each, drawn as loaded, playing its first animation
            model, controls = models.animated(source, pbr=bool(opts.pbr))
            normalise_model(model, e).reparentTo(room_np)
            animations[e.id] = controls

    if pool is not None:
        pool.shutdown()
    _lights(scene, root, rooms)
    colliders = root.attachNewNode("colliders")
    add_colliders(scene, colliders)
    timings["total"] = time.perf_counter() - t_start
    report(1.0, "完成 done")
    return BuiltHall(scene, root, rooms, colliders, timings, atlases, animations)

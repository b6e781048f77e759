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
apart from the flattened geometry, so a tap still knows which exhibit it hit.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from panda3d.core import (
    AmbientLight,
    AnimControlCollection,
    BitMask32,
    CollisionBox,
    CollisionNode,
    CollisionPolygon,
    CullBinManager,
    DirectionalLight,
    DynamicTextFont,
    Filename,
    NodePath,
    Point3,
    PointLight,
    SamplerState,
    Texture,
    TexturePool,
    TransparencyAttrib,
)
from PIL import Image

from vr_hall.atlas import Atlas, AtlasItem, build_atlas
from vr_hall.layout import doorway_centres, wall_pieces
from vr_hall.mesh import MeshBuilder, hex_colour, shade
from vr_hall.model_fit import ModelCache, add_plinth, normalise_model
from vr_hall.scene import Exhibit, Room, Scene
from vr_hall.text3d import text_geometry

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)

#: Collide mask of the pick solids (the camera's ray looks only at these).
PICK_MASK = BitMask32.bit(4)
RED = hex_colour("#C8161D")
GOLD = hex_colour("#F2C14E")
WARM_WHITE = hex_colour("#FAF6EF")
INK = hex_colour("#222222")
FRAME = hex_colour("#6B4A26")


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


class _Frame:
    """A wall exhibit's frame: right (R), up (U) and out-of-the-wall (N) unit vectors at its centre."""

    def __init__(self, e: Exhibit):
        f = math.radians(e.facing)
        self.r = (-math.cos(f), -math.sin(f), 0.0)
        self.n = (-math.sin(f), math.cos(f), 0.0)
        self.c = (e.position[0], e.position[1], e.elevation)

    def at(self, a: float, b: float, c: float = 0.0) -> tuple[float, float, float]:
        return (self.c[0] + self.r[0] * a + self.n[0] * c, self.c[1] + self.r[1] * a + self.n[1] * c,
                self.c[2] + b)

    def rect(self, w: float, h: float, out: float, ox: float = 0.0, oy: float = 0.0) -> tuple:
        """Corners (bottom-left, bottom-right, top-right, top-left) seen from the front."""
        return (self.at(ox - w / 2, oy - h / 2, out), self.at(ox + w / 2, oy - h / 2, out),
                self.at(ox + w / 2, oy + h / 2, out), self.at(ox - w / 2, oy + h / 2, out))


# ------------------------------------------------------------------------------------------ rooms


def _room_shell(room: Room, lit: MeshBuilder, unlit: MeshBuilder) -> None:
    """Floor, ceiling, walls with doorway gaps, skirting, a carpet runner and ceiling light panels."""
    x0, y0, x1, y1, h = room.x0, room.y0, room.x1, room.y1, room.height
    floor = hex_colour(room.floor.color)
    lit.grid((x0, y0, 0), (x1 - x0, 0, 0), (0, y1 - y0, 0), max(1, round(x1 - x0)), max(1, round(y1 - y0)),
             floor, (0, 0, 1))
    ceiling = hex_colour(room.ceiling.color)
    lit.grid((x0, y0, h), (x1 - x0, 0, 0), (0, y1 - y0, 0), max(1, round((x1 - x0) / 2)),
             max(1, round((y1 - y0) / 2)), ceiling, (0, 0, -1))
    wall = hex_colour(room.walls.color)
    skirting = shade(wall, 0.45)
    for p in wall_pieces(room):
        dx, dy = p.end[0] - p.start[0], p.end[1] - p.start[1]
        nu = max(1, round(p.length))
        nv = max(1, round((p.z1 - p.z0) / 1.5))
        lit.grid((p.start[0], p.start[1], p.z0), (dx, dy, 0), (0, 0, p.z1 - p.z0), nu, nv, wall, (*p.normal, 0))
        if p.blocks_walking:
            ox, oy = p.normal[0] * 0.012, p.normal[1] * 0.012
            lit.grid((p.start[0] + ox, p.start[1] + oy, 0), (dx, dy, 0), (0, 0, 0.14), nu, 1, skirting,
                     (*p.normal, 0))
        else:  # door frame: a darker band around the opening's top
            ox, oy = p.normal[0] * 0.012, p.normal[1] * 0.012
            lit.quad((p.start[0] + ox, p.start[1] + oy, p.z0), (p.end[0] + ox, p.end[1] + oy, p.z0),
                     (p.end[0] + ox, p.end[1] + oy, p.z0 + 0.12), (p.start[0] + ox, p.start[1] + oy, p.z0 + 0.12),
                     skirting, normal=(*p.normal, 0))
    # carpet runner between the east/west doorways (or from a doorway into the room)
    doors = [(x, y, w) for x, y, w in doorway_centres(room) if w in ("east", "west")]
    if doors:
        yc = sum(y for _, y, _ in doors) / len(doors)
        walls = {w for _, _, w in doors}
        xa = x0 if "west" in walls else x0 + 2.0
        xb = x1 if "east" in walls else x1 - 2.0
        carpet = hex_colour("#9E1B1F")
        lit.quad((xa, yc - 1.0, 0.006), (xb, yc - 1.0, 0.006), (xb, yc + 1.0, 0.006), (xa, yc + 1.0, 0.006),
                 carpet, normal=(0, 0, 1))
        for edge in (-0.92, 0.88):
            lit.quad((xa, yc + edge, 0.008), (xb, yc + edge, 0.008), (xb, yc + edge + 0.04, 0.008),
                     (xa, yc + edge + 0.04, 0.008), GOLD, normal=(0, 0, 1))
    # ceiling light panels: unlit, so they glow
    glow = (1.0, 0.98, 0.92, 1.0)
    nx, ny = max(1, int((x1 - x0) // 4)), max(1, int((y1 - y0) // 4))
    for i in range(nx):
        for j in range(ny):
            cx = x0 + (i + 0.5) * (x1 - x0) / nx
            cy = y0 + (j + 0.5) * (y1 - y0) / ny
            z = h - 0.01
            unlit.quad((cx - 0.6, cy - 0.6, z), (cx + 0.6, cy - 0.6, z), (cx + 0.6, cy + 0.6, z),
                       (cx - 0.6, cy + 0.6, z), glow, normal=(0, 0, -1))


def _panel_frame(e: Exhibit, lit: MeshBuilder) -> None:
    """The picture's frame: its face and its two sides (12 vertices). The back is against the wall,
    the top above and the bottom below eye height: leaving them out saves 40 % of the vertices of
    a 3000-panel hall, which a software renderer transforms every frame."""
    fr = _Frame(e)
    w, h = e.size[0] + 0.12, e.size[1] + 0.12
    depth = 0.05
    lit.quad(*fr.rect(w, h, -0.005), FRAME, normal=fr.n)
    side = shade(FRAME, 0.8)
    for sign in (-1, 1):
        a = sign * w / 2
        quad = (fr.at(a, -h / 2, -0.005 - depth), fr.at(a, -h / 2, -0.005), fr.at(a, h / 2, -0.005),
                fr.at(a, h / 2, -0.005 - depth))
        lit.quad(*quad, side, normal=(fr.r[0] * sign, fr.r[1] * sign, 0.0))


def _text_board(e: Exhibit, unlit: MeshBuilder, font: DynamicTextFont | None, parent: NodePath) -> None:
    """A board: warm-white body, red header with the Chinese title, English title, wrapped description."""
    fr = _Frame(e)
    w, h = e.size
    unlit.box(fr.at(0, 0, -0.03), (w + 0.08, 0.05, h + 0.08), shade(RED, 0.6), heading=e.facing + 180, bottom=True)
    header = min(0.5, h * 0.24)
    unlit.quad(*fr.rect(w, h - header, 0.0, oy=-header / 2), WARM_WHITE, normal=fr.n)
    unlit.quad(*fr.rect(w, header, 0.0, oy=h / 2 - header / 2), RED, normal=fr.n)
    unlit.quad(*fr.rect(w, 0.03, 0.002, oy=h / 2 - header - 0.015), GOLD, normal=fr.n)
    if font is None:
        return
    margin = 0.12
    title_h = header * 0.5
    _place_text(parent, text_geometry(e.title_zh, font, title_h, GOLD), fr, -w / 2 + margin,
                h / 2 - header / 2 - title_h * 0.35)
    body_h = min(0.11, h * 0.055)
    y = h / 2 - header - margin - body_h
    _place_text(parent, text_geometry(e.title_en, font, body_h * 0.9, shade(RED, 0.8), wrap=w - 2 * margin), fr,
                -w / 2 + margin, y)
    y -= body_h * 1.6
    _place_text(parent, text_geometry(e.description_zh, font, body_h, INK, wrap=w - 2 * margin), fr,
                -w / 2 + margin, y)


def _place_text(parent: NodePath, text: NodePath, fr: _Frame, a: float, b: float, out: float = 0.008) -> None:
    text.reparentTo(parent)
    text.setPos(*fr.at(a, b, out))
    text.setH(math.degrees(math.atan2(fr.r[1], fr.r[0])))
    text.setLightOff(1)


def _door_signs(scene: Scene, room: Room, unlit: MeshBuilder, font: DynamicTextFont | None,
                parent: NodePath) -> None:
    """Above each doorway, on this room's side: the name of the room it leads to."""
    for (x, y, wall), door in zip(doorway_centres(room), room.doorways, strict=True):
        nx, ny = {"south": (0, 1), "north": (0, -1), "west": (1, 0), "east": (-1, 0)}[wall]
        px, py = x + nx * 0.05, y + ny * 0.05
        beyond = next((r for r in scene.rooms if r.id != room.id and r.contains(x - nx * 0.5, y - ny * 0.5)), None)
        zh, en = (beyond.name_zh, beyond.name_en) if beyond else ("出口", "Exit")
        z = min(door.height + 0.45, room.height - 0.5)
        fake = Exhibit(id="sign", room=room.id, kind="text_board", title_zh=zh, title_en=en, position=(px, py),
                       elevation=z, facing={(0, 1): 0, (0, -1): 180, (1, 0): -90, (-1, 0): 90}[(nx, ny)],
                       size=(max(2.2, door.width), 0.62))
        fr = _Frame(fake)
        unlit.box(fr.at(0, 0, -0.02), (fake.size[0], 0.04, fake.size[1]), shade(RED, 0.85),
                  heading=fake.facing + 180, bottom=True)
        unlit.quad(*fr.rect(fake.size[0] - 0.08, 0.025, 0.002, oy=-0.25), GOLD, normal=fr.n)
        if font is not None:
            from panda3d.core import TextNode

            _place_text(parent, text_geometry(zh, font, 0.24, GOLD, align=TextNode.ACenter), fr, 0, 0.0)
            _place_text(parent, text_geometry(en, font, 0.1, WARM_WHITE, align=TextNode.ACenter), fr, 0, -0.18)


def _showcase_glass(e: Exhibit, glass: MeshBuilder, lit: MeshBuilder) -> None:
    w, d = e.footprint
    h = e.size[1] + 0.25
    x, y = e.position
    colour = (0.78, 0.9, 0.97, 0.16)
    glass.box((x, y, h / 2 + 0.12), (w, d, h - 0.24 + 0.0), colour, heading=e.facing, top=True)
    metal = hex_colour("#3A3F47")
    lit.box((x, y, 0.06), (w + 0.06, d + 0.06, 0.12), metal, heading=e.facing)
    lit.box((x, y, h + 0.02), (w + 0.04, d + 0.04, 0.04), metal, heading=e.facing, bottom=True)
    c, s = math.cos(math.radians(e.facing)), math.sin(math.radians(e.facing))
    for sx in (-1, 1):
        for sy in (-1, 1):
            lx, ly = sx * w / 2, sy * d / 2
            lit.box((x + lx * c - ly * s, y + lx * s + ly * c, h / 2), (0.04, 0.04, h), metal, heading=e.facing)


def _colliders(scene: Scene, parent: NodePath) -> None:
    """Invisible pick solids: floors, walls (both sides come from the two rooms) and exhibit boxes."""
    for room in scene.rooms:
        cn = CollisionNode(f"floor-{room.id}")
        cn.addSolid(CollisionPolygon(Point3(room.x0, room.y0, 0), Point3(room.x1, room.y0, 0),
                                     Point3(room.x1, room.y1, 0), Point3(room.x0, room.y1, 0)))
        cn.setIntoCollideMask(PICK_MASK)
        cn.setFromCollideMask(BitMask32.allOff())
        np_ = parent.attachNewNode(cn)
        np_.setTag("kind", "floor")
        wn = CollisionNode(f"walls-{room.id}")
        for p in wall_pieces(room):
            a, b = p.start, p.end
            quad = [Point3(a[0], a[1], p.z0), Point3(b[0], b[1], p.z0), Point3(b[0], b[1], p.z1),
                    Point3(a[0], a[1], p.z1)]
            # front side must face into the room
            ex, ey = b[0] - a[0], b[1] - a[1]
            if ex * p.normal[1] - ey * p.normal[0] > 0:
                quad = quad[::-1]
            wn.addSolid(CollisionPolygon(*quad))
        wn.setIntoCollideMask(PICK_MASK)
        wn.setFromCollideMask(BitMask32.allOff())
        parent.attachNewNode(wn).setTag("kind", "wall")
    for e in scene.exhibits:
        cn = CollisionNode(f"exhibit-{e.id}")
        w, d = e.footprint
        if e.on_wall:
            box = CollisionBox(Point3(0, 0, e.elevation), w / 2, 0.08, e.size[1] / 2)
        else:
            box = CollisionBox(Point3(0, 0, e.size[1] / 2), w / 2, d / 2, e.size[1] / 2)
        cn.addSolid(box)
        cn.setIntoCollideMask(PICK_MASK)
        cn.setFromCollideMask(BitMask32.allOff())
        np_ = parent.attachNewNode(cn)
        np_.setPos(e.position[0], e.position[1], 0)
        np_.setH(e.facing)
        np_.setTag("kind", "exhibit")
        np_.setTag("exhibit", e.id)


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
            pics.quad(*_Frame(e).rect(e.size[0], e.size[1], 0.0), (1, 1, 1, 1), normal=_Frame(e).n,
                      uv=atlas.uv[e.id])
        pic_np = room_np.attachNewNode(pics.node("panels"))
        pic_np.setTexture(atlas_texture)
        pic_np.setLightOff(1)
        pic_np.setBin(EXHIBITS_BIN, 0)
        return atlas
    for e in panels:
        one = MeshBuilder()
        one.quad(*_Frame(e).rect(e.size[0], e.size[1], 0.0), (1, 1, 1, 1), normal=_Frame(e).n)
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
        _room_shell(room, lit, unlit)
        text_np = room_np.attachNewNode("text")
        for e in exhibits:
            if e.kind == "image_panel":
                _panel_frame(e, frames)
            elif e.kind == "showcase":
                _showcase_glass(e, glass, lit)
        timings["geometry"] += time.perf_counter() - t

        t = time.perf_counter()
        for e in exhibits:
            if e.kind == "text_board":
                _text_board(e, unlit, font, text_np)
        if opts.signs:
            _door_signs(scene, room, unlit, font, text_np)
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
    _colliders(scene, colliders)
    timings["total"] = time.perf_counter() - t_start
    report(1.0, "完成 done")
    return BuiltHall(scene, root, rooms, colliders, timings, atlases, animations)

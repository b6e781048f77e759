"""The geometry of a room and its exhibits, written into shared :class:`~vr_hall.mesh.MeshBuilder` batches.

Split from :mod:`vr_hall.build`, which decides which batch each piece goes into (lit surfaces, unlit
boards, frames drawn early, glass drawn last) and flattens them: the functions here only say what a
room shell, a picture frame, a text board, a sign over a doorway and a showcase look like. Writing
into the room's batches instead of making a node each is what keeps a room to a handful of draw calls.
"""

from __future__ import annotations

import math

from panda3d.core import DynamicTextFont, NodePath

from vr_hall.layout import doorway_centres, wall_pieces
from vr_hall.mesh import MeshBuilder, hex_colour, shade
from vr_hall.scene import Exhibit, Room, Scene
from vr_hall.text3d import text_geometry

RED = hex_colour("#C8161D")
GOLD = hex_colour("#F2C14E")
WARM_WHITE = hex_colour("#FAF6EF")
INK = hex_colour("#222222")
FRAME = hex_colour("#6B4A26")


class ExhibitFrame:
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


def room_shell(room: Room, lit: MeshBuilder, unlit: MeshBuilder) -> None:
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


def panel_frame(e: Exhibit, lit: MeshBuilder) -> None:
    """The picture's frame: its face and its two sides (12 vertices). The back is against the wall,
    the top above and the bottom below eye height: leaving them out saves 40 % of the vertices of
    a 3000-panel hall, which a software renderer transforms every frame."""
    fr = ExhibitFrame(e)
    w, h = e.size[0] + 0.12, e.size[1] + 0.12
    depth = 0.05
    lit.quad(*fr.rect(w, h, -0.005), FRAME, normal=fr.n)
    side = shade(FRAME, 0.8)
    for sign in (-1, 1):
        a = sign * w / 2
        quad = (fr.at(a, -h / 2, -0.005 - depth), fr.at(a, -h / 2, -0.005), fr.at(a, h / 2, -0.005),
                fr.at(a, h / 2, -0.005 - depth))
        lit.quad(*quad, side, normal=(fr.r[0] * sign, fr.r[1] * sign, 0.0))


def text_board(e: Exhibit, unlit: MeshBuilder, font: DynamicTextFont | None, parent: NodePath) -> None:
    """A board: warm-white body, red header with the Chinese title, English title, wrapped description."""
    fr = ExhibitFrame(e)
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
    place_text(parent, text_geometry(e.title_zh, font, title_h, GOLD), fr, -w / 2 + margin,
                h / 2 - header / 2 - title_h * 0.35)
    body_h = min(0.11, h * 0.055)
    y = h / 2 - header - margin - body_h
    place_text(parent, text_geometry(e.title_en, font, body_h * 0.9, shade(RED, 0.8), wrap=w - 2 * margin), fr,
                -w / 2 + margin, y)
    y -= body_h * 1.6
    place_text(parent, text_geometry(e.description_zh, font, body_h, INK, wrap=w - 2 * margin), fr,
                -w / 2 + margin, y)


def place_text(parent: NodePath, text: NodePath, fr: ExhibitFrame, a: float, b: float, out: float = 0.008) -> None:
    text.reparentTo(parent)
    text.setPos(*fr.at(a, b, out))
    text.setH(math.degrees(math.atan2(fr.r[1], fr.r[0])))
    text.setLightOff(1)


def door_signs(scene: Scene, room: Room, unlit: MeshBuilder, font: DynamicTextFont | None,
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
        fr = ExhibitFrame(fake)
        unlit.box(fr.at(0, 0, -0.02), (fake.size[0], 0.04, fake.size[1]), shade(RED, 0.85),
                  heading=fake.facing + 180, bottom=True)
        unlit.quad(*fr.rect(fake.size[0] - 0.08, 0.025, 0.002, oy=-0.25), GOLD, normal=fr.n)
        if font is not None:
            from panda3d.core import TextNode

            place_text(parent, text_geometry(zh, font, 0.24, GOLD, align=TextNode.ACenter), fr, 0, 0.0)
            place_text(parent, text_geometry(en, font, 0.1, WARM_WHITE, align=TextNode.ACenter), fr, 0, -0.18)


def showcase_glass(e: Exhibit, glass: MeshBuilder, lit: MeshBuilder) -> None:
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

"""The robot guide (讲解机器人) that leads tours: built from primitives, two Geoms, no asset file.

A friendly, readable silhouette matters more than detail at kiosk resolution: a white rounded
body on a dark base, a red sash with a gold star, a head with a dark visor and glowing eyes, an
antenna. The head is a separate node so it can turn towards the visitor; the whole robot bobs a
little as it glides (see :func:`animate`).
"""

from __future__ import annotations

import math

from panda3d.core import NodePath

from vr_hall.mesh import MeshBuilder, hex_colour

WHITE = hex_colour("#F4F4F2")
DARK = hex_colour("#2B2F36")
RED = hex_colour("#C8161D")
GOLD = hex_colour("#F2C14E")
EYE = (0.45, 0.95, 1.0, 1.0)


def _star(m: MeshBuilder, cx: float, y: float, cz: float, r: float, colour: tuple) -> None:
    """A flat five-pointed star in the XZ plane at depth y, facing +y (the robot's front)."""
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.42
        a = math.pi / 2 + k * math.pi / 5
        pts.append((cx + rad * math.cos(a), y, cz + rad * math.sin(a)))
    for k in range(10):
        a, b = pts[k], pts[(k + 1) % 10]
        m.quad((cx, y, cz), a, b, b, colour, normal=(0, 1, 0))


def build_guide(height: float = 1.3) -> NodePath:
    """The guide, ``height`` metres tall, its front towards +y (H 0, like everything in the hall)."""
    s = height / 1.3
    root = NodePath("guide")
    body = MeshBuilder()
    body.cylinder((0, 0, 0), 0.3 * s, 0.08 * s, DARK, segments=20)
    body.cylinder((0, 0, 0.08 * s), 0.26 * s, 0.55 * s, WHITE, segments=20, radius_top=0.22 * s)
    body.sphere((0, 0, 0.63 * s), (0.22 * s, 0.22 * s, 0.1 * s), WHITE, rings=6, segments=20)
    body.cylinder((0, 0, 0.36 * s), 0.245 * s, 0.09 * s, RED, segments=20, radius_top=0.235 * s, top=False)
    _star(body, 0.0, 0.232 * s, 0.5 * s, 0.06 * s, GOLD)  # on the chest
    for side in (-1, 1):  # arms
        body.sphere((side * 0.27 * s, 0, 0.5 * s), (0.06 * s, 0.06 * s, 0.16 * s), WHITE, rings=6, segments=10)
    body.cylinder((0, 0, 0.68 * s), 0.07 * s, 0.08 * s, DARK, segments=12)
    root.attachNewNode(body.node("guide-body"))
    head = MeshBuilder()
    head.sphere((0, 0, 0), (0.2 * s, 0.19 * s, 0.17 * s), WHITE, rings=10, segments=20)
    head.sphere((0, 0.115 * s, 0.01 * s), (0.16 * s, 0.08 * s, 0.09 * s), DARK, rings=8, segments=20)
    for side in (-1, 1):
        head.sphere((side * 0.065 * s, 0.19 * s, 0.02 * s), (0.032 * s, 0.012 * s, 0.032 * s), EYE, rings=6,
                    segments=10)
    head.cylinder((0, 0, 0.16 * s), 0.012 * s, 0.12 * s, DARK, segments=8)
    head.sphere((0, 0, 0.3 * s), 0.035 * s, RED, rings=6, segments=10)
    head_np = root.attachNewNode(head.node("guide-head"))
    head_np.setZ(0.9 * s)
    head_np.setPythonTag("base_z", 0.9 * s)
    return root


def animate(guide: NodePath, t: float, moving: bool) -> None:
    """Bob gently; a little faster while gliding."""
    rate = 4.0 if moving else 1.6
    head = guide.find("guide-head")
    guide.find("guide-body").setZ(0.02 * math.sin(t * rate))
    if not head.isEmpty():
        head.setZ(head.getPythonTag("base_z") + 0.02 * math.sin(t * rate) + 0.01 * math.sin(t * rate * 0.5))

"""Invisible pick solids for the hall: what a tap or the camera's ray can hit.

Kept apart from the drawn geometry (:mod:`vr_hall.build` flattens that into a few batches per
room, which loses which exhibit a triangle belonged to): one polygon per floor, the walls with their
doorway gaps, and one box per exhibit tagged with its id, so a tap still knows what it hit.
"""

from __future__ import annotations

from panda3d.core import BitMask32, CollisionBox, CollisionNode, CollisionPolygon, NodePath, Point3

from vr_hall.layout import wall_pieces
from vr_hall.scene import Scene

#: Collide mask of the pick solids (the camera's ray looks only at these).
PICK_MASK = BitMask32.bit(4)


def add_colliders(scene: Scene, parent: NodePath) -> None:
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

"""The visitor's body in the hall: where they stand and look, and every way they move.

Roaming-ralph's idioms: a key map (:data:`KEYS`) bound with ``accept()`` to held flags, applied once a
frame scaled by dt (:meth:`Walking.step`); the HUD's pad presses the same flags, and a short press is a
tap — one 0.8 m step or a 30° turn walked smoothly. A walk along a navgrid path (a tap on the floor, the
map) and looking around by dragging live here too. The camera is the app's: it reads ``pose`` and
``pitch``. Taking over (a held key, a drag) stops a walk; the app also pauses a tour then.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from direct.showbase.DirectObject import DirectObject
from panda3d.core import CollisionHandlerQueue, CollisionNode, CollisionRay, CollisionTraverser, NodePath

from vr_hall.build import PICK_MASK
from vr_hall.layout import EYE_HEIGHT, heading_vector, look_angles, wrap_degrees
from vr_hall.tour import PathWalker, Pose, turn_towards

if TYPE_CHECKING:
    from vr_hall.app import HallApp

WALK_SPEED = 1.4
"""m/s when walking with keys or the pad."""
TURN_SPEED = 75.0
"""°/s when turning with keys or the pad."""
NUDGE_SECONDS = 0.25
"""A pad press shorter than this is a tap: one step (0.8 m) or a 30° turn."""
DRAG_THRESHOLD = 0.025
"""How far (render2d units) a press must move to become a drag rather than a tap."""

KEYS = {"w": "forward", "arrow_up": "forward", "s": "back", "arrow_down": "back", "a": "left",
        "arrow_left": "left", "d": "right", "arrow_right": "right", "q": "strafe_left", "e": "strafe_right"}


class Walking(DirectObject):
    """Pose, pitch, held keys, the current walk and what the visitor looks at on arrival."""

    def __init__(self, app: HallApp):
        super().__init__()
        self.app = app
        self.nav = app.nav
        spawn = app.scene.hall.spawn
        self.pose = Pose(spawn.x, spawn.y, spawn.heading)
        self.pitch = 0.0
        self.keys = dict.fromkeys(("forward", "back", "left", "right", "strafe_left", "strafe_right"), False)
        self._pressed_at: dict[str, float] = {}
        self.walker: PathWalker | None = None
        self.walk_target = None
        self.look_target: tuple[float, float, float] | None = None
        self._mouse_down_at: tuple[float, float] | None = None
        self._mouse_last: tuple[float, float] | None = None
        self._dragging = False
        self._picker = self._make_picker()

    # ------------------------------------------------------------------------------------- input

    def bind(self) -> None:
        """The key map, and the pointer (a press that does not move is the app's tap)."""
        for key, name in KEYS.items():
            self.accept(key, self.set_key, [name, True])
            self.accept(f"{key}-up", self.set_key, [name, False])
        self.accept("mouse1", self._mouse_pressed)
        self.accept("mouse1-up", self._mouse_released)

    def unbind(self) -> None:
        self.ignoreAll()

    def set_key(self, name: str, value: bool) -> None:
        self.keys[name] = value
        if value:
            self.app.take_over()

    def press(self, name: str, pressed: bool) -> None:
        """A HUD pad button (forward | back | left | right): held, it walks; tapped, it nudges."""
        now = time.perf_counter()
        if pressed:
            self._pressed_at[name] = now
            self.set_key(name, True)
        else:
            self.set_key(name, False)
            started = self._pressed_at.pop(name, None)
            if started is not None and now - started < NUDGE_SECONDS:
                self.nudge(name)

    def stop(self) -> None:
        """No walk, no walk target, nothing to look at."""
        self.walker = None
        self.walk_target = None
        self.look_target = None

    def nudge(self, name: str) -> None:
        """A tap on the pad: a 0.8 m step or a 30° turn, walked smoothly."""
        pose = self.pose
        if name in ("left", "right"):
            target = wrap_degrees(pose.heading + (30 if name == "left" else -30))
            self.walker = PathWalker(pose, [(pose.x, pose.y)], turn_rate=120, final_heading=target)
            return
        fx, fy = heading_vector(pose.heading)
        sign = 1 if name == "forward" else -1
        end = self.nav.slide(pose.x, pose.y, pose.x + fx * 0.8 * sign, pose.y + fy * 0.8 * sign)
        self.walker = PathWalker(pose, [(pose.x, pose.y), end], speed=1.2, turn_rate=0.0, final_heading=pose.heading)

    def walk_path(self, x: float, y: float, final_heading: float | None = None) -> bool:
        """Walk to the free spot nearest (x, y) along a navgrid path; False when there is no way."""
        path = self.nav.find_path((self.pose.x, self.pose.y), (x, y))
        if path is None:
            return False
        self.walker = PathWalker(self.pose, path, speed=1.3, turn_rate=110, final_heading=final_heading)
        self.walk_target = None
        self.look_target = None
        return True

    # ----------------------------------------------------------------------------------- pointer

    def _mouse_xy(self) -> tuple[float, float] | None:
        mw = self.app.base.mouseWatcherNode
        if mw is None or not mw.hasMouse():
            return None
        return (mw.getMouseX(), mw.getMouseY())

    def _mouse_pressed(self) -> None:
        xy = self._mouse_xy()
        self._mouse_down_at = xy
        self._mouse_last = xy
        self._dragging = False

    def _mouse_released(self) -> None:
        start = self._mouse_down_at
        self._mouse_down_at = None
        if start is not None and not self._dragging:
            self.tap(*start)
        self._dragging = False

    def drag_look(self) -> None:
        """A press that moved past :data:`DRAG_THRESHOLD` turns the view with the pointer."""
        if self._mouse_down_at is None:
            return
        xy = self._mouse_xy()
        if xy is None or self._mouse_last is None:
            return
        if not self._dragging and math.dist(xy, self._mouse_down_at) > DRAG_THRESHOLD:
            self._dragging = True
            self.app.take_over()
        if self._dragging:
            self.drag(xy[0] - self._mouse_last[0], xy[1] - self._mouse_last[1])
        self._mouse_last = xy

    def drag(self, dx: float, dy: float) -> None:
        """Look around: a drag across the whole screen turns ~90°, up/down tilts the view."""
        lens = self.app.base.camLens
        fov = lens.getHfov() if lens else 80.0
        self.pose.heading = wrap_degrees(self.pose.heading + dx * fov * 0.55)
        self.pitch = max(-40.0, min(40.0, self.pitch - dy * 30.0))
        self.look_target = None

    def pick(self, mx: float, my: float) -> tuple[str, str, tuple[float, float, float]] | None:
        """What a tap at render2d (mx, my) hits: (kind, exhibit id or "", hit point)."""
        base = self.app.base
        traverser, handler, ray = self._picker
        if base.cam is None or base.camNode is None:
            return None
        if self._picker_np.getParent() != base.cam:  # the camera is new with every window
            self._picker_np.reparentTo(base.cam)
        ray.setFromLens(base.camNode, mx, my)
        traverser.traverse(self.app.hall.colliders)
        if handler.getNumEntries() == 0:
            return None
        handler.sortEntries()
        entry = handler.getEntry(0)
        into = entry.getIntoNodePath()
        point = entry.getSurfacePoint(base.render)
        kind = into.getNetTag("kind")
        return kind, into.getNetTag("exhibit"), (point.x, point.y, point.z)

    def tap(self, mx: float, my: float) -> str:
        """A tap on the 3-D view: open an exhibit, walk to a floor spot (or towards a wall). A tap
        beside the open 问助手 chips only closes them."""
        app = self.app
        minimap, assistant = app.panels.minimap, app.panels.assistant
        if minimap is not None and minimap.expanded:
            return "map"
        if assistant is not None and assistant.chips_open:
            assistant.close_chips()
            return "chips"
        hit = self.pick(mx, my)
        if hit is None:
            return "nothing"
        kind, exhibit_id, (x, y, _z) = hit
        if kind == "exhibit":
            app.open_exhibit(app.scene.exhibit(exhibit_id))
            return "exhibit"
        if kind in ("floor", "wall"):
            app.walk_to(x, y)  # closes an open panel
            return kind
        return "nothing"

    def _make_picker(self) -> tuple[CollisionTraverser, CollisionHandlerQueue, CollisionRay]:
        ray = CollisionRay()
        node = CollisionNode("pick-ray")
        node.addSolid(ray)
        node.setFromCollideMask(PICK_MASK)
        node.setIntoCollideMask(0)
        self._picker_np = NodePath(node)
        traverser = CollisionTraverser("pick")
        handler = CollisionHandlerQueue()
        traverser.addCollider(self._picker_np, handler)
        return traverser, handler, ray

    # ------------------------------------------------------------------------------------- frame

    @property
    def manual(self) -> bool:
        """A key or pad button is held."""
        return any(self.keys.values())

    def step_walk(self, dt: float) -> bool:
        """Advance the current walk; True while one is under way (moving)."""
        if self.walker is None:
            return False
        if self.walker.step(dt):
            self.walker = None
        return True

    def manual_move(self, dt: float) -> None:
        """Held keys: turn, walk and strafe, sliding along walls (navgrid)."""
        k = self.keys
        turn = (k["left"] - k["right"]) * TURN_SPEED * dt
        self.pose.heading = wrap_degrees(self.pose.heading + turn)
        forward = (k["forward"] * WALK_SPEED - k["back"] * WALK_SPEED * 0.7) * dt
        side = (k["strafe_right"] - k["strafe_left"]) * WALK_SPEED * 0.7 * dt
        if forward or side:
            fx, fy = heading_vector(self.pose.heading)
            rx, ry = fy, -fx
            nx = self.pose.x + fx * forward + rx * side
            ny = self.pose.y + fy * forward + ry * side
            self.pose.x, self.pose.y = self.nav.slide(self.pose.x, self.pose.y, nx, ny)
        if forward:
            self.look_target = None

    def update_pitch(self, dt: float, near: bool) -> None:
        """Tilt towards the look target once ``near`` it (level while walking there)."""
        if self.look_target is not None:
            target = look_angles(self.pose.x, self.pose.y, EYE_HEIGHT, self.look_target)[1] if near else 0.0
        elif self.walker is not None:
            target = 0.0
        else:
            return
        self.pitch = turn_towards(self.pitch, target, 45.0 * dt)

    def reset(self) -> None:
        """At the spawn point, level, nothing held or under way."""
        s = self.app.scene.hall.spawn
        self.pose.x, self.pose.y, self.pose.heading = s.x, s.y, s.heading
        self.pitch = 0.0
        self.walker = None
        self.look_target = None
        self.keys = dict.fromkeys(self.keys, False)

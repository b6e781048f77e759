"""The map overlay: rooms, walls with their doorways, exhibits, the visitor's position and heading.

Compact in the top-left corner while walking; a tap (or the 地图 button) opens it large in the
middle of the screen with room names, and a tap on the large map walks the visitor there. The map
is drawn once in metres (x east → screen right, y north → screen up) and scaled into its frame, so
markers are simply placed at world coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectFrame
from direct.gui.OnscreenText import OnscreenText
from panda3d.core import NodePath, Point3, TextNode

from vr_hall import ui
from vr_hall.layout import wall_pieces
from vr_hall.mesh import MeshBuilder, hex_colour, shade
from vr_hall.scene import Scene
from vr_hall.text3d import text_geometry


def _flat(m: MeshBuilder, x0: float, y0: float, x1: float, y1: float, colour: tuple, depth: float = 0.0) -> None:
    """A rectangle in the map's XZ plane (metres), facing the viewer (-Y); ``depth`` < 0 draws on top."""
    m.quad((x0, depth, y0), (x1, depth, y0), (x1, depth, y1), (x0, depth, y1), colour, normal=(0, -1, 0))


class Minimap:
    """``on_walk(x, y)`` is called with world coordinates when the large map is tapped."""

    def __init__(self, scene: Scene, font: Any, corner: NodePath, centre: NodePath, *, portrait: bool = False,
                 on_walk: Callable[[float, float], None] | None = None,
                 on_toggle: Callable[[bool], None] | None = None):
        self.scene = scene
        self.font = font
        self.corner = corner
        self.centre_parent = centre
        self.portrait = portrait
        self.on_walk = on_walk or (lambda _x, _y: None)
        self.on_toggle = on_toggle or (lambda _e: None)
        x0, y0, x1, y1 = scene.bounds
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.hall_w, self.hall_h = x1 - x0, y1 - y0
        self.expanded = False
        self.frame = DirectFrame(parent=corner, frameColor=(0.1, 0.08, 0.08, 0.72), state=DGG.NORMAL,
                                 suppressMouse=1)
        self.frame.setName("minimap")
        self.frame.bind(DGG.B1PRESS, self._on_press)
        self.map_np = self.frame.attachNewNode("map")
        self.map_np.attachNewNode(self._drawing())
        self.labels = self.map_np.attachNewNode("labels")
        self.marker = self.map_np.attachNewNode(self._marker())
        self.guide_dot = self.map_np.attachNewNode(self._dot(hex_colour("#40E0F0")))
        self.guide_dot.hide()
        self.close_button: Any = None
        self.hint: Any = None
        self._layout()

    # ------------------------------------------------------------------------------------ drawing

    def _drawing(self) -> Any:
        m = MeshBuilder()
        for room in self.scene.rooms:
            _flat(m, room.x0 - self.cx, room.y0 - self.cy, room.x1 - self.cx, room.y1 - self.cy,
                  shade(hex_colour(room.floor.color), 1.35))
            for p in wall_pieces(room):
                if not p.blocks_walking:
                    continue
                (ax, ay), (bx, by) = p.start, p.end
                t = 0.12
                _flat(m, min(ax, bx) - self.cx - t, min(ay, by) - self.cy - t, max(ax, bx) - self.cx + t,
                      max(ay, by) - self.cy + t, ui.INK, depth=-0.01)
        for e in self.scene.exhibits:
            colour = ui.GOLD if e.on_wall else ui.RED
            x, y = e.position[0] - self.cx, e.position[1] - self.cy
            r = 0.45 if e.on_wall else max(0.5, e.footprint[0] / 2)
            _flat(m, x - r, y - r, x + r, y + r, colour, depth=-0.02)
        return m.node("map-drawing")

    def _marker(self) -> Any:
        """A red arrow pointing north (up) at scale 1 m, with a pale view wedge."""
        m = MeshBuilder()
        m.quad((0, -0.03, 0), (-1.4, -0.03, 2.4), (1.4, -0.03, 2.4), (1.4, -0.03, 2.4), (1, 1, 0.85, 0.45),
               normal=(0, -1, 0))
        m.quad((0, -0.05, 1.0), (-0.7, -0.05, -0.8), (0, -0.05, -0.4), (0.7, -0.05, -0.8), ui.RED, normal=(0, -1, 0))
        return m.node("map-marker")

    def _dot(self, colour: tuple) -> Any:
        m = MeshBuilder()
        _flat(m, -0.5, -0.5, 0.5, 0.5, colour, depth=-0.04)
        return m.node("map-dot")

    def _layout(self) -> None:
        """Fit the map into the compact or the large frame."""
        px = ui.px
        if self.expanded:
            max_w = 1000 if self.portrait else 1760
            max_h = 900 if self.portrait else 780
            self.frame.reparentTo(self.centre_parent)
            self.frame.setPos(0, 0, 0)
        else:
            max_w, max_h = (420, 220) if self.portrait else (520, 230)
        scale = min((max_w - 40) / self.hall_w, (max_h - 40) / self.hall_h)  # ref px per metre
        w, h = self.hall_w * scale + 40, self.hall_h * scale + 40
        self.frame["frameSize"] = (px(-w / 2), px(w / 2), px(-h / 2), px(h / 2))
        if not self.expanded:
            self.frame.reparentTo(self.corner)
            self.frame.setPos(px(w / 2 + 24), 0, px(-h / 2 - 24))
        self.map_np.setScale(px(scale))
        self.marker.setScale((28 if self.expanded else 16) / scale)
        self.guide_dot.setScale((20 if self.expanded else 12) / scale)
        self.labels.getChildren().detach()
        if self.expanded:
            for room in self.scene.rooms:
                cx, cy = room.centre
                label = text_geometry(f"{room.name_zh}\n{room.name_en}", self.font, 30 / scale, ui.INK,
                                      align=TextNode.ACenter)
                label.reparentTo(self.labels)
                label.setPos(cx - self.cx, -0.06, cy - self.cy + 0.3 * room.size[1])
            if self.close_button is None:
                self.close_button = ui.button(self.frame, "关闭地图", self.font, w / 2 - 110, h / 2 + 66, w=200,
                                              command=lambda: self.set_expanded(False), colour=ui.RED_DARK,
                                              name="map-close")
                self.hint = OnscreenText(parent=self.frame, text="点按地图上的位置即可前往  Tap the map to walk there",
                                         font=self.font, scale=ui.px(30), fg=ui.WARM_WHITE, shadow=(0, 0, 0, 1),
                                         align=TextNode.ALeft, pos=(ui.px(-w / 2), ui.px(h / 2 + 40)))
            self.close_button.show()
            self.hint.show()
        elif self.close_button is not None:
            self.close_button.hide()
            self.hint.hide()

    # ------------------------------------------------------------------------------------ control

    def set_expanded(self, expanded: bool) -> None:
        if expanded != self.expanded:
            self.expanded = expanded
            self._layout()
            self.on_toggle(expanded)

    def update(self, x: float, y: float, heading: float, guide: tuple[float, float] | None = None) -> None:
        self.marker.setPos(x - self.cx, -0.05, y - self.cy)
        self.marker.setR(-heading)  # roll turns clockwise on screen; H turns counter-clockwise
        if guide is None:
            self.guide_dot.hide()
        else:
            self.guide_dot.show()
            self.guide_dot.setPos(guide[0] - self.cx, -0.04, guide[1] - self.cy)

    def world_at(self, render2d: NodePath, mx: float, my: float) -> tuple[float, float]:
        """World (x, y) under the screen point (mx, my) in render2d coordinates (-1…1)."""
        p = self.map_np.getRelativePoint(render2d, Point3(mx, 0, my))
        return (p.x + self.cx, p.z + self.cy)

    def tap(self, render2d: NodePath, mx: float, my: float) -> None:
        """A tap at render2d (mx, my) on the map: open it when compact, walk there when large."""
        if not self.expanded:
            self.set_expanded(True)
            return
        x, y = self.world_at(render2d, mx, my)
        self.set_expanded(False)
        self.on_walk(x, y)

    def _on_press(self, param: Any) -> None:
        mouse = param.getMouse()
        self.tap(self.frame.getTop(), mouse.x, mouse.y)  # the top of aspect2d is render2d

    def destroy(self) -> None:
        self.frame.destroy()

"""The hall's 2-D overlays and the exhibit panel's life: the HUD, the info panel, the minimap and the
assistant's caption and chips, built when the window opens and destroyed with it.

An exhibit's panel opens when the visitor taps it, arrives on a GuideTo, or stands still in front of it
(:data:`STAND_STILL`); leaving — walking or turning away (:data:`WALK_AWAY`, :data:`TURN_AWAY`), a walk
elsewhere, a tour — closes it as its 关闭 button does, which stops the narration (StopSpeaking). While
it is open the camera turns so the exhibit stays beside it (:meth:`Panels.offset`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from core.events import Speak, StopSpeaking
from vr_hall.assistant_overlay import AssistantOverlay
from vr_hall.hud import Hud
from vr_hall.infopanel import InfoPanel
from vr_hall.layout import facing_exhibit, heading_towards, wrap_degrees
from vr_hall.minimap import Minimap
from vr_hall.scene import Exhibit

if TYPE_CHECKING:
    from vr_hall.app import HallApp

STAND_STILL = 0.6
"""Seconds standing still in front of an exhibit before its panel opens by itself."""
WALK_AWAY = 1.0
"""Metres a visitor walks away from an exhibit (farther than where its panel opened) to close the panel."""
TURN_AWAY = 100.0
"""Degrees between the view and an open exhibit beyond which the visitor has turned away from it."""


class Panels:
    """The overlays (None until the window opens) and the exhibit panel's state."""

    def __init__(self, app: HallApp):
        self.app = app
        self.hud: Hud | None = None
        self.info: InfoPanel | None = None
        self.minimap: Minimap | None = None
        self.assistant: AssistantOverlay | None = None
        self.opened_at: tuple[float, float] | None = None
        """Where the visitor stood when the exhibit panel opened (walking away from there closes it)."""
        self.near_id: str | None = None
        self._still_for = 0.0
        self._last_spot: tuple[float, float, float] | None = None

    def build(self) -> None:
        app = self.app
        base, font, language = app.base, app.font, app.language
        portrait = base.getAspectRatio() < 1
        hall = app.scene.hall
        self.hud = Hud(base, font, app.on_action, portrait=portrait, language=language,
                       title=hall.title_zh if language == "zh" else hall.title_en)
        self.info = InfoPanel(app.scene, font, base.a2dRightCenter if not portrait else base.a2dBottomCenter,
                              portrait=portrait, on_speak=self.speak_exhibit, on_close=self._on_info_closed)
        self.minimap = Minimap(app.scene, font, base.a2dTopLeft, base.aspect2d, portrait=portrait, on_walk=app.walk_to)
        self.assistant = AssistantOverlay(base, font, portrait=portrait, language=language,
                                          on_ask=app.ask_assistant, on_open=app.close_popups)

    def destroy(self) -> None:
        if self.assistant is not None:
            self.assistant.destroy()
            self.assistant = None
        self.app.tours.close_menu()
        if self.info is not None:
            self.info.hide()
            self.info = None
        if self.minimap is not None:
            self.minimap.destroy()
            self.minimap = None
        if self.hud is not None:
            self.hud.destroy()
            self.hud = None

    def set_language(self, language: str) -> None:
        hall = self.app.scene.hall
        if self.hud is not None:
            self.hud.set_language(language)
            self.hud.title.setText(hall.title_zh if language == "zh" else hall.title_en)
        if self.info is not None and self.info.exhibit is not None and self.info.language != language:
            self.info.toggle_language()
        if self.assistant is not None:
            self.assistant.set_language(language)

    # ------------------------------------------------------------------------------------- exhibits

    def open_exhibit(self, e: Exhibit, speak: bool = True) -> None:
        """Show the exhibit's panel and ask for its narration."""
        self.near_id = e.id
        pose = self.app.walking.pose
        if self.info is not None:
            self.info.show(e, self.app.language)
            self.opened_at = (pose.x, pose.y)
        if speak:
            self.speak_exhibit(e, self.app.language)

    def close_panel(self) -> bool:
        """Close an open exhibit panel as its 关闭 button does (its narration stops: StopSpeaking).
        False when none was open."""
        if self.info is None or not self.info.visible:
            return False
        self.info.close()
        return True

    def speak_exhibit(self, e: Exhibit, language: str) -> None:
        text = e.text("narration", language) or e.text("title", language)
        self.app.publish(Speak(text, language, interrupt=True))

    def _on_info_closed(self) -> None:
        self.app.publish(StopSpeaking())

    def step_back_for_panel(self, e: Exhibit) -> float:
        """Extra metres to stand back from ``e`` so it fits in the part of the screen the info panel
        leaves free (the left ~55 % in landscape, the top ~45 % in portrait)."""
        if self.app.window_open and self.app.base.getAspectRatio() < 1:
            return 1.0
        return max(0.0, 1.1 * e.size[0] - 1.3) if e.on_wall else 0.6

    def scroll(self, pages: float) -> None:
        if self.info is not None and self.info.visible:
            self.info.scroll(pages)

    # ---------------------------------------------------------------------------------------- frame

    def check_walked_away(self) -> None:
        """Walking away from (or turning away from) an exhibit with its panel open closes the panel."""
        info = self.info
        if info is None or not info.visible or info.exhibit is None or self.opened_at is None:
            return
        if self.app.tours.active:
            return
        pose = self.app.walking.pose
        ex, ey = info.exhibit.position
        then = math.dist(self.opened_at, (ex, ey))
        now = math.dist((pose.x, pose.y), (ex, ey))
        turned = abs(wrap_degrees(heading_towards(ex - pose.x, ey - pose.y) - pose.heading))
        if now - then > WALK_AWAY or turned > TURN_AWAY:
            self.close_panel()

    def check_proximity(self, dt: float, moving: bool) -> None:
        """Standing still in front of an exhibit opens its panel (once per approach)."""
        pose = self.app.walking.pose
        here = (round(pose.x, 3), round(pose.y, 3), round(pose.heading, 1))
        if here != self._last_spot:
            moving = True
            self._last_spot = here
        self._still_for = 0.0 if moving else self._still_for + dt
        if self.app.tours.active:
            return
        e = facing_exhibit(self.app.scene, pose.x, pose.y, pose.heading)
        if e is None:
            self.near_id = None
            return
        if self._still_for >= STAND_STILL and e.id != self.near_id:
            self.open_exhibit(e, speak=True)

    def offset(self) -> tuple[float, float]:
        """(yaw, pitch) that keep the exhibit in the part of the screen the info panel leaves free:
        turn right when it covers the right side (landscape), tilt down when it covers the bottom
        (portrait) — the exhibit then appears left of / above the panel."""
        lens = self.app.base.camLens
        if self.info is None or not self.info.visible or lens is None:
            return 0.0, 0.0
        aspect = self.app.base.getAspectRatio()
        if self.info.portrait:
            height_ref = 1080 / aspect
            n = self.info.covered_height() / height_ref
            return 0.0, -math.degrees(math.atan(n * math.tan(math.radians(lens.getVfov() / 2))))
        n = self.info.covered_width() / (1080 * aspect)
        return math.degrees(math.atan(n * math.tan(math.radians(lens.getHfov() / 2)))), 0.0

    def update(self, dt: float) -> None:
        """The assistant's caption (placed clear of the subtitle and the panel) and the minimap."""
        if self.assistant is not None:
            panel = self.info if self.info is not None and self.info.visible else None
            self.assistant.update(dt, self.hud.subtitle_top if self.hud is not None else None, panel)
        if self.minimap is not None:
            pose, tours = self.app.walking.pose, self.app.tours
            guide = (tours.guide_pose.x, tours.guide_pose.y) if tours.active else None
            self.minimap.update(pose.x, pose.y, pose.heading, guide)

    def reset(self) -> None:
        """No panel, compact map, no caption; the next exhibit in front opens afresh."""
        if self.info is not None:
            self.info.hide()
        self.opened_at = None
        if self.minimap is not None:
            self.minimap.set_expanded(False)
        if self.assistant is not None:
            self.assistant.clear()
        self.near_id = None
        self._still_for = 0.0

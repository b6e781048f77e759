"""Guided tours and the robot guide, on the app's side: starting a tour or a GuideTo, the 导览 menu,
what each :class:`~vr_hall.tour.TourEvent` does to the HUD, the view and the speech worker, and the
guide's body (waiting near the spawn point facing the visitor, leading on a tour).

The tour itself — stops, paths, narration timing, pause and skip — is :class:`vr_hall.tour.Tour`; this
class drives it once a frame (:meth:`GuidedTours.step`) and answers its events.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from direct.gui.DirectGui import DirectFrame
from direct.gui.OnscreenText import OnscreenText
from panda3d.core import TextNode

from core.events import Speak, StopSpeaking
from vr_hall import ui
from vr_hall.avatar import animate, build_guide
from vr_hall.layout import exhibit_centre, heading_vector, wrap_degrees
from vr_hall.tour import Pose, Stop, Tour, TourEvent, make_stop, tour_stops, turn_towards

if TYPE_CHECKING:
    from vr_hall.app import HallApp

TOUR_STEP_BACK = 0.6
"""On a tour the visitor stands this much farther back than usual, to see the guide beside the exhibit."""


class GuidedTours:
    """The current tour (or GuideTo), its kind ("tour" narrates, "guide" opens the panel on arrival),
    the tour menu and the robot guide."""

    def __init__(self, app: HallApp):
        self.app = app
        self.tour: Tour | None = None
        self.kind = ""
        self.name = ""
        self.menu: DirectFrame | None = None
        self.guide = build_guide()
        self.guide.reparentTo(app.hall.root)
        self.guide_pose = self.idle_guide_pose()

    @property
    def active(self) -> bool:
        return self.tour is not None and self.tour.active

    # ------------------------------------------------------------------------------------ starting

    def guide_to(self, target_id: str) -> bool:
        """GuideTo: the robot guide leads the visitor to an exhibit (then its panel opens and the
        narration is requested) or to a room. False for an unknown id."""
        app = self.app
        try:
            stop = make_stop(app.nav, app.scene, target_id)
            if stop.exhibit is not None:  # its panel will open on arrival: stand back to see both
                stop = make_stop(app.nav, app.scene, target_id, app.panels.step_back_for_panel(stop.exhibit))
        except KeyError:
            return False
        self.start([stop], kind="guide", name="")
        return True

    def start(self, stops: list[Stop], kind: str = "tour", name: str = "") -> Tour:
        app = self.app
        self.stop()
        app.walking.walker = None
        app.panels.close_panel()
        self.close_menu()
        self.kind = kind
        self.name = name
        self.tour = Tour(app.nav, stops, app.walking.pose, self.on_event, language=app.language,
                         guide=self.guide_pose, narrate=(kind == "tour"))
        self.guide_pose = self.tour.guide
        return self.tour

    def start_named(self, tour_id: str) -> Tour:
        app = self.app
        tour = app.scene.tour(tour_id)
        return self.start(tour_stops(app.nav, app.scene, tour_id, extra=TOUR_STEP_BACK), "tour",
                          tour.name_zh if app.language == "zh" else tour.name_en)

    def stop(self) -> None:
        if self.active:
            self.tour.stop()  # type: ignore[union-attr]

    def visitor_took_over(self) -> None:
        """A key, the pad or a drag: a tour pauses (the visitor may resume it), a GuideTo ends."""
        if self.tour is not None and self.tour.state in ("walking", "narrating"):
            if self.kind == "tour":
                self.tour.pause()
            else:
                self.tour.stop()

    def action(self, name: str) -> None:
        """The HUD's tour buttons: tour (menu, or stop the running tour), pause, next, stop."""
        if name == "tour":
            if self.active and self.kind == "tour":
                self.tour.stop()  # type: ignore[union-attr]
            else:
                self.open_menu()
        elif self.tour is None:
            return
        elif name == "pause":
            if self.tour.state == "paused":
                self.tour.resume()
            else:
                self.tour.pause()
        elif name == "next":
            self.tour.skip()
        elif name == "stop":
            self.tour.stop()

    # ---------------------------------------------------------------------------------------- menu

    def open_menu(self) -> None:
        """A chooser with one large button per tour (or start the only one)."""
        app = self.app
        tours = app.scene.tours
        if len(tours) == 1:
            self.start_named(tours[0].id)
            return
        if not tours or app.panels.hud is None:
            return
        if self.menu is not None:
            self.menu.destroy()
        zh = app.language == "zh"
        h = 140 + len(tours) * (ui.TARGET + ui.GAP) + ui.TARGET + ui.GAP
        menu = DirectFrame(parent=app.base.aspect2d, frameColor=ui.WARM_WHITE,
                           frameSize=(ui.px(-330), ui.px(330), ui.px(-h / 2), ui.px(h / 2)), state="normal",
                           suppressMouse=1)
        menu.setName("tour-menu")
        OnscreenText(parent=menu, text="选择导览路线" if zh else "Choose a tour", font=app.font,
                     scale=ui.px(ui.TITLE), fg=ui.RED, pos=(0, ui.px(h / 2 - 80)), align=TextNode.ACenter)
        y = h / 2 - 140 - ui.TARGET / 2
        for t in tours:
            label = f"{t.name_zh}（{len(t.stops)}）" if zh else f"{t.name_en} ({len(t.stops)})"
            ui.button(menu, label, app.font, 0, y, w=600, command=lambda i=t.id: self.start_named(i),
                      name=f"tour-{t.id}")
            y -= ui.TARGET + ui.GAP
        ui.button(menu, "取消" if zh else "Cancel", app.font, 0, y, w=600,
                  colour=(0.45, 0.36, 0.3, 1), command=self.close_menu, name="tour-cancel")
        self.menu = menu

    def close_menu(self) -> None:
        if self.menu is not None:
            self.menu.destroy()
            self.menu = None

    # -------------------------------------------------------------------------------------- events

    def on_event(self, ev: TourEvent) -> None:
        app = self.app
        tour = self.tour
        hud = app.panels.hud
        stop = tour.current if tour is not None else None
        if ev.kind == "walking":
            self._on_walking(ev, stop)
        elif ev.kind == "arrived":
            if self.kind == "guide" and stop is not None and stop.exhibit is not None:
                app.panels.open_exhibit(stop.exhibit, speak=True)
        elif ev.kind == "narrate":
            if hud is not None:
                hud.show_subtitle(ev.text)
            app.publish(Speak(ev.text, ev.language, interrupt=True))
        elif ev.kind == "narration_cancelled":
            if hud is not None:
                hud.hide_subtitle()
            app.publish(StopSpeaking())
        elif ev.kind in ("paused", "resumed") and hud is not None:
            hud.set_paused(ev.kind == "paused")
        elif ev.kind in ("finished", "stopped") and hud is not None:
            hud.hide_tour()
            hud.hide_subtitle()

    def _on_walking(self, ev: TourEvent, stop: Stop | None) -> None:
        """On the way to a stop: the HUD shows the tour's progress; look at the exhibit on arrival."""
        app = self.app
        tour = self.tour
        hud = app.panels.hud
        if hud is not None:
            hud.hide_subtitle()
            if self.kind == "tour" and tour is not None and stop is not None:
                title = stop.exhibit.text("title", app.language) if stop.exhibit else stop.id
                hud.show_tour(self.name, ev.index + 1, len(tour.stops), title)
                hud.set_paused(False)
        app.walking.look_target = None
        if stop is not None and stop.exhibit is not None:
            x, y, z = exhibit_centre(stop.exhibit)
            # on a tour look a little lower: the guide stands beside the exhibit
            app.walking.look_target = (x, y, z - (0.45 if self.kind == "tour" else 0.0))

    # --------------------------------------------------------------------------------------- frame

    def step(self, dt: float) -> bool:
        """Advance a running tour; True while the visitor walks on it."""
        tour = self.tour
        if tour is None or not tour.active:
            return False
        tour.update(dt)
        if not tour.active and self.kind == "guide":
            self.app.walking.look_target = None
        return tour.state == "walking"

    def near_stop(self) -> bool:
        """Narrating at a stop, or nearly there: time to look at the exhibit."""
        tour = self.tour
        if tour is None:
            return False
        walker = tour.walker
        return tour.state == "narrating" or (walker is not None and walker.remaining < 1.5)

    def idle_guide_pose(self) -> Pose:
        """Where the guide waits: a little ahead of the spawn point, to one side, facing the visitor."""
        nav = self.app.nav
        s = self.app.scene.hall.spawn
        fx, fy = heading_vector(s.heading)
        for side in (1.5, -1.5, 0.0):
            x, y = s.x + fx * 3.4 + fy * side, s.y + fy * 3.4 - fx * side
            if nav.is_free(x, y):
                return Pose(x, y, wrap_degrees(s.heading + 180))
        x, y = nav.nearest_free(s.x + fx * 2, s.y + fy * 2) or (s.x, s.y)
        return Pose(x, y, wrap_degrees(s.heading + 180))

    def update_guide(self, dt: float, moving: bool, clock: float) -> None:
        """The guide's body: leading on a tour, else turning to face a visitor nearby."""
        g = self.guide_pose
        pose = self.app.walking.pose
        guiding = self.active
        if not guiding:
            dx, dy = pose.x - g.x, pose.y - g.y
            if math.hypot(dx, dy) < 6.0:  # turn to face a visitor nearby
                g.heading = turn_towards(g.heading, math.degrees(math.atan2(-dx, dy)), 90 * dt)
        self.guide.setPos(g.x, g.y, 0.0)
        self.guide.setH(g.heading)
        animate(self.guide, clock, guiding and moving)

    def face_visitor(self) -> None:
        """The guide turned straight to the visitor (the spawn view)."""
        g = self.guide_pose
        pose = self.app.walking.pose
        g.heading = math.degrees(math.atan2(-(pose.x - g.x), pose.y - g.y))

    def reset(self) -> None:
        """No tour, no menu, the guide waiting at its place."""
        self.stop()
        self.tour = None
        self.close_menu()
        self.guide_pose = self.idle_guide_pose()

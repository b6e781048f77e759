"""The interactive hall: camera at eye height, touch-first walking, exhibits, guided tours, the map.

:class:`HallApp` composes the hall from its parts and runs one per-frame task scaled by dt (the
roaming-ralph idiom) that drains events from outside (GuideTo; the assistant's Transcript / Answer),
advances a tour (:class:`~vr_hall.guided_tour.GuidedTours`) or a walk and applies held keys and drags
(:class:`~vr_hall.walking.Walking`), keeps the camera out of walls and shows only the rooms a doorway
reveals, and lets :class:`~vr_hall.panels.Panels` open an exhibit's panel when the visitor stops in front
of it, or close it when they leave; then the robot guide and the map marker move.

A tap on the floor walks there along a navgrid path; a tap on an exhibit opens its panel and asks
for narration (a Speak event: speech is another worker's job); the 导览 button starts a tour that
the robot guide leads. The assistant's 问助手 chips ask by publishing a final Transcript. The scene is
built before any window exists, so the child process can prewarm it with ``ShowBase(windowType='none')``
and open the window on command; ``launcher.py hall`` instead opens the window first and shows a loading
card while it builds.

Launcher entry points: :func:`vr_hall.launch.run_hall` (interactive) and :func:`vr_hall.launch.render_view`
(one offscreen PNG); named views in :mod:`vr_hall.views`.
"""

from __future__ import annotations

import logging
import math
import queue
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from direct.showbase.DirectObject import DirectObject
from direct.showbase.ShowBase import ShowBase
from panda3d.core import (
    ClockObject,
    Filename,
    WindowProperties,
)

from core.events import Answer, Event, GuideTo, Transcript
from vr_hall import engine
from vr_hall.build import (
    BuildOptions,
    BuiltHall,
    Progress,
    build_hall,
    count_geoms,
    set_anisotropy,
)
from vr_hall.guided_tour import TOUR_STEP_BACK, GuidedTours
from vr_hall.layout import EYE_HEIGHT
from vr_hall.loading import LoadingCard
from vr_hall.navgrid import NavGrid
from vr_hall.panels import STAND_STILL, TURN_AWAY, WALK_AWAY, Panels
from vr_hall.pbr import choose_pbr, renderer_name, shader_problem
from vr_hall.scene import Exhibit, Scene
from vr_hall.text3d import load_cjk_font
from vr_hall.tour import Stop, Tour, turn_towards
from vr_hall.views import show_view
from vr_hall.visibility import RoomVisibility
from vr_hall.walking import DRAG_THRESHOLD, KEYS, NUDGE_SECONDS, TURN_SPEED, WALK_SPEED, Walking

__all__ = ["DRAG_THRESHOLD", "KEYS", "NUDGE_SECONDS", "STAND_STILL", "TOUR_STEP_BACK", "TURN_AWAY", "TURN_SPEED",
           "WALK_AWAY", "WALK_SPEED", "HallApp"]


log = logging.getLogger(__name__)


def _part(part: str, name: str) -> property:
    """``HallApp.<name>`` reads and sets ``HallApp.<part>.<name>``."""
    return property(lambda self: getattr(getattr(self, part), name),
                    lambda self, value: setattr(getattr(self, part), name, value))


class HallApp(DirectObject):
    """The hall on a ShowBase. ``window`` (onscreen | offscreen) is what :meth:`open_window` opens —
    at once, or later with ``open_now=False`` (the child process prewarms that way). ``publish``
    receives Speak / StopSpeaking events and the assistant questions asked in the hall (Transcript).
    ``progress(fraction, message)`` hears how the build goes; with ``loading=True`` the window opens
    first and shows a loading card with that progress while the scene is built (``launcher.py hall``).

    Its parts: ``walking`` (pose, keys, walks), ``tours`` (tours, GuideTo, the robot guide) and
    ``panels`` (HUD, info panel, minimap, assistant); their state is also readable here (``pose``,
    ``tour``, ``info`` …) for the launcher, the child and tests."""

    def __init__(self, scene: Scene, *, window: engine.WindowType = "onscreen", open_now: bool = True,
                 size: tuple[int, int] = (1280, 720),
                 fullscreen: bool = False, stereo: bool = False, language: str = "zh",
                 publish: Callable[[Event], None] | None = None, progress: Progress | None = None,
                 build_options: BuildOptions | None = None, display: str | None = None, loading: bool = False):
        super().__init__()
        t0 = time.perf_counter()
        self.scene = scene
        self.size = size
        self.fullscreen = fullscreen
        self.stereo = stereo
        self.language = language
        self.publish = publish or (lambda _e: None)
        self.window_kind: engine.WindowType = "offscreen" if window == "offscreen" else "onscreen"
        engine.configure(self.window_kind, size=size, fullscreen=fullscreen, stereo=stereo, display=display)
        self.base = ShowBase(windowType="none")
        self.base.disableMouse()
        self._progress = progress
        self.window_open = False
        self._bare_window = False
        """The main window is open but the hall's overlays and input are not set up yet."""
        self.loading: LoadingCard | None = None
        self.font = load_cjk_font()
        if loading and window != "none" and self._open_bare_window(self.window_kind):
            title = scene.hall.title_zh if language == "zh" else scene.hall.title_en
            self.loading = LoadingCard(self.base, self.font, title, language=language)
        self._report(0.0, "导航网格 Navigation grid")
        self.nav = NavGrid(scene)
        build_options = replace(build_options) if build_options is not None else BuildOptions()
        if build_options.pbr is None:
            build_options.pbr, self.materials_note = choose_pbr(self.base, window)
        else:
            self.materials_note = "chosen by the caller"
        self.materials = "pbr" if build_options.pbr else "fixed"
        """How models are drawn: "pbr" (shaders, :mod:`vr_hall.pbr`) or "fixed"; ``materials_note`` says why."""
        self.hall: BuiltHall = build_hall(scene, font=self.font, options=build_options,
                                          progress=lambda f, m: self._report(0.05 + 0.9 * f, m))
        self.hall.root.reparentTo(self.base.render)
        self.visibility = RoomVisibility(scene)
        self._shown_rooms: set[str] | None = None
        self.view_yaw = 0.0
        self.view_pitch = 0.0
        """Camera-only turn (right / down) while the info panel covers part of the screen, so the
        exhibit stays visible beside it."""
        self.walking = Walking(self)
        self.tours = GuidedTours(self)
        self.panels = Panels(self)
        self.inbox: queue.Queue[Event] = queue.Queue()
        self.exit_requested = False
        self._clock = 0.0
        self._last_update: float | None = None
        self.frames = 0
        self.build_seconds = time.perf_counter() - t0
        self._report(1.0, "完成 Ready")
        if self.loading is not None:
            self.loading.destroy()
            self.loading = None
        if (open_now or self._bare_window) and window != "none":
            self.open_window()

    # ----------------------------------------------------------------- the parts' state, read here

    pose = _part("walking", "pose")
    pitch = _part("walking", "pitch")
    keys = _part("walking", "keys")
    walker = _part("walking", "walker")
    look_target = _part("walking", "look_target")
    tour = _part("tours", "tour")
    tour_kind = _part("tours", "kind")
    tour_menu = _part("tours", "menu")
    guide = _part("tours", "guide")
    guide_pose = _part("tours", "guide_pose")
    hud = _part("panels", "hud")
    info = _part("panels", "info")
    minimap = _part("panels", "minimap")
    assistant = _part("panels", "assistant")

    def _report(self, fraction: float, message: str) -> None:
        """Progress of the build: to the ``progress`` callback, and onto the loading card (a frame now)."""
        if self._progress is not None:
            self._progress(fraction, message)
        if self.loading is not None:
            self.loading.update(fraction, message)

    # ------------------------------------------------------------------------------------ window

    def open_window(self, window: engine.WindowType | None = None) -> bool:
        """Open the main window (or offscreen buffer) and the overlays; False when none could open."""
        if self.window_open:
            return True
        if not self._bare_window and not self._open_bare_window(window or self.window_kind):
            return False
        self._bare_window = False
        self.window_open = True
        set_anisotropy(self.hall.root, self.font, 1 if self.software_renderer else 4)
        self._build_overlays()
        self._bind_input()
        self.base.taskMgr.add(self._task, "hall-update", sort=10)
        self._place_camera()
        return True

    def _open_bare_window(self, window: engine.WindowType) -> bool:
        """The window (or buffer) and its lens, without the hall's overlays: what the loading card needs."""
        props = WindowProperties()
        props.setSize(*self.size)
        props.setTitle(self.scene.hall.title_zh)
        if window == "onscreen":
            props.setFullscreen(self.fullscreen)
        kind = "offscreen" if window == "offscreen" else "onscreen"
        ok = self._try_open(kind, props)
        if not ok and kind == "offscreen":
            # no EGL: the software renderer needs nothing but libX11
            self.base.pipe = None
            self.base.makeModulePipe("p3tinydisplay")
            ok = self.base.pipe is not None and self._try_open(kind, props)
        if not ok:
            return False
        self._bare_window = True
        win = self.base.win
        gsg = win.getGsg()
        renderer = f"{gsg.getDriverVendor()} {gsg.getDriverRenderer()}".lower() if gsg else ""
        self.software_renderer = not gsg or any(k in renderer for k in ("llvmpipe", "softpipe", "tinydisplay",
                                                                         "software", "swrast"))
        if getattr(self, "materials", "") == "pbr" and shader_problem(gsg) is not None:
            log.warning("hall models were prepared for PBR shaders, but this window's renderer (%s) has "
                        "none: their maps are not drawn", renderer_name(gsg))
        win.setClearColor((0.12, 0.1, 0.1, 1))
        if hasattr(win, "setCloseRequestEvent"):  # a real window: closing it asks us first
            win.setCloseRequestEvent("hall-close-request")
            self.accept("hall-close-request", self.request_exit)  # also while the scene is loading
        if self.stereo:
            engine.make_stereo(self.base)
        self.base.adjustWindowAspectRatio(self.base.getAspectRatio())
        lens = self.base.camLens
        aspect = self.base.getAspectRatio()
        vfov = 58.0 if aspect >= 1 else 2 * math.degrees(math.atan(math.tan(math.radians(35)) / aspect))
        hfov = 2 * math.degrees(math.atan(math.tan(math.radians(vfov / 2)) * aspect))
        lens.setFov(hfov, vfov)
        lens.setNearFar(0.05, 250.0)
        return True

    def _try_open(self, kind: str, props: WindowProperties) -> bool:
        """openMainWindow returns False or raises, depending on how it fails."""
        try:
            ok = self.base.openMainWindow(type=kind, props=props, size=self.size)
        except Exception:  # Panda3D raises a bare Exception("Could not open window.")
            ok = False
        return bool(ok) and self.base.win is not None

    def close_window(self) -> None:
        """Close the window and its overlays; the built scene stays (the window can open again)."""
        if not self.window_open:
            return
        self.base.taskMgr.remove("hall-update")
        self.ignoreAll()
        self.walking.unbind()
        self.panels.destroy()
        if self.base.win is not None:
            self.base.closeWindow(self.base.win)
        self.window_open = False

    def destroy(self) -> None:
        self.close_window()
        self.hall.root.removeNode()
        self.base.destroy()

    def _build_overlays(self) -> None:
        self.panels.build()

    def _bind_input(self) -> None:
        """The walking keys and the pointer (:class:`Walking`), and the hall's own shortcuts."""
        self.walking.bind()
        self.accept("escape", self.request_exit)
        self.accept("hall-close-request", self.request_exit)
        self.accept("m", self.on_action, ["map", True])
        self.accept("t", self.on_action, ["tour", True])
        self.accept("space", self.on_action, ["pause", True])
        self.accept("l", self.on_action, ["lang", True])
        self.accept("wheel_up", self.panels.scroll, [-0.5])
        self.accept("wheel_down", self.panels.scroll, [0.5])

    # ---------------------------------------------------------------------------- external control

    def post(self, event: Event) -> None:
        """Thread-safe: an event for the hall (GuideTo; Transcript and Answer for the assistant's
        caption), handled on the next frame."""
        self.inbox.put(event)

    def _drain_inbox(self) -> None:
        assistant = self.panels.assistant
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, GuideTo):
                asked = assistant is not None and assistant.awaiting_answer
                if self.guide_to(event.exhibit_id) and asked and assistant is not None:
                    assistant.show_guiding(self._place_name(event.exhibit_id))
            elif isinstance(event, Transcript) and assistant is not None:
                assistant.show_transcript(event.text, event.final)
            elif isinstance(event, Answer) and assistant is not None:
                assistant.show_answer(event.text, event.suggestions)

    def ask_assistant(self, text: str) -> None:
        """A question for the assistant (a tapped 问助手 chip): a final Transcript out to the kiosk's
        bus, where the assistant service answers it like a spoken one."""
        self.publish(Transcript(text, "en" if self.language == "en" else "zh", final=True))

    def _place_name(self, target_id: str) -> str:
        """An exhibit's or a room's name in the hall's language (the id when there is none)."""
        for item in (*self.scene.exhibits, *self.scene.rooms):
            if item.id == target_id:
                if isinstance(item, Exhibit):
                    return item.text("title", self.language)
                return item.name_zh if self.language == "zh" else item.name_en
        return target_id

    def close_popups(self) -> None:
        """Before the assistant's chips open: no tour menu, no large map under them."""
        self.tours.close_menu()
        if self.panels.minimap is not None:
            self.panels.minimap.set_expanded(False)

    def request_exit(self) -> None:
        self.exit_requested = True

    # --------------------------------------------------------------------------------- actions

    def on_action(self, name: str, pressed: bool) -> None:
        """Everything the HUD's buttons (and their keyboard shortcuts) do."""
        if name in ("forward", "back", "left", "right"):
            self.walking.press(name, pressed)
            return
        if not pressed:
            return
        if name in ("tour", "pause", "next", "stop"):
            self.tours.action(name)
        elif name == "map" and self.panels.minimap is not None:
            self.panels.minimap.set_expanded(not self.panels.minimap.expanded)
        elif name == "lang":
            self.set_language("en" if self.language == "zh" else "zh")
        elif name == "exit":
            self.request_exit()

    def set_language(self, language: str) -> None:
        self.language = language
        self.panels.set_language(language)
        if self.tours.tour is not None:
            self.tours.tour.language = language

    def take_over(self) -> None:
        """The visitor took over (a held key, the pad, a drag): a walk stops, a tour pauses."""
        self.walking.stop()
        self.tours.visitor_took_over()

    def _set_key(self, name: str, value: bool) -> None:
        self.walking.set_key(name, value)

    def nudge(self, name: str) -> None:
        self.walking.nudge(name)

    def drag(self, dx: float, dy: float) -> None:
        self.walking.drag(dx, dy)

    def walk_to(self, x: float, y: float, final_heading: float | None = None) -> bool:
        """Walk to the free spot nearest (x, y) along a path; False when there is no way. Walking
        elsewhere closes an open exhibit panel (and stops its narration)."""
        self.tours.stop()
        self.panels.close_panel()
        return self.walking.walk_path(x, y, final_heading)

    def guide_to(self, target_id: str) -> bool:
        """GuideTo: see :meth:`GuidedTours.guide_to`."""
        return self.tours.guide_to(target_id)

    def start_tour(self, stops: list[Stop], kind: str = "tour", name: str = "") -> Tour:
        return self.tours.start(stops, kind, name)

    def start_named_tour(self, tour_id: str) -> Tour:
        return self.tours.start_named(tour_id)

    def open_exhibit(self, e: Exhibit, speak: bool = True) -> None:
        self.panels.open_exhibit(e, speak)

    def close_panel(self) -> bool:
        return self.panels.close_panel()

    def speak_exhibit(self, e: Exhibit, language: str) -> None:
        self.panels.speak_exhibit(e, language)

    def _step_back_for_panel(self, e: Exhibit) -> float:
        return self.panels.step_back_for_panel(e)

    def tap(self, mx: float, my: float) -> str:
        """A tap on the 3-D view: see :meth:`Walking.tap`."""
        return self.walking.tap(mx, my)

    # ----------------------------------------------------------------------------------- frame

    def _task(self, task: Any) -> int:
        now = ClockObject.getGlobalClock().getFrameTime()
        dt = 0.0 if self._last_update is None else now - self._last_update
        self._last_update = now
        self.update(min(max(dt, 0.0), 0.1))
        self.frames += 1
        return task.cont

    def update(self, dt: float) -> None:
        """Advance the hall by ``dt`` seconds (the per-frame task; tests call it directly)."""
        self._clock += dt
        self._drain_inbox()
        self.walking.drag_look()
        manual = self.walking.manual
        moving = manual
        if self.tours.active and not manual:
            moving = self.tours.step(dt)
        elif self.walking.walker is not None and not manual:
            moving = self.walking.step_walk(dt)
        if manual:
            self.walking.manual_move(dt)
        self.walking.update_pitch(dt, self.tours.near_stop())
        self._place_camera(dt if dt > 0 else None)
        self.panels.check_proximity(dt, moving)
        self.panels.check_walked_away()
        self.tours.update_guide(dt, moving, self._clock)
        self.panels.update(dt)

    def _place_camera(self, dt: float | None = None) -> None:
        yaw, pitch = self.panels.offset()
        if dt is None:
            self.view_yaw, self.view_pitch = yaw, pitch
        else:
            self.view_yaw = turn_towards(self.view_yaw, yaw, 60.0 * dt)
            self.view_pitch = turn_towards(self.view_pitch, pitch, 60.0 * dt)
        pose = self.walking.pose
        self.base.camera.setPos(pose.x, pose.y, EYE_HEIGHT)
        self.base.camera.setHpr(pose.heading - self.view_yaw, self.walking.pitch + self.view_pitch, 0)
        self._cull_rooms()

    def _cull_rooms(self) -> None:
        """Show only the rooms visible through doorways (see :mod:`vr_hall.visibility`)."""
        lens = self.base.camLens
        if lens is None:
            return
        hfov = lens.getHfov() * (1.6 if self.stereo else 1.0)
        pose = self.walking.pose
        visible = self.visibility.visible(pose.x, pose.y, pose.heading - self.view_yaw, hfov)
        if visible == self._shown_rooms:
            return
        for room_id, node in self.hall.rooms.items():
            if room_id in visible:
                node.show()
            else:
                node.hide()
        self._shown_rooms = visible

    # ---------------------------------------------------------------------------- offscreen use

    def render(self, frames: int = 2) -> None:
        """Render ``frames`` frames now (offscreen: the last one is what a screenshot reads)."""
        for _ in range(frames):
            self.base.graphicsEngine.renderFrame()

    def screenshot(self, path: str | Path) -> Path:
        self.render(2)
        tex = self.base.win.getScreenshot()
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        if tex is None or not tex.write(Filename.fromOsSpecific(str(out))):
            raise RuntimeError(f"could not write the screenshot {out}")
        return out

    def frame_rgb(self) -> Any:
        """The last rendered frame as a numpy array (height, width, 3), top row first."""
        import numpy as np

        self.render(2)
        tex = self.base.win.getScreenshot()
        data = np.frombuffer(bytes(tex.getRamImageAs("RGB")), dtype=np.uint8)
        return data.reshape(tex.getYSize(), tex.getXSize(), 3)[::-1]

    def reset(self) -> None:
        """Back to the spawn point, no tour, no panel, compact map."""
        self.tours.stop()
        self.tours.tour = None
        self.walking.walker = None
        self.walking.look_target = None
        self.tours.close_menu()
        self.panels.reset()
        if self.loading is not None:
            self.loading.destroy()
            self.loading = None
        self.walking.reset()
        self.tours.guide_pose = self.tours.idle_guide_pose()
        self.update(0.0)

    def show_view(self, view: str) -> None:
        """Set up a named view (spawn | exhibit:ID | tour:N | minimap | assistant | loading): see
        :func:`vr_hall.views.show_view`."""
        show_view(self, view)

    def draw_calls(self) -> dict[str, int]:
        """Geoms in the 3-D scene (hall, guide) and in the 2-D overlay."""
        return {"hall": self.hall.geoms(), "scene": count_geoms(self.base.render),
                "overlay": count_geoms(self.base.render2d)}

    def run(self) -> None:
        """The interactive loop, until exit is requested or the window closes."""
        while not self.exit_requested and self.window_open:
            self.base.taskMgr.step()

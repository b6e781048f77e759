"""The interactive hall: camera at eye height, touch-first walking, exhibits, guided tours, the map.

One per-frame task scaled by dt does everything (the roaming-ralph idiom): it drains events from
outside (GuideTo), advances a tour or a walk, applies held keys and buttons, turns drags into
looking around, keeps the camera out of walls through the navigation grid, opens an exhibit's
panel when the visitor stops in front of it, moves the robot guide and the map marker.

A tap on the floor walks there along a navgrid path; a tap on an exhibit opens its panel and asks
for narration (a Speak event: speech is another worker's job); the 导览 button starts a tour that
the robot guide leads. Leaving an open exhibit panel — tapping the floor, walking or turning away,
a walk on the map, a tour — closes it as its 关闭 button does (StopSpeaking). The assistant's
Transcript / Answer events, posted like GuideTo, show in a caption; its 问助手 chips ask by
publishing a final Transcript. The scene is built before any window exists, so the child process
can prewarm it with ``ShowBase(windowType='none')`` and open the window on command; ``launcher.py
hall`` instead opens the window first and shows a loading card while it builds.

Launcher entry points: :func:`run_hall` (interactive) and :func:`render_view` (one offscreen PNG).
"""

from __future__ import annotations

import logging
import math
import queue
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from direct.gui.DirectGui import DirectFrame
from direct.gui.OnscreenText import OnscreenText
from direct.showbase.DirectObject import DirectObject
from direct.showbase.ShowBase import ShowBase
from panda3d.core import (
    ClockObject,
    CollisionHandlerQueue,
    CollisionNode,
    CollisionRay,
    CollisionTraverser,
    Filename,
    NodePath,
    PerspectiveLens,
    TextNode,
    WindowProperties,
)

from core.events import Answer, Event, GuideTo, Speak, StopSpeaking, Transcript
from vr_hall import engine, ui
from vr_hall.assistant_overlay import AssistantOverlay
from vr_hall.avatar import animate, build_guide
from vr_hall.build import (
    PICK_MASK,
    BuildOptions,
    BuiltHall,
    Progress,
    build_hall,
    count_geoms,
    set_anisotropy,
)
from vr_hall.hud import Hud
from vr_hall.infopanel import InfoPanel
from vr_hall.layout import (
    EYE_HEIGHT,
    exhibit_centre,
    facing_exhibit,
    heading_towards,
    heading_vector,
    look_angles,
    wrap_degrees,
)
from vr_hall.loading import LoadingCard
from vr_hall.minimap import Minimap
from vr_hall.navgrid import NavGrid
from vr_hall.pbr import probe_pipe, renderer_name, shader_problem
from vr_hall.scene import Exhibit, Scene, SceneError, load_scene
from vr_hall.text3d import load_cjk_font
from vr_hall.tour import PathWalker, Pose, Stop, Tour, TourEvent, make_stop, tour_stops, turn_towards
from vr_hall.visibility import RoomVisibility

WALK_SPEED = 1.4
"""m/s when walking with keys or the pad."""
TURN_SPEED = 75.0
"""°/s when turning with keys or the pad."""
NUDGE_SECONDS = 0.25
"""A pad press shorter than this is a tap: one step (0.8 m) or a 30° turn."""
DRAG_THRESHOLD = 0.025
"""How far (render2d units) a press must move to become a drag rather than a tap."""
TOUR_STEP_BACK = 0.6
"""On a tour the visitor stands this much farther back than usual, to see the guide beside the exhibit."""
STAND_STILL = 0.6
"""Seconds standing still in front of an exhibit before its panel opens by itself."""
WALK_AWAY = 1.0
"""Metres a visitor walks away from an exhibit (farther than where its panel opened) to close the panel."""
TURN_AWAY = 100.0
"""Degrees between the view and an open exhibit beyond which the visitor has turned away from it."""
SAMPLE_QUESTION = "这个展厅讲什么"
SAMPLE_ANSWER = ("VR展厅是星河能源科技党委打造的虚拟党建展馆，分为党史长廊、党建成果和北斗科技三个展区，"
                 "共有三十个展项。您可以在终端上沉浸式参观，并收听语音讲解。")
SAMPLE_SUGGESTIONS = ("展厅几点开门？", "在VR展厅里怎么走动？", "怎么开始导览？")
"""The exchange the "assistant" view shows."""

log = logging.getLogger(__name__)

KEYS = {"w": "forward", "arrow_up": "forward", "s": "back", "arrow_down": "back", "a": "left",
        "arrow_left": "left", "d": "right", "arrow_right": "right", "q": "strafe_left", "e": "strafe_right"}


class HallApp(DirectObject):
    """The hall on a ShowBase. ``window`` (onscreen | offscreen) is what :meth:`open_window` opens —
    at once, or later with ``open_now=False`` (the child process prewarms that way). ``publish``
    receives Speak / StopSpeaking events and the assistant questions asked in the hall (Transcript).
    ``progress(fraction, message)`` hears how the build goes; with ``loading=True`` the window opens
    first and shows a loading card with that progress while the scene is built (``launcher.py hall``)."""

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
        build_options = self._choose_materials(build_options, window)
        self.hall: BuiltHall = build_hall(scene, font=self.font, options=build_options,
                                          progress=lambda f, m: self._report(0.05 + 0.9 * f, m))
        self.hall.root.reparentTo(self.base.render)
        self.visibility = RoomVisibility(scene)
        self._shown_rooms: set[str] | None = None
        self.guide = build_guide()
        self.guide.reparentTo(self.hall.root)
        spawn = scene.hall.spawn
        self.pose = Pose(spawn.x, spawn.y, spawn.heading)
        self.pitch = 0.0
        self.view_yaw = 0.0
        self.view_pitch = 0.0
        """Camera-only turn (right / down) while the info panel covers part of the screen, so the
        exhibit stays visible beside it."""
        self.guide_pose = self._idle_guide_pose()
        self.inbox: queue.Queue[Event] = queue.Queue()
        self.keys = dict.fromkeys(("forward", "back", "left", "right", "strafe_left", "strafe_right"), False)
        self._pressed_at: dict[str, float] = {}
        self.walker: PathWalker | None = None
        self.walk_target: Exhibit | None = None
        self.tour: Tour | None = None
        self.tour_kind = ""
        self.tour_name = ""
        self.look_target: tuple[float, float, float] | None = None
        self.exit_requested = False
        self.hud: Hud | None = None
        self.info: InfoPanel | None = None
        self.minimap: Minimap | None = None
        self.assistant: AssistantOverlay | None = None
        self._panel_opened_at: tuple[float, float] | None = None
        """Where the visitor stood when the exhibit panel opened (walking away from there closes it)."""
        self.tour_menu: DirectFrame | None = None
        self._mouse_down_at: tuple[float, float] | None = None
        self._mouse_last: tuple[float, float] | None = None
        self._dragging = False
        self._still_for = 0.0
        self._last_spot: tuple[float, float, float] | None = None
        self._near_id: str | None = None
        self._clock = 0.0
        self._last_update: float | None = None
        self.frames = 0
        self.build_seconds = time.perf_counter() - t0
        self._picker = self._make_picker()
        self._report(1.0, "完成 Ready")
        if self.loading is not None:
            self.loading.destroy()
            self.loading = None
        if (open_now or self._bare_window) and window != "none":
            self.open_window()

    def _choose_materials(self, options: BuildOptions | None, window: str) -> BuildOptions:
        """PBR shaders for the models when the renderer the window will use has them, else baked
        materials (:mod:`vr_hall.pbr`). Asked of the open window, or of a 1×1 buffer on the same display
        module before there is one (the child prewarms without a window). ``materials`` says which."""
        options = replace(options) if options is not None else BuildOptions()
        if options.pbr is None:
            if window == "none":
                usable, note = False, "no window"
            elif self.base.win is not None:
                problem = shader_problem(self.base.win.getGsg())
                usable, note = problem is None, problem or renderer_name(self.base.win.getGsg())
            else:
                usable, note = probe_pipe(self.base)
            options.pbr = usable
        else:
            note = "chosen by the caller"
        self.materials = "pbr" if options.pbr else "fixed"
        self.materials_note = note
        log.debug("hall models: %s (%s)", self.materials, note)
        return options

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
            self._make_stereo()
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

    def _make_stereo(self) -> None:
        """Side-by-side stereo: one display region per eye (offscreen needs it set up by hand)."""
        win = self.base.win
        if not win.isStereo():
            win.setSideBySideStereo(True)
            # both the 3-D view and the 2-D overlay get one region per eye, so the overlay keeps
            # its proportions and appears in both halves
            for cam, sort in ((self.base.cam, 0), (self.base.cam2d, 10)):
                for dr in list(cam.node().getDisplayRegions()):
                    win.removeDisplayRegion(dr)
                dr = win.makeStereoDisplayRegion()
                dr.setCamera(cam)
                dr.setSort(sort)
                if sort:
                    dr.setClearDepthActive(True)
        lens = self.base.camLens
        if isinstance(lens, PerspectiveLens):
            lens.setInterocularDistance(0.064)
            lens.setConvergenceDistance(3.0)

    def close_window(self) -> None:
        """Close the window and its overlays; the built scene stays (the window can open again)."""
        if not self.window_open:
            return
        self.base.taskMgr.remove("hall-update")
        self.ignoreAll()
        self._destroy_overlays()
        if self.base.win is not None:
            self.base.closeWindow(self.base.win)
        self.window_open = False

    def destroy(self) -> None:
        self.close_window()
        self.hall.root.removeNode()
        self.base.destroy()

    def _build_overlays(self) -> None:
        portrait = self.base.getAspectRatio() < 1
        font = self.font
        self.hud = Hud(self.base, font, self.on_action, portrait=portrait, language=self.language,
                       title=self.scene.hall.title_zh if self.language == "zh" else self.scene.hall.title_en)
        self.info = InfoPanel(self.scene, font, self.base.a2dRightCenter if not portrait else self.base.a2dBottomCenter,
                              portrait=portrait, on_speak=self.speak_exhibit, on_close=self._on_info_closed)
        self.minimap = Minimap(self.scene, font, self.base.a2dTopLeft, self.base.aspect2d, portrait=portrait,
                               on_walk=self.walk_to)
        self.assistant = AssistantOverlay(self.base, font, portrait=portrait, language=self.language,
                                          on_ask=self.ask_assistant, on_open=self._close_popups)

    def _destroy_overlays(self) -> None:
        if self.assistant is not None:
            self.assistant.destroy()
            self.assistant = None
        if self.tour_menu is not None:
            self.tour_menu.destroy()
            self.tour_menu = None
        if self.info is not None:
            self.info.hide()
            self.info = None
        if self.minimap is not None:
            self.minimap.destroy()
            self.minimap = None
        if self.hud is not None:
            self.hud.destroy()
            self.hud = None

    def _bind_input(self) -> None:
        for key, name in KEYS.items():
            self.accept(key, self._set_key, [name, True])
            self.accept(f"{key}-up", self._set_key, [name, False])
        self.accept("escape", self.request_exit)
        self.accept("hall-close-request", self.request_exit)
        self.accept("m", self.on_action, ["map", True])
        self.accept("t", self.on_action, ["tour", True])
        self.accept("space", self.on_action, ["pause", True])
        self.accept("l", self.on_action, ["lang", True])
        self.accept("mouse1", self._mouse_pressed)
        self.accept("mouse1-up", self._mouse_released)
        self.accept("wheel_up", self._wheel, [-0.5])
        self.accept("wheel_down", self._wheel, [0.5])

    # ---------------------------------------------------------------------------- external control

    def post(self, event: Event) -> None:
        """Thread-safe: an event for the hall (GuideTo; Transcript and Answer for the assistant's
        caption), handled on the next frame."""
        self.inbox.put(event)

    def _drain_inbox(self) -> None:
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                return
            if isinstance(event, GuideTo):
                asked = self.assistant is not None and self.assistant.awaiting_answer
                if self.guide_to(event.exhibit_id) and asked and self.assistant is not None:
                    self.assistant.show_guiding(self._place_name(event.exhibit_id))
            elif isinstance(event, Transcript) and self.assistant is not None:
                self.assistant.show_transcript(event.text, event.final)
            elif isinstance(event, Answer) and self.assistant is not None:
                self.assistant.show_answer(event.text, event.suggestions)

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

    def _close_popups(self) -> None:
        """Before the assistant's chips open: no tour menu, no large map under them."""
        self._close_tour_menu()
        if self.minimap is not None:
            self.minimap.set_expanded(False)

    def request_exit(self) -> None:
        self.exit_requested = True

    # --------------------------------------------------------------------------------- actions

    def on_action(self, name: str, pressed: bool) -> None:
        """Everything the HUD's buttons (and their keyboard shortcuts) do."""
        if name in ("forward", "back", "left", "right"):
            now = time.perf_counter()
            if pressed:
                self._pressed_at[name] = now
                self._set_key(name, True)
            else:
                self._set_key(name, False)
                started = self._pressed_at.pop(name, None)
                if started is not None and now - started < NUDGE_SECONDS:
                    self.nudge(name)
            return
        if not pressed:
            return
        if name == "tour":
            if self.tour is not None and self.tour.active and self.tour_kind == "tour":
                self.tour.stop()
            else:
                self._open_tour_menu()
        elif name == "map" and self.minimap is not None:
            self.minimap.set_expanded(not self.minimap.expanded)
        elif name == "lang":
            self.set_language("en" if self.language == "zh" else "zh")
        elif name == "exit":
            self.request_exit()
        elif name == "pause" and self.tour is not None:
            if self.tour.state == "paused":
                self.tour.resume()
            else:
                self.tour.pause()
        elif name == "next" and self.tour is not None:
            self.tour.skip()
        elif name == "stop" and self.tour is not None:
            self.tour.stop()

    def set_language(self, language: str) -> None:
        self.language = language
        if self.hud is not None:
            self.hud.set_language(language)
            self.hud.title.setText(self.scene.hall.title_zh if language == "zh" else self.scene.hall.title_en)
        if self.info is not None and self.info.exhibit is not None and self.info.language != language:
            self.info.toggle_language()
        if self.assistant is not None:
            self.assistant.set_language(language)
        if self.tour is not None:
            self.tour.language = language

    def _set_key(self, name: str, value: bool) -> None:
        self.keys[name] = value
        if value:
            self._interrupt_auto_motion()

    def _interrupt_auto_motion(self) -> None:
        """The visitor took over: a walk stops, a tour pauses."""
        self.walker = None
        self.walk_target = None
        self.look_target = None
        if self.tour is not None and self.tour.state in ("walking", "narrating"):
            if self.tour_kind == "tour":
                self.tour.pause()
            else:
                self.tour.stop()

    def nudge(self, name: str) -> None:
        """A tap on the pad: a 0.8 m step or a 30° turn, walked smoothly."""
        if name in ("left", "right"):
            target = wrap_degrees(self.pose.heading + (30 if name == "left" else -30))
            self.walker = PathWalker(self.pose, [(self.pose.x, self.pose.y)], turn_rate=120, final_heading=target)
            return
        fx, fy = heading_vector(self.pose.heading)
        sign = 1 if name == "forward" else -1
        end = self.nav.slide(self.pose.x, self.pose.y, self.pose.x + fx * 0.8 * sign, self.pose.y + fy * 0.8 * sign)
        self.walker = PathWalker(self.pose, [(self.pose.x, self.pose.y), end], speed=1.2, turn_rate=0.0,
                                 final_heading=self.pose.heading)

    def walk_to(self, x: float, y: float, final_heading: float | None = None) -> bool:
        """Walk to the free spot nearest (x, y) along a path; False when there is no way. Walking
        elsewhere closes an open exhibit panel (and stops its narration)."""
        self._stop_guided()
        self.close_panel()
        path = self.nav.find_path((self.pose.x, self.pose.y), (x, y))
        if path is None:
            return False
        self.walker = PathWalker(self.pose, path, speed=1.3, turn_rate=110, final_heading=final_heading)
        self.walk_target = None
        self.look_target = None
        return True

    def guide_to(self, target_id: str) -> bool:
        """GuideTo: the robot guide leads the visitor to an exhibit (then its panel opens and the
        narration is requested) or to a room. False for an unknown id."""
        try:
            stop = make_stop(self.nav, self.scene, target_id)
            if stop.exhibit is not None:  # its panel will open on arrival: stand back to see both
                stop = make_stop(self.nav, self.scene, target_id, self._step_back_for_panel(stop.exhibit))
        except KeyError:
            return False
        self.start_tour([stop], kind="guide", name="")
        return True

    def start_tour(self, stops: list[Stop], kind: str = "tour", name: str = "") -> Tour:
        self._stop_guided()
        self.walker = None
        self.close_panel()
        if self.tour_menu is not None:
            self.tour_menu.destroy()
            self.tour_menu = None
        self.tour_kind = kind
        self.tour_name = name
        self.tour = Tour(self.nav, stops, self.pose, self._on_tour_event, language=self.language,
                         guide=self.guide_pose, narrate=(kind == "tour"))
        self.guide_pose = self.tour.guide
        return self.tour

    def start_named_tour(self, tour_id: str) -> Tour:
        tour = self.scene.tour(tour_id)
        return self.start_tour(tour_stops(self.nav, self.scene, tour_id, extra=TOUR_STEP_BACK), "tour",
                               tour.name_zh if self.language == "zh" else tour.name_en)

    def _stop_guided(self) -> None:
        if self.tour is not None and self.tour.active:
            self.tour.stop()

    def _open_tour_menu(self) -> None:
        """A chooser with one large button per tour (or start the only one)."""
        if len(self.scene.tours) == 1:
            self.start_named_tour(self.scene.tours[0].id)
            return
        if not self.scene.tours or self.hud is None:
            return
        if self.tour_menu is not None:
            self.tour_menu.destroy()
        n = len(self.scene.tours)
        h = 140 + n * (ui.TARGET + ui.GAP) + ui.TARGET + ui.GAP
        menu = DirectFrame(parent=self.base.aspect2d, frameColor=ui.WARM_WHITE,
                           frameSize=(ui.px(-330), ui.px(330), ui.px(-h / 2), ui.px(h / 2)), state="normal",
                           suppressMouse=1)
        menu.setName("tour-menu")
        OnscreenText(parent=menu, text="选择导览路线" if self.language == "zh" else "Choose a tour", font=self.font,
                     scale=ui.px(ui.TITLE), fg=ui.RED, pos=(0, ui.px(h / 2 - 80)), align=TextNode.ACenter)
        y = h / 2 - 140 - ui.TARGET / 2
        for t in self.scene.tours:
            label = f"{t.name_zh}（{len(t.stops)}）" if self.language == "zh" else f"{t.name_en} ({len(t.stops)})"
            ui.button(menu, label, self.font, 0, y, w=600, command=lambda i=t.id: self.start_named_tour(i),
                      name=f"tour-{t.id}")
            y -= ui.TARGET + ui.GAP
        ui.button(menu, "取消" if self.language == "zh" else "Cancel", self.font, 0, y, w=600,
                  colour=(0.45, 0.36, 0.3, 1), command=self._close_tour_menu, name="tour-cancel")
        self.tour_menu = menu

    def _close_tour_menu(self) -> None:
        if self.tour_menu is not None:
            self.tour_menu.destroy()
            self.tour_menu = None

    def _on_tour_event(self, ev: TourEvent) -> None:
        tour = self.tour
        hud = self.hud
        stop = tour.current if tour is not None else None
        if ev.kind == "walking":
            if hud is not None:
                hud.hide_subtitle()
                if self.tour_kind == "tour" and tour is not None and stop is not None:
                    title = stop.exhibit.text("title", self.language) if stop.exhibit else stop.id
                    hud.show_tour(self.tour_name, ev.index + 1, len(tour.stops), title)
                    hud.set_paused(False)
            self.look_target = None
            if stop is not None and stop.exhibit is not None:
                x, y, z = exhibit_centre(stop.exhibit)
                # on a tour look a little lower: the guide stands beside the exhibit
                self.look_target = (x, y, z - (0.45 if self.tour_kind == "tour" else 0.0))
        elif ev.kind == "arrived":
            if self.tour_kind == "guide" and stop is not None and stop.exhibit is not None:
                self.open_exhibit(stop.exhibit, speak=True)
        elif ev.kind == "narrate":
            if hud is not None:
                hud.show_subtitle(ev.text)
            self.publish(Speak(ev.text, ev.language, interrupt=True))
        elif ev.kind == "narration_cancelled":
            if hud is not None:
                hud.hide_subtitle()
            self.publish(StopSpeaking())
        elif ev.kind in ("paused", "resumed") and hud is not None:
            hud.set_paused(ev.kind == "paused")
        elif ev.kind in ("finished", "stopped") and hud is not None:
            hud.hide_tour()
            hud.hide_subtitle()

    # ------------------------------------------------------------------------------- exhibits

    def open_exhibit(self, e: Exhibit, speak: bool = True) -> None:
        """Show the exhibit's panel and ask for its narration."""
        self._near_id = e.id
        if self.info is not None:
            self.info.show(e, self.language)
            self._panel_opened_at = (self.pose.x, self.pose.y)
        if speak:
            self.speak_exhibit(e, self.language)

    def close_panel(self) -> bool:
        """Close an open exhibit panel as its 关闭 button does (its narration stops: StopSpeaking).
        False when none was open."""
        if self.info is None or not self.info.visible:
            return False
        self.info.close()
        return True

    def _check_walked_away(self) -> None:
        """Walking away from (or turning away from) an exhibit with its panel open closes the panel."""
        info = self.info
        if info is None or not info.visible or info.exhibit is None or self._panel_opened_at is None:
            return
        if self.tour is not None and self.tour.active:
            return
        e = info.exhibit
        ex, ey = e.position
        then = math.dist(self._panel_opened_at, (ex, ey))
        now = math.dist((self.pose.x, self.pose.y), (ex, ey))
        turned = abs(wrap_degrees(heading_towards(ex - self.pose.x, ey - self.pose.y) - self.pose.heading))
        if now - then > WALK_AWAY or turned > TURN_AWAY:
            self.close_panel()

    def _step_back_for_panel(self, e: Exhibit) -> float:
        """Extra metres to stand back from ``e`` so it fits in the part of the screen the info panel
        leaves free (the left ~55 % in landscape, the top ~45 % in portrait)."""
        if self.window_open and self.base.getAspectRatio() < 1:
            return 1.0
        return max(0.0, 1.1 * e.size[0] - 1.3) if e.on_wall else 0.6

    def speak_exhibit(self, e: Exhibit, language: str) -> None:
        text = e.text("narration", language) or e.text("title", language)
        self.publish(Speak(text, language, interrupt=True))

    def _on_info_closed(self) -> None:
        self.publish(StopSpeaking())

    # ---------------------------------------------------------------------------------- pointer

    def _mouse_xy(self) -> tuple[float, float] | None:
        mw = self.base.mouseWatcherNode
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

    def _wheel(self, pages: float) -> None:
        if self.info is not None and self.info.visible:
            self.info.scroll(pages)

    def _drag_look(self) -> None:
        if self._mouse_down_at is None:
            return
        xy = self._mouse_xy()
        if xy is None or self._mouse_last is None:
            return
        if not self._dragging and math.dist(xy, self._mouse_down_at) > DRAG_THRESHOLD:
            self._dragging = True
            self._interrupt_auto_motion()
        if self._dragging:
            self.drag(xy[0] - self._mouse_last[0], xy[1] - self._mouse_last[1])
        self._mouse_last = xy

    def drag(self, dx: float, dy: float) -> None:
        """Look around: a drag across the whole screen turns ~90°, up/down tilts the view."""
        fov = self.base.camLens.getHfov() if self.base.camLens else 80.0
        self.pose.heading = wrap_degrees(self.pose.heading + dx * fov * 0.55)
        self.pitch = max(-40.0, min(40.0, self.pitch - dy * 30.0))
        self.look_target = None

    def pick(self, mx: float, my: float) -> tuple[str, str, tuple[float, float, float]] | None:
        """What a tap at render2d (mx, my) hits: (kind, exhibit id or "", hit point)."""
        traverser, handler, ray = self._picker
        if self.base.cam is None or self.base.camNode is None:
            return None
        if self._picker_np.getParent() != self.base.cam:  # the camera is new with every window
            self._picker_np.reparentTo(self.base.cam)
        ray.setFromLens(self.base.camNode, mx, my)
        traverser.traverse(self.hall.colliders)
        if handler.getNumEntries() == 0:
            return None
        handler.sortEntries()
        entry = handler.getEntry(0)
        into = entry.getIntoNodePath()
        point = entry.getSurfacePoint(self.base.render)
        kind = into.getNetTag("kind")
        return kind, into.getNetTag("exhibit"), (point.x, point.y, point.z)

    def tap(self, mx: float, my: float) -> str:
        """A tap on the 3-D view: open an exhibit, walk to a floor spot (or towards a wall). A tap
        beside the open 问助手 chips only closes them."""
        if self.minimap is not None and self.minimap.expanded:
            return "map"
        if self.assistant is not None and self.assistant.chips_open:
            self.assistant.close_chips()
            return "chips"
        hit = self.pick(mx, my)
        if hit is None:
            return "nothing"
        kind, exhibit_id, (x, y, _z) = hit
        if kind == "exhibit":
            self.open_exhibit(self.scene.exhibit(exhibit_id))
            return "exhibit"
        if kind in ("floor", "wall"):
            self.walk_to(x, y)  # closes an open panel
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
        self._drag_look()
        manual = any(self.keys.values())
        moving = manual
        if self.tour is not None and self.tour.active and not manual:
            self.tour.update(dt)
            moving = self.tour.state == "walking"
            if not self.tour.active and self.tour_kind == "guide":
                self.look_target = None
        elif self.walker is not None and not manual:
            moving = True
            if self.walker.step(dt):
                self.walker = None
        if manual:
            self._manual_move(dt)
        self._update_pitch(dt)
        self._place_camera(dt if dt > 0 else None)
        self._check_proximity(dt, moving)
        self._check_walked_away()
        self._update_guide(dt, moving)
        if self.assistant is not None:
            panel = self.info if self.info is not None and self.info.visible else None
            self.assistant.update(dt, self.hud.subtitle_top if self.hud is not None else None, panel)
        if self.minimap is not None:
            show_guide = self.tour is not None and self.tour.active
            self.minimap.update(self.pose.x, self.pose.y, self.pose.heading,
                                (self.guide_pose.x, self.guide_pose.y) if show_guide else None)

    def _manual_move(self, dt: float) -> None:
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

    def _update_pitch(self, dt: float) -> None:
        if self.look_target is not None:
            tour_near = self.tour is not None and self.tour.state == "narrating"
            walker = self.tour.walker if self.tour is not None else None
            near = tour_near or (walker is not None and walker.remaining < 1.5)
            target = look_angles(self.pose.x, self.pose.y, EYE_HEIGHT, self.look_target)[1] if near else 0.0
        elif self.walker is not None:
            target = 0.0
        else:
            return
        self.pitch = turn_towards(self.pitch, target, 45.0 * dt)

    def _panel_offset(self) -> tuple[float, float]:
        """(yaw, pitch) that keep the exhibit in the part of the screen the info panel leaves free:
        turn right when it covers the right side (landscape), tilt down when it covers the bottom
        (portrait) — the exhibit then appears left of / above the panel."""
        lens = self.base.camLens
        if self.info is None or not self.info.visible or lens is None:
            return 0.0, 0.0
        aspect = self.base.getAspectRatio()
        if self.info.portrait:
            height_ref = 1080 / aspect
            n = self.info.covered_height() / height_ref
            return 0.0, -math.degrees(math.atan(n * math.tan(math.radians(lens.getVfov() / 2))))
        n = self.info.covered_width() / (1080 * aspect)
        return math.degrees(math.atan(n * math.tan(math.radians(lens.getHfov() / 2)))), 0.0

    def _place_camera(self, dt: float | None = None) -> None:
        yaw, pitch = self._panel_offset()
        if dt is None:
            self.view_yaw, self.view_pitch = yaw, pitch
        else:
            self.view_yaw = turn_towards(self.view_yaw, yaw, 60.0 * dt)
            self.view_pitch = turn_towards(self.view_pitch, pitch, 60.0 * dt)
        self.base.camera.setPos(self.pose.x, self.pose.y, EYE_HEIGHT)
        self.base.camera.setHpr(self.pose.heading - self.view_yaw, self.pitch + self.view_pitch, 0)
        self._cull_rooms()

    def _cull_rooms(self) -> None:
        """Show only the rooms visible through doorways (see :mod:`vr_hall.visibility`)."""
        lens = self.base.camLens
        if lens is None:
            return
        hfov = lens.getHfov() * (1.6 if self.stereo else 1.0)
        visible = self.visibility.visible(self.pose.x, self.pose.y, self.pose.heading - self.view_yaw, hfov)
        if visible == self._shown_rooms:
            return
        for room_id, node in self.hall.rooms.items():
            if room_id in visible:
                node.show()
            else:
                node.hide()
        self._shown_rooms = visible

    def _check_proximity(self, dt: float, moving: bool) -> None:
        """Standing still in front of an exhibit opens its panel (once per approach)."""
        here = (round(self.pose.x, 3), round(self.pose.y, 3), round(self.pose.heading, 1))
        if here != self._last_spot:
            moving = True
            self._last_spot = here
        self._still_for = 0.0 if moving else self._still_for + dt
        if self.tour is not None and self.tour.active:
            return
        e = facing_exhibit(self.scene, self.pose.x, self.pose.y, self.pose.heading)
        if e is None:
            self._near_id = None
            return
        if self._still_for >= STAND_STILL and e.id != self._near_id:
            self.open_exhibit(e, speak=True)

    def _idle_guide_pose(self) -> Pose:
        """Where the guide waits: a little ahead of the spawn point, to one side, facing the visitor."""
        s = self.scene.hall.spawn
        fx, fy = heading_vector(s.heading)
        for side in (1.5, -1.5, 0.0):
            x, y = s.x + fx * 3.4 + fy * side, s.y + fy * 3.4 - fx * side
            if self.nav.is_free(x, y):
                return Pose(x, y, wrap_degrees(s.heading + 180))
        x, y = self.nav.nearest_free(s.x + fx * 2, s.y + fy * 2) or (s.x, s.y)
        return Pose(x, y, wrap_degrees(s.heading + 180))

    def _update_guide(self, dt: float, moving: bool) -> None:
        g = self.guide_pose
        guiding = self.tour is not None and self.tour.active
        if not guiding:
            dx, dy = self.pose.x - g.x, self.pose.y - g.y
            if math.hypot(dx, dy) < 6.0:  # turn to face a visitor nearby
                g.heading = turn_towards(g.heading, math.degrees(math.atan2(-dx, dy)), 90 * dt)
        self.guide.setPos(g.x, g.y, 0.0)
        self.guide.setH(g.heading)
        animate(self.guide, self._clock, guiding and moving)

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
        self._stop_guided()
        self.tour = None
        self.walker = None
        self.look_target = None
        self._close_tour_menu()
        if self.info is not None:
            self.info.hide()
        self._panel_opened_at = None
        if self.minimap is not None:
            self.minimap.set_expanded(False)
        if self.assistant is not None:
            self.assistant.clear()
        if self.loading is not None:
            self.loading.destroy()
            self.loading = None
        s = self.scene.hall.spawn
        self.pose.x, self.pose.y, self.pose.heading = s.x, s.y, s.heading
        self.pitch = 0.0
        self.guide_pose = self._idle_guide_pose()
        self._near_id = None
        self._still_for = 0.0
        self.keys = dict.fromkeys(self.keys, False)
        self.update(0.0)

    def show_view(self, view: str) -> None:
        """Set up a named view: spawn | exhibit:ID | tour:N (1-based stop of the first tour, or
        tour:TOUR_ID:N) | minimap | assistant (a sample question and answer, and the 问助手 chips;
        assistant:VIEW shows them over another view) | loading (the loading card at 60 %)."""
        if view == "assistant" or view.startswith("assistant:"):
            self.show_view(view.partition(":")[2] or "spawn")
            if self.assistant is not None:
                self.assistant.show_transcript(SAMPLE_QUESTION if self.language == "zh" else "What is this hall about?")
                self.assistant.show_answer(SAMPLE_ANSWER, SAMPLE_SUGGESTIONS)
                self.assistant.open_chips()
            self.update(0.0)
            return
        self.reset()
        if view == "loading":
            room = self.scene.rooms[0]
            title = self.scene.hall.title_zh if self.language == "zh" else self.scene.hall.title_en
            self.loading = LoadingCard(self.base, self.font, title, language=self.language)
            self.loading.set_progress(0.6, f"{room.name_zh} {room.name_en}")
            return
        if view == "spawn":
            self._face_guide_at_spawn()
            return
        if view == "minimap":
            if self.minimap is not None:
                self.minimap.set_expanded(True)
            self.update(0.0)
            return
        if view.startswith("exhibit:"):
            check_view(self.scene, view)
            e = self.scene.exhibit(view.split(":", 1)[1])
            x, y, h = self.nav.exhibit_target(e, self._step_back_for_panel(e))
            self.pose.x, self.pose.y, self.pose.heading = x, y, h
            self.pitch = look_angles(x, y, EYE_HEIGHT, exhibit_centre(e))[1]
            self._near_id = e.id
            self.open_exhibit(e, speak=False)
            self.update(0.0)
            return
        if view.startswith("tour:"):
            parts = view.split(":")
            tour_id = parts[1] if len(parts) == 3 else (self.scene.tours[0].id if self.scene.tours else "")
            check_view(self.scene, view)
            n = int(parts[-1])
            if not tour_id:
                raise ValueError("the scene has no tours")
            stops = self.scene.tour(tour_id).stops
            if not 1 <= n <= len(stops):
                raise ValueError(f"tour {tour_id} has stops 1–{len(stops)}, not {n}")
            tour = self.start_named_tour(tour_id)
            dt = 1 / 30
            for _ in range(int(3600 / dt)):
                if (tour.index == n - 1 and tour.state == "narrating") or not tour.active:
                    break
                self.update(dt)
            for _ in range(int(4.0 / dt)):  # let the guide reach its place beside the exhibit
                if tour.state != "narrating":
                    break
                self.update(dt)
            self.update(0.0)
            return
        raise ValueError(f"unknown view {view!r} (spawn | exhibit:ID | tour:N | minimap | assistant | loading)")

    def _face_guide_at_spawn(self) -> None:
        g = self.guide_pose
        g.heading = math.degrees(math.atan2(-(self.pose.x - g.x), self.pose.y - g.y))
        self.update(0.0)

    def draw_calls(self) -> dict[str, int]:
        """Geoms in the 3-D scene (hall, guide) and in the 2-D overlay."""
        return {"hall": self.hall.geoms(), "scene": count_geoms(self.base.render),
                "overlay": count_geoms(self.base.render2d)}

    def run(self) -> None:
        """The interactive loop, until exit is requested or the window closes."""
        while not self.exit_requested and self.window_open:
            self.base.taskMgr.step()


# --------------------------------------------------------------------------------- launcher API


def check_view(scene: Scene, view: str) -> None:
    """ValueError naming what exists when ``view`` names an exhibit or tour the scene does not have:
    checked before Panda3D opens anything (``screenshot hall --view exhibit:nosuch`` was a KeyError)."""
    kind, _, rest = view.partition(":")
    if kind == "exhibit" and rest not in {x.id for x in scene.exhibits}:
        raise ValueError(f"no exhibit {rest!r} in the hall (exhibits: {', '.join(x.id for x in scene.exhibits[:40])})")
    if kind == "tour":
        parts = rest.split(":")
        if not parts[-1].isdigit():
            raise ValueError(f"{view!r}: a tour stop is a number, e.g. tour:3")
        if len(parts) == 2 and parts[0] not in {t.id for t in scene.tours}:
            raise ValueError(f"no tour {parts[0]!r} (tours: {', '.join(t.id for t in scene.tours)})")


def render_view(scene_path: str | Path, view: str = "spawn", size: tuple[int, int] = (1280, 720),
                out_path: str | Path = "hall.png", *, stereo: bool = False, language: str = "zh") -> Path:
    """Render one view of the hall offscreen (p3headlessgl, else p3tinydisplay) to a PNG.

    ``view``: spawn | exhibit:ID | tour:N | tour:TOUR_ID:N | minimap | assistant[:VIEW] | loading (see
    :meth:`HallApp.show_view`). Raises SceneError for a bad
    scene file, ValueError for an unknown view, RuntimeError when no offscreen buffer can open."""
    scene = load_scene(scene_path)
    check_view(scene, view.partition(":")[2] if view.startswith("assistant:") else view)
    app = HallApp(scene, window="offscreen", open_now=False, size=size, stereo=stereo, language=language)
    try:
        if not app.open_window():
            raise RuntimeError("no offscreen renderer could open (tried p3headlessgl and p3tinydisplay)")
        app.show_view(view)
        return app.screenshot(out_path)
    finally:
        app.destroy()


def run_hall(config_scene_path: str | Path, goto: str | None = None, windowed: bool = True, *,
             size: tuple[int, int] = (1280, 720), stereo: bool = False,
             publish: Callable[[Event], None] | None = None) -> int:
    """The interactive hall in this process (``launcher.py hall [--goto ID]``). Returns an exit code:
    0 closed normally, 1 no window could open, 2 the scene file is wrong (messages on stderr)."""
    try:
        scene = load_scene(config_scene_path)
    except SceneError as exc:
        print(exc, file=sys.stderr)
        return 2

    def progress(fraction: float, message: str) -> None:
        print(f"\r正在加载 {fraction:4.0%} {message}", end="", file=sys.stderr, flush=True)

    # the window opens first and shows a loading card while the scene is built
    app = HallApp(scene, window="onscreen", open_now=False, size=size, fullscreen=not windowed, stereo=stereo,
                  publish=publish, progress=progress, loading=True)
    print(file=sys.stderr)
    try:
        if not app.open_window():
            print("vr_hall: no window could open (is there a display?)", file=sys.stderr)
            return 1
        if goto and not app.guide_to(goto):
            print(f"vr_hall: no exhibit or room {goto!r}", file=sys.stderr)
        app.run()
        return 0
    finally:
        app.destroy()


def main(argv: list[str] | None = None) -> int:
    """``python -m vr_hall.app [SCENE] [--goto ID] [--view VIEW --out FILE.png] [--size WxH] [--stereo]``"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m vr_hall.app", description="VR展厅: walk the hall or render a view")
    parser.add_argument("scene", nargs="?", default="scenes/hall.yaml")
    parser.add_argument("--goto", help="exhibit or room id to be guided to")
    parser.add_argument("--view", help="render this view offscreen instead: spawn | exhibit:ID | tour:N | minimap "
                        "| assistant | loading")
    parser.add_argument("--out", default="hall.png")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--stereo", action="store_true")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    if args.view:
        try:
            print(render_view(args.scene, args.view, (w, h), args.out, stereo=args.stereo))
        except SceneError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    return run_hall(args.scene, args.goto, windowed=not args.fullscreen, size=(w, h), stereo=args.stereo)


if __name__ == "__main__":
    raise SystemExit(main())

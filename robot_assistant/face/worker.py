"""The face worker: owns the camera and the engine on one background thread.

Why a thread that owns both: DESIGN — a device is opened once and owned by one worker, workers never
draw, and front ends never call device code. The kiosk starts it and only sees events: ``FaceSeen``,
``SignedIn``, ``ConfirmIdentity``, ``LivenessPrompt``, ``FaceSignInFailed`` and ``DeviceStatus``
(camera ok / degraded / off). Templates are re-read every ``reload_every_s`` so an enrolment or an
erasure made with ``launcher.py enroll`` / ``members erase`` in another process takes effect without
a restart (an erased member stops matching within that time). When the camera is lost the faces being
followed are forgotten: what was seen before the gap says nothing about who stands there when it ends
(an accepted face is not encoded again, so a track carried over would sign the next person in as the
last one).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from core.events import DeviceStatus
from robot_assistant.face.camera import LOST, OK, Camera, OpenCVCamera
from robot_assistant.face.engine import FaceEngine, FaceEngineUnavailable
from robot_assistant.face.engines import make_engine
from robot_assistant.face.pipeline import FacePipeline, run_worker
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.templates import (
    FaceKeyError,
    TemplateCipher,
    TemplateIndex,
    TemplateStore,
    load_key,
)

log = logging.getLogger(__name__)


class FaceWorker:
    """``start()`` / ``stop()``; ``pipeline`` is None when face sign-in could not start (see ``problem``)."""

    def __init__(self, terminal: Any, settings: FaceSettings | None = None, *, camera: Camera | None = None,
                 engine: FaceEngine | None = None, reload_every_s: float = 60.0):
        self.terminal = terminal
        self.settings = settings or FaceSettings.from_config(terminal.config)
        self.camera = camera
        self.engine = engine
        self.reload_every_s = reload_every_s
        self._reload_now = threading.Event()
        self.pipeline: FacePipeline | None = None
        self.problem = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reencoded: dict[str, int] = {}
        """Members re-encoded from kept photos at start (number -> templates made)."""
        self.latest: Any = None
        """The last camera frame read (for the kiosk's preview; FaceSeen boxes are in its pixels)."""

    def _status(self, state: str, message: str) -> None:
        """The camera's ``on_status``, called from ``camera.read()`` on this worker's thread."""
        if state == LOST and self.pipeline is not None:
            self.pipeline.tracks.clear()
        if state != OK:  # the preview must not keep showing the last picture of a camera that is gone
            self.latest = None
        level = {OK: "ok", LOST: "degraded"}.get(state, "off")
        self.terminal.bus.publish(DeviceStatus("camera", level, message))

    def _build(self) -> bool:
        s = self.settings
        bus = self.terminal.bus
        if not s.enabled:
            self.problem = "face sign-in is off (face.enabled: false)"
        elif self.camera is None and self.terminal.config.devices.camera is None:
            self.problem = "no camera configured (devices.camera): face sign-in is off"
        if self.problem:
            bus.publish(DeviceStatus("camera", "off", self.problem))
            return False
        try:
            cipher = TemplateCipher(load_key(s.key_file))
            if self.engine is None:
                self.engine = make_engine(s.engine, s.model_dir)
                self.engine.load()  # in this worker thread, once: a missing model file turns face sign-in off
            store = TemplateStore(cipher, self.engine.template_model)
        except (FaceKeyError, FaceEngineUnavailable) as exc:
            self.problem = f"face sign-in is off: {exc}"
            bus.publish(DeviceStatus("camera", "off", self.problem))
            return False
        db = self.terminal.db
        self._reencode(store)

        def index() -> TemplateIndex:
            with db.session() as session:
                return store.load_index(session, s.aggregate)

        self.pipeline = FacePipeline(
            self.engine, index, db, bus, terminal_id=self.terminal.terminal_id, policy=s.policy,
            liveness=s.liveness, liveness_timeout_s=s.liveness_timeout_s, detect_width=s.detect_width,
            detect_every=s.detect_every, upsample=s.upsample, now=lambda _t: self.terminal.now())
        if self.camera is None:
            devices = self.terminal.config.devices
            # a video file as camera replays (devices.camera_loop); a section without the key means the default
            self.camera = OpenCVCamera(devices.camera, loop=getattr(devices, "camera_loop", True),
                                       on_status=self._status)
        return True

    def _reencode(self, store: TemplateStore) -> None:
        """After an engine switch, members whose enrolment photos were kept get this engine's templates
        before the first frame; the others are listed by ``launcher.py members list`` and sign in with
        member number + PIN until enrolled again. A failure here only leaves those members out."""
        from robot_assistant.face.enroll import Enroller, reencode_from_photos

        s = self.settings
        try:
            enroller = Enroller(self.engine, store, s.quality, jitters=s.enroll_jitters, aggregate=s.aggregate)
            with self.terminal.db.session() as session:
                self.reencoded = reencode_from_photos(session, enroller, actor="system:face-worker",
                                                      terminal_id=self.terminal.terminal_id)
        except Exception:  # sign-in must still start for everyone already enrolled
            log.exception("re-encoding kept enrolment photos for %s failed", store.model.key)

    def _run(self) -> None:
        if not self._build():
            return
        last = time.monotonic()

        def on_result(_result) -> None:
            nonlocal last
            if self._reload_now.is_set() or time.monotonic() - last >= self.reload_every_s:
                self._reload_now.clear()
                last = time.monotonic()
                self.pipeline.reload_index()

        def keep(frame: Any) -> None:
            self.latest = frame

        run_worker(self.camera, self.pipeline, self._stop, on_result=on_result, on_frame=keep)

    def latest_rgb(self) -> Any:
        """The last frame as an RGB array, or None before the first (OpenCV frames are BGR)."""
        frame = self.latest
        return None if frame is None else frame.image[:, :, ::-1]

    def request_reload(self) -> None:
        """Re-read the templates at the next frame (a roster pull brought or erased some): an erasure must
        not wait for the periodic reload."""
        self._reload_now.set()

    def start(self) -> FaceWorker:
        self._thread = threading.Thread(target=self._run, name="face-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

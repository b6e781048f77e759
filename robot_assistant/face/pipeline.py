"""From camera frames to committed sign-ins: detect, track, encode, match, check liveness, decide.

Why this shape (per-frame cost on the 2-core target: HOG 0.16 s at 640 px, encoding 0.15 s a face):

* the frame is **downscaled** to ``detect_width`` for the full HOG detection, which runs only every
  ``detect_every`` frames (sooner when a face being decided was lost), also when nobody is there;
* in between, each tracked face is **re-detected in a small region** around its last box (the crop is
  scaled to ~240 px, so HOG at no upsampling costs milliseconds). The headless OpenCV build does have
  trackers (MIL, Nano, Vit), but on the real test clip a MIL update took a median 21 ms against 5 ms for
  this ROI re-detection, and a tracker's box drifts from the detector's box that the landmark and
  encoding models expect;
* landmarks and encodings run on the full-resolution face; encoding stops once the identity is
  settled, so the remaining frames only feed liveness;
* a face nobody enrolled (the matcher rejected it over ``frames_to_agree`` frames) is **not re-encoded
  every frame**: only every ``reencode_every`` frames, or at once when its size changed by a quarter
  (the person stepped closer: a better look may find a member who was too far away). Before this, an
  unknown face cost a full encoding per frame and the pipeline was only 1.6x faster than the naive loop
  on the real clip (issue #13);
* a face is signed in only when the matcher **accepts** (multi-frame agreement) and **liveness** passed.
  ``sign_in`` commits before ``SignedIn`` is published. Thin evidence publishes ``ConfirmIdentity``;
* liveness is the **randomised challenge** (``challenge.ChallengeChecker``: blink, then a turn to a side
  drawn when it is shown) once the matcher has an answer (accept or ask): each step is published as a
  ``LivenessPrompt`` the screen shows, and the step's window starts then. The frames before still count
  towards the person's open-eye baseline and frontal yaw. With ``liveness.challenge`` empty the passive
  check (any blink or 3-D turn, ``liveness_timeout_s``) applies instead. Eye contours for the blink come
  from dlib's 68-point model on the face (``eyes.EyeContours``) when the engine gives five points (SFace),
  and only while a blink can still count.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select

from core.attendance import NO_MEETING, SignInError, choose_meeting, sign_in
from core.db import Database
from core.events import (
    ConfirmIdentity,
    EventBus,
    FaceSeen,
    FaceSignInFailed,
    IdentityConfirmed,
    LivenessPrompt,
    SignedIn,
)
from core.meetings import current_meetings
from core.models import Member, utcnow
from robot_assistant.face.camera import Camera, Frame
from robot_assistant.face.challenge import INSTRUCTIONS, TIMEOUT, WRONG_WAY, ChallengeChecker, ChallengeState
from robot_assistant.face.engine import Box, FaceEngine, FaceEngineUnavailable, Landmarks, box_height
from robot_assistant.face.eyes import EyeContours, has_eye_contours
from robot_assistant.face.liveness import BLINK, LivenessChecker, LivenessSettings, LivenessState
from robot_assistant.face.matcher import ACCEPT, ASK, PENDING, REJECT, Agreement, Decision, MatchPolicy
from robot_assistant.face.templates import TemplateIndex

log = logging.getLogger(__name__)

WATCHING, ASKED, SIGNED, FAILED = "watching", "asked", "signed", "failed"


@dataclass
class Track:
    id: int
    box: Box
    started: float
    agreement: Agreement
    liveness: LivenessChecker | ChallengeChecker
    missed: int = 0
    seen: int = 0
    decision: Decision = field(default_factory=lambda: Decision(PENDING))
    live: LivenessState | ChallengeState = field(default_factory=lambda: LivenessState(False))
    state: str = WATCHING
    published: tuple = ()
    prompted: bool | tuple = False
    """Whether (passive check), or which step (challenge: index, attempt), was last published as a prompt."""
    asked: tuple = ()
    """The candidates offered in ConfirmIdentity (later frames may change ``decision``)."""
    signed: SignedIn | None = None
    encoded_at: int = -1
    """``seen`` count at the last encoding, and the face height then (re-encoding unknown faces)."""
    encoded_px: int = 0
    encodings: int = 0

    @property
    def done(self) -> bool:
        return self.state in (SIGNED, FAILED)


@dataclass
class FrameResult:
    t: float
    latency_s: float
    full_detection: bool
    tracks: list[Track]
    signed: list[SignedIn]


def iou(a: Box, b: Box) -> float:
    top, right, bottom, left = max(a[0], b[0]), min(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area = lambda x: max(0, x[1] - x[3]) * max(0, x[2] - x[0])  # noqa: E731
    union = area(a) + area(b) - inter
    return inter / union if union else 0.0


class FacePipeline:
    """One camera's faces. Not thread-safe: call ``process`` from the face worker only."""

    def __init__(self, engine: FaceEngine, index: TemplateIndex | Callable[[], TemplateIndex], db: Database,
                 bus: EventBus, *, terminal_id: str, policy: MatchPolicy | None = None,
                 liveness: LivenessSettings | None = None, liveness_timeout_s: float = 8.0,
                 detect_width: int = 640, detect_every: int = 3, upsample: int = 1, min_face_px: int = 40,
                 lost_after: int = 5, place_zh: str | None = None, reencode_every: int = 10,
                 reencode_size_change: float = 0.25,
                 now: Callable[[float], datetime] | None = None, rng: random.Random | None = None):
        self.engine = engine
        self._index_source = index
        self.index = index() if callable(index) else index
        self.db = db
        self.bus = bus
        self.terminal_id = terminal_id
        if policy is None:
            from robot_assistant.face.settings import ENGINE_DEFAULTS, engine_policy

            name = getattr(engine, "name", "dlib")
            policy = engine_policy(name) if name in ENGINE_DEFAULTS else MatchPolicy()
        self.policy = policy
        self.reencode_every = max(1, reencode_every)
        self.reencode_size_change = reencode_size_change
        self.liveness_settings = liveness or LivenessSettings()
        self.liveness_timeout_s = liveness_timeout_s
        self.rng = rng or random.SystemRandom()
        """Draws the challenge's turn directions (tests pass a seeded one)."""
        self.eyes = EyeContours()
        self._eyes_broken = False
        s = self.liveness_settings
        if BLINK in (s.challenge or s.methods) and getattr(engine, "name", "") != "dlib":
            try:  # now, not at the first face: importing face_recognition takes 2-8 s
                self.eyes.load()
            except FaceEngineUnavailable as exc:
                self._eyes_broken = True
                log.error("blink liveness is unavailable (no eye contours): %s", exc)
        self.detect_width = detect_width
        self.detect_every = max(1, detect_every)
        self.upsample = upsample
        self.min_face_px = min_face_px
        self.lost_after = lost_after
        self.place_zh = place_zh
        self.now = now or (lambda _t: utcnow())
        self.tracks: dict[int, Track] = {}
        self._next_id = 1
        self._frames = 0
        self._t = 0.0

    def reload_index(self) -> None:
        """Pick up enrolments/erasures (call after ``face.enroll`` / ``face.erase``)."""
        if callable(self._index_source):
            self.index = self._index_source()

    # ----------------------------------------------------------------------------------- detection

    def _detect_full(self, rgb: np.ndarray) -> list[Box]:
        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_width / w)
        small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
        return [tuple(int(round(v / scale)) for v in b) for b in self.engine.detect(small, self.upsample)]

    def _detect_roi(self, rgb: np.ndarray, box: Box, side: int = 240) -> Box | None:
        near = getattr(self.engine, "detect_near", None)
        if near is not None:  # SFace: keeps the five points it finds for landmarks and encode
            return near(rgb, box, side)
        top, right, bottom, left = box
        cy, cx, size = (top + bottom) / 2, (left + right) / 2, max(bottom - top, right - left) * 2.2
        h, w = rgb.shape[:2]
        y0, y1 = int(max(0, cy - size / 2)), int(min(h, cy + size / 2))
        x0, x1 = int(max(0, cx - size / 2)), int(min(w, cx + size / 2))
        if y1 - y0 < 8 or x1 - x0 < 8:
            return None
        crop = rgb[y0:y1, x0:x1]
        scale = side / max(crop.shape[:2])
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        found = self.engine.detect(crop, 0)
        if not found:
            return None
        b = max(found, key=lambda f: iou(tuple(int(v / scale) for v in (f[0], f[1], f[2], f[3])),
                                        (top - y0, right - x0, bottom - y0, left - x0)))
        return (int(b[0] / scale) + y0, int(b[1] / scale) + x0, int(b[2] / scale) + y0, int(b[3] / scale) + x0)

    def _associate(self, boxes: list[Box], t: float) -> set[int]:
        seen: set[int] = set()
        for box in sorted(boxes, key=box_height, reverse=True):
            best, best_iou = None, 0.3
            for track in self.tracks.values():
                if track.id in seen:
                    continue
                v = iou(track.box, box)
                if v > best_iou:
                    best, best_iou = track, v
            if best is None:
                best = Track(self._next_id, box, t, Agreement(self.index, self.policy), self._liveness_checker())
                self.tracks[best.id] = best
                self._next_id += 1
            best.box = box
            seen.add(best.id)
        return seen

    # ------------------------------------------------------------------------------------- process

    def process(self, frame: Frame) -> FrameResult:
        start = time.perf_counter()
        self._t = frame.t
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        tracks = list(self.tracks.values())
        full = self._frames % self.detect_every == 0 or any(t.missed for t in tracks if not t.done)
        if full:
            seen = self._associate(self._detect_full(rgb), frame.t)
        else:  # between full detections: follow known faces only (an empty scene costs nothing)
            seen = set()
            for track in tracks:
                box = self._detect_roi(rgb, track.box)
                if box is not None:
                    track.box = box
                    seen.add(track.id)
        self._frames += 1
        signed: list[SignedIn] = []
        for track in list(self.tracks.values()):
            if track.id not in seen:
                track.missed += 1
                if track.missed > self.lost_after:
                    del self.tracks[track.id]
                continue
            track.missed = 0
            track.seen += 1
            if not track.done:
                event = self._update(track, rgb, frame.t)
                if event is not None:
                    signed.append(event)
        return FrameResult(frame.t, time.perf_counter() - start, full, list(self.tracks.values()), signed)

    def _liveness_checker(self) -> LivenessChecker | ChallengeChecker:
        s = self.liveness_settings
        return ChallengeChecker(s, self.rng) if s.challenge else LivenessChecker(s)

    def _ear(self, track: Track, rgb: np.ndarray, lm: Landmarks) -> float | None:
        """The EAR from dlib's eye contours when the engine's landmarks have none and a blink can still
        count; None lets the checker measure the landmarks' own contours (or find none)."""
        if has_eye_contours(lm) or self._eyes_broken:
            return None
        checker = track.liveness
        wanted = checker.needs_ear if isinstance(checker, ChallengeChecker) else (
            BLINK in self.liveness_settings.methods)
        if not wanted:
            return None
        try:
            return self.eyes.ear(rgb, lm)
        except FaceEngineUnavailable as exc:  # blink steps then cannot pass: say so once, loudly
            self._eyes_broken = True
            log.error("blink liveness is unavailable (no eye contours): %s", exc)
            return None

    def _update(self, track: Track, rgb: np.ndarray, t: float) -> SignedIn | None:
        face_px = box_height(track.box)
        lm = self.engine.landmarks(rgb, [track.box])
        if lm:  # SFace's points carry their own box
            track.live = track.liveness.update(t, lm[0], face_px, ear=self._ear(track, rgb, lm[0]))
        if track.decision.outcome != ACCEPT and face_px >= self.min_face_px and self._wants_encoding(track, face_px):
            enc = self.engine.encode(rgb, [track.box], 1)
            track.encoded_at, track.encoded_px = track.seen, face_px
            track.encodings += 1
            if len(enc):
                track.decision = track.agreement.add(enc[0])
        d = track.decision
        self._publish_seen(track)
        if d.outcome not in (ACCEPT, ASK):
            return None
        if not track.live.passed:
            if isinstance(track.liveness, ChallengeChecker):
                self._challenge(track, t)
            elif t - track.started > self.liveness_timeout_s:
                self._liveness_failed(track, "未通过活体检测，请使用党员编号签到 / "
                                             "liveness not shown: please sign in with your member number")
            elif not track.prompted:
                track.prompted = True
                self.bus.publish(LivenessPrompt(track.id))
            return None
        if d.outcome == ACCEPT:
            return self._sign_in(track, d.best.number, d.distance)
        if track.state != ASKED:
            track.state, track.asked = ASKED, d.candidates
            self.bus.publish(ConfirmIdentity(track.id, tuple(c.number for c in d.candidates),
                                             tuple(c.name for c in d.candidates), float(d.distance), d.margin))
        return None

    def _challenge(self, track: Track, t: float) -> None:
        """Start the challenge when the matcher first has an answer, publish each step once, and end in the
        member-number fallback when it is failed or its time is up."""
        checker: ChallengeChecker = track.liveness  # type: ignore[assignment]
        state = checker.start(t)
        if not state.exhausted and t > state.deadline + 0.5:  # no landmarks came to judge the step
            state = checker.give_up()
        if state.exhausted:
            why = {WRONG_WAY: "转头方向与提示不符，请使用党员编号签到 / the head turned the other way: "
                              "please sign in with your member number",
                   TIMEOUT: "未在规定时间内完成动作，请使用党员编号签到 / the action was not seen in time: "
                            "please sign in with your member number"}
            self._liveness_failed(track, why.get(state.failed, why[TIMEOUT]))
            return
        shown = (state.index, state.attempt)
        if state.step is None or track.prompted == shown:
            return
        track.prompted = shown
        zh, en = INSTRUCTIONS[state.step]
        self.bus.publish(LivenessPrompt(track.id, f"{zh} / {en}", step=state.step, index=state.index + 1,
                                        total=state.total, seconds=round(state.deadline - t, 1),
                                        attempt=state.attempt))

    def _liveness_failed(self, track: Track, message: str) -> None:
        track.state = FAILED
        self.bus.publish(FaceSignInFailed(track.id, "liveness", message, track.decision.member_number))

    def _wants_encoding(self, track: Track, face_px: int) -> bool:
        """Every frame until the matcher has decided; for a face it rejected (nobody enrolled), only
        every ``reencode_every`` frames or when the face's size changed enough."""
        if track.decision.outcome != REJECT or track.encoded_at < 0:
            return True
        changed = abs(face_px - track.encoded_px) > self.reencode_size_change * max(track.encoded_px, 1)
        return changed or track.seen - track.encoded_at >= self.reencode_every

    def _publish_seen(self, track: Track) -> None:
        d = track.decision
        key = (d.outcome, d.member_number)
        if d.outcome == PENDING or key == track.published:
            return
        track.published = key
        self.bus.publish(FaceSeen(d.member_number, d.distance, d.margin, tuple(track.box)))

    def confirm(self, event: IdentityConfirmed) -> SignedIn | None:
        """The person tapped their name: sign in if it is one of the candidates offered to that face."""
        track = self.tracks.get(event.track_id)
        if track is None or track.state != ASKED:
            return None
        offered = {c.number: c for c in track.asked}
        if event.member_number not in offered:
            return None
        return self._sign_in(track, event.member_number, offered[event.member_number].distance, confirmed=True)

    def _sign_in(self, track: Track, number: str, distance: float | None, confirmed: bool = False) -> SignedIn | None:
        now = self.now(self._t)
        with self.db.session() as s:
            member = s.scalars(select(Member).where(Member.number == number)).first()
            if member is None or not current_meetings(s, now, self.place_zh):
                track.state = FAILED
                self.bus.publish(FaceSignInFailed(track.id, "no_meeting", NO_MEETING, number))
                return None
            # One transaction: the record, its audit row and the confirmation's audit row commit together.
            also = (("face.confirmed", {"distance": distance}),) if confirmed else ()
            try:
                meeting = choose_meeting(s, member, now, self.place_zh)  # never the first meeting by default
                result = sign_in(s, meeting, member, method="face", terminal_id=self.terminal_id, now=now,
                                 match_distance=distance, liveness=track.live.how, also_audit=also)
            except SignInError as exc:
                track.state = FAILED
                self.bus.publish(FaceSignInFailed(track.id, "refused", str(exc), number))
                return None
            event = SignedIn(meeting.id, member.number, member.name, "face", result.late, already=not result.created,
                             record_id=result.record.id, track_id=track.id, distance=distance,
                             liveness=track.live.how or "", terminal_id=self.terminal_id)
        track.state, track.signed = SIGNED, event
        self.bus.publish(event)  # only now: sign_in has committed the row
        return event


def run_worker(camera: Camera, pipeline: FacePipeline, stop: threading.Event, *,
               idle_sleep: float = 0.05, on_result: Callable[[FrameResult], None] | None = None,
               on_frame: Callable[[Any], None] | None = None) -> None:
    """The face worker's loop: read, process, repeat; confirmations arrive over the bus. A failing
    frame is logged and skipped — the worker must outlive any single bad frame."""
    confirmations = pipeline.bus.subscribe(IdentityConfirmed)
    try:
        while not stop.is_set():
            for event in confirmations.drain():
                pipeline.confirm(event)
            frame = camera.read()
            if frame is None:
                stop.wait(idle_sleep)
                continue
            if on_frame:
                on_frame(frame)
            try:
                result = pipeline.process(frame)
            except Exception:  # keep the worker alive; the traceback is logged
                log.exception("face pipeline failed on frame %s", frame.index)
                continue
            if on_result:
                on_result(result)
    finally:
        pipeline.bus.unsubscribe(confirmations)
        camera.close()

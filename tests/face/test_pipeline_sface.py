"""The pipeline with the default engine (SFace + YuNet) and its shipped policy: a member signs in from a
live-like video, a stranger is neither signed in nor re-encoded every frame, the real clip passes
liveness by head turn (passive check) and the randomised challenge's turn step (not its blink: the clip
shows none), the generated attacks are refused by the challenge, and the worker builds the configured
engine and re-encodes kept photos."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.events import EventBus, FaceSeen, FaceSignInFailed, LivenessPrompt, SignedIn
from core.models import Attendance, Member
from robot_assistant.face.camera import OpenCVCamera, write_video
from robot_assistant.face.enroll import Enroller
from robot_assistant.face.liveness import LivenessSettings
from robot_assistant.face.pipeline import FacePipeline
from robot_assistant.face.settings import FaceSettings
from robot_assistant.face.templates import TemplateCipher, TemplateIndex, TemplateStore
from tests.face.conftest import (
    ATTACKS,
    MORPHS,
    T0,
    add_meeting,
    attack_frames,
    identities,
    number_of,
    seed_members,
    stills_video,
)

MEMBER = "df_person01"
SHIPPED = FaceSettings.for_engine("sface")


@pytest.fixture
def sface_store(face_key, sface) -> TemplateStore:
    return TemplateStore(TemplateCipher(face_key), sface.template_model)


@pytest.fixture
def site(sface, sface_store, faces: Path, sqlite_db):
    names = identities(faces)
    with sqlite_db.session() as s:
        seed_members(s, names)
        add_meeting(s)
        sources = {number_of(n): sorted((faces / n).iterdir()) for n in names}
        sources[number_of(MEMBER)] = sources[number_of(MEMBER)][:1]
        report = Enroller(sface, sface_store, jitters=SHIPPED.enroll_jitters).enroll(
            s, sources, consent_version="v1", actor="admin:t")
        assert set(report.enrolled) == {number_of(n) for n in names}, report.lines()
    return sqlite_db


def pipeline(sface, store, db, bus, **kw) -> FacePipeline:
    def index() -> TemplateIndex:
        with db.session() as s:
            return store.load_index(s)

    return FacePipeline(sface, index, db, bus, terminal_id="kiosk-sf", now=lambda t: T0 + timedelta(seconds=t),
                        **kw)


def play(pipe: FacePipeline, video: Path, until=None) -> list:
    camera = OpenCVCamera(video)
    results = []
    while (frame := camera.read()) is not None:
        results.append(pipe.process(frame))
        if until and until(results[-1]):
            break
    camera.close()
    return results


def test_member_signs_in_with_the_shipped_policy(sface, sface_store, faces: Path, site, tmp_path: Path):
    video = stills_video(sface, [faces / MEMBER / "2.jpg", faces / MEMBER / "3.jpg"], tmp_path / "live.avi",
                         frames=20)
    bus = EventBus()
    # Two stills of different poses cut together are not a live head, and the 3-D turn check (#17) says so
    # (a yaw span of ~0.12-0.16 with flat geometry); this test is about matching and timing, so it takes
    # the plain turn of the stills (no eye contours needed). The real clip and the attacks test the shipped
    # liveness, the randomised challenge, below.
    pipe = pipeline(sface, sface_store, site, bus,
                    liveness=LivenessSettings(turn_3d=False, challenge=(), methods=("turn",)))
    assert pipe.policy == SHIPPED.policy  # the engine's calibration when none is given
    results = play(pipe, video, until=lambda r: r.signed)
    (event,) = results[-1].signed
    assert event.member_number == number_of(MEMBER) and event.method == "face"
    # recognised (accept) from the third frame; liveness by head turn decides when: YuNet's five points see
    # this pair of stills turn by only ~0.12-0.16 (dlib's 68 points: 0.20), so the turn is seen later than
    # with dlib. The processing stays under 0.5 s (bench: ~0.3 s idle; doubled here for a busy machine).
    first_accept = next(r for r in results if any(t.decision.outcome == "accept" for t in r.tracks))
    assert first_accept.t - results[0].t <= 0.3
    assert results[-1].t - results[0].t <= 2.0, f"signed in after {results[-1].t:.2f} s of video"
    assert sum(r.latency_s for r in results) < 0.5 * 2
    with site.session() as s:
        row = s.scalars(select(Attendance)).one()
        assert row.match_distance <= SHIPPED.policy.accept_tolerance and row.liveness == "turn"


def test_a_stranger_is_not_signed_in_nor_encoded_every_frame(sface, sface_store, east_asian: Path, site,
                                                             tmp_path: Path):
    stranger = sorted((east_asian / "an_hu").iterdir())[:1]
    video = stills_video(sface, stranger, tmp_path / "stranger.avi", frames=40, repeats=1)
    bus = EventBus()
    sub = bus.subscribe()
    results = play(pipeline(sface, sface_store, site, bus), video)
    assert not any(r.signed for r in results)
    seen = [e for e in sub.drain() if isinstance(e, FaceSeen)]
    assert seen and all(e.member_number is None for e in seen)
    track = max((t for r in results for t in r.tracks), key=lambda t: t.seen)
    assert track.seen >= 35 and track.decision.outcome == "reject"
    # three frames to decide, then one encoding per 10 frames: not one per frame
    assert track.encodings <= 3 + track.seen // 10 + 1, (track.encodings, track.seen)
    with site.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 0


def test_real_clip_passes_liveness_by_head_turn_with_five_points(sface, testdata: Path, sqlite_db, tmp_path: Path):
    import cv2

    cap = cv2.VideoCapture(str(testdata / "video" / "real_person_clip.mp4"))
    frames = []
    while len(frames) < 145:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    clip = write_video(tmp_path / "clip.avi", frames[80:145:2], fps=15)
    empty = TemplateIndex.from_templates([], {}, metric="cosine")
    pipe = FacePipeline(sface, empty, sqlite_db, EventBus(), terminal_id="k", liveness=LivenessSettings(challenge=()))
    tracks = {}
    for r in play(pipe, clip):
        tracks.update({t.id: t for t in r.tracks})
    assert any(t.live.passed and t.live.how == "turn" and t.live.turn_check == "3d" for t in tracks.values()), \
        [(t.id, t.live) for t in tracks.values()]


class Sides:
    """A random source that draws the given sides in turn (a test must know which turn is asked)."""

    def __init__(self, *sides):
        self.sides = list(sides)

    def choice(self, options):
        return self.sides.pop(0) if self.sides else options[0]


def real_clip_member(sface, testdata: Path, db, tmp_path: Path) -> tuple[Path, TemplateIndex]:
    """The performer of the real clip (frames 82-210, before the cut to the audience) as an enrolled member
    on the open meeting's roster, enrolled from three of those frames, and the shot as a 29.97 fps video."""
    import cv2

    cap = cv2.VideoCapture(str(testdata / "video" / "real_person_clip.mp4"))
    frames = []
    while len(frames) <= 210:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    shot = frames[82:211]
    with db.session() as s:
        seed_members(s, ["performer"])
        add_meeting(s)
        member_id = s.scalar(select(Member.id).where(Member.number == "PERFORMER"))
    rows = []
    for img in (shot[10], shot[70], shot[120]):
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        box = max(sface.detect(rgb), key=lambda b: b[2] - b[0])
        rows.append((member_id, sface.encode(rgb, [box])[0]))
    index = TemplateIndex.from_templates(rows, {member_id: ("PERFORMER", "performer")}, metric="cosine",
                                         model=sface.template_model)
    return write_video(tmp_path / "shot.avi", shot, fps=29.97), index


def test_the_real_person_passes_the_challenge_turn_the_way_they_turn(sface, testdata: Path, sqlite_db,
                                                                     tmp_path: Path):
    """The performer turns to his right 0.6-1.8 s into the shot (3.3-4.5 s of the clip): asked to turn right
    he is signed in (liveness "right"); asked to turn left he fails (his turn went the other way); asked
    to blink first he fails — the clip has no blink (his eyes never close below 0.64 of their open size,
    bench/liveness_bench.py), which is why config.yaml's face.liveness.challenge can be set per site.
    Steps get 3 s here (5 s shipped) so that the 4.3 s shot outlasts a step's window."""
    video, index = real_clip_member(sface, testdata, sqlite_db, tmp_path)
    outcomes = {}
    for steps in (("turn",), ("blink", "turn")):
        for side in ("turn_right", "turn_left"):
            bus = EventBus()
            sub = bus.subscribe()
            pipe = FacePipeline(sface, index, sqlite_db, bus, terminal_id="k", rng=Sides(side),
                                liveness=LivenessSettings(challenge=steps, step_window_s=3.0),
                                now=lambda t: T0 + timedelta(seconds=t))
            results = play(pipe, video)
            events = sub.drain()
            signed = [e for e in events if isinstance(e, SignedIn)]
            prompts = [e.step for e in events if isinstance(e, LivenessPrompt)]
            failed = [e.message for e in events if isinstance(e, FaceSignInFailed)]
            outcomes[steps, side] = (signed, prompts, failed, results)
            with sqlite_db.session() as s:
                s.query(Attendance).delete()
                s.commit()
    signed, prompts, failed, results = outcomes[("turn",), "turn_right"]
    assert prompts == ["turn_right"] and len(signed) == 1 and not failed
    assert signed[0].member_number == "PERFORMER" and signed[0].liveness == "right"
    signed_at = next(r.t for r in results if r.signed) - results[0].t
    assert signed_at < 5.0, signed_at
    signed, prompts, failed, _ = outcomes[("turn",), "turn_left"]
    assert prompts == ["turn_left"] and not signed and "转头方向与提示不符" in failed[0]
    for side in ("turn_right", "turn_left"):
        signed, prompts, failed, _ = outcomes[("blink", "turn"), side]
        assert prompts == ["blink"] and not signed and "未在规定时间内完成动作" in failed[0]


def test_a_still_photo_fails_liveness(sface, sface_store, faces: Path, site, tmp_path: Path):
    from core.events import FaceSignInFailed

    video = stills_video(sface, [faces / MEMBER / "1.jpg"], tmp_path / "still.avi", frames=30, repeats=1)
    bus = EventBus()
    sub = bus.subscribe()
    results = play(pipeline(sface, sface_store, site, bus, liveness=LivenessSettings(step_window_s=1.5)), video)
    assert not any(r.signed for r in results)
    events = sub.drain()
    assert any(isinstance(e, FaceSeen) and e.member_number == number_of(MEMBER) for e in events)
    assert [e.step for e in events if isinstance(e, LivenessPrompt)] == ["blink"]
    assert any(isinstance(e, FaceSignInFailed) and e.reason == "liveness" for e in events)
    assert not any(isinstance(e, SignedIn) for e in events)
    track = next(iter(results[-1].tracks))  # the eye contours (dlib's, on YuNet's points) never closed
    assert track.live.exhausted and track.live.index == 0 and track.live.min_ear_ratio > 0.7


def test_worker_builds_the_configured_engine_and_reencodes_kept_photos(sface, engine, face_key, faces: Path,
                                                                       sqlite_db, tmp_path: Path):
    """An engine switch on a running site: a member enrolled with dlib whose photos were kept gets SFace
    templates when the worker starts; one without kept photos stays out of the index (number + PIN)."""
    import base64
    from types import SimpleNamespace

    key_file = tmp_path / "face.key"
    key_file.write_text(base64.urlsafe_b64encode(face_key).decode())
    key_file.chmod(0o600)
    dlib_store = TemplateStore(TemplateCipher(face_key), engine.template_model)
    with sqlite_db.session() as s:
        seed_members(s, ["obama", "kit_harington"])
        Enroller(engine, dlib_store, jitters=1, keep_photos=True).enroll(
            s, {"OBAMA": sorted((faces / "obama").iterdir())}, consent_version="v1", actor="admin:t")
        Enroller(engine, dlib_store, jitters=1).enroll(
            s, {"KIT_HARINGTON": sorted((faces / "kit_harington").iterdir())}, consent_version="v1", actor="admin:t")
    from robot_assistant.face.worker import FaceWorker

    terminal = SimpleNamespace(bus=EventBus(), db=sqlite_db, terminal_id="kiosk-w", now=lambda: T0,
                               config=SimpleNamespace(devices=SimpleNamespace(camera="unused.avi")))
    worker = FaceWorker(terminal, FaceSettings.for_engine("sface", key_file=key_file), camera=object())
    assert worker._build(), worker.problem
    assert worker.engine.template_model == sface.template_model  # made from face.engine, not injected
    assert worker.reencoded == {"OBAMA": 3}
    index = worker.pipeline.index
    assert index.metric == "cosine" and [index.members[int(i)][0] for i in index.member_ids] == ["OBAMA"]


@pytest.mark.parametrize("kind", ATTACKS + MORPHS)
def test_attacks_made_from_one_photo_are_not_signed_in(kind, sface, sface_store, faces: Path, site, tmp_path: Path):
    """Issue #17's attacks, made from the enrolled member's photo and played through the real pipeline with
    the shipped policy and challenge: the photo still, slid and scaled, blurred like a print, tilted in
    depth, its nose region warped sideways by 30 px with and without the eye line squeezed, and the morphs
    that drag the eyes and mouth along as a turning head would. The member is recognised every time; the
    challenge's first step (a blink) is never seen and nobody is signed in. The 2-D attacks also fail the
    turn step alone, asked either way (the morphs do not: five points cannot tell them from a head, see
    bench/liveness_bench.py and the README)."""
    from robot_assistant.face.camera import write_video

    frames = attack_frames(sface, faces / MEMBER / "1.jpg", kind, amplitude=30.0)
    video = write_video(tmp_path / f"{kind}.avi", frames, 15.0)
    runs = [((("blink", "turn"), "turn_left"))]
    if kind in ATTACKS:
        runs += [(("turn",), "turn_left"), (("turn",), "turn_right")]
    for steps, side in runs:
        bus = EventBus()
        sub = bus.subscribe()
        pipe = pipeline(sface, sface_store, site, bus, rng=Sides(side),
                        liveness=LivenessSettings(challenge=steps, step_window_s=2.5))
        results = play(pipe, video)
        assert not any(r.signed for r in results), (steps, side)
        events = sub.drain()
        assert any(isinstance(e, FaceSeen) and e.member_number == number_of(MEMBER) for e in events)
        assert [e.step for e in events if isinstance(e, LivenessPrompt)][:1] == [steps[0].replace("turn", side)]
        assert any(isinstance(e, FaceSignInFailed) and e.reason == "liveness" for e in events), (steps, side)
        assert not any(isinstance(e, SignedIn) for e in events)
    with site.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 0

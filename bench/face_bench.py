#!/usr/bin/env python3
"""Face sign-in benchmark: per-frame latency, 1:N search, and the open-set calibration figures.

    .venv/bin/python bench/face_bench.py [--testdata ../shared/testdata] [--cache DIR] [--skip-open-set]

1. Per-frame decision latency, same frames, same run: ``FacePipeline`` with the SFace engine (YuNet
   detection, SFace encoding; the default), ``FacePipeline`` with the dlib engine (HOG + ResNet), and the
   naive loop (``face_recognition.face_locations`` + ``face_encodings`` on every full frame, then the same
   1:N search). Mean and p95 per frame, and the processing time from the first frame to ``SignedIn``.
2. 1:N search over 1k / 10k / 100k templates (128-d, both engines' dimension): ``TemplateIndex``
   (float32, precomputed norms; Euclidean for dlib, cosine for SFace; best and second-best member)
   against ``face_recognition.face_distance`` (float64 and float32).
3. Open-set results on faces_east_asian/ and faces/ (see robot_assistant/face/calibration.py) for each
   engine with its shipped policy: strangers accepted, genuine accepted without a question, asked to
   confirm; a tolerance sweep; and face_recognition's default tolerance 0.6 for contrast.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.db import Database  # noqa: E402
from core.events import EventBus  # noqa: E402
from robot_assistant.face.calibration import evaluate, grid_search, identity_folders, load_photos  # noqa: E402
from robot_assistant.face.camera import OpenCVCamera, write_video  # noqa: E402
from robot_assistant.face.engine import DlibEngine, largest  # noqa: E402
from robot_assistant.face.liveness import LivenessSettings  # noqa: E402
from robot_assistant.face.matcher import MatchPolicy, decide  # noqa: E402
from robot_assistant.face.pipeline import FacePipeline  # noqa: E402
from robot_assistant.face.quality import assess, detect_all, read_rgb  # noqa: E402
from robot_assistant.face.settings import FaceSettings  # noqa: E402
from robot_assistant.face.sface import SFaceEngine  # noqa: E402
from robot_assistant.face.templates import TemplateIndex  # noqa: E402

T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
REAL_MEMBER = ("real clip 640x360, that person enrolled (a real head turn: the challenge's turn step asked "
               "to the right, judged 3-D; the clip has no blink)")


def ms(values: list[float]) -> str:
    v = sorted(values)
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    return f"median {statistics.median(v) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  mean {statistics.mean(v) * 1000:6.1f} ms"


def seed(root: Path, db: Database) -> dict[str, int]:
    """Members named after the identity folders, in one branch with a meeting open at T0."""
    from core.meetings import create_meeting
    from core.models import Branch, Member

    with db.session() as s:
        branch = Branch(code="B01", name_zh="一支部")
        s.add(branch)
        s.add_all([Member(number=name, name=name, branch=branch) for name in identity_folders(root)])
        s.flush()
        ids = {m.number: m.id for m in s.query(Member)}
        create_meeting(s, type="支委会", title_zh="bench", branch_code="B01", starts_at=T0,
                       ends_at=T0 + timedelta(hours=2))
    return ids


def gallery(engine, root: Path, ids: dict[str, int], exclude: set[Path],
            extra: tuple[tuple[int, str, list], ...] = ()) -> TemplateIndex:
    """Enrol every identity with ``engine``, leaving out the photos the video will show; ``extra`` adds
    (member id, name, encodings) enrolled from elsewhere."""
    rows, members = [], {}
    for mid, name, encodings in extra:
        members[mid] = (name, name)
        rows += [(mid, e) for e in encodings]
    for name, paths in identity_folders(root).items():
        i = ids[name]
        members[i] = (name, name)
        for p in paths:
            if p in exclude:
                continue
            rgb = read_rgb(p)
            q = assess(rgb, engine)
            if q.ok:
                rows.append((i, engine.encode(rgb, [q.box])[0]))
    return TemplateIndex.from_templates(rows, members, metric=engine.template_model.metric,
                                        model=engine.template_model)


def frames_of(video: Path, limit: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    while len(out) < limit:
        ok, img = cap.read()
        if not ok:
            break
        out.append(img)
    cap.release()
    return out


def member_video(engine: DlibEngine, paths: list[Path], out: Path, size=(1280, 720), n=30) -> Path:
    frames = []
    for i in range(n):
        rgb = read_rgb(paths[(i // 2) % len(paths)])
        top, right, bottom, left = largest(detect_all(rgb, engine, 70))
        s = 300 / (bottom - top)
        m = np.float32([[s, 0, size[0] / 2 - (left + right) / 2 * s + (i % 3)], [0, s, size[1] * 0.45 - (top + bottom) / 2 * s]])
        frames.append(cv2.cvtColor(cv2.warpAffine(rgb, m, size, borderValue=(90, 90, 90)), cv2.COLOR_RGB2BGR))
    return write_video(out, frames, fps=15)


def bench_latency(engines: dict, testdata: Path, tmp: Path) -> None:
    print("\n== 1. Per-frame decision latency (same frames, same run; liveness included) ==")
    dlib = engines["dlib"]
    fr = dlib.fr
    shown = sorted((testdata / "faces" / "df_person01").iterdir())[1:]
    dbs = {name: Database(f"sqlite:///{tmp / f'bench-{name}.db'}") for name in engines}
    seeded = {name: seed(testdata / "faces", dbs[name]) for name in engines}
    indexes = {name: gallery(eng, testdata / "faces", seeded[name], set(shown)) for name, eng in engines.items()}
    clips = {
        "real clip 640x360, nobody enrolled appears (unknown face)":
            write_video(tmp / "clip.avi", frames_of(testdata / "video" / "real_person_clip.mp4", 150), fps=29.97),
        "member stills 1280x720 (signs in, then only tracks; 3-D turn check off: stills are no live head)":
            member_video(dlib, shown, tmp / "member.avi"),
    }
    # The person in the real clip, enrolled from three of its frames: a member who really turns their head,
    # so the time to SignedIn includes SFace's 3-D liveness (stills can no longer pass it, rightly)
    real = frames_of(testdata / "video" / "real_person_clip.mp4", 150)
    with_clip: dict[str, TemplateIndex] = {}
    for name, eng in engines.items():
        rows = []
        for img in (real[10], real[75], real[140]):
            rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
            boxes = eng.detect(rgb, upsample=1)
            if boxes:
                box = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
                rows.append(eng.encode(rgb, [box])[0])
        from core.models import Meeting, Member

        with dbs[name].session() as s:
            member = Member(number="clip", name="视频中的党员", branch=s.query(Member).first().branch)
            s.add(member)
            meeting = s.query(Meeting).first()
            meeting.roster.append(member)  # on the roster: a 支委会 takes no walk-ins
            s.flush()
            clip_id = member.id
        with_clip[name] = gallery(eng, testdata / "faces", seeded[name], set(shown), ((clip_id, "clip", rows),))
    clips[REAL_MEMBER] = write_video(tmp / "clip-member.avi", real, fps=29.97)
    for label, video in clips.items():
        cam = OpenCVCamera(video)
        frames = []
        while (f := cam.read()) is not None:
            frames.append(f)
        print(f"{label}: {len(frames)} frames")
        means = {}
        for name, eng in engines.items():
            # stills cannot show a live head: timed with the 3-D turn check off (recognition speed, #13);
            # the real clip's member is timed with the challenge's turn step, asked the way he turns (#17)
            stills = label.startswith("member stills")
            pipe = FacePipeline(eng, with_clip[name] if label == REAL_MEMBER else indexes[name], dbs[name], EventBus(),
                                terminal_id=f"bench-{name}", policy=FaceSettings.for_engine(name).policy,
                                liveness=LivenessSettings(turn_3d=False, challenge=()) if stills else
                                LivenessSettings(challenge=("turn_right",)),
                                now=lambda t: T0 + timedelta(seconds=t))
            times, faces, signed_at = [], 0, None
            for f in frames:
                r = pipe.process(f)
                times.append(r.latency_s)
                faces += sum(1 for t in r.tracks if t.missed == 0)
                if r.signed and signed_at is None:
                    signed_at = (f.index, f.t - frames[0].t, sum(times))
            means[name] = statistics.mean(times)
            extra = (f"; SignedIn at frame {signed_at[0]} ({signed_at[1]:.2f} s of video, "
                     f"{signed_at[2] * 1000:.0f} ms of processing from the first frame)") if signed_at else ""
            print(f"  pipeline {name:5s}: {ms(times)}   (faces tracked in {faces} frame-faces){extra}")
            with dbs[name].session() as s:  # the next clip starts with nobody signed in
                from core.models import Attendance

                s.query(Attendance).delete()
                s.commit()
        naive_times, naive_faces = [], 0
        for f in frames:
            start = time.perf_counter()
            rgb = cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)
            locs = fr.face_locations(rgb, number_of_times_to_upsample=1)
            for enc in fr.face_encodings(rgb, locs):
                decide(indexes["dlib"].search(enc), MatchPolicy(frames_to_agree=1))
            naive_times.append(time.perf_counter() - start)
            naive_faces += len(locs)
        naive = statistics.mean(naive_times)
        print(f"  naive face_recognition: {ms(naive_times)}   (faces found in {naive_faces} frame-faces)")
        print("  speed-up over naive (means): " + ", ".join(f"{n} {naive / m:.1f}x" for n, m in means.items()))
    for db in dbs.values():
        db.dispose()


def bench_search(engine: DlibEngine) -> None:
    print("\n== 2. 1:N search, 128-d (one probe; median of 30) ==")
    fr = engine.fr
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000, 100_000):
        rows = rng.normal(0, 0.09, (n, 128)).astype(np.float32)
        index = TemplateIndex(rows, np.arange(n) // 3, {})
        cosine = TemplateIndex(rows, np.arange(n) // 3, {}, metric="cosine")
        rows64 = rows.astype(np.float64)
        probes = rows[rng.integers(0, n, 30)] + 0.01
        timings = {"TemplateIndex euclidean (dlib)": [], "TemplateIndex cosine (SFace)": [],
                   "face_distance float64": [], "face_distance float32": []}
        for q in probes:
            t = time.perf_counter()
            index.search(q)
            timings["TemplateIndex euclidean (dlib)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            cosine.search(q)
            timings["TemplateIndex cosine (SFace)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fr.face_distance(rows64, q.astype(np.float64))
            timings["face_distance float64"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fr.face_distance(rows, q)
            timings["face_distance float32"].append(time.perf_counter() - t)
        print(f"{n:>7,} templates: " + "   ".join(f"{k}: {statistics.median(v) * 1000:.2f} ms"
                                               for k, v in timings.items()))


def bench_open_set(engines: dict, testdata: Path, cache: Path) -> None:
    print("\n== 3. Open-set results (leave-one-out; probes = 5 simulated camera frames, the policy's first N) ==")
    for engine_name, engine in engines.items():
        settings = FaceSettings.for_engine(engine_name)
        shipped = settings.policy
        print(f"\n[{engine_name}] shipped policy: accept <= {shipped.accept_tolerance}, margin >= {shipped.min_margin}, "
              f"ask <= {shipped.ask_tolerance}, frames {shipped.frames_to_agree}; enrolment jitters "
              f"{settings.enroll_jitters}")
        for name in ("faces_east_asian", "faces"):
            photos = load_photos(testdata / name, engine, frames=5, enroll_jitters=settings.enroll_jitters,
                                 cache_dir=cache, progress=lambda what: print(f"  encoding {what}", file=sys.stderr))
            ids = len({p.identity for p in photos})
            print(f"{name}: {ids} identities, {len(photos)} photos ({sum(p.enrollable for p in photos)} pass "
                  f"enrolment quality)")
            r = evaluate(photos, shipped)
            g, s = r.genuine, r.stranger
            print(f"  genuine : {g.line()}")
            print(f"  stranger: {s.line()}")
            print(f"  worst genuine distance {max(r.genuine_distances):.3f}, nearest stranger "
                  f"{min(r.stranger_distances):.3f}")
            lo = round(min(r.genuine_distances) - 0.05, 2)
            hi = round(min(r.stranger_distances) + 0.06, 2)
            print(f"  sweep (frames {shipped.frames_to_agree}, margin {shipped.min_margin}):  tol  genuine-accepted  "
                  "wrong  strangers-accepted")
            for tol in np.round(np.linspace(lo, hi, 7), 3):
                p = MatchPolicy(float(tol), max(float(tol), shipped.ask_tolerance), shipped.min_margin,
                                shipped.frames_to_agree)
                x = evaluate(photos, p)
                print(f"    {tol:.3f}   {x.genuine.accepted:3d}/{x.genuine.total} ({x.genuine.rate(x.genuine.accepted):5.1%})"
                      f"   {x.genuine.wrong:2d}   {x.stranger.accepted:3d}/{x.stranger.total} "
                      f"({x.stranger.rate(x.stranger.accepted):5.1%})")
            for frames in (1, 3):
                best = grid_search(photos, frames_to_agree=frames, max_stranger_accept=0.0,
                                   ask_tolerance=shipped.ask_tolerance)
                if best:
                    b = best[0]
                    print(f"  grid best with frames={frames}: tol {b.policy.accept_tolerance}, margin "
                          f"{b.policy.min_margin} -> genuine {b.genuine.accepted}/{b.genuine.total}, strangers "
                          f"{b.stranger.accepted}/{b.stranger.total}")
            if engine_name == "dlib":
                lax = evaluate(photos, MatchPolicy(0.6, 0.6, 0.0, 1))
                print(f"  library default (0.6, 1 frame, no margin): strangers accepted {lax.stranger.accepted}/"
                      f"{lax.stranger.total}, genuine {lax.genuine.accepted}/{lax.genuine.total}, "
                      f"wrong person {lax.genuine.wrong}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--testdata", type=Path, default=ROOT.parent / "shared" / "testdata")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dangjian-face-bench")
    ap.add_argument("--skip-open-set", action="store_true")
    args = ap.parse_args()
    engines = {"sface": SFaceEngine(), "dlib": DlibEngine()}
    for name, engine in engines.items():
        t = time.perf_counter()
        engine.load()
        print(f"{name} engine load: {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        bench_latency(engines, args.testdata, Path(tmp))
    bench_search(engines["dlib"])
    if not args.skip_open_set:
        bench_open_set(engines, args.testdata, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

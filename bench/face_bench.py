#!/usr/bin/env python3
"""Face sign-in benchmark: per-frame latency, 1:N search, and the open-set calibration figures.

    .venv/bin/python bench/face_bench.py [--testdata ../shared/testdata] [--cache DIR] [--skip-open-set]

1. Per-frame decision latency of ``FacePipeline`` (downscaled detection every 3rd frame, ROI
   re-detection between, encode, match, liveness) against the naive loop (``face_locations`` +
   ``face_encodings`` on every full frame, then the same 1:N search) — same frames, same run.
2. 1:N search over 1k / 10k / 100k templates: ``TemplateIndex`` (float32, precomputed norms, best and
   second-best member) against ``face_recognition.face_distance`` (float64 and float32).
3. Open-set results on faces_east_asian/ and faces/ (see robot_assistant/face/calibration.py): strangers
   accepted, genuine accepted without a question, asked to confirm — for the shipped policy, a
   tolerance sweep, and face_recognition's default tolerance 0.6 for contrast.
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
from robot_assistant.face.matcher import MatchPolicy, decide  # noqa: E402
from robot_assistant.face.pipeline import FacePipeline  # noqa: E402
from robot_assistant.face.quality import assess, detect_all, read_rgb  # noqa: E402
from robot_assistant.face.templates import TemplateIndex  # noqa: E402

T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)


def ms(values: list[float]) -> str:
    v = sorted(values)
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    return f"median {statistics.median(v) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  mean {statistics.mean(v) * 1000:6.1f} ms"


def gallery(engine: DlibEngine, root: Path, db: Database, exclude: set[Path]) -> TemplateIndex:
    """Enrol every identity (members named after their folders, in one branch with a meeting open at
    T0), leaving out the photos the video will show."""
    from core.meetings import create_meeting
    from core.models import Branch, Member

    rows, members = [], {}
    with db.session() as s:
        branch = Branch(code="B01", name_zh="一支部")
        s.add(branch)
        s.add_all([Member(number=name, name=name, branch=branch) for name in identity_folders(root)])
        s.flush()
        ids = {m.number: m.id for m in s.query(Member)}
        create_meeting(s, type="支委会", title_zh="bench", branch_code="B01", starts_at=T0,
                       ends_at=T0 + timedelta(hours=2))
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
    return TemplateIndex.from_templates(rows, members)


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


def bench_latency(engine: DlibEngine, testdata: Path, tmp: Path) -> None:
    print("\n== 1. Per-frame decision latency (same frames, same run) ==")
    fr = engine.fr
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    shown = sorted((testdata / "faces" / "df_person01").iterdir())[1:]
    index = gallery(engine, testdata / "faces", db, set(shown))
    clips = {
        "real clip 640x360 (person not enrolled: the pipeline re-encodes every frame)":
            write_video(tmp / "clip.avi", frames_of(testdata / "video" / "real_person_clip.mp4", 150), fps=29.97),
        "member stills 1280x720 (signs in, then only tracks)":
            member_video(engine, shown, tmp / "member.avi"),
    }
    for label, video in clips.items():
        pipe = FacePipeline(engine, index, db, EventBus(), terminal_id="bench", now=lambda t: T0 + timedelta(seconds=t))
        cam = OpenCVCamera(video)
        frames = []
        while (f := cam.read()) is not None:
            frames.append(f)
        pipe_times, naive_times, pipe_faces, naive_faces = [], [], 0, 0
        signed_at = None
        for f in frames:
            r = pipe.process(f)
            pipe_times.append(r.latency_s)
            pipe_faces += sum(1 for t in r.tracks if t.missed == 0)
            if r.signed and signed_at is None:
                signed_at = (f.index, f.t - frames[0].t, sum(pipe_times))
        for f in frames:
            start = time.perf_counter()
            rgb = cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)
            locs = fr.face_locations(rgb, number_of_times_to_upsample=1)
            for enc in fr.face_encodings(rgb, locs):
                decide(index.search(enc), MatchPolicy(frames_to_agree=1))
            naive_times.append(time.perf_counter() - start)
            naive_faces += len(locs)
        print(f"{label}: {len(frames)} frames")
        print(f"  pipeline : {ms(pipe_times)}   (faces tracked in {pipe_faces} frame-faces)")
        print(f"  naive    : {ms(naive_times)}   (faces found in {naive_faces} frame-faces)")
        print(f"  speed-up : {statistics.mean(naive_times) / statistics.mean(pipe_times):.1f}x on the mean")
        if signed_at:
            print(f"  SignedIn at frame {signed_at[0]} ({signed_at[1]:.2f} s of video, {signed_at[2] * 1000:.0f} ms "
                  f"of processing from the first frame)")
    db.dispose()


def bench_search(engine: DlibEngine) -> None:
    print("\n== 2. 1:N search (one probe; median of 30) ==")
    fr = engine.fr
    rng = np.random.default_rng(0)
    for n in (1_000, 10_000, 100_000):
        rows = rng.normal(0, 0.09, (n, 128)).astype(np.float32)
        index = TemplateIndex(rows, np.arange(n) // 3, {})
        rows64 = rows.astype(np.float64)
        probes = rows[rng.integers(0, n, 30)] + 0.01
        timings = {"TemplateIndex.search float32 (best + 2nd member)": [], "face_distance float64": [],
                   "face_distance float32": []}
        for q in probes:
            t = time.perf_counter()
            index.search(q)
            timings["TemplateIndex.search float32 (best + 2nd member)"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fr.face_distance(rows64, q.astype(np.float64))
            timings["face_distance float64"].append(time.perf_counter() - t)
            t = time.perf_counter()
            fr.face_distance(rows, q)
            timings["face_distance float32"].append(time.perf_counter() - t)
        print(f"{n:>7,} templates: " + "   ".join(f"{k}: {statistics.median(v) * 1000:.2f} ms"
                                               for k, v in timings.items()))


def bench_open_set(engine: DlibEngine, testdata: Path, cache: Path) -> None:
    print("\n== 3. Open-set results (enrol 10-jitter photos; probes = 3 simulated camera frames) ==")
    shipped = MatchPolicy()
    print(f"shipped policy: accept ≤ {shipped.accept_tolerance}, margin ≥ {shipped.min_margin}, "
          f"ask ≤ {shipped.ask_tolerance}, frames {shipped.frames_to_agree}")
    for name in ("faces_east_asian", "faces"):
        photos = load_photos(testdata / name, engine, frames=5, enroll_jitters=10, cache_dir=cache,
                             progress=lambda what: print(f"  encoding {what}", file=sys.stderr))
        ids = len({p.identity for p in photos})
        print(f"\n{name}: {ids} identities, {len(photos)} photos ({sum(p.enrollable for p in photos)} pass "
              f"enrolment quality)")
        r = evaluate(photos, shipped)
        print(f"  genuine : {r.genuine.line()}")
        print(f"  stranger: {r.stranger.line()}")
        g, s = r.genuine, r.stranger
        print(f"  TAR (no question) {g.accepted / g.total:.1%}   TAR incl. confirmation "
              f"{(g.accepted + g.asked) / g.total:.1%}   FAR {s.accepted / s.total:.1%} "
              f"({s.accepted}/{s.total}; 95% upper bound ≈ {3 / s.total:.0%} when 0)")
        print("  sweep (frames 3, margin 0.06):  tol  genuine-accepted  wrong  strangers-accepted  strangers-asked")
        for tol in (0.32, 0.34, 0.36, 0.37, 0.38, 0.40, 0.45, 0.50, 0.60):
            p = MatchPolicy(tol, max(tol, shipped.ask_tolerance), 0.06, 3)
            x = evaluate(photos, p)
            print(f"    {tol:.2f}   {x.genuine.accepted:3d}/{x.genuine.total} ({x.genuine.accepted / x.genuine.total:5.1%})"
                  f"   {x.genuine.wrong:2d}   {x.stranger.accepted:3d}/{x.stranger.total} "
                  f"({x.stranger.accepted / x.stranger.total:5.1%})   {x.stranger.asked:3d}")
        for frames in (1, 3, 5):
            best = grid_search(photos, frames_to_agree=frames)
            if best:
                b = best[0]
                print(f"  grid best with frames={frames}: tol {b.policy.accept_tolerance}, margin {b.policy.min_margin}"
                      f" → genuine {b.genuine.accepted}/{b.genuine.total}, strangers {b.stranger.accepted}/"
                      f"{b.stranger.total}")
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
    engine = DlibEngine()
    t = time.perf_counter()
    engine.fr  # noqa: B018 — measure the import once
    print(f"face_recognition import: {time.perf_counter() - t:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        bench_latency(engine, args.testdata, Path(tmp))
    bench_search(engine)
    if not args.skip_open_set:
        bench_open_set(engine, args.testdata, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Liveness benchmark: the randomised challenge (blink, then a turn to a random side) against generated
attacks and on the real-person clip.

    .venv/bin/python bench/liveness_bench.py [--testdata ../shared/testdata] [--photos N] [--amplitude 30]

1. **Attacks** made from one photo of each person (``tests/face/conftest.py: attack_frames``: still, slid
   and scaled, print blur, turned in depth, nose warps, and the morphs that drag the eyes and mouth along),
   72 frames at 15 fps, each also with a blink faked in 2-D (``squeeze_eyes``: the eyes squeezed shut for
   3 frames every 1.2 s). Judged frame by frame as the pipeline does (YuNet's five points and box for the
   turn, dlib's 68-point eye contours on them for the blink), the challenge started at frame 3 (when
   recognition has agreed). An attack *passes* a challenge when some draw of directions lets it through
   (all four of two attempts' left/right are tried: the worst case). Columns: the shipped challenge
   (blink, turn); the turn alone; the passive check (any blink or 3-D turn, before the challenge).
2. **The real clip** (``video/real_person_clip.mp4``, 29.97 fps): the performer's face, frames 82-210 (the
   shot before the cut to the audience), the challenge started every 0.5 s: for each step alone and for
   blink + turn, how many starts pass and the time from the start to the pass; the eye-openness range.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import product
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from robot_assistant.face.challenge import TURN_LEFT, TURN_RIGHT, ChallengeChecker  # noqa: E402
from robot_assistant.face.engine import box_height  # noqa: E402
from robot_assistant.face.eyes import EyeContours  # noqa: E402
from robot_assistant.face.liveness import BLINK, TURN, LivenessChecker, LivenessSettings  # noqa: E402
from robot_assistant.face.pipeline import iou  # noqa: E402
from robot_assistant.face.sface import SFaceEngine  # noqa: E402
from tests.face.conftest import ATTACKS, MORPHS, attack_frames  # noqa: E402

FPS = 15.0
START_FRAME = 3
PERFORMER = (82, 210)
CLIP_FPS = 29.97


class Draws:
    """An rng whose ``choice`` returns the given sides in turn (the worst case over random draws)."""

    def __init__(self, sides):
        self.sides = list(sides)

    def choice(self, options):
        return self.sides.pop(0) if self.sides else options[0]


def observe(engine, eyes: EyeContours, frames, follow: bool = False) -> list:
    """Per frame: (t index, landmarks, face px, EAR) of the largest face (or, with ``follow``, the face
    overlapping the previous one), None where no face was found."""
    out, box = [], None
    for img in frames:
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        found = engine.detect(rgb)
        if follow and box is not None:
            found = [b for b in found if iou(b, box) > 0.3]
        if not found:
            out.append(None)
            continue
        box = max(found, key=box_height)
        lm = engine.landmarks(rgb, [box])[0]
        out.append((lm, box_height(box), eyes.ear(rgb, lm)))
    return out


BASE: dict = {}
"""LivenessSettings overrides from the command line (--blink-ratio)."""


def run_challenge(seen: list, steps, sides, start: int, fps: float, attempts: int = 1):
    """(passed, seconds from the start to the pass) for one draw of sides."""
    checker = ChallengeChecker(LivenessSettings(**{**BASE, "challenge": steps, "attempts": attempts}),
                               rng=Draws(sides))
    for i, obs in enumerate(seen):
        t = i / fps
        if i >= start:
            checker.start(t)
        if obs is None:
            continue
        state = checker.update(t, obs[0], obs[1], ear=obs[2])
        if state.passed:
            return True, t - start / fps
        if state.exhausted:
            return False, None
    return False, None


def passes_any(seen: list, steps, start: int = START_FRAME, fps: float = FPS) -> bool:
    turns = sum(1 for s in steps if s == TURN)
    draws = list(product((TURN_LEFT, TURN_RIGHT), repeat=turns * LivenessSettings().attempts))
    return any(run_challenge(seen, steps, d, start, fps)[0] for d in draws)


def passive(seen: list, fps: float = FPS) -> bool:
    checker = LivenessChecker(LivenessSettings(**{**BASE, "challenge": ()}))
    return any(checker.update(i / fps, o[0], o[1], ear=o[2]).passed for i, o in enumerate(seen) if o is not None)


def min_ear_ratio(seen: list) -> float:
    ears = np.array([o[2] for o in seen if o is not None and np.isfinite(o[2])])
    return float(ears.min() / np.percentile(ears, 75)) if len(ears) else float("nan")


def bench_attacks(engine, eyes, testdata: Path, photos: int, amplitude: float) -> None:
    print("\n== 1. Generated attacks (passed / photos; worst case over the random sides) ==")
    sets = (("faces", 170), ("faces_east_asian", 120))
    frames = 72
    for name, face_px in sets:
        root = testdata / name
        people = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("_"))[:photos]
        paths = [sorted(p.glob("*.jpg"))[0] for p in people if any(p.glob("*.jpg"))]
        print(f"\n{name}/, face {face_px} px, {len(paths)} photos, amplitude {amplitude:g} px")
        print(f"  {'attack':14s} {'blink faked':11s} {'blink+turn':>10s} {'turn only':>10s} {'passive':>8s} "
              f"{'min EAR ratio':>13s}")
        for kind in ATTACKS + MORPHS:
            for faked in (False, True):
                counts = [0, 0, 0]
                ratios = []
                start = time.perf_counter()
                for path in paths:
                    seq = attack_frames(engine, path, kind, frames=frames, amplitude=amplitude, face_px=face_px)
                    if faked:  # held still, the eyes squeezed shut for 3 frames, then the attack's motion
                        seq = attack_frames(engine, path, "still", frames=15, face_px=face_px,
                                            blink_at={6, 7, 8}) + seq
                    seen = observe(engine, eyes, seq)
                    counts[0] += passes_any(seen, (BLINK, TURN))
                    counts[1] += passes_any(seen, (TURN,))
                    counts[2] += passive(seen)
                    ratios.append(min_ear_ratio(seen))
                n = len(paths)
                print(f"  {kind:14s} {'yes' if faked else 'no':11s} {counts[0]:>7d}/{n:<2d} {counts[1]:>7d}/{n:<2d} "
                      f"{counts[2]:>5d}/{n:<2d} {np.nanmin(ratios):>13.2f}   ({time.perf_counter() - start:.0f} s)")


def bench_clip(engine, eyes, testdata: Path) -> None:
    print("\n== 2. The real clip: the performer, frames 82-210, challenge started every 0.5 s ==")
    cap = cv2.VideoCapture(str(testdata / "video" / "real_person_clip.mp4"))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    a, b = PERFORMER
    seen = observe(engine, eyes, frames[a:b + 1], follow=True)
    ears = np.array([o[2] for o in seen if o is not None])
    print(f"  face found in {sum(o is not None for o in seen)} of {len(seen)} frames; face "
          f"{min(o[1] for o in seen if o)}-{max(o[1] for o in seen if o)} px; EAR {ears.min():.3f}-{ears.max():.3f}, "
          f"open baseline (75th pct) {np.percentile(ears, 75):.3f}, lowest {min_ear_ratio(seen):.2f} of it "
          f"(a blink is {LivenessSettings(**BASE).blink_ratio:g})")
    starts = list(range(0, len(seen) - 15, 15))
    for steps, sides in (((TURN,), (TURN_LEFT,)), ((TURN,), (TURN_RIGHT,)), ((BLINK,), ()),
                         ((BLINK, TURN), (TURN_LEFT,)), ((BLINK, TURN), (TURN_RIGHT,))):
        results = [run_challenge(seen, steps, sides, s, CLIP_FPS, attempts=1) for s in starts]
        times = [t for ok, t in results if ok]
        label = "+".join("blink" if s == BLINK else ("turn " + sides[0][5:]) for s in steps)
        spread = f"; time to pass median {statistics.median(times):.2f} s, max {max(times):.2f} s" if times else ""
        print(f"  {label:18s} passed {len(times):2d} of {len(starts)} starts{spread}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--testdata", type=Path, default=ROOT.parent / "shared" / "testdata")
    ap.add_argument("--photos", type=int, default=20, help="photos (people) per set")
    ap.add_argument("--amplitude", type=float, default=30.0, help="warp amplitude in pixels")
    ap.add_argument("--skip-attacks", action="store_true")
    ap.add_argument("--blink-ratio", type=float, help="override the blink threshold (share of the baseline)")
    args = ap.parse_args()
    if args.blink_ratio:
        BASE["blink_ratio"] = args.blink_ratio
    if not (args.testdata / "video").is_dir():
        print(f"no test data at {args.testdata}: pass --testdata", file=sys.stderr)
        return 2
    engine = SFaceEngine().load()
    eyes = EyeContours().load()
    print(f"challenge defaults: {LivenessSettings().challenge}, {LivenessSettings().step_window_s:g} s a step, "
          f"{LivenessSettings().attempts} attempts; blink ratio {LivenessSettings(**BASE).blink_ratio:g}, "
          f"turn span {LivenessSettings().turn_range_3d:g}")
    bench_clip(engine, eyes, args.testdata)
    if not args.skip_attacks:
        bench_attacks(engine, eyes, args.testdata, args.photos, args.amplitude)
    return 0


if __name__ == "__main__":
    sys.exit(main())

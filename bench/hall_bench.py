"""VR hall benchmark: load time, Geoms and frame rate, naive against optimised, printed as a table.

    .venv/bin/python bench/hall_bench.py [--sizes 100,300,3000] [--seconds 1.5] [--cache DIR]

For the demo hall and generated halls (300 and 3000 exhibits by default, plus 100 for the load-time
goal), each built twice in the same process — naive (one node and one texture per exhibit, nothing
flattened) and optimised (one panel atlas per room, glTF materials baked, flattened per room):

* load: scene file parsed + scene graph built + first frame drawn and read back (textures upload then);
* Geoms: what the scene graph holds (the draw calls of a frame with everything in view);
* fps with a read-back every frame (``getScreenshot``: the GPU must finish), 1280×720 and 1920×1080,
  from a corner of the hall looking along its diagonal so (almost) every exhibit is in the view;
  and at 720p from the spawn point (what a visitor sees);
* a third build, opt+rooms: optimised, plus what the hall does every frame — hide the rooms that no
  chain of doorways shows (vr_hall.visibility); "every exhibit in the frustum" then means behind walls.

Models are drawn as the hall draws them on this renderer: with the PBR shader where it has GLSL
(vr_hall.pbr; Mesa llvmpipe has it), baked for fixed-function drawing where it has none; ``--materials
fixed`` or ``pbr`` forces one, to compare the two on the same machine state.

Goals from the issue: load ≤ 2 s for 100 exhibits, ≤ 200 draw calls for the demo hall, optimised
3000-exhibit hall ≥ 5× the naive one's fps, ≥ 30 fps at 720p. Printed, not asserted. Panda3D renders
offscreen with p3headlessgl (EGL; Mesa llvmpipe on a machine without a GPU).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESOLUTIONS = ((1280, 720), (1920, 1080))


@dataclass
class Row:
    hall: str
    exhibits: int
    mode: str
    parse_s: float = 0.0
    build_s: float = 0.0
    first_frame_s: float = 0.0
    geoms: int = 0
    fps: dict[str, float] = field(default_factory=dict)

    @property
    def load_s(self) -> float:
        return self.parse_s + self.build_s + self.first_frame_s


class Bench:
    def __init__(self, seconds: float, materials: str = "auto"):
        from vr_hall import engine

        engine.configure("offscreen", size=RESOLUTIONS[0])
        from direct.showbase.ShowBase import ShowBase
        from panda3d.core import WindowProperties

        self.base = ShowBase(windowType="none")
        self.base.disableMouse()
        self.seconds = seconds
        self.buffers = {}
        for w, h in RESOLUTIONS:
            props = WindowProperties()
            props.setSize(w, h)
            buf = self.base.openWindow(type="offscreen", props=props, size=(w, h), makeCamera=True,
                                       scene=self.base.render)
            if buf is None:
                raise SystemExit("no offscreen buffer (p3headlessgl) could open")
            buf.setClearColor((0.1, 0.1, 0.1, 1))
            cam = self.base.camList[-1]
            cam.reparentTo(self.base.camera)
            lens = cam.node().getLens()
            vfov = 58.0
            lens.setFov(2 * math.degrees(math.atan(math.tan(math.radians(vfov / 2)) * w / h)), vfov)
            lens.setNearFar(0.05, 2000.0)
            buf.setActive(False)
            self.buffers[f"{h}p"] = buf
        from vr_hall.text3d import load_cjk_font

        self.font = load_cjk_font()
        gsg = next(iter(self.buffers.values())).getGsg()
        self.renderer = f"{gsg.getDriverVendor()} {gsg.getDriverRenderer()}"
        from vr_hall.pbr import shader_problem

        problem = shader_problem(gsg)
        self.pbr = problem is None if materials == "auto" else materials == "pbr"
        self.renderer += f"; models: {'PBR shaders' if self.pbr else 'fixed-function'}"
        if problem is not None:
            self.renderer += f" ({problem})"

    def frame(self, buf) -> None:
        self.base.graphicsEngine.renderFrame()
        buf.getScreenshot()  # read back: the frame must really be finished

    def fps(self, buf, min_frames: int = 4) -> float:
        buf.setActive(True)
        self.frame(buf)  # warm: uploads for this buffer
        frames, t0 = 0, time.perf_counter()
        while frames < min_frames or time.perf_counter() - t0 < self.seconds:
            self.frame(buf)
            frames += 1
        rate = frames / (time.perf_counter() - t0)
        buf.setActive(False)
        return rate

    def measure(self, name: str, scene_path: Path, optimise: bool, rooms: bool = False) -> Row:
        from vr_hall.build import BuildOptions, build_hall
        from vr_hall.layout import EYE_HEIGHT, heading_towards
        from vr_hall.scene import load_scene
        from vr_hall.visibility import RoomVisibility

        t0 = time.perf_counter()
        scene = load_scene(scene_path)
        t1 = time.perf_counter()
        hall = build_hall(scene, font=self.font, options=BuildOptions(optimise=optimise, pbr=self.pbr))
        hall.root.reparentTo(self.base.render)
        t2 = time.perf_counter()
        x0, y0, x1, y1 = scene.bounds
        # from a corner, along the diagonal, a little above eye height: everything in the frustum
        self.base.camera.setPos(x0 + 0.4, y0 + 0.4, 3.2)
        self.base.camera.setHpr(heading_towards(x1 - x0, y1 - y0), -8, 0)
        first = self.buffers["720p"]
        first.setActive(True)
        self.frame(first)
        first.setActive(False)
        t3 = time.perf_counter()
        mode = ("opt+rooms" if rooms else "optimised") if optimise else "naive"
        row = Row(name, len(scene.exhibits), mode, t1 - t0, t2 - t1, t3 - t2, hall.geoms())
        visibility = RoomVisibility(scene) if rooms else None

        def cull() -> None:  # what the hall does every frame: hide rooms no doorway shows
            if visibility is not None:
                lens = self.buffers["1080p"].getDisplayRegion(1).getCamera().node().getLens()
                cam = self.base.camera
                seen = visibility.visible(cam.getX(), cam.getY(), cam.getH(), lens.getHfov())
                for room_id, node in hall.rooms.items():
                    if room_id in seen:
                        node.show()
                    else:
                        node.hide()

        cull()
        for label, buf in self.buffers.items():
            row.fps[f"all {label}"] = self.fps(buf)
        s = scene.hall.spawn
        self.base.camera.setPos(s.x, s.y, EYE_HEIGHT)
        self.base.camera.setHpr(s.heading, 0, 0)
        cull()
        row.fps["spawn 720p"] = self.fps(self.buffers["720p"])
        hall.root.removeNode()
        from panda3d.core import TexturePool

        TexturePool.releaseAllTextures()
        gc.collect()
        return row


def table(rows: list[Row], renderer: str) -> str:
    cols = ["all 720p", "all 1080p", "spawn 720p"]
    out = [f"renderer: {renderer}",
           f"{'hall':<10}{'exhibits':>9} {'build':<10}{'parse s':>8}{'build s':>8}{'1st frame':>10}{'load s':>8}"
           f"{'Geoms':>7}" + "".join(f"{c:>12}" for c in cols)]
    for r in rows:
        out.append(f"{r.hall:<10}{r.exhibits:>9} {r.mode:<10}{r.parse_s:>8.2f}{r.build_s:>8.2f}{r.first_frame_s:>10.2f}"
                   f"{r.load_s:>8.2f}{r.geoms:>7}" + "".join(f"{r.fps.get(c, float('nan')):>12.1f}" for c in cols))
    return "\n".join(out)


def goals(rows: list[Row]) -> list[str]:
    def find(hall: str, mode: str) -> Row | None:
        return next((r for r in rows if r.hall == hall and r.mode == mode), None)

    lines = []
    demo = find("demo", "optimised")
    if demo:
        lines.append(f"demo hall draw calls {demo.geoms} (goal ≤ 200): {'ok' if demo.geoms <= 200 else 'MISSED'}")
        fps = demo.fps["spawn 720p"]
        lines.append(f"demo hall 720p from the spawn {fps:.0f} fps, everything in view {demo.fps['all 720p']:.0f} fps "
                     f"(goal ≥ 30): {'ok' if min(fps, demo.fps['all 720p']) >= 30 else 'MISSED'}")
    hundred = find("gen-100", "optimised")
    if hundred:
        lines.append(f"100 exhibits load {hundred.load_s:.2f} s (goal ≤ 2 s): {'ok' if hundred.load_s <= 2 else 'MISSED'}")
    for size in ("gen-3000", "gen-300"):
        naive = find(size, "naive")
        for mode in ("optimised", "opt+rooms"):
            opt = find(size, mode)
            if naive is None or opt is None:
                continue
            for res in ("all 720p", "all 1080p"):
                ratio = opt.fps[res] / max(naive.fps[res], 1e-9)
                goal = " (goal ≥ 5×)" if size == "gen-3000" else ""
                verdict = ("ok" if ratio >= 5 else "MISSED") if goal else ""
                lines.append(f"{size} {res}: {mode} {opt.fps[res]:.1f} fps vs naive {naive.fps[res]:.1f} fps = "
                             f"{ratio:.1f}×{goal} {verdict}".rstrip())
            lines.append(f"{size} {mode} at 720p with everything in view: {opt.fps['all 720p']:.1f} fps "
                         f"(goal ≥ 30): {'ok' if opt.fps['all 720p'] >= 30 else 'MISSED'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,300,3000", help="generated hall sizes (comma separated)")
    parser.add_argument("--seconds", type=float, default=1.5, help="measuring time per frame-rate figure")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dangjian-hall-bench",
                        help="where generated halls and their pictures are kept between runs")
    parser.add_argument("--materials", choices=("auto", "fixed", "pbr"), default="auto",
                        help="how models are drawn (auto: as the hall would on this renderer)")
    args = parser.parse_args()
    from vr_hall.synth import write_scene

    halls: list[tuple[str, Path]] = [("demo", ROOT / "scenes" / "hall.yaml")]
    for n in (int(s) for s in args.sizes.split(",") if s.strip()):
        t = time.perf_counter()
        halls.append((f"gen-{n}", write_scene(n, args.cache / f"hall-{n}", image_size=(128, 90))))
        print(f"generated hall with {n} exhibits in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    bench = Bench(args.seconds, args.materials)
    rows = []
    for name, path in halls:
        for optimise, rooms in ((False, False), (True, False), (True, True)):
            row = bench.measure(name, path, optimise, rooms)
            rows.append(row)
            print(f"  {name} {row.mode}: load {row.load_s:.2f} s, {row.geoms} Geoms, "
                  + ", ".join(f"{k} {v:.1f} fps" for k, v in row.fps.items()), file=sys.stderr)
    print(table(rows, bench.renderer))
    print()
    print("\n".join(goals(rows)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

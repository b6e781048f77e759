"""The real loader, in a child process: the second of :mod:`vr_hall.models`' two steps.

Whatever the static check (:mod:`vr_hall.model_check`) missed and still kills panda3d-gltf (a segfault in
``calculate_tangents``, an index past the vertices) kills only the child
(``python -m vr_hall.model_probe --probe FILE…``); the parent names the model it was loading. The child
also measures each model for :mod:`vr_hall.build` and ``launcher.py hall --check-scene``: bounds,
triangles, textures (and those over the hall's budget), two-sided parts, animations.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from vr_hall.model_check import TEXTURE_MAX, ModelReport

PROBE_TIMEOUT_S = 60.0
"""One child's budget for all the models it is given (a model that hangs the loader is refused)."""


def _probe(paths: list[Path], timeout: float) -> dict[Path, ModelReport]:
    """Run the loader on ``paths`` in one child. A model the child starts but never finishes (a crash
    or a hang) is reported as refused; those after it are left for the next child."""
    cmd = [sys.executable, "-m", "vr_hall.model_probe", "--probe", *map(str, paths)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    timed_out = False
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root, env=env)
        stdout, code = run.stdout, run.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code, timed_out = None, True
    done: dict[Path, ModelReport] = {}
    started: Path | None = None
    by_name = {str(p): p for p in paths}
    for line in stdout.splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            msg = json.loads(line)
            if "start" in msg:
                started = by_name[msg["start"]]
            elif "report" in msg:
                report = ModelReport.from_json(msg["report"])
                done[by_name[report.path]] = report
                started = None
    if started is not None or not done:
        culprit = started or paths[0]
        if timed_out:
            why = f"the loader did not finish within {timeout:g} s"
        elif code is not None and code < 0:
            why = f"the loader crashed (signal {-code}): truncated or not glTF"
        else:
            why = f"the loader exited with code {code}"
        done[culprit] = ModelReport(str(culprit), False, why)
    return done


def probe_one(path: Path) -> ModelReport:
    """Load ``path`` with panda3d-gltf (as :mod:`vr_hall.build` will) and measure it. Runs in the child."""
    import gltf
    from panda3d.core import CullFaceAttrib, NodePath


    try:
        node = gltf.load_model(str(path))
    except Exception as exc:  # the loader's own errors (KeyError, UnicodeDecodeError, …) are reasons too
        return ModelReport(str(path), False, f"the loader failed: {type(exc).__name__}: {str(exc)[:160]}")
    model = NodePath(node)
    triangles = 0
    two_sided = False
    # every texture of every part (geom states too), once each: a file by its path, an embedded image by name
    textures = {t.getFullpath().getFullpath() or t.getName() for t in model.findAllTextures()}
    for gnp in model.findAllMatches("**/+GeomNode"):
        gn = gnp.node()
        for i in range(gn.getNumGeoms()):
            geom = gn.getGeom(i)
            if not geom.checkValid():  # an index past the vertices: drawing it can crash the renderer
                return ModelReport(str(path), False, "an index points past its vertices: corrupt or truncated")
            for k in range(geom.getNumPrimitives()):
                prim = geom.getPrimitive(k)
                if prim.getPrimitiveType() == prim.PT_polygons:
                    triangles += prim.getNumFaces() if prim.getNumVerticesPerPrimitive() == 3 else \
                        prim.decompose().getNumFaces()
            state = gn.getGeomState(i)
            if state.hasAttrib(CullFaceAttrib) and \
                    state.getAttrib(CullFaceAttrib).getEffectiveMode() == CullFaceAttrib.M_cull_none:
                two_sided = True
    warnings = [f"texture {Path(t.getFullpath().getFullpath() or t.getName()).name} is {t.getXSize()}×{t.getYSize()}: "
                f"drawn at {TEXTURE_MAX} px on its longer side (the hall's texture budget)"
                for t in model.findAllTextures() if max(t.getXSize(), t.getYSize()) > TEXTURE_MAX]
    bounds = model.getTightBounds()
    animations = model.findAllMatches("**/+AnimBundleNode").getNumPaths()
    if bounds is None or triangles == 0:
        return ModelReport(str(path), False, "it has no triangles to show", animations=animations)
    lo, hi = bounds
    if not all(math.isfinite(v) and abs(v) < 1e7 for v in (*lo, *hi)):
        return ModelReport(str(path), False, "vertex positions are not finite numbers: corrupt")
    return ModelReport(str(path), True, triangles=triangles, textures=len(textures),
                       bounds=((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])), two_sided=two_sided,
                       animations=animations, warnings=warnings)


def _child(paths: list[str]) -> int:
    from panda3d.core import loadPrcFileData

    loadPrcFileData("", "notify-level-gltf fatal\nnotify-level-pnmimage fatal\nnotify-level-gobj fatal\n"
                        "audio-library-name null\n")
    for p in paths:
        print(json.dumps({"start": p}), flush=True)
        report = probe_one(Path(p))
        print(json.dumps({"report": report.to_json()}), flush=True)
    return 0



if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--probe":
        raise SystemExit(_child(sys.argv[2:]))
    raise SystemExit("usage: python -m vr_hall.model_probe --probe MODEL...")

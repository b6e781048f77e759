"""The VR exhibition hall (VR展厅): scene files, navigation, guided tours and the Panda3D renderer.

The pure parts (``scene``, ``layout``, ``navgrid``, ``tour``, ``atlas``) import no Panda3D, so the kiosk
and the tests can use them cheaply; the renderer (``build``, ``app``) and the child process (``child``)
import it when called. The launcher's entry points are re-exported lazily here:

* ``run_hall(scene_path, goto=None, windowed=True) -> int`` — the interactive hall in this process.
* ``render_view(scene_path, view, size, out_path)`` — one offscreen PNG (spawn | exhibit:ID | tour:N | minimap
  | assistant[:VIEW] | loading).
* ``check_scene(scene_path) -> int`` — ``launcher.py hall --check-scene``: every exhibit model with its
  triangles, textures, size and problems; 2 when the scene or any model cannot be loaded.

The kiosk runs the hall in a child process instead: :class:`vr_hall.child.HallLauncher`.

Modules: ``scene`` (schema, checks) · ``layout`` (walls, viewpoints) · ``navgrid`` (occupancy grid, A*) ·
``tour`` (tours, walks, GuideTo) · ``visibility`` (rooms seen through doorways) · ``atlas`` (panel
texture packing) · ``mesh`` (procedural geometry) · ``text3d`` (CJK font and its fallback faces; wrapping
from the shared ``textshape`` package — the hall never imports the kiosk) · ``build`` (scene
graph) · ``avatar`` (robot guide) · ``ui`` / ``hud`` / ``infopanel`` / ``minimap`` (overlays) ·
``assistant_overlay`` (question and answer caption, 问助手 chips) · ``loading`` (loading card) ·
``models`` (glTF models checked in a child process, cached by content hash) ·
``engine`` (Panda3D settings) · ``app`` (the interactive hall) · ``child`` (child process) · ``synth``
(generated halls for the benchmark and tests).
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_scene", "render_view", "run_hall"]


def run_hall(*args: Any, **kwargs: Any) -> int:
    """See :func:`vr_hall.launch.run_hall` (imported on call: Panda3D is heavy)."""
    from vr_hall.launch import run_hall as _run_hall

    return _run_hall(*args, **kwargs)


def render_view(*args: Any, **kwargs: Any) -> Any:
    """See :func:`vr_hall.launch.render_view` (imported on call: Panda3D is heavy)."""
    from vr_hall.launch import render_view as _render_view

    return _render_view(*args, **kwargs)


def check_scene(scene_path: Any, out: Any = print) -> int:
    """Load ``scene_path`` as the hall does and list every exhibit model: triangles, textures, size as
    authored and as shown, two-sided, animations, and each problem (``file:line: exhibits[ID].media.model:
    … cannot be loaded (…)``). Returns 0 when all is well, 2 when the scene or any model fails. No
    Panda3D in this process: the models are loaded in a child (:mod:`vr_hall.models`)."""
    from pathlib import Path

    from vr_hall.scene import SceneError, load_scene

    try:
        scene = load_scene(Path(scene_path), published=False)
    except SceneError as exc:
        for line in exc.messages:
            out(line)
        return 2
    rows = [e for e in scene.exhibits if e.media is not None and e.media.model]
    out(f"{scene.source}: {len(scene.exhibits)} exhibits, {len(rows)} with a model")
    for e in rows:
        report = scene.model_reports.get(e.id)
        if report is None:
            out(f"  {e.id:<8} {e.media.model}: not checked (file missing)")  # type: ignore[union-attr]
            continue
        if not report.ok:
            out(f"  {e.id:<8} {e.media.model}: REFUSED ({report.error})")  # type: ignore[union-attr]
            continue
        ax, ay, az = report.size or (0.0, 0.0, 0.0)
        sx, sy, sz = ax, ay, az
        if round((e.media.pitch or 0.0) / 90) % 2:  # type: ignore[union-attr]  # tipped on its back or front
            sy, sz = sz, sy
        depth = e.depth if e.depth is not None else e.size[0] * 0.5
        k = min([w / h for w, h in ((e.size[0], sx), (e.size[1], sz), (depth, sy)) if h > 1e-6] or [1.0])
        flags = ", ".join(x for x in ("two-sided" if report.two_sided else "",
                                      f"{report.animations} animations (shown still)" if report.animations else "") if x)
        out(f"  {e.id:<8} {e.media.model}: {report.triangles} triangles, {report.textures} textures, "  # type: ignore[union-attr]
            f"{ax:.2f} x {ay:.2f} x {az:.2f} m as authored, x{k:.3g} -> {sx * k:.2f} x {sy * k:.2f} x {sz * k:.2f} m"
            + (f"; {flags}" if flags else ""))
        if report.load_path:
            out(f"           rewritten for the loader (sparse accessors applied, buffers made .bin): {report.load_path}")
        for w in report.warnings:
            out(f"           warning: {w}")
    for line in scene.model_problems:
        out(line)
    return 2 if scene.model_problems else 0

"""The VR exhibition hall (VR展厅): scene files, navigation, guided tours and the Panda3D renderer.

The pure parts (``scene``, ``layout``, ``navgrid``, ``tour``, ``atlas``) import no Panda3D, so the kiosk
and the tests can use them cheaply; the renderer (``build``, ``app``) and the child process (``child``)
import it when called. The launcher's entry points are re-exported lazily here:

* ``run_hall(scene_path, goto=None, windowed=True) -> int`` — the interactive hall in this process.
* ``render_view(scene_path, view, size, out_path)`` — one offscreen PNG (spawn | exhibit:ID | tour:N | minimap
  | assistant[:VIEW] | loading).

The kiosk runs the hall in a child process instead: :class:`vr_hall.child.HallLauncher`.

Modules: ``scene`` (schema, checks) · ``layout`` (walls, viewpoints) · ``navgrid`` (occupancy grid, A*) ·
``tour`` (tours, walks, GuideTo) · ``visibility`` (rooms seen through doorways) · ``atlas`` (panel
texture packing) · ``mesh`` (procedural geometry) · ``text3d`` (CJK font, wrapping) · ``build`` (scene
graph) · ``avatar`` (robot guide) · ``ui`` / ``hud`` / ``infopanel`` / ``minimap`` (overlays) ·
``assistant_overlay`` (question and answer caption, 问助手 chips) · ``loading`` (loading card) ·
``engine`` (Panda3D settings) · ``app`` (the interactive hall) · ``child`` (child process) · ``synth``
(generated halls for the benchmark and tests).
"""

from __future__ import annotations

from typing import Any

__all__ = ["render_view", "run_hall"]


def run_hall(*args: Any, **kwargs: Any) -> int:
    """See :func:`vr_hall.app.run_hall` (imported on call: Panda3D is heavy)."""
    from vr_hall.app import run_hall as _run_hall

    return _run_hall(*args, **kwargs)


def render_view(*args: Any, **kwargs: Any) -> Any:
    """See :func:`vr_hall.app.render_view` (imported on call: Panda3D is heavy)."""
    from vr_hall.app import render_view as _render_view

    return _render_view(*args, **kwargs)

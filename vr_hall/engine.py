"""Panda3D start-up settings for the hall, in one place, applied before the first ShowBase.

The terminal has no sound card for Panda3D (speech goes through its own worker), may have no display
(screenshots, tests, CI), and runs on integrated GPUs or Mesa's llvmpipe. Offscreen rendering uses
``p3headlessgl`` (EGL, no X needed) and falls back to the software ``p3tinydisplay``; panel atlases
are not powers of two, so textures are used at their real size.
"""

from __future__ import annotations

from typing import Any, Literal

WindowType = Literal["onscreen", "offscreen", "none"]


def configure(window: WindowType = "onscreen", *, size: tuple[int, int] = (1280, 720), fullscreen: bool = False,
              title: str = "VR展厅", display: str | None = None, stereo: bool = False) -> None:
    """Load the prc settings for the next ShowBase. ``display`` forces a display module
    (p3headlessgl | p3tinydisplay | pandagl)."""
    from panda3d.core import loadPrcFileData

    lines = [
        "audio-library-name null",
        "sync-video false" if window == "offscreen" else "sync-video true",
        "textures-power-2 none",
        "gl-coordinate-system default",
        "framebuffer-multisample 0",
        "notify-level-device fatal",
        "notify-level-display error",
        "print-pipe-types #f",  # ShowBase prints "Known pipe types: …" to stderr on every start
        "notify-level-gltf warning",
        "default-directnotify-level warning",
        f"win-size {size[0]} {size[1]}",
        f"window-title {title}",
        f"fullscreen {'#t' if fullscreen else '#f'}",
        "cursor-hidden #f",
        f"side-by-side-stereo {'#t' if stereo and window == 'onscreen' else '#f'}",
    ]
    if window == "offscreen":
        lines += ["window-type offscreen", f"load-display {display or 'p3headlessgl'}",
                  "aux-display p3tinydisplay"]
    elif window == "none":
        lines += ["window-type none"]
        if display:
            lines.append(f"load-display {display}")
    else:
        lines.append("window-type onscreen")
        if display:
            lines.append(f"load-display {display}")
    page = "\n".join(lines)
    loadPrcFileData("vr_hall", page)


def make_stereo(base: Any) -> None:
    """Side-by-side stereo on ``base``'s window: one display region per eye (offscreen needs it set up
    by hand), for the 3-D view and the 2-D overlay alike, and a lens with the eyes 64 mm apart."""
    from panda3d.core import PerspectiveLens

    win = base.win
    if not win.isStereo():
        win.setSideBySideStereo(True)
        # both the 3-D view and the 2-D overlay get one region per eye, so the overlay keeps
        # its proportions and appears in both halves
        for cam, sort in ((base.cam, 0), (base.cam2d, 10)):
            for dr in list(cam.node().getDisplayRegions()):
                win.removeDisplayRegion(dr)
            dr = win.makeStereoDisplayRegion()
            dr.setCamera(cam)
            dr.setSort(sort)
            if sort:
                dr.setClearDepthActive(True)
    lens = base.camLens
    if isinstance(lens, PerspectiveLens):
        lens.setInterocularDistance(0.064)
        lens.setConvergenceDistance(3.0)

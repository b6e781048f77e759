"""Launcher entry points of the hall: :func:`run_hall` (interactive, ``launcher.py hall``),
:func:`render_view` (one offscreen PNG, ``launcher.py screenshot hall``) and ``python -m vr_hall.launch``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from core.events import Event
from vr_hall.app import HallApp
from vr_hall.scene import SceneError, load_scene
from vr_hall.views import check_view

__all__ = ["check_view", "main", "render_view", "run_hall"]


def render_view(scene_path: str | Path, view: str = "spawn", size: tuple[int, int] = (1280, 720),
                out_path: str | Path = "hall.png", *, stereo: bool = False, language: str = "zh") -> Path:
    """Render one view of the hall offscreen (p3headlessgl, else p3tinydisplay) to a PNG.

    ``view``: spawn | exhibit:ID | tour:N | tour:TOUR_ID:N | minimap | assistant[:VIEW] | loading (see
    :meth:`HallApp.show_view`). Raises SceneError for a bad
    scene file, ValueError for an unknown view, RuntimeError when no offscreen buffer can open."""
    scene = load_scene(scene_path)
    check_view(scene, view.partition(":")[2] if view.startswith("assistant:") else view)
    app = HallApp(scene, window="offscreen", open_now=False, size=size, stereo=stereo, language=language)
    try:
        if not app.open_window():
            raise RuntimeError("no offscreen renderer could open (tried p3headlessgl and p3tinydisplay)")
        app.show_view(view)
        return app.screenshot(out_path)
    finally:
        app.destroy()


def run_hall(config_scene_path: str | Path, goto: str | None = None, windowed: bool = True, *,
             size: tuple[int, int] = (1280, 720), stereo: bool = False,
             publish: Callable[[Event], None] | None = None) -> int:
    """The interactive hall in this process (``launcher.py hall [--goto ID]``). Returns an exit code:
    0 closed normally, 1 no window could open, 2 the scene file is wrong (messages on stderr)."""
    try:
        scene = load_scene(config_scene_path)
    except SceneError as exc:
        print(exc, file=sys.stderr)
        return 2

    def progress(fraction: float, message: str) -> None:
        print(f"\r正在加载 {fraction:4.0%} {message}", end="", file=sys.stderr, flush=True)

    # the window opens first and shows a loading card while the scene is built
    app = HallApp(scene, window="onscreen", open_now=False, size=size, fullscreen=not windowed, stereo=stereo,
                  publish=publish, progress=progress, loading=True)
    print(file=sys.stderr)
    try:
        if not app.open_window():
            print("vr_hall: no window could open (is there a display?)", file=sys.stderr)
            return 1
        if goto and not app.guide_to(goto):
            print(f"vr_hall: no exhibit or room {goto!r}", file=sys.stderr)
        app.run()
        return 0
    finally:
        app.destroy()


def main(argv: list[str] | None = None) -> int:
    """``python -m vr_hall.launch [SCENE] [--goto ID] [--view VIEW --out FILE.png] [--size WxH] [--stereo]``"""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m vr_hall.launch", description="VR展厅: walk the hall or render a view")
    parser.add_argument("scene", nargs="?", default="scenes/hall.yaml")
    parser.add_argument("--goto", help="exhibit or room id to be guided to")
    parser.add_argument("--view", help="render this view offscreen instead: spawn | exhibit:ID | tour:N | minimap "
                        "| assistant | loading")
    parser.add_argument("--out", default="hall.png")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fullscreen", action="store_true")
    parser.add_argument("--stereo", action="store_true")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    if args.view:
        try:
            print(render_view(args.scene, args.view, (w, h), args.out, stereo=args.stereo))
        except SceneError as exc:
            print(exc, file=sys.stderr)
            return 2
        return 0
    return run_hall(args.scene, args.goto, windowed=not args.fullscreen, size=(w, h), stereo=args.stereo)


if __name__ == "__main__":
    raise SystemExit(main())

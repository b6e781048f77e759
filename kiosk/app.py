"""The kiosk application's entry point: opens the window, builds the app, starts the workers, runs the loop.

The parts live apart: :mod:`kiosk.shell` is the app itself (screens, navigation, the event bus each frame),
:mod:`kiosk.workers` the background workers wired around it, :mod:`kiosk.screenshot` the headless renders.
Their names are importable from here too, where the launcher, tests and benches have always found them.
"""

from __future__ import annotations

import os
import sys

import pygame

from core.config import Config
from kiosk.screenshot import screen_names, screenshot
from kiosk.shell import (
    ADMIN_HOLD_S,
    SCREEN_EVENTS,
    URGENT_BANNER_EVERY_S,
    URGENT_CHECK_S,
    KioskApp,
    KioskNavigator,
    release_free_memory,
)
from kiosk.ui.gestures import GestureConfig, GestureRecognizer
from kiosk.watchdog import Watchdog
from kiosk.workers import Workers, start_assistant, start_hall, start_workers

__all__ = ["ADMIN_HOLD_S", "SCREEN_EVENTS", "URGENT_BANNER_EVERY_S", "URGENT_CHECK_S", "KioskApp", "KioskNavigator",
           "Workers", "display_size", "release_free_memory", "run_kiosk", "screen_names", "screenshot",
           "start_assistant", "start_hall", "start_workers"]


def display_size(config: Config, windowed: bool) -> tuple[int, int]:
    if config.kiosk.size:
        return tuple(config.kiosk.size)  # type: ignore[return-value]
    if windowed:
        return (1280, 720)
    info = pygame.display.Info()
    return (info.current_w, info.current_h)


def run_kiosk(config: Config, windowed: bool = False) -> int:
    """Open the window and run until exit; returns the process exit code."""
    from kiosk.ui.loop import run

    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")  # 31 ms → 4.5 ms per 1080p redraw under X
    pygame.init()
    size = display_size(config, windowed)
    flags = 0 if windowed or not config.kiosk.fullscreen else pygame.FULLSCREEN
    surface = pygame.display.set_mode(size, flags)
    pygame.display.set_caption("智慧党建终端")
    pygame.mouse.set_visible(windowed)
    app = KioskApp(config, surface.get_size())
    workers = start_workers(app, surface, fullscreen=not windowed and config.kiosk.fullscreen)
    watchdog = Watchdog()
    recognizer = GestureRecognizer(surface.get_size(), GestureConfig(hold_s=(ADMIN_HOLD_S,)))

    def on_frame(dt: float) -> None:
        watchdog.alive()
        workers.poll(app)
        app.on_frame(dt)

    watchdog.ready()
    try:
        run(app.nav, surface, recognizer=recognizer, fps=config.kiosk.fps, on_frame=on_frame,
            should_stop=lambda: app.exit_code is not None)
    finally:
        workers.stop()
        pygame.quit()
    return app.exit_code or 0


if __name__ == "__main__":  # a quick look: python -m kiosk.app
    from core.config import load_config

    sys.exit(run_kiosk(load_config(), windowed=True))

"""Screens rendered headless to PNG files (``launcher.py screenshot kiosk``): the README's pictures, a
look at every screen in both orientations, and the before/after checks of a change to the UI. (The remote
administrator's screenshot is the live screen, taken on the UI thread: kiosk/remote_handlers.py.)"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pygame

from core.config import Config
from core.terminal import open_terminal
from kiosk.screens import registry
from kiosk.screens.admin import AdminPanelScreen, AdminSignInScreen
from kiosk.screens.attract import AttractScreen
from kiosk.shell import KioskApp


def screenshot(config: Config, names: list[str], size: tuple[int, int], out: Path,
               lang: str | None = None, progress: Callable[[Path], object] | None = None) -> list[Path]:
    """Render screens headless (SDL dummy driver) to PNG files; ``out`` is a file for one name, else a folder.
    ``progress`` hears of each file as it is written (``screenshot --all`` takes a while)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    pygame.init()
    pygame.display.set_mode((1, 1))
    surface = pygame.Surface(size)
    terminal = open_terminal(config)[0]
    written = []
    for name in names:
        app = KioskApp(config, size, terminal=terminal, animations=False)
        if lang and lang != app.ctx.lang:
            app.home.toggle_language()
        if name == "attract":
            app.nav.push(AttractScreen(app.ctx, app.wake))
        elif name == "admin":
            app.open_admin()
        elif name == "admin_panel":
            app.nav.push(AdminPanelScreen(app.ctx))
        elif name == "admin_signin":
            app.nav.push(AdminSignInScreen(app.ctx))
        elif name == "home":
            pass
        elif name == "urgent":
            app.check_urgent()
        elif name in app.screens:
            app.open_screen(name)
        else:
            raise KeyError(name)
        app.render(surface)
        target = out if len(names) == 1 and out.suffix == ".png" else out / f"kiosk-{name}-{size[0]}x{size[1]}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(surface, str(target))
        written.append(target)
        if progress is not None:
            progress(target)
    pygame.quit()
    return written


def screen_names(config: Config | None = None) -> list[str]:
    return ["home", *registry(), "attract", "urgent", "admin", "admin_panel", "admin_signin"]

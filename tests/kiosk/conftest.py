"""A real kiosk app on the dummy video driver, over a fresh SQLite database with the demo site."""

from __future__ import annotations

import os
from datetime import UTC, datetime

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame
import pygame.freetype  # the session fixture below starts it; a file run alone may import no kiosk font code
import pytest

from core.config import load_config
from core.content import active_urgent
from core.secrets import hash_pin

#: A Thursday afternoon in Asia/Shanghai (14:00), inside the demo's week.
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
ADMIN_PIN = "246810"


class Clock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


@pytest.fixture(scope="session", autouse=True)
def _pygame():
    pygame.display.init()
    pygame.freetype.init()
    pygame.display.set_mode((64, 64))
    yield
    pygame.quit()


@pytest.fixture
def kiosk_config(tmp_path):
    return load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"),
                                "DANGJIAN__KIOSK__ADMIN_PIN_HASH": hash_pin(ADMIN_PIN),
                                "DANGJIAN__KIOSK__IDLE_SECONDS": "60"})


@pytest.fixture
def make_app(kiosk_config):
    from kiosk.app import KioskApp

    apps = []

    def make(size=(1920, 1080), now=None, urgent=False):
        app = KioskApp(kiosk_config, size, animations=False, clock=(lambda: now) if now else None)
        apps.append(app)
        if not urgent:
            with app.terminal.db.session() as s:
                item = active_urgent(s, app.ctx.now())
                if item is not None:
                    item.cleared_at = app.ctx.now()
        return app

    yield make
    for app in apps:
        app.terminal.db.dispose()

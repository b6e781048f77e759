"""Fixtures for the touch UI toolkit tests: real pygame on the dummy video driver, real CJK fonts."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest tests/kiosk_ui` from anywhere imports this checkout's kiosk
    sys.path.insert(0, str(ROOT))

import pygame  # noqa: E402
import pygame.freetype  # noqa: E402
import pytest  # noqa: E402

from kiosk.ui.fonts import Fonts  # noqa: E402
from kiosk.ui.theme import Theme  # noqa: E402


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session", autouse=True)
def _pygame() -> None:
    pygame.display.init()
    pygame.freetype.init()
    pygame.display.set_mode((64, 64))
    yield
    pygame.quit()


@pytest.fixture(scope="session")
def fonts() -> Fonts:
    return Fonts.default()


@pytest.fixture(scope="session")
def landscape(fonts: Fonts) -> Theme:
    return Theme.for_screen((1920, 1080), fonts)


@pytest.fixture(scope="session")
def portrait(fonts: Fonts) -> Theme:
    return Theme.for_screen((1080, 1920), fonts)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

"""Fixtures for the hall's tests: the demo scene, its navigation grid, and one offscreen hall.

Panda3D allows one ShowBase per process, and building the demo hall takes about a second, so the
offscreen hall is built once per test session and shared; each test starts with ``app.reset()``.
Screenshots go to a temporary folder, or to ``$HALL_SHOTS`` when set (to look at them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vr_hall.navgrid import NavGrid
from vr_hall.scene import Scene, load_scene

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenes" / "hall.yaml"
SITE_LINE = "site: ../content/demo/site.yaml"


def portable(text: str) -> str:
    """The demo scene's text for a copy elsewhere: ``hall.site`` made absolute (same line), so the copy
    still finds its site facts."""
    assert SITE_LINE in text
    return text.replace(SITE_LINE, f"site: {ROOT / 'content' / 'demo' / 'site.yaml'}")


@pytest.fixture(scope="session")
def demo_scene() -> Scene:
    return load_scene(DEMO)


@pytest.fixture(scope="session")
def nav(demo_scene: Scene) -> NavGrid:
    return NavGrid(demo_scene)


@pytest.fixture(scope="session")
def hall_app(demo_scene: Scene) -> Iterator[object]:
    """The demo hall in an offscreen buffer (1280×720), with a list of what it published."""
    from vr_hall.app import HallApp

    published: list = []
    app = HallApp(demo_scene, window="offscreen", size=(1280, 720), publish=published.append)
    app.published = published  # type: ignore[attr-defined]
    yield app
    app.destroy()


@pytest.fixture
def app(hall_app: object) -> object:
    hall_app.reset()  # type: ignore[attr-defined]
    hall_app.published.clear()  # type: ignore[attr-defined]
    return hall_app


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("HALL_SHOTS")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("hall-shots")

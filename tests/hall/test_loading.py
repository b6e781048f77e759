"""The loading card: drawn on the session's offscreen hall, and — in a fresh process, as
``launcher.py hall`` runs — shown in the window while the scene is built, a frame after each step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from vr_hall import ui
from vr_hall.loading import BACKGROUND, TRACK, LoadingCard
from vr_hall.scene import load_scene

from .conftest import DEMO, ROOT

GOLD = np.array(ui.GOLD[:3]) * 255


def bar_row(app, card: LoadingCard) -> tuple[np.ndarray, int, int]:
    """The frame's pixels along the middle of the bar, and the bar's first and last pixel column."""
    w, h = app.size
    left, right, bottom, top = card.bar_rect()
    rgb = app.frame_rgb().astype(int)
    y = int((1 - (bottom + top) / 2) / 2 * h)
    return rgb[y], int((left + 1) / 2 * w), int((right + 1) / 2 * w)


def near(pixel: np.ndarray, colour) -> bool:
    return bool(np.abs(pixel - np.asarray(colour[:3]) * (255 if max(colour[:3]) <= 1 else 1)).max() < 24)


def test_loading_card_draws_its_bar_and_text(app, shots: Path) -> None:
    blank = app.frame_rgb().astype(int)
    card = LoadingCard(app.base, app.font, "星河能源党建VR展厅")
    try:
        card.update(0.25, "党史长廊 Party History Gallery")
        assert card.frames == 1 and card.percent.getText() == "25%"
        assert card.step.getText() == "党史长廊 Party History Gallery"
        row, x0, x1 = bar_row(app, card)
        at = lambda f: row[x0 + int(f * (x1 - x0))]  # noqa: E731
        assert near(at(0.1), GOLD) and near(at(0.2), GOLD)
        assert near(at(0.4), TRACK) and near(at(0.9), TRACK)
        rgb = app.frame_rgb()
        Image.fromarray(rgb).save(shots / "loading.png")
        assert near(rgb[5, 5].astype(int), BACKGROUND), "the hall should be hidden behind the card"
        # text: gold title strokes above the bar, light step text below it
        _left, _right, bottom, top = card.bar_rect()
        h = app.size[1]
        bar_top, bar_bottom = int((1 - top) / 2 * h), int((1 - bottom) / 2 * h)
        above = rgb[bar_top - 130:bar_top].astype(int)
        gold = (np.abs(above - GOLD).max(axis=2) < 40).sum()
        assert gold > 400, f"only {gold} gold pixels of the title"
        below = rgb[bar_bottom:bar_bottom + 50, x0:x0 + (x1 - x0) // 2]
        assert (below.min(axis=2) > 170).sum() > 150, "the step message is missing"
        card.update(0.75, "北斗科技馆 BeiDou Technology Hall")
        row, x0, x1 = bar_row(app, card)
        assert near(row[x0 + int(0.6 * (x1 - x0))], GOLD) and near(row[x0 + int(0.9 * (x1 - x0))], TRACK)
        assert card.frames == 2
    finally:
        card.destroy()
    assert np.abs(app.frame_rgb().astype(int) - blank).max() < 30  # gone without a trace


SCRIPT = """
import builtins, json, sys
from panda3d.core import ClockObject
from vr_hall.app import HallApp
from vr_hall.scene import load_scene

steps = []

def progress(fraction, message):
    base = getattr(builtins, "base", None)  # ShowBase's global
    win = base.win if base is not None else None
    pixel = None
    if win is not None:  # what the window shows now: the card as the previous step left it
        tex = win.getScreenshot()
        w, h = tex.getXSize(), tex.getYSize()
        data = bytes(tex.getRamImageAs("RGB"))
        x, y = int(w * 0.5), int(h * 0.5 - 30 * h / 1080)  # the bar's middle (30 ref px below the centre)
        i = (y * w + x) * 3
        pixel = list(data[i:i + 3])
    steps.append([fraction, message, ClockObject.getGlobalClock().getFrameCount(), pixel])

app = HallApp(load_scene(sys.argv[1]), window="offscreen", open_now=False, size=(640, 360), loading=True,
              progress=progress)
print(json.dumps({"steps": steps, "open": app.window_open, "hud": app.hud is not None,
                  "card": app.loading is not None}))
app.destroy()
"""


def test_the_window_shows_the_card_while_the_scene_builds() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(DEMO)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    steps = out["steps"]
    assert out["open"] and out["hud"] and not out["card"]  # the hall is ready, the card gone
    fractions = [s[0] for s in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) >= 5
    for room in load_scene(DEMO).rooms:  # a step for each room
        assert any(s[1] == f"{room.name_zh} {room.name_en}" for s in steps), room.id
    frames = [s[2] for s in steps]
    assert frames[-1] - frames[0] >= len(steps) - 2, f"no frame drawn between steps: {frames}"
    assert all(s[3] is not None for s in steps), "the window should be open from the first step"
    # the bar's middle: still the track early on, gold once past half
    early = next(s[3] for s in steps if s[0] >= 0.05)
    late = steps[-1][3]
    assert near(np.array(early), TRACK) and near(np.array(late), ui.GOLD), (early, late)

"""The hall's overlay style: the kiosk's palette and sizes, in aspect2d units.

Sizes are written in "reference pixels" of a screen whose short side is 1080 px — the design card's
rules (body ≥ 28 px, titles ≥ 44 px, touch targets ≥ 80 px with ≥ 16 px gaps) apply to them
directly. In aspect2d the short side always spans 2 units, so one reference pixel is 2/1080 units
at every resolution and in portrait as well as landscape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton
from panda3d.core import NodePath, Point3, TextNode

#: aspect2d units per reference pixel.
PX = 2.0 / 1080.0

RED = (0xC8 / 255, 0x16 / 255, 0x1D / 255, 1.0)
RED_DARK = (0x8E / 255, 0x0F / 255, 0x14 / 255, 1.0)
GOLD = (0xF2 / 255, 0xC1 / 255, 0x4E / 255, 1.0)
WARM_WHITE = (0xFA / 255, 0xF6 / 255, 0xEF / 255, 1.0)
INK = (0x22 / 255, 0x22 / 255, 0x22 / 255, 1.0)
SCRIM = (0.07, 0.05, 0.05, 0.78)
PRESSED = (0.55, 0.04, 0.07, 1.0)

BODY = 30
"""Body text, reference px (≥ 28)."""
TITLE = 46
"""Titles, reference px (≥ 44)."""
BUTTON_TEXT = 34
TARGET = 96
"""Button height, reference px (≥ 80)."""
GAP = 18
"""Space between buttons, reference px (≥ 16)."""


def px(value: float) -> float:
    return value * PX


def button(parent: NodePath, label: str, font: Any, x: float, y: float, w: float = 150, h: float = TARGET,
           command: Callable[[], None] | None = None, colour: tuple = RED, text_colour: tuple = WARM_WHITE,
           text_size: float = BUTTON_TEXT, name: str = "") -> DirectButton:
    """A flat touch button centred at (x, y) reference px from ``parent`` (an a2d anchor); it darkens
    while pressed (visible within the frame) and runs ``command`` on release inside it."""
    pressed = tuple(c * 0.62 for c in colour[:3]) + (1.0,)
    b = DirectButton(
        parent=parent,
        text=label,
        text_font=font,
        text_scale=px(text_size),
        text_fg=text_colour,
        text_align=TextNode.ACenter,
        text_pos=(0, -px(text_size) * 0.36),
        frameSize=(-px(w) / 2, px(w) / 2, -px(h) / 2, px(h) / 2),
        frameColor=(colour, pressed, colour, (0.5, 0.5, 0.5, 1.0)),
        relief=DGG.FLAT,
        pressEffect=0,
        pos=(px(x), 0, px(y)),
        command=command,
        rolloverSound=None,
        clickSound=None,
    )
    if name:
        b.setName(name)
    return b


def frame_rect(frame: Any, render2d: NodePath) -> tuple[float, float, float, float]:
    """A DirectFrame's frame in render2d units (-1…1): left, right, bottom, top. (getTightBounds does
    not see it: the frame is drawn by its PGItem, not by geometry under it.)"""
    left, right, bottom, top = frame["frameSize"]
    a = render2d.getRelativePoint(frame, Point3(left, 0, bottom))
    b = render2d.getRelativePoint(frame, Point3(right, 0, top))
    return min(a.x, b.x), max(a.x, b.x), min(a.z, b.z), max(a.z, b.z)

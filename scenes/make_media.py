#!/usr/bin/env python3
"""Generate the media referenced by ``scenes/hall.yaml`` into ``scenes/media/``.

What it makes
-------------
* one PNG (1024x720) for every ``image_panel`` exhibit: a flat illustration in the
  party-building palette (党建红 #C8161D, gold #F2C14E, warm white #FAF6EF, ink #222)
  with the exhibit's Chinese title, its English title and a short line taken from the
  Chinese description. Images are palette-quantised and optimised to stay below 80 KB.
* one small glTF 2.0 file (``.gltf`` with the binary buffer embedded as base64) for
  every ``model`` / ``showcase`` exhibit, built from boxes, tapered boxes and cylinders
  with one ``baseColorFactor`` material per part: the red boat (h02), the kiosk terminal
  (a06) and the BeiDou satellite (b03).

Model conventions (see also the header of hall.yaml): metres, origin at the centre of
the footprint on the floor, the model's front (display side) towards +y of the hall's
z-up frame, so a renderer places it at (x, y, 0) with H = the exhibit's ``facing``.
glTF itself is y-up, so vertices are written as (x, z, -y); panda3d-gltf converts them
back to Panda3D's z-up frame. Every part is its own named node ("hull", "screen", ...).

Output is deterministic: same inputs, same bytes. Only the Python standard library,
numpy, Pillow and PyYAML are used.

Usage::

    python3 scenes/make_media.py            # writes scenes/media/*
    python3 scenes/make_media.py --check    # the same, and print the font used and every file size

Fonts: the first of these that exists is used (the script exits with a hint otherwise):
``/usr/share/fonts/truetype/wqy/wqy-microhei.ttc`` (index 0) or
``/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc`` (index 2, Simplified Chinese);
install one with ``apt-get install -y fonts-wqy-microhei``.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
HALL = HERE / "hall.yaml"
MEDIA = HERE / "media"

# ----------------------------------------------------------------------------- palette
RED = (200, 22, 29)  # 党建红 #C8161D
GOLD = (242, 193, 78)  # #F2C14E
WHITE = (250, 246, 239)  # warm white #FAF6EF
INK = (34, 34, 34)  # #222
DEEP_RED = (150, 16, 22)  # shade of the red for depth in the illustrations
PALE_GOLD = (248, 226, 170)  # tint of the gold

W, H = 1024, 720
MAX_PNG_BYTES = 80 * 1024

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
]


def find_font() -> tuple[str, int]:
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            return path, index
    sys.exit("make_media.py: no CJK font found; install one with: apt-get install -y fonts-wqy-microhei")


class Fonts:
    """Caches ImageFont objects of the chosen CJK font by size."""

    def __init__(self) -> None:
        self.path, self.index = find_font()
        self._cache: dict[int, ImageFont.FreeTypeFont] = {}

    def __call__(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._cache:
            self._cache[size] = ImageFont.truetype(self.path, size, index=self.index)
        return self._cache[size]


# ============================================================================ PNG panels
# Illustrations are drawn at 2x on a square canvas and scaled down (anti-aliasing).
ILL = 440  # final size of the square illustration
S = 2 * ILL  # drawing size


def _star(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill, rot: float = -90.0) -> None:
    """Five-pointed star with outer radius r (inner radius = 0.382 r)."""
    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.382
        a = math.radians(rot + i * 36)
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    d.polygon(pts, fill=fill)


def _rays(d, cx, cy, r0, r1, n, fill, width_deg=6.0):
    for i in range(n):
        a = math.radians(i * 360 / n)
        b = math.radians(width_deg / 2)
        d.polygon(
            [
                (cx + r0 * math.cos(a - b), cy + r0 * math.sin(a - b)),
                (cx + r1 * math.cos(a - b * 2.5), cy + r1 * math.sin(a - b * 2.5)),
                (cx + r1 * math.cos(a + b * 2.5), cy + r1 * math.sin(a + b * 2.5)),
                (cx + r0 * math.cos(a + b), cy + r0 * math.sin(a + b)),
            ],
            fill=fill,
        )


def _hills(d, base, peaks, fill):
    """Polygon through (x, y) peaks closed along the bottom edge y = base."""
    d.polygon([(peaks[0][0], base)] + list(peaks) + [(peaks[-1][0], base)], fill=fill)


def _flag(d, x, y, h, fill=RED, pole=INK):
    d.rectangle([x - 5, y, x + 5, y + h], fill=pole)
    d.polygon([(x + 5, y), (x + h * 0.55, y + h * 0.12), (x + 5, y + h * 0.26)], fill=fill)


def _sun(d, cx, cy, r, fill=GOLD):
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)


def m_star_rays(d):
    d.ellipse([60, 60, S - 60, S - 60], fill=RED)
    _rays(d, S / 2, S / 2, 150, 380, 24, GOLD, 5)
    _star(d, S / 2, S / 2 + 10, 230, GOLD)
    _star(d, S / 2, S / 2 + 10, 120, PALE_GOLD)


def m_mountains(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    _sun(d, 600, 260, 120)
    _rays(d, 600, 260, 140, 260, 16, PALE_GOLD, 6)
    _hills(d, S, [(0, 600), (220, 360), (420, 620), (620, 420), (S, 640)], DEEP_RED)
    _hills(d, S, [(0, 760), (300, 520), (560, 740), (S, 560)], RED)
    _flag(d, 300, 330, 200)
    for x, y in ((120, 700), (500, 760), (760, 700)):
        _star(d, x, y, 26, GOLD)


def m_house(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.rectangle([0, 700, S, S], fill=RED)
    d.rectangle([170, 330, 710, 700], fill=PALE_GOLD)
    d.polygon([(130, 340), (750, 340), (660, 250), (220, 250)], fill=INK)
    d.rectangle([170, 500, 710, 520], fill=INK)
    for x in (210, 330, 470, 590):
        d.rectangle([x, 380, x + 80, 470], fill=RED)
        d.rectangle([x, 560, x + 80, 650], fill=RED)
    d.rectangle([400, 560, 480, 700], fill=DEEP_RED)
    _flag(d, 440, 90, 160)
    _sun(d, 150, 150, 60)


def m_road(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    _hills(d, S, [(0, 480), (160, 230), (300, 420), (470, 170), (640, 400), (780, 260), (S, 460)], DEEP_RED)
    for px, py in ((160, 230), (470, 170), (780, 260)):
        d.polygon([(px, py), (px - 55, py + 80), (px + 55, py + 80)], fill=WHITE)
    _hills(d, S, [(0, 620), (300, 500), (600, 600), (S, 520)], RED)
    path = [(80, 860), (300, 790), (200, 720), (480, 660), (380, 600), (640, 540), (560, 480)]
    d.line(path, fill=GOLD, width=30, joint="curve")
    _star(d, 560, 440, 50, GOLD)


def m_pagoda(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    _sun(d, 660, 200, 90, WHITE)
    _hills(d, S, [(0, 640), (250, 520), (440, 470), (640, 540), (S, 600)], RED)
    cx = 440
    for i in range(9):
        w = 120 - i * 9
        y0 = 470 - i * 38
        d.rectangle([cx - w / 2, y0 - 30, cx + w / 2, y0], fill=DEEP_RED if i % 2 else INK)
        d.rectangle([cx - w / 2 - 14, y0 - 34, cx + w / 2 + 14, y0 - 26], fill=INK)
    d.polygon([(cx - 20, 130), (cx + 20, 130), (cx, 60)], fill=INK)
    d.rectangle([0, 760, S, 800], fill=WHITE)
    d.rectangle([0, 820, S, 840], fill=WHITE)


def m_great_wall(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    _sun(d, 440, 330, 170)
    _rays(d, 440, 330, 190, 330, 20, PALE_GOLD, 6)
    _hills(d, S, [(0, 640), (220, 520), (440, 600), (660, 480), (S, 580)], DEEP_RED)
    top = [(0, 600), (220, 480), (440, 560), (660, 440), (S, 540)]
    d.line(top, fill=RED, width=70, joint="curve")
    for i in range(0, S, 60):
        # crenellations along the wall
        t = i / S * 4
        k = min(int(t), 3)
        f = t - k
        y = top[k][1] * (1 - f) + top[k + 1][1] * f
        d.rectangle([i, y - 70, i + 30, y - 30], fill=RED)
    d.rectangle([0, 720, S, S], fill=RED)


def m_gate(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.rectangle([0, 760, S, S], fill=PALE_GOLD)
    d.rectangle([90, 520, 790, 760], fill=RED)
    for x in (190, 310, 410, 510, 630):
        w = 60 if x != 410 else 80
        d.rounded_rectangle([x, 600, x + w, 760], radius=30, fill=DEEP_RED)
    d.rectangle([150, 400, 730, 520], fill=RED)
    d.polygon([(100, 410), (780, 410), (700, 330), (180, 330)], fill=GOLD)
    d.polygon([(160, 330), (720, 330), (650, 260), (230, 260)], fill=GOLD)
    d.ellipse([405, 425, 475, 495], fill=GOLD)
    for x, y, r in ((190, 120, 60), (290, 70, 22), (330, 130, 22), (320, 200, 22), (280, 240, 22)):
        _star(d, x, y, r, RED)


def m_city(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    _sun(d, 660, 220, 110, WHITE)
    xs = [(60, 520), (160, 380), (270, 460), (370, 250), (480, 420), (580, 320), (690, 480), (780, 400)]
    for i, (x, top) in enumerate(xs):
        d.rectangle([x, top, x + 90, 760], fill=RED if i % 2 else DEEP_RED)
        for wy in range(top + 30, 740, 60):
            d.rectangle([x + 20, wy, x + 40, wy + 24], fill=GOLD)
            d.rectangle([x + 55, wy, x + 75, wy + 24], fill=GOLD)
    d.rectangle([0, 760, S, S], fill=INK)
    d.line([(0, 820), (S, 820)], fill=GOLD, width=10)


def m_rising(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    for i, h in enumerate((180, 280, 380, 500, 640)):
        x = 90 + i * 145
        d.rectangle([x, 780 - h, x + 100, 780], fill=RED if i < 4 else DEEP_RED)
    d.line([(90, 620), (300, 500), (460, 420), (620, 300), (780, 140)], fill=GOLD, width=28)
    d.polygon([(800, 90), (740, 150), (830, 190)], fill=GOLD)
    d.rectangle([60, 780, 820, 800], fill=INK)


def m_home(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    _sun(d, 680, 190, 90)
    for i in range(6):
        d.arc([-200 + i * 40, 560 + i * 40, S + 200 - i * 40, 1400], 200, 340, fill=GOLD, width=16)
    d.rectangle([0, 720, S, S], fill=PALE_GOLD)
    d.rectangle([250, 420, 630, 720], fill=WHITE, outline=RED, width=14)
    d.polygon([(200, 430), (680, 430), (440, 250)], fill=RED)
    d.rectangle([400, 560, 480, 720], fill=DEEP_RED)
    d.rectangle([290, 480, 360, 550], fill=GOLD)
    d.rectangle([520, 480, 590, 550], fill=GOLD)
    for x in range(40, S, 90):
        d.line([(x, 820), (x + 30, 760)], fill=GOLD, width=10)


def m_great_hall(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    _rays(d, 440, 250, 120, 520, 28, WHITE, 5)
    _star(d, 440, 250, 110, RED)
    d.rectangle([80, 440, 800, 480], fill=RED)
    d.rectangle([110, 480, 770, 720], fill=WHITE)
    for i in range(12):
        x = 130 + i * 55
        d.rectangle([x, 490, x + 24, 720], fill=RED)
    d.rectangle([60, 720, 820, 760], fill=DEEP_RED)
    d.rectangle([20, 760, 860, 800], fill=RED)
    for i in range(5):
        d.rectangle([0, 820 + i * 14, S, 826 + i * 14], fill=GOLD)


def m_flame(d):
    d.ellipse([80, 80, S - 80, S - 80], fill=PALE_GOLD)
    d.polygon(
        [
            (440, 120),
            (600, 380),
            (640, 560),
            (560, 720),
            (440, 760),
            (320, 720),
            (240, 560),
            (290, 400),
            (360, 470),
        ],
        fill=RED,
    )
    d.polygon([(440, 380), (530, 520), (530, 650), (440, 710), (350, 650), (360, 540)], fill=GOLD)
    for x, y, r in ((220, 260, 30), (680, 240, 36), (700, 500, 24), (180, 520, 22)):
        _star(d, x, y, r, RED)


def m_badge(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.polygon([(440, 110), (720, 210), (700, 520), (440, 780), (180, 520), (160, 210)], fill=RED)
    d.polygon([(440, 170), (660, 250), (645, 500), (440, 710), (235, 500), (220, 250)], fill=DEEP_RED)
    _star(d, 440, 420, 170, GOLD)
    d.rectangle([250, 780, 630, 840], fill=GOLD)


def m_calendar(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    d.rounded_rectangle([120, 160, 760, 780], radius=40, fill=WHITE)
    d.rounded_rectangle([120, 160, 760, 300], radius=40, fill=RED)
    d.rectangle([120, 250, 760, 300], fill=RED)
    for x in (240, 640):
        d.rounded_rectangle([x - 20, 110, x + 20, 210], radius=16, fill=INK)
    for r in range(3):
        for c in range(4):
            x = 170 + c * 145
            y = 340 + r * 145
            d.rounded_rectangle([x, y, x + 110, y + 110], radius=16, fill=PALE_GOLD)
            if (r * 4 + c) % 3 != 2:
                d.line([(x + 22, y + 58), (x + 48, y + 84), (x + 92, y + 28)], fill=RED, width=16)


def m_heart(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.ellipse([60, 60, S - 60, S - 60], fill=PALE_GOLD)
    d.ellipse([190, 220, 450, 480], fill=RED)
    d.ellipse([430, 220, 690, 480], fill=RED)
    d.polygon([(200, 400), (680, 400), (440, 700)], fill=RED)
    _star(d, 440, 420, 90, GOLD)
    d.rounded_rectangle([120, 640, 360, 720], radius=36, fill=GOLD)
    d.rounded_rectangle([520, 640, 760, 720], radius=36, fill=GOLD)


def m_solar(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    _sun(d, 680, 180, 100)
    _rays(d, 680, 180, 120, 200, 12, GOLD, 8)
    _hills(d, S, [(0, 520), (300, 440), (600, 520), (S, 460)], RED)
    for i in range(3):
        x = 110 + i * 230
        d.polygon([(x, 640), (x + 180, 640), (x + 150, 520), (x + 30, 520)], fill=INK)
        for k in range(1, 3):
            d.line([(x + k * 60, 640), (x + 30 + k * 40, 520)], fill=GOLD, width=6)
        d.rectangle([x + 80, 640, x + 100, 700], fill=INK)
    d.rectangle([0, 700, S, S], fill=PALE_GOLD)
    for x in range(30, S, 70):
        d.line([(x, 880), (x + 20, 740)], fill=GOLD, width=12)


def m_lotus(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.ellipse([100, 640, 780, 820], fill=PALE_GOLD)
    d.ellipse([260, 690, 620, 770], fill=GOLD)
    cx, by = 440, 660
    for ang, col in ((-62, DEEP_RED), (62, DEEP_RED), (-32, RED), (32, RED), (0, RED)):
        a = math.radians(ang)
        ux, uy = math.sin(a), -math.cos(a)  # petal axis
        pts = []
        for k in range(40):  # ellipse 330 long, 150 wide
            t = 2 * math.pi * k / 40
            along = 165 + 165 * math.cos(t)
            across = 75 * math.sin(t) * (1 - 0.35 * (1 + math.cos(t)) / 2)
            pts.append((cx + along * ux - across * uy, by + along * uy + across * ux))
        d.polygon(pts, fill=col)
    d.line([(440, 660), (440, 840)], fill=INK, width=14)
    _sun(d, 160, 160, 50)


def m_youth_flag(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    _hills(d, S, [(0, 760), (440, 300), (S, 760)], RED)
    _hills(d, S, [(0, 820), (200, 640), (420, 760), (640, 600), (S, 800)], DEEP_RED)
    d.rectangle([432, 100, 448, 320], fill=INK)
    d.polygon([(448, 100), (700, 150), (448, 220)], fill=RED)
    _star(d, 520, 155, 30, GOLD)
    d.polygon([(150, 200), (230, 200), (190, 290), (250, 290), (140, 440), (170, 320), (110, 320)], fill=GOLD)


def m_globe(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.ellipse([200, 200, 680, 680], fill=RED)
    for half in (240, 150, 60):  # meridians
        d.ellipse([440 - half, 200, 440 + half, 680], outline=DEEP_RED, width=10)
    d.ellipse([200, 380, 680, 500], outline=DEEP_RED, width=10)
    d.line([(200, 440), (680, 440)], fill=DEEP_RED, width=10)
    d.ellipse([60, 300, 820, 580], outline=GOLD, width=14)
    d.ellipse([120, 120, 760, 760], outline=PALE_GOLD, width=10)
    for x, y in ((70, 440), (800, 470), (440, 120), (230, 690)):
        d.rectangle([x - 18, y - 18, x + 18, y + 18], fill=INK)
        d.rectangle([x - 60, y - 8, x + 60, y + 8], fill=GOLD)


def m_message(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.rectangle([160, 460, 720, 800], fill=RED)
    d.polygon([(160, 460), (440, 650), (720, 460)], fill=DEEP_RED)
    d.line([(160, 800), (400, 620)], fill=DEEP_RED, width=10)
    d.line([(720, 800), (480, 620)], fill=DEEP_RED, width=10)
    d.rectangle([410, 110, 470, 170], fill=INK)
    d.rectangle([300, 125, 580, 155], fill=GOLD)
    for r in (110, 190, 270):
        d.arc([440 - r, 250 - r, 440 + r, 250 + r], 60, 120, fill=GOLD, width=16)


def m_pin(d):
    d.rectangle([0, 0, S, S], fill=PALE_GOLD)
    for x in range(0, S, 110):
        d.line([(x, 0), (x, S)], fill=WHITE, width=8)
        d.line([(0, x), (S, x)], fill=WHITE, width=8)
    d.line([(80, 700), (300, 560), (520, 640), (800, 420)], fill=GOLD, width=18)
    for x, y in ((300, 560), (520, 640), (800, 420)):
        d.ellipse([x - 22, y - 22, x + 22, y + 22], fill=DEEP_RED)
    d.ellipse([280, 130, 600, 450], fill=RED)
    d.polygon([(300, 360), (580, 360), (440, 640)], fill=RED)
    _star(d, 440, 300, 100, GOLD)


def m_tower(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.rectangle([0, 780, S, S], fill=PALE_GOLD)
    d.polygon([(260, 780), (380, 220), (420, 220), (540, 780)], outline=INK, width=14)
    for y, w in ((330, 170), (450, 230)):
        d.line([(400 - w, y), (400 + w, y)], fill=INK, width=14)
    for k in range(5):
        y0 = 260 + k * 100
        d.line([(340 - k * 20, y0), (460 + k * 20, y0 + 100)], fill=INK, width=8)
        d.line([(460 + k * 20, y0), (340 - k * 20, y0 + 100)], fill=INK, width=8)
    d.line([(0, 380), (230, 330), (570, 330), (S, 300)], fill=GOLD, width=6)
    dx, dy = 680, 170
    d.rectangle([dx - 70, dy - 16, dx + 70, dy + 16], fill=RED)
    for sx in (-90, 90):
        d.ellipse([dx + sx - 50, dy - 34, dx + sx + 50, dy - 14], fill=INK)
    d.polygon(
        [(dx - 40, dy + 16), (dx + 40, dy + 16), (dx + 160, dy + 260), (dx - 160, dy + 260)], fill=PALE_GOLD
    )


def m_truck(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    d.rectangle([0, 700, S, S], fill=INK)
    for x in range(40, S, 160):
        d.rectangle([x, 780, x + 90, 796], fill=GOLD)
    d.rectangle([120, 400, 560, 640], fill=RED)
    d.polygon([(560, 460), (700, 460), (760, 560), (760, 640), (560, 640)], fill=DEEP_RED)
    d.polygon([(590, 480), (690, 480), (730, 550), (590, 550)], fill=PALE_GOLD)
    for x in (220, 460, 660):
        d.ellipse([x - 55, 600, x + 55, 710], fill=INK)
        d.ellipse([x - 22, 633, x + 22, 677], fill=GOLD)
    _star(d, 340, 520, 60, GOLD)
    for r in (70, 130, 190):
        d.arc([640 - r, 300 - r, 640 + r, 300 + r], 220, 320, fill=GOLD, width=14)


def m_target(d):
    d.rectangle([0, 0, S, S], fill=WHITE)
    for r, col in ((360, RED), (280, WHITE), (200, RED), (120, WHITE), (50, GOLD)):
        d.ellipse([440 - r, 440 - r, 440 + r, 440 + r], fill=col)
    d.line([(440, 40), (440, 840)], fill=INK, width=10)
    d.line([(40, 440), (840, 440)], fill=INK, width=10)
    d.polygon([(440, 440), (400, 300), (480, 300)], fill=INK)


def m_dipper(d):
    d.rectangle([0, 0, S, S], fill=INK)
    for x, y in ((80, 80), (820, 140), (700, 780), (150, 700), (420, 60), (600, 320), (90, 420)):
        d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=PALE_GOLD)
    stars = [(140, 230), (300, 270), (430, 350), (540, 450), (560, 640), (780, 660), (790, 470)]
    d.line(stars + [stars[3]], fill=GOLD, width=8)
    for x, y in stars:
        _star(d, x, y, 46, GOLD)
    d.rectangle([0, 800, S, S], fill=RED)


MOTIFS = {
    "h01": m_star_rays,
    "h03": m_mountains,
    "h04": m_house,
    "h05": m_road,
    "h06": m_pagoda,
    "h07": m_great_wall,
    "h08": m_gate,
    "h09": m_city,
    "h10": m_rising,
    "h11": m_home,
    "h12": m_great_hall,
    "a01": m_flame,
    "a02": m_badge,
    "a03": m_calendar,
    "a04": m_heart,
    "a05": m_solar,
    "a08": m_lotus,
    "a09": m_youth_flag,
    "b01": m_globe,
    "b04": m_message,
    "b05": m_pin,
    "b06": m_tower,
    "b07": m_truck,
    "b08": m_target,
    "b09": m_dipper,
}

CLOSING = set("，。、；：！？）》」』”’…—")


def short_line(text: str, limit: int) -> str:
    """Leading whole sentences of ``text`` that fit in ``limit`` characters; if even the
    first sentence is longer, it is cut at its last clause boundary before the limit."""
    sentences = [p + "。" for p in text.split("。") if p]
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) > limit:
            break
        out += sentence
    if out:
        return out
    first = sentences[0]
    cut = max(first.rfind(p, 0, limit) for p in "，；、：")
    if cut <= 0:
        cut = limit - 1
    return first[:cut] + "……"


def wrap(text: str, font, width: int) -> list[str]:
    """Greedy wrap by pixel width: CJK breaks between any two characters, runs of
    digits / Latin letters stay together, closing punctuation never starts a line."""
    tokens = re.findall(r"[0-9A-Za-z.,%+\-]+|.", text)
    lines, cur = [], ""
    for tok in tokens:
        if not cur or font.getlength(cur + tok) <= width or tok in CLOSING:
            cur += tok
        else:
            lines.append(cur)
            cur = tok
    if cur:
        lines.append(cur)
    return lines


def fit_font(fonts: Fonts, text: str, width: int, start: int, smallest: int):
    size = start
    while size > smallest and fonts(size).getlength(text) > width:
        size -= 2
    return fonts(size)


def render_panel(ex: dict, fonts: Fonts) -> Image.Image:
    img = Image.new("RGB", (W, H), WHITE)
    d = ImageDraw.Draw(img)

    # header band: Chinese title, English title, gold rule
    d.rectangle([0, 0, W, 150], fill=RED)
    d.rectangle([0, 150, W, 158], fill=GOLD)
    _star(d, 62, 62, 30, GOLD)
    title = fit_font(fonts, ex["title_zh"], W - 150, 60, 36)
    d.text((110, 62), ex["title_zh"], font=title, fill=WHITE, anchor="lm")
    sub = fit_font(fonts, ex["title_en"], W - 150, 26, 16)
    d.text((112, 120), ex["title_en"], font=sub, fill=GOLD, anchor="lm")

    # illustration (drawn at 2x, scaled down)
    canvas = Image.new("RGB", (S, S), WHITE)
    MOTIFS.get(ex["id"], m_star_rays)(ImageDraw.Draw(canvas))
    ill = canvas.resize((ILL, ILL), Image.Resampling.LANCZOS)
    mask = Image.new("L", (S, S), 0)
    ImageDraw.Draw(mask).rounded_rectangle([0, 0, S - 1, S - 1], radius=48, fill=255)
    img.paste(ill, (40, 200), mask.resize((ILL, ILL), Image.Resampling.LANCZOS))

    # quotation of the description
    x0, width = 520, W - 520 - 44
    d.rectangle([x0, 208, x0 + 8, 300], fill=RED)
    body = fonts(34)
    lines = wrap(short_line(ex["description_zh"], 66), body, width - 44)[:7]
    y = 214
    for ln in lines:
        d.text((x0 + 28, y), ln, font=body, fill=INK)
        y += 52
    d.rectangle([x0 + 28, y + 18, x0 + 128, y + 24], fill=GOLD)

    # footer
    d.rectangle([0, H - 56, W, H], fill=INK)
    d.rectangle([0, H - 56, W, H - 52], fill=GOLD)
    small = fonts(22)
    d.text((40, H - 27), "星河能源党建VR展厅", font=small, fill=WHITE, anchor="lm")
    d.text((W - 40, H - 27), f"展品 {ex['id'].upper()}", font=small, fill=GOLD, anchor="rm")
    return img


def save_png(img: Image.Image, path: Path) -> int:
    """Palette-quantise and optimise until the file is below MAX_PNG_BYTES."""
    for colours in (96, 64, 48, 32, 24, 16):
        q = img.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        q.save(path, format="PNG", optimize=True)
        size = path.stat().st_size
        if size < MAX_PNG_BYTES:
            return size
    raise RuntimeError(f"{path.name}: cannot get below {MAX_PNG_BYTES} bytes")


# ============================================================================ glTF models
def srgb_to_linear(hex_colour: str, alpha: float = 1.0) -> list[float]:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return [round(c, 4) for c in lin] + [alpha]


def rot(axis: str, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


class Model:
    """Collects named parts (flat-shaded solids) and writes them as one glTF 2.0 file.

    Geometry is given in the hall's frame (x east, y north = model front, z up).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.materials: dict[str, dict] = {}
        self.parts: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]] = []

    def material(
        self,
        name: str,
        colour: str,
        metallic: float = 0.0,
        roughness: float = 0.7,
        emissive: str | None = None,
    ) -> str:
        mat = {
            "name": name,
            "pbrMetallicRoughness": {
                "baseColorFactor": srgb_to_linear(colour),
                "metallicFactor": metallic,
                "roughnessFactor": roughness,
            },
        }
        if emissive:
            mat["emissiveFactor"] = srgb_to_linear(emissive)[:3]
        self.materials[name] = mat
        return name

    # -- primitives -------------------------------------------------------------------
    def hexahedron(self, name: str, mat: str, corners, R=None, t=(0, 0, 0)) -> None:
        """Solid from 8 corners: bottom ring (-x-y, +x-y, +x+y, -x+y) then the top ring.

        Corners may coincide (tapered or pointed shapes); degenerate faces are dropped.
        """
        c = np.asarray(corners, dtype=float)
        c = self._xf(c, R, t)
        centre = c.mean(axis=0)
        faces = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
        pos, nrm, idx = [], [], []
        for f in faces:
            quad = c[list(f)]
            n = np.cross(quad[1] - quad[0], quad[2] - quad[0]) + np.cross(
                quad[2] - quad[0], quad[3] - quad[0]
            )
            if np.linalg.norm(n) < 1e-9:
                continue
            n /= np.linalg.norm(n)
            if np.dot(n, quad.mean(axis=0) - centre) < 0:  # keep faces pointing outwards
                quad, n = quad[::-1], -n
            base = len(pos)
            pos.extend(quad)
            nrm.extend([n] * 4)
            idx.extend([base, base + 1, base + 2, base, base + 2, base + 3])
        self._add(name, mat, pos, nrm, idx)

    def box(self, name: str, mat: str, centre, size, R=None) -> None:
        sx, sy, sz = (s / 2 for s in size)
        ring = [(-sx, -sy), (sx, -sy), (sx, sy), (-sx, sy)]
        corners = [(x, y, -sz) for x, y in ring] + [(x, y, sz) for x, y in ring]
        self.hexahedron(name, mat, corners, R, centre)

    def cylinder(
        self, name: str, mat: str, base, r0: float, r1: float, height: float, R=None, segments: int = 24
    ) -> None:
        """Frustum along local +z from ``base`` (radius r0) to base + height (radius r1)."""
        pos, nrm, idx = [], [], []
        slope = (r0 - r1) / height
        for i in range(segments + 1):  # side, smooth normals
            a = 2 * math.pi * i / segments
            ca, sa = math.cos(a), math.sin(a)
            n = np.array([ca, sa, slope]) / math.sqrt(1 + slope * slope)
            pos += [(r0 * ca, r0 * sa, 0.0), (r1 * ca, r1 * sa, height)]
            nrm += [n, n]
        for i in range(segments):
            k = 2 * i
            idx += [k, k + 2, k + 3, k, k + 3, k + 1]
        for z, r, sign in ((0.0, r0, -1), (height, r1, 1)):  # caps
            if r <= 0:
                continue
            centre = len(pos)
            pos.append((0.0, 0.0, z))
            nrm.append(np.array([0, 0, sign]))
            for i in range(segments):
                a = 2 * math.pi * i / segments
                pos.append((r * math.cos(a), r * math.sin(a), z))
                nrm.append(np.array([0, 0, sign]))
            for i in range(segments):
                a, b = centre + 1 + i, centre + 1 + (i + 1) % segments
                idx += [centre, a, b] if sign > 0 else [centre, b, a]
        P = self._xf(np.array(pos, dtype=float), R, base)
        N = np.array(nrm, dtype=float) @ (np.eye(3) if R is None else np.asarray(R)).T
        self._add(name, mat, P, N, idx)

    @staticmethod
    def _xf(p: np.ndarray, R, t) -> np.ndarray:
        if R is not None:
            p = p @ np.asarray(R, dtype=float).T
        return p + np.asarray(t, dtype=float)

    def _add(self, name, mat, pos, nrm, idx) -> None:
        self.parts.append(
            (
                name,
                mat,
                np.asarray(pos, dtype=np.float32),
                np.asarray(nrm, dtype=np.float32),
                np.asarray(idx, dtype=np.uint16),
            )
        )

    # -- output -----------------------------------------------------------------------
    def gltf(self) -> dict:
        """The glTF document: one node + mesh + primitive per part, one bufferView per
        accessor (positions and normals as float32 VEC3, indices as uint16), all in a
        single base64-embedded buffer."""
        to_gltf = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=np.float32)  # z-up -> y-up
        mat_names = list(self.materials)
        blob = bytearray()
        views, accessors, meshes, nodes = [], [], [], []

        def add_view(data: bytes, target: int) -> int:
            while len(blob) % 4:  # keep every view 4-byte aligned
                blob.append(0)
            views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": len(data), "target": target})
            blob.extend(data)
            return len(views) - 1

        for i, (name, mat, pos, nrm, idx) in enumerate(self.parts):
            p = (pos @ to_gltf.T).astype("<f4")
            n = nrm @ to_gltf.T
            n = (n / np.linalg.norm(n, axis=1, keepdims=True)).astype("<f4")
            a = len(accessors)
            accessors += [
                {
                    "bufferView": add_view(p.tobytes(), 34962),
                    "componentType": 5126,
                    "count": len(p),
                    "type": "VEC3",
                    "min": [float(v) for v in p.min(axis=0)],
                    "max": [float(v) for v in p.max(axis=0)],
                },
                {
                    "bufferView": add_view(n.tobytes(), 34962),
                    "componentType": 5126,
                    "count": len(n),
                    "type": "VEC3",
                },
                {
                    "bufferView": add_view(idx.astype("<u2").tobytes(), 34963),
                    "componentType": 5123,
                    "count": len(idx),
                    "type": "SCALAR",
                },
            ]
            meshes.append(
                {
                    "name": name,
                    "primitives": [
                        {
                            "attributes": {"POSITION": a, "NORMAL": a + 1},
                            "indices": a + 2,
                            "material": mat_names.index(mat),
                            "mode": 4,
                        }
                    ],
                }
            )
            nodes.append({"name": name, "mesh": i})
        while len(blob) % 4:
            blob.append(0)
        root = {"name": self.name, "children": list(range(1, len(nodes) + 1))}
        return {
            "asset": {"version": "2.0", "generator": "xinghe scenes/make_media.py"},
            "scene": 0,
            "scenes": [{"name": self.name, "nodes": [0]}],
            "nodes": [root] + nodes,
            "meshes": meshes,
            "materials": [self.materials[m] for m in mat_names],
            "accessors": accessors,
            "bufferViews": views,
            "buffers": [
                {
                    "byteLength": len(blob),
                    "uri": "data:application/octet-stream;base64," + base64.b64encode(bytes(blob)).decode(),
                }
            ],
        }

    def save(self, path: Path) -> int:
        path.write_text(
            json.dumps(self.gltf(), ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
        return path.stat().st_size


def build_red_boat() -> Model:
    """南湖红船 scale model on a plinth: ~2.2 m x 1.0 m footprint, 1.5 m high; side view to +y."""
    m = Model("red_boat")
    wood = m.material("plinth_wood", "#5A3A22", roughness=0.8)
    gold = m.material("gold", "#F2C14E", metallic=0.6, roughness=0.35)
    water = m.material("lake", "#3E6E8E", roughness=0.3)
    hull = m.material("hull_red", "#9E1B16", roughness=0.6)
    cabin = m.material("cabin_red", "#C8161D", roughness=0.6)
    roof = m.material("roof_dark", "#3A2A20", roughness=0.8)
    ink = m.material("window_ink", "#222222", roughness=0.5)

    m.box("plinth", wood, (0, 0, 0.4), (2.2, 1.0, 0.8))
    m.box("plinth_trim", gold, (0, 0, 0.82), (2.24, 1.04, 0.04))
    m.box("label", gold, (0, 0.505, 0.55), (0.7, 0.01, 0.16))
    m.box("lake", water, (0, 0, 0.855), (2.0, 0.8, 0.03))
    z0, z1 = 0.87, 1.03  # hull bottom / gunwale
    # hull: middle section plus tapered bow (+x) and stern (-x) sections
    m.hexahedron(
        "hull",
        hull,
        [
            (-0.55, -0.13, z0),
            (0.55, -0.13, z0),
            (0.55, 0.13, z0),
            (-0.55, 0.13, z0),
            (-0.55, -0.21, z1),
            (0.55, -0.21, z1),
            (0.55, 0.21, z1),
            (-0.55, 0.21, z1),
        ],
    )
    m.hexahedron(
        "hull_bow",
        hull,
        [
            (0.55, -0.13, z0),
            (0.8, -0.02, z0 + 0.05),
            (0.8, 0.02, z0 + 0.05),
            (0.55, 0.13, z0),
            (0.55, -0.21, z1),
            (0.9, -0.03, z1 + 0.04),
            (0.9, 0.03, z1 + 0.04),
            (0.55, 0.21, z1),
        ],
    )
    m.hexahedron(
        "hull_stern",
        hull,
        [
            (-0.8, -0.02, z0 + 0.05),
            (-0.55, -0.13, z0),
            (-0.55, 0.13, z0),
            (-0.8, 0.02, z0 + 0.05),
            (-0.9, -0.03, z1 + 0.04),
            (-0.55, -0.21, z1),
            (-0.55, 0.21, z1),
            (-0.9, 0.03, z1 + 0.04),
        ],
    )
    m.box("gunwale", gold, (0, 0, z1 + 0.01), (1.1, 0.43, 0.02))
    m.box("cabin", cabin, (0.02, 0, z1 + 0.12), (0.86, 0.34, 0.2))
    for i, x in enumerate((-0.28, -0.09, 0.1, 0.29)):
        for side in (-1, 1):
            m.box(
                f"window_{i}_{'n' if side > 0 else 's'}",
                ink,
                (x + 0.02, side * 0.171, z1 + 0.13),
                (0.12, 0.005, 0.1),
            )
    rz = z1 + 0.22
    m.hexahedron(
        "roof",
        roof,
        [
            (-0.5, -0.23, rz),
            (0.54, -0.23, rz),
            (0.54, 0.23, rz),
            (-0.5, 0.23, rz),
            (-0.46, -0.08, rz + 0.08),
            (0.5, -0.08, rz + 0.08),
            (0.5, 0.08, rz + 0.08),
            (-0.46, 0.08, rz + 0.08),
        ],
    )
    m.box("stern_shelter", roof, (-0.66, 0, z1 + 0.06), (0.2, 0.26, 0.12))
    m.cylinder("mast", wood, (0.7, 0, z1), 0.012, 0.01, 0.42)
    m.box("flag", cabin, (0.76, 0, z1 + 0.36), (0.12, 0.004, 0.08))
    return m


def build_kiosk() -> Model:
    """智慧党建 kiosk terminal: 0.9 m wide, 1.75 m high, screen facing +y."""
    m = Model("kiosk")
    base = m.material("base_grey", "#3A3A3A", metallic=0.3, roughness=0.5)
    red = m.material("body_red", "#C8161D", roughness=0.45)
    gold = m.material("gold", "#F2C14E", metallic=0.6, roughness=0.35)
    shell = m.material("shell_white", "#FAF6EF", roughness=0.4)
    screen = m.material("screen", "#1B2740", roughness=0.15, emissive="#22406E")
    ink = m.material("camera_ink", "#222222", roughness=0.4)

    m.box("base", base, (0, 0, 0.03), (0.7, 0.55, 0.06))
    m.box("pedestal", red, (0, -0.02, 0.51), (0.5, 0.34, 0.9))
    m.box("stripe", gold, (0, -0.02, 0.72), (0.51, 0.35, 0.04))
    m.box("card_reader", ink, (0.15, 0.155, 0.86), (0.12, 0.01, 0.06))
    # head: screen housing tilted back by 12 degrees about x, centred 1.36 m high
    tilt = rot("x", 12)  # screen faces forward (+y) and slightly upward
    c = np.array([0, 0.0, 1.36])
    m.box("housing", shell, c, (0.9, 0.08, 0.62), R=tilt)
    m.box("screen", screen, c + tilt @ np.array([0, 0.042, 0.02]), (0.8, 0.006, 0.5), R=tilt)
    m.box("header", red, c + tilt @ np.array([0, 0.0, 0.35]), (0.9, 0.08, 0.09), R=tilt)
    m.box("header_stripe", gold, c + tilt @ np.array([0, 0.041, 0.35]), (0.6, 0.004, 0.02), R=tilt)
    m.cylinder(
        "camera",
        ink,
        c + tilt @ np.array([0, 0.04, 0.28]),
        0.018,
        0.018,
        0.012,
        R=tilt @ rot("x", -90),
        segments=16,
    )
    m.box("neck", base, (0, -0.03, 1.0), (0.2, 0.12, 0.12))
    return m


def build_satellite() -> Model:
    """北斗 satellite model on a display stand: 2.6 m span, 1.9 m high, front (flag) to +y."""
    m = Model("beidou_satellite")
    stand = m.material("stand_dark", "#2A2F3A", metallic=0.4, roughness=0.5)
    steel = m.material("steel", "#C9CED6", metallic=0.8, roughness=0.3)
    foil = m.material("gold_foil", "#D4A537", metallic=0.85, roughness=0.3)
    cells = m.material("solar_cells", "#1D3B6E", metallic=0.3, roughness=0.25)
    white = m.material("antenna_white", "#FAF6EF", roughness=0.5)
    red = m.material("flag_red", "#C8161D", roughness=0.5)

    m.cylinder("stand_base", stand, (0, 0, 0), 0.45, 0.42, 0.08)
    m.cylinder("stand_pole", steel, (0, 0, 0.08), 0.04, 0.04, 0.97)
    m.box("bus", foil, (0, 0, 1.35), (0.5, 0.5, 0.6))
    m.box("flag", red, (0, 0.252, 1.45), (0.2, 0.004, 0.13))
    for side, label in ((1, "east"), (-1, "west")):
        m.cylinder(
            f"boom_{label}",
            steel,
            (side * 0.25, 0, 1.35),
            0.015,
            0.015,
            0.18,
            R=rot("y", 90 * side),
            segments=12,
        )
        for k, x in enumerate((0.63, 1.07)):
            m.box(f"panel_{label}_{k}", cells, (side * x, 0, 1.35), (0.4, 0.02, 0.5))
            m.box(f"panel_frame_{label}_{k}", steel, (side * x, 0, 1.35), (0.42, 0.012, 0.52))
        m.box(f"hinge_{label}", steel, (side * 0.85, 0, 1.35), (0.04, 0.03, 0.2))
    m.box("antenna_array", white, (0, 0, 1.68), (0.36, 0.36, 0.06))
    m.cylinder("antenna_dish", white, (0.0, 0.0, 1.71), 0.05, 0.18, 0.12)
    for k, (x, y) in enumerate(((0.14, 0.14), (-0.14, 0.14), (0.14, -0.14), (-0.14, -0.14))):
        m.cylinder(f"antenna_rod_{k}", steel, (x, y, 1.71), 0.01, 0.01, 0.19, segments=8)
    return m


MODEL_BUILDERS = {
    "red_boat.gltf": build_red_boat,
    "kiosk.gltf": build_kiosk,
    "beidou_satellite.gltf": build_satellite,
}


# ============================================================================ main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="print a summary of what was written")
    args = ap.parse_args()

    sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere: core is the project's
    from core.site_facts_files import facts_for_scene
    from core.sitefacts import render_tree

    raw = yaml.safe_load(HALL.read_text(encoding="utf-8"))
    hall, unfilled = render_tree(raw, facts_for_scene(HALL, raw))  # panels show ${name} site facts filled in
    if unfilled:
        raise SystemExit("\n".join(f"{HALL}: {'.'.join(map(str, loc))}: {msg}" for loc, msg in unfilled))
    MEDIA.mkdir(exist_ok=True)
    fonts = Fonts()
    written = []
    for ex in hall["exhibits"]:
        media = ex.get("media") or {}
        if "image" in media:
            path = HERE / media["image"]
            size = save_png(render_panel(ex, fonts), path)
            written.append((path, size))
        if "model" in media:
            path = HERE / media["model"]
            builder = MODEL_BUILDERS.get(path.name)
            if builder is None:
                print(f"make_media.py: no builder for {media['model']} ({ex['id']})", file=sys.stderr)
                return 1
            written.append((path, builder().save(path)))
    if args.check:
        print(f"font: {fonts.path} (index {fonts.index})")
        for path, size in written:
            print(f"{path.relative_to(HERE)}  {size / 1024:.1f} KB")
    print(f"make_media.py: wrote {len(written)} files to {MEDIA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

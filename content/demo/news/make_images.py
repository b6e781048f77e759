#!/usr/bin/env python3
"""Generate the illustration images referenced by the demo news feed.

Reads ``feed.xml`` (next to this script), draws one flat, modern 800x450
illustration per ``<item>`` into ``images/newsNNN.png`` and then writes the
real file sizes into the ``length`` attributes of the ``<enclosure>`` elements.

All content is fictional demo data for the offline party-building kiosk of
the invented company 星河能源科技有限公司.

Design
------
* Palette: 党建红 #C8161D, gold #F2C14E, warm white #FAF6EF, ink #222222
  (plus a pale gold tint for sparkles).
* Left half: organisation label, the item's short Chinese headline in a CJK
  font, a gold accent bar, branch/category and date.
* Right half: a red panel with a simple abstract motif (building, satellite,
  stars, book, ...) chosen per item in ``ART`` below.
* Drawn at 2x and downsampled for smooth edges, then quantised to a small
  palette so that each PNG stays well under 60 KB.
* Deterministic: decorations use ``random.Random(item number)``; no clock or
  environment input affects the pixels (given the same Pillow and font).

Usage::

    python3 make_images.py                 # images + update feed lengths
    python3 make_images.py --no-update-feed

Requires Pillow.  The CJK font is looked up in ``FONT_CANDIDATES``; if none is
present the script tries ``apt-get install -y fonts-wqy-microhei`` (retrying
while another apt/dpkg process holds the lock).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent

WIDTH, HEIGHT = 800, 450
SCALE = 2  # supersampling factor

RED = (0xC8, 0x16, 0x1D)
GOLD = (0xF2, 0xC1, 0x4E)
WHITE = (0xFA, 0xF6, 0xEF)
INK = (0x22, 0x22, 0x22)
PALE_GOLD = (0xF6, 0xE2, 0xB0)
DEEP_RED = (0xA5, 0x10, 0x17)

PALETTE_COLOURS = 32  # colours kept after quantisation

# (path, face index) tried in order.  Index 2 of NotoSansCJK is "SC".
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
]
FONT_PACKAGE = "fonts-wqy-microhei"

DJ_NS = "https://xinghe-energy.example/ns/dangjian"

BRANCH_NAMES = {
    "B01": "第一党支部（机关）",
    "B02": "第二党支部（研发中心）",
    "B03": "第三党支部（生产运维）",
    "B04": "第四党支部（离退休）",
}
ORG_NAME = "星河能源党委"

# Item number -> (short headline drawn on the image, motif name).
ART = {
    "001": ("部署秋季党建重点工作", "building"),
    "002": ("党员先锋岗授牌", "stars"),
    "003": ("北斗应用项目启动", "satellite"),
    "004": ("党员教育培训班开班", "book"),
    "005": ("银发志愿队进社区", "heart"),
    "006": ("安全生产知识竞赛", "shield"),
    "007": ("走进一线主题党日", "ribbon"),
    "008": ("科研骨干讲党课", "book"),
    "009": ("中秋节送温暖", "moon"),
    "010": ("国庆保供党员在岗", "bolt"),
    "011": ("主题征文评选揭晓", "ribbon"),
    "012": ("校企联学共建", "hands"),
    "013": ("重阳慰问老党员", "heart"),
    "014": ("安全运行一千天", "stars"),
    "015": ("结对帮扶助振兴", "hands"),
    "016": ("重温入党誓词", "ribbon"),
    "017": ("光伏进社区", "sun"),
    "018": ("青年突击队攻坚", "bolt"),
    "019": ("银龄讲堂开讲", "book"),
    "020": ("党委书记讲党课", "stars"),
    "021": ("廉洁从业警示教育", "shield"),
    "022": ("变电运维技能比武", "trophy"),
    "023": ("北斗项目阶段验收", "satellite"),
    "024": ("四季度党建推进会", "building"),
}


# --------------------------------------------------------------------------
# Font lookup
# --------------------------------------------------------------------------


def _existing_font() -> tuple[str, int] | None:
    for path, index in FONT_CANDIDATES:
        if os.path.exists(path):
            return path, index
    return None


def find_font(attempts: int = 10, wait_s: float = 15.0) -> tuple[str, int]:
    """Return (path, index) of a CJK font, installing one if necessary."""
    found = _existing_font()
    if found:
        return found
    for attempt in range(1, attempts + 1):
        print(
            f"no CJK font found; apt-get install {FONT_PACKAGE} (attempt {attempt}/{attempts})",
            file=sys.stderr,
        )
        # No apt-get at all: another process may still install the font.
        with contextlib.suppress(FileNotFoundError):
            subprocess.run(
                ["apt-get", "install", "-y", FONT_PACKAGE],
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        found = _existing_font()
        if found:
            return found
        # Most likely another apt/dpkg process holds the lock: wait, retry.
        time.sleep(wait_s)
    sys.exit("error: no CJK font available; install fonts-wqy-microhei")


class Fonts:
    """Caches FreeType fonts by pixel size (sizes given at 1x)."""

    def __init__(self, path: str, index: int):
        self.path, self.index = path, index
        self._cache: dict[int, ImageFont.FreeTypeFont] = {}

    def __call__(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._cache:
            self._cache[size] = ImageFont.truetype(self.path, size * SCALE, index=self.index)
        return self._cache[size]


# --------------------------------------------------------------------------
# Drawing helpers (all coordinates in 1x units; scaled here)
# --------------------------------------------------------------------------


def s(*values: float) -> list[float]:
    return [v * SCALE for v in values]


def star_points(
    cx: float, cy: float, r: float, rot: float = -90.0, inner: float = 0.382
) -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * inner
        a = math.radians(rot + i * 36)
        pts.append(((cx + rad * math.cos(a)) * SCALE, (cy + rad * math.sin(a)) * SCALE))
    return pts


def star(d: ImageDraw.ImageDraw, cx, cy, r, fill, rot=-90.0):
    d.polygon(star_points(cx, cy, r, rot), fill=fill)


def poly(d: ImageDraw.ImageDraw, pts, fill=None, outline=None, width=1):
    d.polygon([(x * SCALE, y * SCALE) for x, y in pts], fill=fill, outline=outline, width=width * SCALE)


def circle(d: ImageDraw.ImageDraw, cx, cy, r, fill=None, outline=None, width=1):
    d.ellipse(s(cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=width * SCALE)


def rect(d: ImageDraw.ImageDraw, x0, y0, x1, y1, fill=None, radius=0, outline=None, width=1):
    d.rounded_rectangle(
        s(x0, y0, x1, y1), radius=radius * SCALE, fill=fill, outline=outline, width=width * SCALE
    )


def line(d: ImageDraw.ImageDraw, pts, fill, width=1):
    d.line([(x * SCALE, y * SCALE) for x, y in pts], fill=fill, width=width * SCALE)


def arc(d: ImageDraw.ImageDraw, cx, cy, r, start, end, fill, width=1):
    d.arc(s(cx - r, cy - r, cx + r, cy + r), start, end, fill=fill, width=width * SCALE)


# --------------------------------------------------------------------------
# Motifs, drawn on the red panel around (CX, CY)
# --------------------------------------------------------------------------

CX, CY = 640, 205


def motif_building(d, rng):
    base = CY + 105
    blocks = [(CX - 115, 95, 60), (CX - 45, 170, 80), (CX + 45, 125, 65)]
    for x, h, w in blocks:
        rect(d, x, base - h, x + w, base, fill=WHITE, radius=4)
        for wy in range(int(base - h + 16), int(base - 14), 24):
            for wx in range(int(x + 12), int(x + w - 14), 20):
                rect(d, wx, wy, wx + 10, wy + 12, fill=RED, radius=2)
    rect(d, CX - 135, base, CX + 130, base + 8, fill=GOLD, radius=4)
    star(d, CX - 5, base - 205, 24, GOLD)


def motif_stars(d, rng):
    circle(d, CX, CY, 118, outline=GOLD, width=4)
    star(d, CX, CY + 5, 78, GOLD)
    for k in range(5):
        a = math.radians(-90 + k * 72 + 36)
        star(d, CX + 118 * math.cos(a), CY + 118 * math.sin(a), 16, WHITE, rot=-90 + k * 72)


def motif_satellite(d, rng):
    # orbit
    d.ellipse(s(CX - 150, CY - 60, CX + 150, CY + 60), outline=PALE_GOLD, width=3 * SCALE)
    # panels
    for sign in (-1, 1):
        x0 = CX + sign * 40
        x1 = CX + sign * 130
        xa, xb = min(x0, x1), max(x0, x1)
        rect(d, xa, CY - 28, xb, CY + 28, fill=GOLD, radius=3)
        for gx in range(int(xa) + 22, int(xb), 22):
            line(d, [(gx, CY - 28), (gx, CY + 28)], RED, 2)
        line(d, [(xa, CY), (xb, CY)], RED, 2)
    # body
    rect(d, CX - 34, CY - 40, CX + 34, CY + 40, fill=WHITE, radius=8)
    circle(d, CX, CY, 14, fill=RED)
    # antenna dish and signal arcs
    line(d, [(CX, CY - 40), (CX, CY - 70)], WHITE, 4)
    circle(d, CX, CY - 76, 8, fill=GOLD)
    for r in (30, 50, 70):
        arc(d, CX, CY - 76, r, 220, 320, WHITE, 4)
    # ground station: a dish on a stand, pointing up at the satellite
    d.chord(s(CX - 38, CY + 70, CX + 38, CY + 146), 0, 180, fill=WHITE)
    line(d, [(CX, CY + 140), (CX, CY + 160)], WHITE, 6)
    rect(d, CX - 26, CY + 158, CX + 26, CY + 166, fill=GOLD, radius=4)


def motif_book(d, rng):
    top, bottom = CY - 70, CY + 80
    poly(d, [(CX, top + 15), (CX - 130, top), (CX - 130, bottom), (CX, bottom + 15)], fill=WHITE)
    poly(d, [(CX, top + 15), (CX + 130, top), (CX + 130, bottom), (CX, bottom + 15)], fill=PALE_GOLD)
    line(d, [(CX, top + 15), (CX, bottom + 15)], DEEP_RED, 3)
    for i in range(5):
        y = top + 30 + i * 22
        line(d, [(CX - 112, y - 2), (CX - 18, y + 10)], RED, 3)
        line(d, [(CX + 18, y + 10), (CX + 112, y - 2)], RED, 3)
    poly(
        d,
        [
            (CX + 80, top - 2),
            (CX + 100, top - 5),
            (CX + 100, top + 45),
            (CX + 90, top + 35),
            (CX + 80, top + 47),
        ],
        fill=GOLD,
    )
    star(d, CX, top - 55, 26, GOLD)


def _heart(d, cx, cy, r, fill):
    circle(d, cx - r * 0.5, cy - r * 0.2, r * 0.55, fill=fill)
    circle(d, cx + r * 0.5, cy - r * 0.2, r * 0.55, fill=fill)
    poly(d, [(cx - r * 1.03, cy - r * 0.05), (cx + r * 1.03, cy - r * 0.05), (cx, cy + r * 1.05)], fill=fill)


def motif_heart(d, rng):
    circle(d, CX, CY, 120, fill=DEEP_RED)
    _heart(d, CX, CY, 95, GOLD)
    _heart(d, CX + 10, CY - 5, 40, WHITE)
    for _ in range(4):
        circle(d, CX + rng.uniform(-140, 140), CY + rng.uniform(-130, 130), rng.uniform(4, 8), fill=WHITE)


def motif_bolt(d, rng):
    circle(d, CX, CY, 120, outline=WHITE, width=6)
    circle(d, CX, CY, 100, fill=DEEP_RED)
    poly(
        d,
        [
            (CX + 15, CY - 95),
            (CX - 55, CY + 15),
            (CX - 5, CY + 15),
            (CX - 25, CY + 100),
            (CX + 55, CY - 15),
            (CX + 5, CY - 15),
            (CX + 30, CY - 95),
        ],
        fill=GOLD,
    )


def motif_ribbon(d, rng):
    # Flowing band made of alternating gold / pale segments.
    pts_top, pts_bot = [], []
    for i in range(41):
        x = CX - 150 + i * 7.5
        y = CY - 10 + 45 * math.sin(i / 40 * 2 * math.pi)
        pts_top.append((x, y - 22))
        pts_bot.append((x, y + 22))
    for i in range(40):
        colour = GOLD if (i // 10) % 2 == 0 else PALE_GOLD
        poly(d, [pts_top[i], pts_top[i + 1], pts_bot[i + 1], pts_bot[i]], fill=colour)
    star(d, CX, CY - 105, 34, GOLD)
    star(d, CX - 90, CY - 80, 14, WHITE)
    star(d, CX + 90, CY - 80, 14, WHITE)
    rect(d, CX - 70, CY + 85, CX + 70, CY + 105, fill=WHITE, radius=10)


def motif_moon(d, rng):
    circle(d, CX + 10, CY - 10, 100, fill=GOLD)
    circle(d, CX - 30, CY - 40, 18, fill=PALE_GOLD)
    circle(d, CX + 45, CY + 20, 12, fill=PALE_GOLD)
    for y, x, w in ((CY + 60, CX - 120, 150), (CY + 95, CX - 40, 170)):
        rect(d, x, y, x + w, y + 28, fill=WHITE, radius=14)
    for _ in range(6):
        star(d, CX + rng.uniform(-150, 150), CY + rng.uniform(-140, -60), rng.uniform(5, 10), WHITE)


def motif_hands(d, rng):
    circle(d, CX - 45, CY, 85, outline=WHITE, width=16)
    circle(d, CX + 45, CY, 85, outline=GOLD, width=16)
    # re-draw one crossing so the rings interlock
    arc(d, CX - 45, CY, 85, -40, 10, WHITE, 16)
    _heart(d, CX, CY + 2, 22, GOLD)


def motif_sun(d, rng):
    sx, sy = CX + 60, CY - 60
    for k in range(12):
        a = math.radians(k * 30)
        line(
            d,
            [(sx + 62 * math.cos(a), sy + 62 * math.sin(a)), (sx + 85 * math.cos(a), sy + 85 * math.sin(a))],
            GOLD,
            6,
        )
    circle(d, sx, sy, 50, fill=GOLD)
    # solar panel in perspective
    p = [(CX - 140, CY + 115), (CX + 80, CY + 115), (CX + 30, CY + 20), (CX - 110, CY + 20)]
    poly(d, p, fill=WHITE)
    for i in range(1, 4):
        t = i / 4
        line(
            d,
            [(p[3][0] + (p[2][0] - p[3][0]) * t, p[3][1]), (p[0][0] + (p[1][0] - p[0][0]) * t, p[0][1])],
            RED,
            3,
        )
    for t in (0.33, 0.66):
        y = p[3][1] + (p[0][1] - p[3][1]) * t
        xl = p[3][0] + (p[0][0] - p[3][0]) * t
        xr = p[2][0] + (p[1][0] - p[2][0]) * t
        line(d, [(xl, y), (xr, y)], RED, 3)
    line(d, [(CX - 30, CY + 115), (CX - 30, CY + 140)], WHITE, 6)


def motif_shield(d, rng):
    pts = [
        (CX, CY - 115),
        (CX + 100, CY - 80),
        (CX + 92, CY + 20),
        (CX, CY + 115),
        (CX - 92, CY + 20),
        (CX - 100, CY - 80),
    ]
    poly(d, pts, fill=GOLD)
    inner = [
        (CX, CY - 92),
        (CX + 78, CY - 64),
        (CX + 72, CY + 14),
        (CX, CY + 90),
        (CX - 72, CY + 14),
        (CX - 78, CY - 64),
    ]
    poly(d, inner, fill=WHITE)
    line(d, [(CX - 40, CY), (CX - 10, CY + 32), (CX + 45, CY - 35)], RED, 14)


def motif_trophy(d, rng):
    arc(d, CX - 62, CY - 45, 34, 90, 270, GOLD, 10)
    arc(d, CX + 62, CY - 45, 34, 270, 90, GOLD, 10)
    poly(
        d,
        [
            (CX - 70, CY - 100),
            (CX + 70, CY - 100),
            (CX + 55, CY - 10),
            (CX + 20, CY + 20),
            (CX - 20, CY + 20),
            (CX - 55, CY - 10),
        ],
        fill=GOLD,
    )
    rect(d, CX - 10, CY + 15, CX + 10, CY + 65, fill=GOLD)
    rect(d, CX - 60, CY + 65, CX + 60, CY + 90, fill=WHITE, radius=6)
    rect(d, CX - 80, CY + 90, CX + 80, CY + 108, fill=GOLD, radius=6)
    star(d, CX, CY - 55, 28, RED)


MOTIFS = {
    "building": motif_building,
    "stars": motif_stars,
    "satellite": motif_satellite,
    "book": motif_book,
    "heart": motif_heart,
    "bolt": motif_bolt,
    "ribbon": motif_ribbon,
    "moon": motif_moon,
    "hands": motif_hands,
    "sun": motif_sun,
    "shield": motif_shield,
    "trophy": motif_trophy,
}


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


def wrap_cjk(text: str, font: ImageFont.FreeTypeFont, max_w: float, max_lines: int = 3) -> list[str]:
    """Balanced per-character wrap (CJK text has no spaces).

    Uses the fewest lines that fit ``max_w`` and spreads the characters
    evenly over them, so that no line is left with a lone character.
    """
    for n_lines in range(1, max_lines + 1):
        per = math.ceil(len(text) / n_lines)
        lines = [text[i : i + per] for i in range(0, len(text), per)]
        if all(font.getlength(ln) <= max_w for ln in lines):
            return lines
    return lines  # best effort: longest headlines may slightly overflow


def render(nnn: str, headline: str, motif: str, subtitle: tuple[str, str], fonts: Fonts) -> Image.Image:
    rng = random.Random(int(nnn))
    img = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), WHITE)
    d = ImageDraw.Draw(img)

    # Red panel with a slanted left edge, and a gold stripe along it.
    poly(d, [(500, 0), (WIDTH, 0), (WIDTH, HEIGHT), (440, HEIGHT)], fill=RED)
    poly(d, [(486, 0), (500, 0), (440, HEIGHT), (426, HEIGHT)], fill=GOLD)

    # Sparkles on the panel (seeded, so deterministic).
    for _ in range(10):
        x = rng.uniform(520, 780)
        y = rng.uniform(20, 430)
        star(d, x, y, rng.uniform(3, 7), PALE_GOLD, rot=rng.uniform(0, 72))

    MOTIFS[motif](d, rng)

    # Organisation label.
    star(d, 60, 52, 11, RED)
    d.text(s(80, 52), f"{ORG_NAME} · 党建资讯", font=fonts(20), fill=RED, anchor="lm")

    # Headline.
    hfont = fonts(46)
    lines = wrap_cjk(headline, hfont, 370 * SCALE)
    line_h = 62
    y = 205 - (len(lines) * line_h) / 2
    for text in lines:
        d.text(s(48, y), text, font=hfont, fill=INK, anchor="lt")
        y += line_h
    rect(d, 48, y + 10, 128, y + 18, fill=GOLD, radius=4)
    rect(d, 136, y + 10, 152, y + 18, fill=RED, radius=4)

    # Footer: issuing unit, then category and date.
    unit, meta = subtitle
    d.text(s(48, 382), unit, font=fonts(18), fill=INK, anchor="lm")
    d.text(s(48, 410), meta, font=fonts(16), fill=RED, anchor="lm")

    img = img.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return img.quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


# --------------------------------------------------------------------------
# Feed handling
# --------------------------------------------------------------------------

ENCLOSURE_RE = re.compile(
    r'(<enclosure url="(images/news\d{3}\.png)" type="image/png" '
    r'length=")(\d+)(")'
)


def read_items(feed: Path) -> list[dict]:
    root = ET.parse(feed).getroot()
    items = []
    for item in root.iter("item"):
        guid = item.findtext("guid", "")
        nnn = guid.rsplit("-", 1)[-1]
        enc = item.find("enclosure")
        pub = parsedate_to_datetime(item.findtext("pubDate"))
        branch = item.findtext(f"{{{DJ_NS}}}branch")
        items.append(
            {
                "nnn": nnn,
                "title": item.findtext("title", ""),
                "category": item.findtext("category", ""),
                "url": enc.get("url") if enc is not None else None,
                "date": pub.strftime("%Y-%m-%d"),
                "unit": BRANCH_NAMES.get(branch, ORG_NAME),
            }
        )
    return items


def update_lengths(feed: Path) -> int:
    """Rewrite enclosure length attributes with the real file sizes."""
    text = feed.read_text(encoding="utf-8")

    def repl(m: re.Match) -> str:
        size = (feed.parent / m.group(2)).stat().st_size
        return f"{m.group(1)}{size}{m.group(4)}"

    new, count = ENCLOSURE_RE.subn(repl, text)
    if new != text:
        feed.write_text(new, encoding="utf-8")
    return count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feed", type=Path, default=HERE / "feed.xml")
    ap.add_argument(
        "--no-update-feed", action="store_true", help="do not rewrite enclosure lengths in the feed"
    )
    args = ap.parse_args()

    font_path, font_index = find_font()
    fonts = Fonts(font_path, font_index)
    print(f"font: {font_path} (index {font_index})")

    for it in read_items(args.feed):
        if not it["url"]:
            continue
        headline, motif = ART.get(it["nnn"], (it["title"][:12], "stars"))
        subtitle = (it["unit"], f"{it['category']}  ·  {it['date']}")
        out = args.feed.parent / it["url"]
        out.parent.mkdir(parents=True, exist_ok=True)
        render(it["nnn"], headline, motif, subtitle, fonts).save(out, optimize=True)
        print(f"{out.relative_to(args.feed.parent)}: {out.stat().st_size} B")

    if not args.no_update_feed:
        n = update_lengths(args.feed)
        print(f"updated {n} enclosure lengths in {args.feed.name}")


if __name__ == "__main__":
    main()

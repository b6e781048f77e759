#!/usr/bin/env python3
"""Generate the illustration images referenced by the demo learning articles.

Reads ``../articles.yaml`` (学习园地) and draws one 800x450 illustration per
article into the file named by its ``image`` field (``artNN.png``, next to
this script).

The visual language is the one of the news illustrations: palette, fonts,
drawing helpers and most motifs are imported from ``../news/make_images.py``
(loaded by path, without modifying it and without writing bytecode next to
it).  This script adds the article layout and four extra motifs (coins,
steps, calendar, kiosk).

* Left half: "星河能源党委 · 学习园地" label, the article's ``title_zh``
  wrapped at a natural break, a gold/red accent bar, then category, reading
  time and learning points, and the publication date.
* Right half: the red panel with a per-article motif (``MOTIF`` below).
* Deterministic: decorations use ``random.Random(article number)``; the
  output depends only on articles.yaml, Pillow and the font.

Usage::

    python3 make_images.py [--articles PATH] [--out-dir DIR]

Requires Pillow and PyYAML.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
NEWS_SCRIPT = HERE.parent / "news" / "make_images.py"


def _load_news_module():
    spec = importlib.util.spec_from_file_location("demo_news_make_images", NEWS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    saved, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in news/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = saved
    return module


news = _load_news_module()

WIDTH, HEIGHT, SCALE = news.WIDTH, news.HEIGHT, news.SCALE
RED, GOLD, WHITE, INK = news.RED, news.GOLD, news.WHITE, news.INK
PALE_GOLD, DEEP_RED = news.PALE_GOLD, news.DEEP_RED
CX, CY = news.CX, news.CY
s, star, poly, circle, rect, line = news.s, news.star, news.poly, news.circle, news.rect, news.line

SECTION_LABEL = f"{news.ORG_NAME} · 学习园地"


# --------------------------------------------------------------------------
# Extra motifs (same helpers and panel centre as the news motifs)
# --------------------------------------------------------------------------


def motif_coins(d, rng):
    """党费: a stack of coins and a large gold coin with a star."""
    for i in range(5):
        y = CY + 110 - i * 16
        d.ellipse(s(CX - 140, y - 14, CX - 40, y + 14), fill=DEEP_RED if i % 2 else PALE_GOLD)
        d.ellipse(s(CX - 140, y - 20, CX - 40, y + 8), fill=GOLD)
    circle(d, CX + 40, CY - 10, 95, fill=GOLD)
    circle(d, CX + 40, CY - 10, 78, outline=WHITE, width=5)
    star(d, CX + 40, CY - 12, 48, RED)


def motif_steps(d, rng):
    """入党程序: five ascending steps (five stages) with a flag at the top."""
    base, w = CY + 125, 50
    for i in range(5):
        x0 = CX - 165 + i * w
        h = 30 + i * 36
        rect(d, x0, base - h, x0 + w - 6, base, fill=WHITE if i < 4 else GOLD, radius=4)
        d.text(s(x0 + (w - 6) / 2, base - 14), str(i + 1), font=_fonts(18), fill=RED, anchor="mm")
    rect(d, CX - 175, base, CX + 95, base + 8, fill=GOLD, radius=4)
    pole_x, pole_top = CX + 57, base - 30 - 4 * 36 - 95
    line(d, [(pole_x, base - 30 - 4 * 36), (pole_x, pole_top)], WHITE, 5)
    poly(
        d,
        [
            (pole_x, pole_top),
            (pole_x + 70, pole_top + 5),
            (pole_x + 62, pole_top + 45),
            (pole_x, pole_top + 42),
        ],
        fill=GOLD,
    )
    star(d, pole_x + 26, pole_top + 22, 12, RED)


def motif_calendar(d, rng):
    """主题党日: a calendar page with one day marked by a star."""
    x0, y0, x1, y1 = CX - 120, CY - 95, CX + 120, CY + 120
    rect(d, x0, y0, x1, y1, fill=WHITE, radius=12)
    rect(d, x0, y0, x1, y0 + 48, fill=GOLD, radius=12)
    rect(d, x0, y0 + 30, x1, y0 + 48, fill=GOLD)
    for rx in (x0 + 55, x1 - 55):
        rect(d, rx - 6, y0 - 18, rx + 6, y0 + 14, fill=DEEP_RED, radius=6)
    cell_w, cell_h = (x1 - x0 - 30) / 5, 34
    for row in range(4):
        for col in range(5):
            cx = x0 + 15 + cell_w * (col + 0.5)
            cy = y0 + 75 + row * cell_h
            if (row, col) == (2, 4):  # the third Friday
                circle(d, cx, cy, 17, fill=RED)
                star(d, cx, cy + 1, 11, GOLD)
            else:
                rect(d, cx - 12, cy - 6, cx + 12, cy + 6, fill=PALE_GOLD, radius=3)


def motif_kiosk(d, rng):
    """智慧终端: a touch screen on a stand showing article lines and a star."""
    x0, y0, x1, y1 = CX - 125, CY - 100, CX + 125, CY + 65
    rect(d, x0, y0, x1, y1, fill=DEEP_RED, radius=14, outline=WHITE, width=6)
    rect(d, x0 + 16, y0 + 16, x1 - 16, y1 - 16, fill=WHITE, radius=6)
    rect(d, x0 + 30, y0 + 30, x0 + 100, y1 - 30, fill=RED, radius=6)
    star(d, x0 + 65, (y0 + y1) / 2, 22, GOLD)
    for i, length in enumerate((110, 90, 110, 70)):
        y = y0 + 38 + i * 24
        rect(d, x0 + 115, y, x0 + 115 + length, y + 10, fill=GOLD if i == 0 else PALE_GOLD, radius=5)
    poly(d, [(CX - 18, y1), (CX + 18, y1), (CX + 28, CY + 125), (CX - 28, CY + 125)], fill=WHITE)
    rect(d, CX - 80, CY + 122, CX + 80, CY + 134, fill=GOLD, radius=6)
    # touch ripple
    for r in (14, 26):
        news.arc(d, x1 - 40, y1 - 40, r, 200, 340, RED, 3)
    circle(d, x1 - 40, y1 - 40, 6, fill=RED)


MOTIFS = {
    **news.MOTIFS,
    "coins": motif_coins,
    "steps": motif_steps,
    "calendar": motif_calendar,
    "kiosk": motif_kiosk,
}

# Article id -> motif; unknown ids fall back to "book".
MOTIF = {
    "art01": "book",  # 三会一课
    "art02": "coins",  # 党费
    "art03": "steps",  # 入党程序（五个阶段）
    "art04": "calendar",  # 主题党日
    "art05": "satellite",  # 北斗
    "art06": "shield",  # 廉洁自律
    "art07": "stars",  # 党员先锋岗
    "art08": "kiosk",  # 智慧终端
}


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------

_fonts = None  # news.Fonts, set in main()

# Line-break preferences for two-line titles.
NO_LINE_START = set("”’」』）》，、。：；！？")
NO_LINE_END = set("“‘「『（《")
BREAK_BEFORE = set("与和及从")
BREAK_AFTER = set("的")


def wrap_title(text: str, font, max_w: float) -> list[str]:
    """One line if it fits, else the best two-line split.

    A split is scored by how unbalanced the two lines are, with a bonus
    for breaking before 与/和/及/从 or after 的 and a hard ban on orphaned
    punctuation.  Falls back to the news script's balanced wrap.
    """
    if font.getlength(text) <= max_w:
        return [text]
    best, best_score = None, math.inf
    for i in range(1, len(text)):
        a, b = text[:i], text[i:]
        if b[0] in NO_LINE_START or a[-1] in NO_LINE_END:
            continue
        wa, wb = font.getlength(a), font.getlength(b)
        if max(wa, wb) > max_w:
            continue
        score = abs(wa - wb) / font.size
        if b[0] in BREAK_BEFORE or a[-1] in BREAK_AFTER:
            score -= 2.5
        if score < best_score:
            best, best_score = [a, b], score
    return best or news.wrap_cjk(text, font, max_w)


def _ink_left(font, ch: str) -> int:
    mask, (off_x, _) = font.getmask2(ch)
    box = mask.getbbox()
    return off_x + (box[0] if box else 0)


def render(article: dict, number: int) -> Image.Image:
    rng = random.Random(number)
    img = Image.new("RGB", (WIDTH * SCALE, HEIGHT * SCALE), WHITE)
    d = ImageDraw.Draw(img)

    # Red panel with slanted edge and gold stripe, as in the news images.
    poly(d, [(500, 0), (WIDTH, 0), (WIDTH, HEIGHT), (440, HEIGHT)], fill=RED)
    poly(d, [(486, 0), (500, 0), (440, HEIGHT), (426, HEIGHT)], fill=GOLD)
    for _ in range(10):
        star(
            d,
            rng.uniform(520, 780),
            rng.uniform(20, 430),
            rng.uniform(3, 7),
            PALE_GOLD,
            rot=rng.uniform(0, 72),
        )

    MOTIFS[MOTIF.get(article["id"], "book")](d, rng)

    # Section label.
    star(d, 60, 52, 11, RED)
    d.text(s(80, 52), SECTION_LABEL, font=_fonts(20), fill=RED, anchor="lm")

    # Title.
    tfont = _fonts(46)
    lines = wrap_title(str(article["title_zh"]), tfont, 370 * SCALE)
    line_h = 62
    y = 205 - (len(lines) * line_h) / 2
    for text in lines:
        x = 48
        if text[0] in NO_LINE_END and len(text) > 1:
            # A full-width opening quote has blank space on its left: hang it so
            # that its ink lines up with the ink of an ordinary glyph.
            x -= max(0, _ink_left(tfont, text[0]) - _ink_left(tfont, text[1])) / SCALE
        d.text(s(x, y), text, font=tfont, fill=INK, anchor="lt")
        y += line_h
    rect(d, 48, y + 10, 128, y + 18, fill=GOLD, radius=4)
    rect(d, 136, y + 10, 152, y + 18, fill=RED, radius=4)

    # Footer: category tag, reading time and points, then date.
    category = str(article.get("category", ""))
    cat_font = _fonts(18)
    tag_w = cat_font.getlength(category) / SCALE + 24
    rect(d, 48, 369, 48 + tag_w, 395, fill=RED, radius=13)
    d.text(s(48 + tag_w / 2, 382), category, font=cat_font, fill=WHITE, anchor="mm")
    meta = []
    if article.get("minutes"):
        meta.append(f"阅读约 {article['minutes']} 分钟")
    if article.get("points"):
        meta.append(f"学习积分 +{article['points']}")
    d.text(s(48 + tag_w + 14, 382), "  ·  ".join(meta), font=_fonts(18), fill=INK, anchor="lm")
    if article.get("published"):
        d.text(s(48, 414), f"发布日期  {article['published']}", font=_fonts(16), fill=RED, anchor="lm")

    img = img.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return img.quantize(
        colors=news.PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )


def main() -> None:
    global _fonts
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=Path, default=HERE.parent / "articles.yaml")
    ap.add_argument("--out-dir", type=Path, default=HERE)
    args = ap.parse_args()

    font_path, font_index = news.find_font()
    _fonts = news.Fonts(font_path, font_index)
    print(f"font: {font_path} (index {font_index})")

    articles = yaml.safe_load(args.articles.read_text(encoding="utf-8")) or []
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for n, article in enumerate(articles, start=1):
        if not article.get("image"):
            continue
        digits = "".join(ch for ch in str(article.get("id", "")) if ch.isdigit())
        out = args.out_dir / article["image"]
        render(article, int(digits) if digits else n).save(out, optimize=True)
        print(f"{out.name}: {out.stat().st_size} B  {article['title_zh']}")


if __name__ == "__main__":
    main()

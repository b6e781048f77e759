"""Long-article bench: the worst frame when a visitor opens a 20,000-character item, printed (not asserted).

    .venv/bin/python bench/long_article_bench.py [--size 1920x1080] [--chars 20000] [--frames 120]

Why: a 15 MB feed item froze the kiosk for 14 s when tapped (issue #16). Items are now cut to a body limit,
but laying out even 20,000 characters (wrapping measures every candidate line) in the tap's frame blocked
the UI. This opens the item as a tap does (the list's ``on_select``) inside a timed frame, then runs
``--frames`` more frames (update + draw, as the main loop does) and reports the slowest frame, the frame
the tap landed in, when the whole document was laid out, and whether a tap on 返回 during layout worked.
Two bodies: paragraphs of mixed Chinese and English, and the same text as one paragraph with no breaks.
SDL's dummy video driver, a fresh data folder with the demo site plus the long item.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def long_body(chars: int, paragraphs: bool) -> str:
    sentence = "中国共产党党员必须坚持理论学习，做到学思用贯通、知信行统一。" * 3 + "Party members study theory every day. "
    text = ""
    while len(text) < chars:
        text += sentence + ("\n\n" if paragraphs else "")
    return text[:chars]


def run_case(app, surface, body: str, frames: int, tap_back_at: int | None) -> dict:
    from core.models import ContentItem, utcnow
    from kiosk.ui import drawing
    from kiosk.ui.gestures import Down, Tap, Up

    guid = f"long-{time.monotonic_ns()}"
    with app.ctx.session() as s:
        s.add(ContentItem(kind="news", source="bench", guid=guid, title_zh="长文章：理论学习 20000 字",
                          title_en="A long article", summary="long", body=body, review_state="published",
                          published_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    app.nav.home()
    app.open_screen("news")
    app.render(surface)
    news = app.nav.top
    index = next(i for i, it in enumerate(news.items) if it.guid == guid)
    drawing._measure_caches.clear()  # a new article's lines have never been measured
    times, done_at, back_worked = [], None, None
    for i in range(frames):
        t0 = time.perf_counter()
        if i == 0:
            news.open(index)  # what a tap on the row calls
        if tap_back_at is not None and i == tap_back_at:
            back = app.nav.header.back_button
            app.nav.handle(Down(back.rect.center))
            app.nav.handle(Up(back.rect.center, False))
            app.nav.handle(Tap(back.rect.center))
        app.nav.update(1 / 30)
        app.nav.draw(surface)
        times.append((time.perf_counter() - t0) * 1000)
        doc = getattr(app.nav.top, "doc", None)
        if done_at is None and doc is not None and getattr(doc, "laid_out", True):
            done_at = i
        if tap_back_at is not None and i == tap_back_at + 2:
            back_worked = app.nav.top is news or getattr(app.nav.top, "kind", "") == "news"
    return {"first": times[0], "worst": max(times), "worst_at": times.index(max(times)),
            "after_first_worst": max(times[1:]), "done_at": done_at, "back_worked": back_worked}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--chars", type=int, default=20000)
    parser.add_argument("--frames", type=int, default=120)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    os.environ["DANGJIAN__SITE__DATA_DIR"] = tempfile.mkdtemp(prefix="long-article-bench-")

    import pygame

    from core.config import load_config
    from kiosk.app import KioskApp

    pygame.init()
    surface = pygame.display.set_mode(size)
    app = KioskApp(load_config(), size, animations=False)
    app.render(surface)
    print(f"opening a {args.chars}-character item at {size[0]}x{size[1]} (SDL dummy driver), frame = "
          f"input + update + draw, {args.frames} frames from the tap")
    print(f"{'body':28} {'tap frame':>10} {'worst ms':>9} {'later worst':>12} {'laid out by':>12} {'back tap':>9}")
    for name, paragraphs in (("paragraphs", True), ("one paragraph", False)):
        for tap_back in (None, 3):
            r = run_case(app, surface, long_body(args.chars, paragraphs), args.frames, tap_back)
            label = name + (", 返回 at frame 3" if tap_back is not None else "")
            done = "-" if r["done_at"] is None else f"frame {r['done_at']}"
            back = "-" if r["back_worked"] is None else ("works" if r["back_worked"] else "FAILED")
            print(f"{label:28} {r['first']:10.1f} {r['worst']:9.1f} {r['after_first_worst']:12.1f} {done:>12} "
                  f"{back:>9}")


if __name__ == "__main__":
    main()

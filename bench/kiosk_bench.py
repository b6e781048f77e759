"""Kiosk benchmark: frame times, cold start and idle CPU, on this machine, printed (not asserted).

    .venv/bin/python bench/kiosk_bench.py [--size 1920x1080] [--frames 300]

Measures, at the given size with SDL's dummy video driver (software surfaces, as a kiosk PC without GPU
compositing): p50/p95 of ``Navigator.draw`` for the home screen idle (what the loop pays when nothing
changes), the home screen forced to redraw fully every frame (the naive way), a news list scrolling
under a finger and a fling (also with Thai, Arabic, Greek and Hindi rows drawn by fallback fonts), and an
exam page when the learning screens exist; the ratio of naive to incremental redraw; cold start (process start → first frame drawn); CPU used by the real main loop
while idle for a few seconds. Goals from the issue: p95 redraw ≤ 4 ms, cold start ≤ 2 s, idle CPU ≤ 5%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed_frames(app, surface, frames: int, step, drawn_only: bool = False) -> list[float]:
    """Draw times in ms; with ``drawn_only`` only frames that actually changed pixels count."""
    out = []
    for i in range(frames):
        step(i)
        app.nav.update(1 / 30)
        t0 = time.perf_counter()
        rects = app.nav.draw(surface)
        if rects or not drawn_only:
            out.append((time.perf_counter() - t0) * 1000)
    return out


def cold_start(size: tuple[int, int], data_dir: str) -> float:
    code = (
        "import time, os, sys; t0=float(sys.argv[1]);"
        "sys.path.insert(0, sys.argv[2]);"
        "import pygame; from core.config import load_config; from kiosk.app import KioskApp;"
        f"pygame.init(); s=pygame.display.set_mode(({size[0]},{size[1]}));"
        "app=KioskApp(load_config(), s.get_size(), animations=False); app.nav.draw(s); pygame.display.flip();"
        "print(time.time()-t0)"
    )
    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": data_dir}
    done = subprocess.run([sys.executable, "-c", code, str(time.time()), str(ROOT)], capture_output=True, text=True,
                          env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def idle_cpu(size: tuple[int, int], seconds: float) -> float:
    import pygame

    from core.config import load_config
    from kiosk.app import KioskApp
    from kiosk.ui.loop import run

    surface = pygame.display.set_mode(size)
    app = KioskApp(load_config(), size, animations=False)
    end = time.monotonic() + seconds
    app.nav.draw(surface)
    cpu0, wall0 = time.process_time(), time.monotonic()
    run(app.nav, surface, fps=30, on_frame=app.on_frame, should_stop=lambda: time.monotonic() >= end)
    return 100 * (time.process_time() - cpu0) / (time.monotonic() - wall0)


FOREIGN = ("ข่าวสารพรรค การประชุมใหญ่ครั้งที่ {n} สวัสดีครับ", "أخبار الحزب مؤتمر {n} العربية",
           "符号 ★ ℃ Ελληνικά {n} Кириллица", "भारतीय समाचार {n} कार्यालय")


def add_foreign_items(app, count: int) -> None:
    """News items titled and summarised in Thai, Arabic, Greek/Cyrillic and Hindi (bench data only)."""
    from datetime import timedelta

    from core.models import ContentItem, utcnow

    with app.ctx.session() as s:
        for n in range(count):
            text = FOREIGN[n % len(FOREIGN)].format(n=n)
            s.add(ContentItem(kind="news", source="bench", guid=f"foreign-{n}", title_zh=text, title_en=text,
                              summary=(text + " ") * 8, review_state="published",
                              published_at=utcnow() - timedelta(minutes=n)))
        s.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    data_dir = tempfile.mkdtemp(prefix="kiosk-bench-")
    os.environ["DANGJIAN__SITE__DATA_DIR"] = data_dir

    import pygame

    from core.config import load_config
    from kiosk.app import KioskApp
    from kiosk.ui.gestures import Down, Drag, Fling, Tap, Up
    from kiosk.ui.widgets.button import Pressable

    pygame.init()
    surface = pygame.display.set_mode(size)
    config = load_config()
    app = KioskApp(config, size, animations=False)
    app.render(surface)
    rows = []

    home_idle = timed_frames(app, surface, args.frames, lambda i: None)
    home_full = timed_frames(app, surface, args.frames, lambda i: app.nav.invalidate())
    rows += [("home, nothing changed", home_idle), ("home, full redraw every frame (naive)", home_full)]

    app.open_screen("news")
    app.render(surface)
    lst = app.nav.top.list
    x, y = lst.rect.center

    def scroll(i: int) -> None:
        phase = i % 60
        if phase == 0:
            app.nav.handle(Down((x, y)))
        elif phase < 20:
            app.nav.handle(Drag((x, y - 8 * phase), 0, -8, (x, y)))
        elif phase == 20:
            app.nav.handle(Up((x, y - 160), True))
            app.nav.handle(Fling((x, y - 160), 0, -1500))
        if lst.offset >= lst.max_offset - 1:
            lst.offset = 0.0  # keep scrolling through the list

    moving = timed_frames(app, surface, args.frames, scroll, drawn_only=True)
    rows.append((f"news list moving ({len(moving)}/{args.frames} frames)", moving))

    # The same with 30 more rows in scripts the Chinese font lacks (drawn by fallback faces): what the font
    # fallback chain costs while scrolling (rows the cache evicted are rendered again on the next lap).
    add_foreign_items(app, 30)
    app.nav.home()
    app.open_screen("news")
    app.render(surface)
    lst = app.nav.top.list
    x, y = lst.rect.center
    foreign = timed_frames(app, surface, args.frames, scroll, drawn_only=True)
    rows.append((f"news list moving, Thai/Arabic rows ({len(foreign)})", foreign))
    if "exam" in app.screens:
        app.nav.home()
        app.open_screen("exam")
        app.render(surface)
        buttons = [w for w in app.nav.top.widgets if isinstance(w, Pressable) and w.enabled]
        target = buttons[0].rect.center

        def press(i: int) -> None:
            if i % 4 == 0:
                app.nav.handle(Down(target))
            elif i % 4 == 2:
                app.nav.handle(Up(target, False))
                app.nav.handle(Tap(target))

        tapping = timed_frames(app, surface, args.frames, press, drawn_only=True)
        rows.append((f"exam page, tapping an option ({len(tapping)} frames)", tapping))
        rows.append(("exam page, full redraw (naive)", timed_frames(app, surface, args.frames,
                                                                   lambda i: app.nav.invalidate())))

    print(f"kiosk frame times at {size[0]}x{size[1]} (SDL dummy driver, {args.frames} frames each)")
    print(f"{'case':42} {'p50 ms':>8} {'p95 ms':>8}")
    for name, values in rows:
        print(f"{name:42} {statistics.median(values):8.2f} {pct(values, 0.95):8.2f}")
    ratio = statistics.median(home_full) / max(statistics.median(home_idle), 1e-6)
    print(f"naive full redraw / incremental (home, p50): {ratio:.0f}x")
    first = cold_start(size, tempfile.mkdtemp(prefix="kiosk-bench-first-"))
    starts = [cold_start(size, data_dir) for _ in range(3)]
    print(f"cold start to first frame: {statistics.median(starts):.2f} s (median of 3); "
          f"{first:.2f} s on the very first start (creates the database, loads the demo site)")
    print(f"idle CPU with the real main loop ({args.idle_seconds:.0f} s): {idle_cpu(size, args.idle_seconds):.1f}% of one core")


if __name__ == "__main__":
    main()

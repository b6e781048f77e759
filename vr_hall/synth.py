"""Generated halls of any size, for the benchmark and for tests that need a small or a huge scene.

Rooms of 40 × 40 m in a grid, each filled with rows of free-standing panels back to back (the way
temporary exhibitions use partition walls), one showcase per room, doorways between neighbours.
Every panel gets its own small PNG so the naive build really loads one texture per exhibit.
Writes a scene YAML beside its media, so a child process can load it by path like the real hall.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from PIL import Image, ImageDraw

from vr_hall.scene import Scene, load_scene

ROOM = 40.0
ROW_SPACING = 2.0
PANEL_SPACING = 1.4
PANEL_SIZE = (1.0, 0.7)
MODEL = Path(__file__).resolve().parent.parent / "scenes" / "media" / "kiosk.gltf"


def panels_per_room() -> int:
    per_row = int((ROOM - 4.0) // PANEL_SPACING)
    rows = int((ROOM - 6.0) // ROW_SPACING)
    return per_row * rows


def _picture(index: int, size: tuple[int, int]) -> Image.Image:
    hue = (index * 0.618034) % 1.0
    r, g, b = (int(255 * (0.5 + 0.5 * math.cos(2 * math.pi * (hue + k / 3)))) for k in range(3))
    img = Image.new("RGB", size, (r, g, b))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, size[0] - 1, size[1] // 5), fill=(200, 22, 29))
    d.ellipse((size[0] // 8, size[1] // 3, size[0] // 2, max(size[1] // 3, size[1] - 10)), fill=(242, 193, 78))
    d.text((size[0] // 2 + 10, size[1] // 2), f"#{index}", fill=(20, 20, 20))
    return img


def write_scene(n_exhibits: int, folder: Path, image_size: tuple[int, int] = (256, 180),
                with_models: bool = True) -> Path:
    """Write ``folder``/hall.yaml with ``n_exhibits`` exhibits (and their media); return its path.
    Files already there with the same count are reused."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hall.yaml"
    stamp = folder / f".n{n_exhibits}-{image_size[0]}x{image_size[1]}-{int(with_models)}-reviewed-m2"
    if path.exists() and stamp.exists():
        return path
    media = folder / "media"
    media.mkdir(exist_ok=True)
    per_room = panels_per_room() + (1 if with_models else 0)
    n_rooms = max(1, math.ceil(n_exhibits / per_room))
    cols = max(1, math.ceil(math.sqrt(n_rooms * 1.5)))
    rooms, exhibits = [], []
    grid = {}
    for k in range(n_rooms):
        grid[(k % cols, k // cols)] = k
    left = n_exhibits
    per_row = int((ROOM - 4.0) // PANEL_SPACING)
    for (cx, cy), k in sorted(grid.items(), key=lambda kv: kv[1]):
        x0, y0 = cx * ROOM, cy * ROOM
        doors = []
        for wall, (dx, dy) in (("east", (1, 0)), ("west", (-1, 0)), ("north", (0, 1)), ("south", (0, -1))):
            if (cx + dx, cy + dy) in grid:
                doors.append({"wall": wall, "offset": ROOM / 2, "width": 3.0})
        rid = f"r{k}"
        rooms.append({"id": rid, "name_zh": f"展厅{k + 1}", "name_en": f"Room {k + 1}", "origin": [x0, y0],
                      "size": [ROOM, ROOM, 4.5], "floor": {"color": "#7A4B2A"}, "walls": {"color": "#F3E9D8"},
                      "ceiling": {"color": "#FFFFFF"}, "doorways": doors})
        count = 0
        if with_models and left > 0:
            exhibits.append({"id": f"m{k}", "room": rid, "kind": "showcase", "title_zh": f"模型{k}",
                             "title_en": f"Model {k}", "position": [x0 + ROOM / 2, y0 + 2.2], "facing": 0,
                             "size": [0.9, 1.75], "depth": 0.6, "media": {"model": str(MODEL), "turn": 180, "plinth": 0}})
            left -= 1
        row = 0
        while left > 0 and count < panels_per_room():
            y = y0 + 5.0 + row * ROW_SPACING
            if y > y0 + ROOM - 2.0:
                break
            for i in range(per_row):
                if left <= 0:
                    break
                x = x0 + 2.7 + i * PANEL_SPACING
                if abs(x - (x0 + ROOM / 2)) < 1.6:  # keep an aisle to the north doorway
                    continue
                idx = len(exhibits)
                name = f"p{idx}.png"
                _picture(idx, image_size).save(media / name, optimize=False, compress_level=1)
                exhibits.append({"id": f"p{idx}", "room": rid, "kind": "image_panel", "title_zh": f"展板{idx}",
                                 "title_en": f"Panel {idx}", "position": [x, y + (0.05 if row % 2 else -0.05)],
                                 "elevation": 1.5, "facing": 0 if row % 2 else 180,
                                 "size": list(PANEL_SIZE), "media": {"image": f"media/{name}"}})
                left -= 1
                count += 1
            row += 1
    for e in exhibits:  # generated for benchmarks and tests: published, so the hall builds them
        e["review"] = {"state": "published", "by": "synth", "date": "2026-01-01"}
    doc = {"hall": {"id": f"synthetic-{n_exhibits}", "title_zh": f"生成展厅（{n_exhibits}件）",
                    "title_en": f"Generated hall ({n_exhibits})",
                    "spawn": {"room": "r0", "x": 2.0, "y": 2.0, "heading": -45}},
           "rooms": rooms,
           "lights": [{"type": "ambient", "color": "#FFF4E6", "intensity": 0.5},
                      {"type": "directional", "color": "#FFFFFF", "intensity": 0.7, "heading": 30, "pitch": -60}],
           "exhibits": exhibits,
           "tours": [{"id": "sample", "name_zh": "示例路线", "name_en": "Sample",
                      "stops": [e["id"] for e in exhibits[: min(5, len(exhibits))]]}]}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for old in folder.glob(".n*"):
        old.unlink()
    stamp.touch()
    return path


def generated_scene(n_exhibits: int, folder: Path, **kwargs: object) -> Scene:
    return load_scene(write_scene(n_exhibits, folder, **kwargs))  # type: ignore[arg-type]

"""Pack many panel pictures into one texture, so a room's panels draw in one batch.

Cards with different textures never merge into one Geom, and draw calls — not pixels — limit the
frame rate (300 panels with their own textures: 600 batches; with one atlas: a handful). Each
picture is resized to its panel's aspect ratio (the quad stretches it anyway), packed on shelves,
and surrounded by a few pixels of its own edge colour so mipmapping does not bleed neighbours in.
Pure Pillow: the renderer turns the result into a texture and uses :attr:`Atlas.uv` for the quads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

#: Largest atlas side: safe on every integrated GPU still in service.
MAX_SIDE = 4096


@dataclass
class Atlas:
    """``image`` is the packed picture (top row first); ``uv[key]`` = (u0, v0, u1, v1) with v upwards
    (OpenGL/Panda3D convention: v0 is the bottom edge of the picture)."""

    image: Image.Image
    uv: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    cell_scale: float = 1.0
    """How much the requested cell size was shrunk to fit (1.0 = not at all)."""


@dataclass(frozen=True)
class AtlasItem:
    key: str
    load: Callable[[], Image.Image]
    """Returns the picture (called once, while packing)."""
    aspect: float
    """Width / height of the panel it is shown on."""


def _cell_size(aspect: float, cell: int) -> tuple[int, int]:
    """Pixel size for a picture of ``aspect`` whose longer side is ``cell``."""
    if aspect >= 1:
        return cell, max(4, round(cell / aspect))
    return max(4, round(cell * aspect)), cell


def _shelf_pack(sizes: list[tuple[int, int]], max_side: int, pad: int) -> tuple[list[tuple[int, int]], int, int] | None:
    """Place boxes (padded) on shelves of a square-ish sheet no wider than ``max_side``.
    Returns positions, sheet width and height, or None when they do not fit."""
    total_area = sum((w + 2 * pad) * (h + 2 * pad) for w, h in sizes)
    widest = max(w + 2 * pad for w, _ in sizes)
    width = min(max_side, max(widest, int(total_area ** 0.5 * 1.1)))
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i][1])
    positions: list[tuple[int, int]] = [(0, 0)] * len(sizes)
    x = y = shelf_h = 0
    used_w = 0
    for i in order:
        w, h = sizes[i][0] + 2 * pad, sizes[i][1] + 2 * pad
        if w > width:
            return None
        if x + w > width:
            y += shelf_h
            x = shelf_h = 0
        positions[i] = (x + pad, y + pad)
        x += w
        used_w = max(used_w, x)
        shelf_h = max(shelf_h, h)
    height = y + shelf_h
    if height > max_side:
        return None
    return positions, used_w, height


def _pad_edges(sheet: Image.Image, pic: Image.Image, x: int, y: int, pad: int) -> None:
    """Paste ``pic`` at (x, y) and extend its outermost pixels ``pad`` pixels outwards."""
    w, h = pic.size
    sheet.paste(pic, (x, y))
    if pad <= 0:
        return
    sheet.paste(pic.crop((0, 0, w, 1)).resize((w, pad)), (x, y - pad))
    sheet.paste(pic.crop((0, h - 1, w, h)).resize((w, pad)), (x, y + h))
    sheet.paste(pic.crop((0, 0, 1, h)).resize((pad, h)), (x - pad, y))
    sheet.paste(pic.crop((w - 1, 0, w, h)).resize((pad, h)), (x + w, y))
    for cx, cy, px, py in ((0, 0, x - pad, y - pad), (w - 1, 0, x + w, y - pad),
                           (0, h - 1, x - pad, y + h), (w - 1, h - 1, x + w, y + h)):
        sheet.paste(pic.getpixel((cx, cy)), (px, py, px + pad, py + pad))


def build_atlas(items: list[AtlasItem], cell: int = 768, max_side: int = MAX_SIDE, pad: int = 4) -> Atlas:
    """Pack ``items``; each picture's longer side is ``cell`` pixels, or less when they would not fit
    into ``max_side`` × ``max_side`` (the scale is reported as ``cell_scale``)."""
    if not items:
        return Atlas(Image.new("RGB", (4, 4), (255, 255, 255)))
    scale = 1.0
    while True:
        c = max(8, int(cell * scale))
        sizes = [_cell_size(it.aspect, c) for it in items]
        packed = _shelf_pack(sizes, max_side, pad)
        if packed is not None or c == 8:
            break
        scale *= 0.85
    if packed is None:
        raise ValueError(f"{len(items)} pictures do not fit into one {max_side}px atlas")
    positions, width, height = packed
    sheet = Image.new("RGB", (width, height), (255, 255, 255))
    atlas = Atlas(sheet, cell_scale=scale)
    for it, (w, h), (x, y) in zip(items, sizes, positions, strict=True):
        pic = it.load().convert("RGB")
        if pic.size != (w, h):
            if pic.width >= 2 * w and pic.height >= 2 * h:
                pic = pic.reduce(min(pic.width // w, pic.height // h))  # fast box pre-shrink
            pic = pic.resize((w, h), Image.Resampling.BILINEAR if pic.width < 2 * w else Image.Resampling.BOX)
        _pad_edges(sheet, pic, x, y, pad)
        # half-texel inset keeps bilinear filtering inside the picture
        atlas.uv[it.key] = ((x + 0.5) / width, 1.0 - (y + h - 0.5) / height,
                            (x + w - 0.5) / width, 1.0 - (y + 0.5) / height)
    return atlas

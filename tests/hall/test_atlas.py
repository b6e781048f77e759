"""The panel atlas: every picture lands where its UVs say, without bleeding into a neighbour."""

from __future__ import annotations

import itertools

from PIL import Image

from vr_hall.atlas import AtlasItem, build_atlas


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> AtlasItem:
    return AtlasItem(f"{colour}", lambda: Image.new("RGB", size, colour), size[0] / size[1])


def test_pictures_are_where_their_uvs_point() -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (9, 9, 9)]
    atlas = build_atlas([solid(c) for c in colours], cell=128)
    w, h = atlas.image.size
    rects = []
    for c in colours:
        u0, v0, u1, v1 = atlas.uv[f"{c}"]
        assert 0 <= u0 < u1 <= 1 and 0 <= v0 < v1 <= 1
        # v is upwards: image row = (1 - v) * h
        for u, v in ((u0, v0), (u1, v1), ((u0 + u1) / 2, (v0 + v1) / 2)):
            px = atlas.image.getpixel((min(w - 1, int(u * w)), min(h - 1, int((1 - v) * h))))
            assert px == c
        assert abs((u1 - u0) * w / ((v1 - v0) * h) - 1.5) < 0.05  # the panel's aspect ratio
        rects.append((u0 * w, (1 - v1) * h, u1 * w, (1 - v0) * h))
    for a, b in itertools.combinations(rects, 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], "pictures overlap"


def test_many_pictures_shrink_to_fit_the_largest_texture() -> None:
    items = [solid((k % 250, 10, 10), (64, 45)) for k in range(600)]
    atlas = build_atlas(items, cell=256, max_side=1024)
    assert max(atlas.image.size) <= 1024 and atlas.cell_scale < 1.0
    assert len(atlas.uv) == len({i.key for i in items})

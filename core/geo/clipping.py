"""Clipping lines and polygons to a screen rectangle ``(x, y, w, h)`` before pygame draws them.

Why: zoomed in, a town's outline lies tens of thousands of pixels off screen; pygame draws with C ints and
scans every row of a polygon, so off-screen parts are cut away first. Pure: no pygame, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.geo.distance import Rect

Point = tuple[float, float]


def clip_polygon(points: Sequence[Point], box: Rect) -> list[Point]:
    """Sutherland–Hodgman clip of a polygon to ``box`` ``(x, y, w, h)``.

    Why: zoomed in, a town's outline lies tens of thousands of pixels off screen; pygame draws with C
    ints and scans every row of a polygon, so off-screen parts are cut away before drawing.
    """
    x0, y0, w, h = box
    x1, y1 = x0 + w, y0 + h
    edges = (
        (lambda p: p[0] >= x0, lambda a, b: _at_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _at_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _at_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _at_y(a, b, y1)),
    )
    out = list(points)
    for inside, cross in edges:
        if not out:
            break
        src, out = out, []
        prev = src[-1]
        for cur in src:
            if inside(cur):
                if not inside(prev):
                    out.append(cross(prev, cur))
                out.append(cur)
            elif inside(prev):
                out.append(cross(prev, cur))
            prev = cur
    return out


def _at_x(a: Point, b: Point, x: float) -> Point:
    t = (x - a[0]) / (b[0] - a[0])
    return x, a[1] + t * (b[1] - a[1])


def _at_y(a: Point, b: Point, y: float) -> Point:
    t = (y - a[1]) / (b[1] - a[1])
    return a[0] + t * (b[0] - a[0]), y


def clip_segment(a: Point, b: Point, box: Rect) -> tuple[Point, Point] | None:
    """Liang–Barsky: the part of segment ``a``–``b`` inside ``box``, or None."""
    x0, y0, w, h = box
    dx, dy = b[0] - a[0], b[1] - a[1]
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, a[0] - x0), (dx, x0 + w - a[0]), (-dy, a[1] - y0), (dy, y0 + h - a[1])):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            if r > t1:
                return None
            t0 = max(t0, r)
        else:
            if r < t0:
                return None
            t1 = min(t1, r)
    return (a[0] + t0 * dx, a[1] + t0 * dy), (a[0] + t1 * dx, a[1] + t1 * dy)


def clip_polyline(points: Sequence[Point], box: Rect) -> list[list[Point]]:
    """The runs of a polyline that lie inside ``box`` (a line leaving and re-entering gives two runs)."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for a, b in zip(points, points[1:], strict=False):
        seg = clip_segment(a, b, box)
        if seg is None:
            if current:
                runs.append(current)
                current = []
            continue
        if current and current[-1] == seg[0]:
            current.append(seg[1])
        else:
            if current:
                runs.append(current)
            current = [seg[0], seg[1]]
        if seg[1] != b:  # left the box
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs

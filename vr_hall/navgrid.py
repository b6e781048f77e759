"""Where a visitor can stand, and how to walk from one place to another without passing through walls.

The hall is rasterised once into an occupancy grid (0.25 m cells by default): a cell is free when it
lies inside a room and at least the visitor's radius away from every solid wall piece and exhibit
footprint — so walls with their doorway gaps, free-standing models and showcases are obstacles,
and a doorway narrower than the visitor is closed. Paths are A* over 8-connected cells (no corner
cutting), then shortened by line of sight (an exact grid traversal, so a straightened segment never
clips a blocked cell). The same grid keeps the camera out of walls when walking with keys or buttons.
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import numpy as np

from vr_hall.layout import heading_towards, heading_vector, view_distance, wall_pieces
from vr_hall.scene import Exhibit, Scene

Point = tuple[float, float]

_SQRT2 = math.sqrt(2.0)
_NEIGHBOURS = ((1, 0, 1.0), (-1, 0, 1.0), (0, 1, 1.0), (0, -1, 1.0),
               (1, 1, _SQRT2), (1, -1, _SQRT2), (-1, 1, _SQRT2), (-1, -1, _SQRT2))


class NavGrid:
    """Occupancy grid of a scene. ``free[i, j]`` is cell (i along x, j along y)."""

    def __init__(self, scene: Scene, cell: float = 0.25, radius: float = 0.3):
        self.scene = scene
        self.cell = cell
        self.radius = radius
        x0, y0, x1, y1 = scene.bounds
        self.x0, self.y0 = x0, y0
        self.nx = max(1, math.ceil((x1 - x0) / cell - 1e-9))
        self.ny = max(1, math.ceil((y1 - y0) / cell - 1e-9))
        cx = x0 + (np.arange(self.nx) + 0.5) * cell
        cy = y0 + (np.arange(self.ny) + 0.5) * cell
        self._cx, self._cy = cx, cy

        inside = np.zeros((self.nx, self.ny), dtype=bool)
        for r in scene.rooms:
            inside |= ((cx >= r.x0) & (cx <= r.x1))[:, None] & ((cy >= r.y0) & (cy <= r.y1))[None, :]
        #: Cells a wall runs through (uninflated): what a walk must never cross.
        self.wall = np.zeros_like(inside)
        blocked = ~inside
        for room in scene.rooms:
            for piece in wall_pieces(room):
                if piece.blocks_walking:
                    self._mark_segment(blocked, piece.start, piece.end, radius)
                    self._mark_segment(self.wall, piece.start, piece.end, cell * 0.5)
        for e in scene.exhibits:
            self._mark_exhibit(blocked, e, radius)
        self.free = ~blocked

    # ----------------------------------------------------------------------------- rasterising

    def _window(self, xa: float, xb: float, ya: float, yb: float) -> tuple[slice, slice]:
        i0 = max(0, int(math.floor((xa - self.x0) / self.cell)) - 1)
        i1 = min(self.nx, int(math.ceil((xb - self.x0) / self.cell)) + 1)
        j0 = max(0, int(math.floor((ya - self.y0) / self.cell)) - 1)
        j1 = min(self.ny, int(math.ceil((yb - self.y0) / self.cell)) + 1)
        return slice(i0, max(i0, i1)), slice(j0, max(j0, j1))

    def _mark_segment(self, grid: np.ndarray, a: Point, b: Point, r: float) -> None:
        """Mark cells whose centre lies within ``r`` of segment a–b."""
        si, sj = self._window(min(a[0], b[0]) - r, max(a[0], b[0]) + r, min(a[1], b[1]) - r, max(a[1], b[1]) + r)
        px, py = self._cx[si][:, None], self._cy[sj][None, :]
        ax, ay = a
        dx, dy = b[0] - ax, b[1] - ay
        length2 = dx * dx + dy * dy
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        dist2 = (px - (ax + t * dx)) ** 2 + (py - (ay + t * dy)) ** 2
        grid[si, sj] |= dist2 < r * r

    def _mark_exhibit(self, grid: np.ndarray, e: Exhibit, r: float) -> None:
        """Mark cells within ``r`` of the exhibit's (rotated) footprint rectangle."""
        w, d = e.footprint
        reach = math.hypot(w, d) / 2 + r
        ex, ey = e.position
        si, sj = self._window(ex - reach, ex + reach, ey - reach, ey + reach)
        px, py = self._cx[si][:, None] - ex, self._cy[sj][None, :] - ey
        h = math.radians(e.facing)
        c, s = math.cos(h), math.sin(h)
        lx, ly = px * c + py * s, -px * s + py * c  # into the exhibit's frame
        ox = np.maximum(np.abs(lx) - w / 2, 0.0)
        oy = np.maximum(np.abs(ly) - d / 2, 0.0)
        grid[si, sj] |= ox * ox + oy * oy < r * r

    # ------------------------------------------------------------------------------------ queries

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        return int(math.floor((x - self.x0) / self.cell)), int(math.floor((y - self.y0) / self.cell))

    def centre(self, i: int, j: int) -> Point:
        return (self.x0 + (i + 0.5) * self.cell, self.y0 + (j + 0.5) * self.cell)

    def in_grid(self, i: int, j: int) -> bool:
        return 0 <= i < self.nx and 0 <= j < self.ny

    def is_free(self, x: float, y: float) -> bool:
        i, j = self.cell_of(x, y)
        return self.in_grid(i, j) and bool(self.free[i, j])

    def cells_on_segment(self, a: Point, b: Point) -> list[tuple[int, int]]:
        """Every cell the segment a–b passes through (Amanatides–Woo; both neighbours at a corner)."""
        i, j = self.cell_of(*a)
        ti, tj = self.cell_of(*b)
        out = [(i, j)]
        dx, dy = b[0] - a[0], b[1] - a[1]
        step_i = 1 if dx > 0 else -1
        step_j = 1 if dy > 0 else -1
        inf = float("inf")
        if dx != 0:
            next_x = self.x0 + (i + (1 if dx > 0 else 0)) * self.cell
            t_max_x, t_dx = (next_x - a[0]) / dx, self.cell / abs(dx)
        else:
            t_max_x, t_dx = inf, inf
        if dy != 0:
            next_y = self.y0 + (j + (1 if dy > 0 else 0)) * self.cell
            t_max_y, t_dy = (next_y - a[1]) / dy, self.cell / abs(dy)
        else:
            t_max_y, t_dy = inf, inf
        guard = abs(ti - i) + abs(tj - j) + 2
        while (i, j) != (ti, tj) and guard > 0:
            guard -= 1
            if abs(t_max_x - t_max_y) < 1e-9:  # through a corner: count both side cells
                out += [(i + step_i, j), (i, j + step_j)]
                i, j = i + step_i, j + step_j
                t_max_x += t_dx
                t_max_y += t_dy
                guard -= 1
            elif t_max_x < t_max_y:
                i += step_i
                t_max_x += t_dx
            else:
                j += step_j
                t_max_y += t_dy
            out.append((i, j))
        return out

    def segment_free(self, a: Point, b: Point) -> bool:
        return all(self.in_grid(i, j) and self.free[i, j] for i, j in self.cells_on_segment(a, b))

    def nearest_free(self, x: float, y: float, max_distance: float = 3.0) -> Point | None:
        """The centre of the free cell nearest to (x, y) (breadth-first), or (x, y) itself when free."""
        if self.is_free(x, y):
            return (x, y)
        i, j = self.cell_of(x, y)
        i = min(max(i, 0), self.nx - 1)
        j = min(max(j, 0), self.ny - 1)
        limit = int(max_distance / self.cell) + 1
        seen = {(i, j)}
        todo = deque([(i, j)])
        best: tuple[float, int, int] | None = None
        while todo:
            ci, cj = todo.popleft()
            if max(abs(ci - i), abs(cj - j)) > limit:
                continue
            if self.free[ci, cj]:
                d = math.dist((x, y), self.centre(ci, cj))
                if best is None or d < best[0]:
                    best = (d, ci, cj)
                continue
            if best is not None and math.dist((x, y), self.centre(ci, cj)) > best[0] + self.cell:
                continue
            for di, dj, _ in _NEIGHBOURS[:4]:
                n = (ci + di, cj + dj)
                if n not in seen and self.in_grid(*n):
                    seen.add(n)
                    todo.append(n)
        return self.centre(best[1], best[2]) if best else None

    # -------------------------------------------------------------------------------------- paths

    def _astar(self, start: tuple[int, int], goal: tuple[int, int]) -> list[tuple[int, int]] | None:
        free = self.free
        gi, gj = goal

        def h(i: int, j: int) -> float:
            dx, dy = abs(i - gi), abs(j - gj)
            return (dx + dy) + (_SQRT2 - 2.0) * min(dx, dy)

        g = {start: 0.0}
        came: dict[tuple[int, int], tuple[int, int]] = {}
        heap = [(h(*start), 0.0, start)]
        closed: set[tuple[int, int]] = set()
        nx, ny = self.nx, self.ny
        while heap:
            _, cost, cur = heapq.heappop(heap)
            if cur == goal:
                path = [cur]
                while cur in came:
                    cur = came[cur]
                    path.append(cur)
                return path[::-1]
            if cur in closed:
                continue
            closed.add(cur)
            ci, cj = cur
            for di, dj, step in _NEIGHBOURS:
                ni, nj = ci + di, cj + dj
                if not (0 <= ni < nx and 0 <= nj < ny) or not free[ni, nj]:
                    continue
                if di and dj and not (free[ci + di, cj] and free[ci, cj + dj]):
                    continue  # no cutting corners past a blocked cell
                nc = cost + step
                if nc < g.get((ni, nj), float("inf")):
                    g[(ni, nj)] = nc
                    came[(ni, nj)] = cur
                    heapq.heappush(heap, (nc + h(ni, nj), nc, (ni, nj)))
        return None

    def smooth(self, points: list[Point]) -> list[Point]:
        """Drop every waypoint that the previous kept one can see past (greedy line of sight)."""
        if len(points) <= 2:
            return list(points)
        out = [points[0]]
        k = 0
        while k < len(points) - 1:
            nxt = k + 1
            for m in range(len(points) - 1, k + 1, -1):
                if self.segment_free(points[k], points[m]):
                    nxt = m
                    break
            out.append(points[nxt])
            k = nxt
        return out

    def find_path(self, start: Point, goal: Point) -> list[Point] | None:
        """Waypoints from ``start`` to ``goal`` (both included, each moved to the nearest free spot when
        it is not free), or None when no path exists. Every segment passes only free cells."""
        s = self.nearest_free(*start)
        t = self.nearest_free(*goal)
        if s is None or t is None:
            return None
        cells = self._astar(self.cell_of(*s), self.cell_of(*t))
        if cells is None:
            return None
        points = [s] + [self.centre(i, j) for i, j in cells[1:-1]] + [t]
        if len(cells) == 1:
            points = [s, t]
        # keep start/goal only if the first/last segment is clear; else go via the cell centres
        if not self.segment_free(points[0], points[1] if len(points) > 2 else points[-1]):
            points.insert(1, self.centre(*cells[0]))
        if len(points) > 2 and not self.segment_free(points[-2], points[-1]):
            points.insert(len(points) - 1, self.centre(*cells[-1]))
        path = self.smooth(points)
        if start != s:
            path.insert(0, start)  # the walker first steps out of the blocked spot
        return path

    # ------------------------------------------------------------------------------------ targets

    def exhibit_target(self, e: Exhibit, extra: float = 0.0) -> tuple[float, float, float]:
        """(x, y, heading) where a visitor stands to see ``e``: in front of it along its facing (``extra``
        metres farther back than usual), moved nearer or farther (then to the nearest free cell) until
        the spot is free; the heading looks at the exhibit."""
        fx, fy = heading_vector(e.facing)
        base = view_distance(e) + extra
        ex, ey = e.position
        spot: Point | None = None
        for delta in (0.0, 0.25, -0.25, 0.5, -0.5, 0.75, 1.0, 1.25, 1.5):
            d = base + delta
            if d < 0.8:
                continue
            x, y = ex + fx * d, ey + fy * d
            if self.is_free(x, y):
                spot = (x, y)
                break
        if spot is None:
            spot = self.nearest_free(ex + fx * base, ey + fy * base, max_distance=4.0)
        if spot is None:
            raise ValueError(f"no free place to stand in front of exhibit {e.id}")
        return (spot[0], spot[1], heading_towards(ex - spot[0], ey - spot[1]))

    def room_target(self, room_id: str) -> Point:
        """A free spot near the middle of a room."""
        room = self.scene.room(room_id)
        spot = self.nearest_free(*room.centre, max_distance=max(room.size[0], room.size[1]))
        if spot is None:
            raise ValueError(f"room {room_id} has no free floor")
        return spot

    def slide(self, x: float, y: float, nx: float, ny: float) -> Point:
        """Where a step from (x, y) towards (nx, ny) ends when walls are in the way: the full step if
        it is clear, else along x only or y only (sliding along a wall), else no move. From a spot that
        is not free (pushed there by a tour's last step) any move that crosses no wall is allowed."""
        if not self.is_free(x, y):
            cells = self.cells_on_segment((x, y), (nx, ny))
            if all(self.in_grid(i, j) and not self.wall[i, j] for i, j in cells):
                return (nx, ny)
        if self.segment_free((x, y), (nx, ny)) and self.is_free(nx, ny):
            return (nx, ny)
        if self.is_free(nx, y) and self.segment_free((x, y), (nx, y)):
            return (nx, y)
        if self.is_free(x, ny) and self.segment_free((x, y), (x, ny)):
            return (x, ny)
        return (x, y)


def path_length(points: list[Point]) -> float:
    return sum(math.dist(a, b) for a, b in zip(points, points[1:], strict=False))

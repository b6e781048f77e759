"""Navigation: walks reach every exhibit, never cross a wall, go through doorways."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vr_hall.layout import heading_vector, wall_pieces
from vr_hall.navgrid import NavGrid, path_length
from vr_hall.scene import Scene


def samples(a: tuple[float, float], b: tuple[float, float], step: float = 0.01) -> np.ndarray:
    n = max(2, int(math.dist(a, b) / step) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(a) + (np.asarray(b) - np.asarray(a)) * t


def check_path(nav: NavGrid, path: list[tuple[float, float]]) -> None:
    """Every point of every segment, 1 cm apart, lies in a free cell (so never in a wall cell)."""
    for a, b in zip(path, path[1:], strict=False):
        for x, y in samples(a, b):
            i, j = nav.cell_of(x, y)
            assert nav.in_grid(i, j) and nav.free[i, j], f"segment {a}→{b} passes blocked cell at ({x:.2f}, {y:.2f})"
            assert not nav.wall[i, j]


def crossings(path: list[tuple[float, float]], x_wall: float) -> list[float]:
    """y where the path crosses the vertical line x = x_wall."""
    ys = []
    for (ax, ay), (bx, by) in zip(path, path[1:], strict=False):
        if (ax - x_wall) * (bx - x_wall) < 0:
            t = (x_wall - ax) / (bx - ax)
            ys.append(ay + t * (by - ay))
    return ys


def test_grid_blocks_walls_and_keeps_doorways_open(demo_scene: Scene, nav: NavGrid) -> None:
    assert not (nav.free & nav.wall).any()
    for room in demo_scene.rooms:
        for piece in wall_pieces(room):
            if piece.blocks_walking:
                mx, my = (piece.start[0] + piece.end[0]) / 2, (piece.start[1] + piece.end[1]) / 2
                assert not nav.is_free(mx, my)
    assert nav.is_free(16.0, 6.0) and nav.is_free(32.0, 6.0)  # doorway centres
    assert not nav.is_free(16.0, 3.0)
    assert not nav.is_free(6.0, 7.6)  # the red boat's showcase


def test_walk_to_every_exhibit_arrives_without_crossing_walls(demo_scene: Scene, nav: NavGrid) -> None:
    spawn = (demo_scene.hall.spawn.x, demo_scene.hall.spawn.y)
    for e in demo_scene.exhibits:
        x, y, heading = nav.exhibit_target(e)
        path = nav.find_path(spawn, (x, y))
        assert path is not None, e.id
        assert path[0] == spawn and math.dist(path[-1], (x, y)) < 1e-9
        check_path(nav, path)
        # the visitor ends in front of the exhibit, looking at it
        fx, fy = heading_vector(e.facing)
        assert (x - e.position[0]) * fx + (y - e.position[1]) * fy > 1.0, e.id
        assert demo_scene.room_at(x, y).id == e.room
        hx, hy = heading_vector(heading)
        to = np.array(e.position) - (x, y)
        assert np.dot((hx, hy), to / np.linalg.norm(to)) > 0.99
        # leaving the first room means passing its doorways
        if e.room != "history":
            assert all(4.8 < yy < 7.2 for yy in crossings(path, 16.0)), (e.id, path)
        if e.room == "beidou":
            assert all(4.8 < yy < 7.2 for yy in crossings(path, 32.0)), (e.id, path)
        assert path_length(path) < 1.6 * math.dist(spawn, (x, y)) + 6.0


def test_paths_are_smoothed_to_few_waypoints(demo_scene: Scene, nav: NavGrid) -> None:
    path = nav.find_path((2.0, 6.0), (45.0, 6.0))
    assert path is not None and len(path) <= 6
    check_path(nav, path)


def test_walking_into_a_wall_slides_and_never_passes(nav: NavGrid) -> None:
    x, y = 14.0, 3.0
    for _ in range(400):  # push east into the history room's east wall, a bit north each step
        x, y = nav.slide(x, y, x + 0.05, y + 0.004)
        assert nav.is_free(x, y)
        assert x < 16.0
    assert y > 3.5  # slid along the wall rather than stopping dead


def test_blocked_goal_moves_to_nearest_free_spot(nav: NavGrid) -> None:
    path = nav.find_path((2.0, 6.0), (6.0, 7.6))  # into the showcase
    assert path is not None
    assert nav.is_free(*path[-1]) and math.dist(path[-1], (6.0, 7.6)) < 2.0


def test_unreachable_room_has_no_path(demo_scene: Scene) -> None:
    data = demo_scene.model_dump()
    data["rooms"][2]["doorways"] = []
    data["rooms"][1]["doorways"] = [d for d in data["rooms"][1]["doorways"] if d["wall"] != "east"]
    closed = Scene.model_validate(data)
    nav = NavGrid(closed)
    assert nav.find_path((2.0, 6.0), (40.0, 3.0)) is None
    assert nav.find_path((2.0, 6.0), (24.0, 3.0)) is not None


@pytest.mark.parametrize("cell", [0.2, 0.25, 0.5])
def test_segment_traversal_lists_every_cell(cell: float, demo_scene: Scene) -> None:
    grid = NavGrid(demo_scene, cell=cell)
    rng = np.random.default_rng(1)
    for _ in range(60):
        a = tuple(rng.uniform((0.1, 0.1), (47.9, 11.9)))
        b = tuple(rng.uniform((0.1, 0.1), (47.9, 11.9)))
        listed = set(grid.cells_on_segment(a, b))
        for x, y in samples(a, b, 0.005):
            assert grid.cell_of(x, y) in listed

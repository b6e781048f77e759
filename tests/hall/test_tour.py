"""Tours: order, narration events, frame-rate independence, pause/resume/skip/stop, GuideTo."""

from __future__ import annotations

import math

import pytest

from vr_hall.navgrid import NavGrid
from vr_hall.scene import Scene
from vr_hall.tour import (
    PathWalker,
    Pose,
    Tour,
    TourEvent,
    make_stop,
    tour_stops,
    trapezoid_distance,
)


def spawn_pose(scene: Scene) -> Pose:
    s = scene.hall.spawn
    return Pose(s.x, s.y, s.heading)


def run_tour(nav: NavGrid, scene: Scene, tour_id: str, dt: float, seconds: float = 3000.0,
             **kwargs: object) -> tuple[Tour, list[TourEvent]]:
    events: list[TourEvent] = []
    tour = Tour(nav, tour_stops(nav, scene, tour_id), spawn_pose(scene), events.append, **kwargs)  # type: ignore[arg-type]
    tour.run(seconds, dt)
    return tour, events


def test_quick_tour_narrates_every_stop_in_order(demo_scene: Scene, nav: NavGrid) -> None:
    tour, events = run_tour(nav, demo_scene, "quick", 1 / 30)
    assert tour.state == "finished"
    narrated = [e for e in events if e.kind == "narrate"]
    assert [e.stop_id for e in narrated] == demo_scene.tour("quick").stops
    h01 = demo_scene.exhibit("h01")
    assert narrated[0].text == h01.narration_zh and narrated[0].language == "zh"
    kinds = [e.kind for e in events if e.stop_id == "h02"]
    assert kinds == ["walking", "arrived", "narrate"]
    assert events[-1].kind == "finished"


def test_tour_in_english(demo_scene: Scene, nav: NavGrid) -> None:
    _, events = run_tour(nav, demo_scene, "quick", 1 / 30, language="en")
    first = next(e for e in events if e.kind == "narrate")
    assert first.text == demo_scene.exhibit("h01").narration_en and first.language == "en"


def test_motion_does_not_depend_on_frame_rate(demo_scene: Scene, nav: NavGrid) -> None:
    def pose_at(seconds: float, fps: int) -> Pose:
        tour = Tour(nav, tour_stops(nav, demo_scene, "full"), spawn_pose(demo_scene))
        tour.run(seconds, 1 / fps)
        return tour.pose

    for t in (2.0, 5.5, 21.0, 60.0):
        slow, fast = pose_at(t, 20), pose_at(t, 120)
        assert math.dist((slow.x, slow.y), (fast.x, fast.y)) < 0.05, t
        assert abs((slow.heading - fast.heading + 180) % 360 - 180) < 6.0, t


def test_walk_speed_and_turn_rate_are_limited(demo_scene: Scene, nav: NavGrid) -> None:
    tour = Tour(nav, tour_stops(nav, demo_scene, "full"), spawn_pose(demo_scene), speed=1.1, turn_rate=100)
    dt = 1 / 60
    prev = tour.pose.copy()
    for _ in range(int(40 / dt)):
        tour.update(dt)
        p = tour.pose
        assert math.dist((p.x, p.y), (prev.x, prev.y)) <= 1.1 * dt + 1e-6
        assert abs((p.heading - prev.heading + 180) % 360 - 180) <= 100 * dt + 1e-6
        assert nav.is_free(p.x, p.y) or math.dist((p.x, p.y), (2.0, 6.0)) < 0.5
        prev = p.copy()


def test_speed_profile_accelerates_cruises_and_stops_exactly() -> None:
    for length in (0.2, 1.0, 12.0):
        xs = [trapezoid_distance(k * 0.01, length, 1.1, 1.2) for k in range(3000)]
        assert xs[0] == 0.0 and xs[-1] == pytest.approx(length)
        speeds = [(b - a) / 0.01 for a, b in zip(xs, xs[1:], strict=False)]
        assert min(speeds) >= -1e-9 and max(speeds) <= 1.1 + 1e-6


def test_pause_freezes_and_resume_continues(demo_scene: Scene, nav: NavGrid) -> None:
    events: list[TourEvent] = []
    tour = Tour(nav, tour_stops(nav, demo_scene, "quick"), spawn_pose(demo_scene), events.append)
    tour.run(1.5)
    tour.pause()
    where = tour.pose.copy()
    tour.run(5.0)
    assert tour.state == "paused" and (tour.pose.x, tour.pose.y) == (where.x, where.y)
    tour.resume()
    tour.run(1.0)
    assert tour.state == "walking" and math.dist((tour.pose.x, tour.pose.y), (where.x, where.y)) > 0.3
    assert [e.kind for e in events if e.kind in ("paused", "resumed")] == ["paused", "resumed"]


def test_skip_while_walking_and_while_narrating(demo_scene: Scene, nav: NavGrid) -> None:
    events: list[TourEvent] = []
    tour = Tour(nav, tour_stops(nav, demo_scene, "quick"), spawn_pose(demo_scene), events.append)
    tour.run(0.5)
    tour.skip()  # skip h01 on the way there
    while tour.state != "narrating":
        tour.update(1 / 30)
    assert tour.current.id == "h02"
    tour.skip()  # cut h02's narration short
    assert events[-2].kind == "narration_cancelled" or any(e.kind == "narration_cancelled" for e in events)
    assert tour.current.id == "h04" and tour.state == "walking"
    narrated = [e.stop_id for e in events if e.kind == "narrate"]
    assert narrated == ["h02"]


def test_stop_ends_the_tour(demo_scene: Scene, nav: NavGrid) -> None:
    events: list[TourEvent] = []
    tour = Tour(nav, tour_stops(nav, demo_scene, "quick"), spawn_pose(demo_scene), events.append)
    tour.run(2.0)
    tour.stop()
    where = tour.pose.copy()
    tour.run(3.0)
    assert tour.state == "stopped" and not tour.active and tour.pose == where
    assert events[-1].kind == "stopped"


def test_waiting_for_speech(demo_scene: Scene, nav: NavGrid) -> None:
    tour = Tour(nav, tour_stops(nav, demo_scene, "quick"), spawn_pose(demo_scene), wait_for_speech=True)
    while tour.state != "narrating":
        tour.update(1 / 30)
    tour.run(10.0)  # longer than the estimate: still waiting for the speech worker
    assert tour.state == "narrating"
    tour.speech_finished()
    tour.update(1 / 30)
    assert tour.state == "walking" and tour.current.id == "h02"


def test_guide_to_an_exhibit_and_to_a_room(demo_scene: Scene, nav: NavGrid) -> None:
    stop = make_stop(nav, demo_scene, "b05")
    events: list[TourEvent] = []
    tour = Tour(nav, [stop], spawn_pose(demo_scene), events.append, narrate=False)
    tour.run(200)
    assert tour.state == "finished"
    assert math.dist((tour.pose.x, tour.pose.y), (stop.x, stop.y)) < 1e-6
    assert abs((tour.pose.heading - stop.heading + 180) % 360 - 180) < 0.6
    assert [e.kind for e in events] == ["walking", "arrived", "finished"]
    # the robot guide went ahead and stands beside the exhibit, facing the visitor
    b05 = demo_scene.exhibit("b05")
    assert math.dist((tour.guide.x, tour.guide.y), b05.position) < 2.5

    room_stop = make_stop(nav, demo_scene, "achievements")
    assert room_stop.exhibit is None and demo_scene.room_at(room_stop.x, room_stop.y).id == "achievements"
    tour = Tour(nav, [room_stop], spawn_pose(demo_scene))
    tour.run(200)
    assert tour.state == "finished" and demo_scene.room_at(tour.pose.x, tour.pose.y).id == "achievements"
    with pytest.raises(KeyError):
        make_stop(nav, demo_scene, "no-such-thing")


def test_path_walker_turns_to_final_heading() -> None:
    pose = Pose(0.0, 0.0, 0.0)
    walker = PathWalker(pose, [(0.0, 0.0)], turn_rate=90.0, final_heading=90.0)
    assert not walker.step(0.5) and pose.heading == pytest.approx(45.0)
    assert walker.step(0.6) and pose.heading == pytest.approx(90.0)

"""Leaving an exhibit's open panel — tapping elsewhere, walking or turning away, the map, a tour —
closes it as its 关闭 button does: the narration stops (StopSpeaking)."""

from __future__ import annotations

import pytest

from core.events import GuideTo, StopSpeaking
from vr_hall.layout import EYE_HEIGHT, exhibit_centre, heading_vector, look_angles

from .test_render import run, screen_of


def stops(app) -> int:
    return sum(isinstance(e, StopSpeaking) for e in app.published)


@pytest.fixture
def panel(app):
    """h04's panel open, as standing in front of it opens it (its narration asked for)."""
    e = app.scene.exhibit("h04")
    app.pose.x, app.pose.y, app.pose.heading = app.nav.exhibit_target(e)
    app.update(0.0)
    run(app, 0.8)
    assert app.info.visible and app.info.exhibit.id == "h04" and stops(app) == 0
    return app


def test_the_close_button_stops_speaking(panel) -> None:
    panel.info.close()
    assert stops(panel) == 1


def test_tapping_the_floor_closes_the_panel_and_stops_speaking(panel) -> None:
    panel.pitch = -35.0  # look down: the floor in front
    panel.update(0.0)
    fx, fy = heading_vector(panel.pose.heading)
    spot = (panel.pose.x + 1.5 * fx + 0.6 * fy, panel.pose.y + 1.5 * fy - 0.6 * fx, 0.0)
    assert panel.tap(*screen_of(panel, spot)) == "floor"
    assert not panel.info.visible and stops(panel) == 1


def test_walking_away_closes_the_panel_and_stops_speaking(panel) -> None:
    panel.on_action("back", True)  # one step back (0.8 m): still in front of it
    panel.on_action("back", False)
    run(panel, 1.0)
    assert panel.info.visible and stops(panel) == 0
    panel.on_action("back", True)  # hold: keep walking back
    run(panel, 1.0)
    panel.on_action("back", False)
    assert not panel.info.visible and stops(panel) == 1
    run(panel, 1.0)
    assert stops(panel) == 1  # once


def test_turning_away_closes_it_a_small_turn_does_not(panel) -> None:
    panel.nudge("left")  # 30°
    run(panel, 1.0)
    assert panel.info.visible and stops(panel) == 0
    panel.drag(2.0, 0.0)  # a long drag: the exhibit is now behind the visitor
    panel.update(0.0)
    assert not panel.info.visible and stops(panel) == 1


def test_the_map_and_a_guided_walk_close_it(panel) -> None:
    panel.minimap.tap(panel.base.render2d, 0, 0)  # open the large map
    panel.minimap.tap(panel.base.render2d, 0, 0)  # and walk to its middle
    assert not panel.info.visible and stops(panel) == 1
    panel.show_view("exhibit:h01")
    panel.published.clear()
    panel.post(GuideTo("a02"))
    panel.update(0.0)
    assert panel.tour.active and not panel.info.visible and stops(panel) == 1


def test_opening_another_exhibit_and_reset_do_not(app) -> None:
    app.show_view("exhibit:h01")  # a view is set up silently
    e = app.scene.exhibit("h03")  # its neighbour on the wall, 45° to the right
    app.pose.heading = look_angles(app.pose.x, app.pose.y, EYE_HEIGHT, exhibit_centre(e))[0]
    app.update(0.0)
    app.tap(*screen_of(app, exhibit_centre(e)))  # its narration replaces the last one (interrupt)
    assert app.info.exhibit.id == "h03" and stops(app) == 0
    app.reset()
    assert not app.info.visible and stops(app) == 0

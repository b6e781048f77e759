"""Gesture recognition from scripted real pygame events, with a hand-moved clock."""

from __future__ import annotations

import pygame
import pytest

from kiosk.ui.gestures import (
    Cancel,
    CornerHold,
    Down,
    Drag,
    Fling,
    GestureConfig,
    GestureRecognizer,
    LongPress,
    Swipe,
    Tap,
    Up,
    Wheel,
)

SIZE = (1920, 1080)


def mouse(kind: int, pos: tuple[int, int], touch: bool = False, button: int = 1) -> pygame.event.Event:
    if kind == pygame.MOUSEMOTION:
        return pygame.event.Event(kind, pos=pos, rel=(0, 0), buttons=(1, 0, 0), touch=touch)
    return pygame.event.Event(kind, pos=pos, button=button, touch=touch)


def finger(kind: int, pos: tuple[int, int], finger_id: int = 0) -> pygame.event.Event:
    return pygame.event.Event(kind, x=pos[0] / SIZE[0], y=pos[1] / SIZE[1], dx=0.0, dy=0.0,
                              touch_id=1, finger_id=finger_id, pressure=1.0)


def kinds(gestures: list) -> list[type]:
    return [type(g) for g in gestures]


def run(rec: GestureRecognizer, clock, script: list) -> list:
    """Script items: an event, or a float = seconds to advance the clock (then poll)."""
    out = []
    for item in script:
        if isinstance(item, float):
            clock.advance(item)
            out.extend(rec.poll())
        else:
            out.extend(rec.feed(item))
    return out


def test_mouse_tap(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = run(rec, clock, [mouse(pygame.MOUSEBUTTONDOWN, (100, 200)), 0.08, mouse(pygame.MOUSEBUTTONUP, (103, 201))])
    assert kinds(g) == [Down, Up, Tap]
    assert g[-1].pos == (100, 200)


def test_events_through_the_real_pygame_queue(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    pygame.event.clear()
    # Echoes interleaved, and echoes arriving after the finger lifted: one tap each time.
    for order in ("interleaved", "after"):
        downs = [finger(pygame.FINGERDOWN, (960, 540)), mouse(pygame.MOUSEBUTTONDOWN, (960, 540), touch=True)]
        ups = [finger(pygame.FINGERUP, (960, 540)), mouse(pygame.MOUSEBUTTONUP, (960, 540), touch=True)]
        events = downs + ups if order == "interleaved" else [downs[0], ups[0], downs[1], ups[1]]
        for e in events:
            pygame.event.post(e)
        g = rec.process(pygame.event.get())
        assert kinds(g).count(Tap) == 1, order
        clock.advance(1.0)


def test_finger_and_synthesised_mouse_count_once(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = run(rec, clock, [
        finger(pygame.FINGERDOWN, (500, 500)), mouse(pygame.MOUSEBUTTONDOWN, (500, 500), touch=True), 0.05,
        finger(pygame.FINGERUP, (500, 500)), mouse(pygame.MOUSEBUTTONUP, (500, 500), touch=True),
    ])
    assert kinds(g) == [Down, Up, Tap]
    # A later tap arriving only as (touch-flagged) mouse events is still ignored: fingers were seen.
    g2 = run(rec, clock, [1.0, mouse(pygame.MOUSEBUTTONDOWN, (10, 10), touch=True),
                          mouse(pygame.MOUSEBUTTONUP, (10, 10), touch=True)])
    assert g2 == []


def test_unflagged_mouse_echo_is_dropped_within_the_dedupe_window(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = run(rec, clock, [
        finger(pygame.FINGERDOWN, (500, 500)), 0.05, finger(pygame.FINGERUP, (500, 500)),
        mouse(pygame.MOUSEBUTTONDOWN, (500, 500)), mouse(pygame.MOUSEBUTTONUP, (500, 500)),
    ])
    assert kinds(g).count(Tap) == 1
    # A real mouse click well after the last touch works again.
    g2 = run(rec, clock, [2.0, mouse(pygame.MOUSEBUTTONDOWN, (9, 9)), mouse(pygame.MOUSEBUTTONUP, (9, 9))])
    assert kinds(g2) == [Down, Up, Tap]


def test_finger_coordinates_are_scaled_to_the_screen(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = rec.feed(pygame.event.Event(pygame.FINGERDOWN, x=0.25, y=0.5, touch_id=0, finger_id=0))
    assert g == [Down((480.0, 540.0))]


def test_long_press_fires_once_and_suppresses_tap(clock) -> None:
    rec = GestureRecognizer(SIZE, GestureConfig(long_press_s=0.6), clock=clock)
    g = run(rec, clock, [mouse(pygame.MOUSEBUTTONDOWN, (300, 300)), 0.3, 0.2])
    assert LongPress not in kinds(g)
    g = run(rec, clock, [0.15, 0.5, mouse(pygame.MOUSEBUTTONUP, (300, 300))])
    assert kinds(g) == [LongPress, Up]
    assert g[0].held == 0.6


def test_five_second_corner_hold(clock) -> None:
    rec = GestureRecognizer(SIZE, GestureConfig(hold_s=(5.0,)), clock=clock)
    corner = CornerHold(SIZE, seconds=5.0, corner="topright", size=120)
    script = [finger(pygame.FINGERDOWN, (1900, 20))] + [0.5] * 9
    g = run(rec, clock, script)
    assert not any(corner.feed(x) for x in g), "4.5 s is not enough"
    g = run(rec, clock, [0.5])
    assert any(corner.feed(x) for x in g)
    # The same hold elsewhere does not unlock.
    rec2 = GestureRecognizer(SIZE, GestureConfig(hold_s=(5.0,)), clock=clock)
    g = run(rec2, clock, [finger(pygame.FINGERDOWN, (960, 540)), 5.1])
    assert not any(corner.feed(x) for x in g)


def test_swipe_and_fling(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    script = [finger(pygame.FINGERDOWN, (1200, 500))]
    for x in range(1150, 700, -50):
        script += [0.016, finger(pygame.FINGERMOTION, (x, 505))]
    script += [0.016, finger(pygame.FINGERUP, (700, 505))]
    g = run(rec, clock, script)
    ks = kinds(g)
    assert ks[0] is Down and Drag in ks and Up in ks
    swipe = next(x for x in g if isinstance(x, Swipe))
    assert swipe.direction == "left"
    fling = next(x for x in g if isinstance(x, Fling))
    assert fling.vx < -1000 and abs(fling.vy) < abs(fling.vx) / 5
    assert Tap not in ks
    drags = [x for x in g if isinstance(x, Drag)]
    assert sum(d.dx for d in drags) == pytest.approx(700 - 1200), "drags add up to the whole stroke"


def test_slow_drag_is_neither_swipe_nor_fling(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    script = [mouse(pygame.MOUSEBUTTONDOWN, (500, 800))]
    for y in range(790, 590, -10):
        script += [0.05, mouse(pygame.MOUSEMOTION, (500, y))]
    script += [0.3, mouse(pygame.MOUSEBUTTONUP, (500, 600))]
    g = run(rec, clock, script)
    ks = kinds(g)
    assert Swipe not in ks and Fling not in ks and Tap not in ks
    assert sum(d.dy for d in g if isinstance(d, Drag)) == pytest.approx(-200)
    assert g[-1] == Up((500.0, 600.0), True)


def test_jitter_within_slop_is_still_a_tap(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = run(rec, clock, [finger(pygame.FINGERDOWN, (400, 400)), 0.03, finger(pygame.FINGERMOTION, (410, 406)),
                         0.03, finger(pygame.FINGERUP, (409, 405))])
    assert kinds(g) == [Down, Up, Tap]


def test_second_finger_and_other_buttons_are_ignored(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = run(rec, clock, [finger(pygame.FINGERDOWN, (100, 100), 0), finger(pygame.FINGERDOWN, (900, 900), 1),
                         finger(pygame.FINGERUP, (900, 900), 1), finger(pygame.FINGERUP, (100, 100), 0)])
    assert kinds(g) == [Down, Up, Tap] and g[-1].pos == (100, 100)
    rec2 = GestureRecognizer(SIZE, clock=clock)
    assert rec2.feed(mouse(pygame.MOUSEBUTTONDOWN, (5, 5), button=3)) == []


def test_focus_loss_cancels(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    rec.feed(mouse(pygame.MOUSEBUTTONDOWN, (5, 5)))
    assert kinds(rec.feed(pygame.event.Event(pygame.WINDOWFOCUSLOST))) == [Cancel]
    assert not rec.active


def test_wheel(clock) -> None:
    rec = GestureRecognizer(SIZE, clock=clock)
    g = rec.feed(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-2, flipped=False, touch=False))
    assert isinstance(g[0], Wheel) and g[0].dy < 0

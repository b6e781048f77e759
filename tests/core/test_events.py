"""Typed events round-trip as plain data, and the bus is safe across threads."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest

from core import events
from core.events import EventBus, event_from_dict

SAMPLES = [
    events.NewsArrived(item_ids=(3, 2), titles=("新闻一", "新闻二")),
    events.UrgentNotice(item_id=9, title="紧急通知"),
    events.SyncStatus(online=False, last_success_iso="2026-11-26T06:00:00+00:00", message="timeout"),
    events.Transcript(text="带我去北斗展区", language="zh", final=False, confidence=0.8),
    events.Answer(text="三会一课是……", source_id="kb001", suggestions=("党费怎么交",)),
    events.DuesAsked(pay="8000", category="在职", monthly="120.00"),
    events.GuideTo(exhibit_id="b01"),
    events.OpenScreen(screen="news"),
    events.Speak(text="您好", interrupt=True),
    events.StopSpeaking(),
    events.FaceSeen(member_number="M0101", distance=0.31, margin=0.12, box=(10, 90, 90, 10)),
    events.SignInRequested(meeting_id=4),
    events.SignedIn(meeting_id=4, member_number="M0101", member_name="王建国", method="face", late=False),
    events.DeviceStatus(device="camera", state="off", message="lost"),
    events.Understood(text="党费怎么交", intent="ask", entry_id="kb079", score=0.91, slots=(("pay", "8000"),)),
    events.ConfirmIdentity(track_id=3, candidates=("M0101", "M0102"), names=("王建国", "李秀英"), distance=0.4),
    events.IdentityConfirmed(track_id=3, member_number="M0101"),
    events.LivenessPrompt(track_id=3),
    events.FaceSignInFailed(track_id=3, reason="liveness", message="请正对摄像头"),
    events.Position(lat=30.5, lon=114.3, fix=True, beidou_used=6, talkers=("GB", "GP")),
]


def test_every_event_type_has_a_sample():
    defined = {cls for cls in vars(events).values()
               if isinstance(cls, type) and issubclass(cls, events.Event) and cls is not events.Event}
    assert defined == {type(e) for e in SAMPLES}
    assert set(events.event_types().values()) == defined, "every registered event is in the catalogue"


def test_the_catalogue_is_the_only_place_events_are_defined():
    """Events live in core/events/ by concern: every subclass of Event anywhere in the product is one."""
    import importlib
    import pkgutil

    import beidou
    import robot_assistant
    for package in (beidou, robot_assistant):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.endswith(("__main__", "speech_worker")) or ".voice." in info.name:
                continue  # entry points and worker processes; their imports are checked by their own tests
            importlib.import_module(info.name)
    for cls in events.event_types().values():
        assert cls.__module__.startswith("core.events."), cls


def test_ids_and_replies_travel_with_the_event():
    question = events.Transcript(text="党费怎么交")
    answer = events.Answer(text="按月交纳").replying_to(question)
    spoken = events.Speak(text="按月交纳").replying_to(question)
    assert answer.in_reply_to == spoken.in_reply_to == question.id
    assert len({question.id, answer.id, spoken.id}) == 3, "each event has its own id"
    back = event_from_dict(json.loads(json.dumps(answer.to_dict())))
    assert (back.id, back.in_reply_to) == (answer.id, question.id)
    assert events.Answer(text="x").replying_to(None).in_reply_to is None
    with pytest.raises(TypeError):
        events.Answer("x", "zh", None, (), "not-an-id")  # ids are keyword-only: old positional calls stay right


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_round_trip(event):
    message = event.to_dict()
    assert message["type"] == type(event).__name__
    assert event_from_dict(json.loads(json.dumps(message))) == event
    assert type(event).__dataclass_params__.frozen
    for name in message["data"]:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, name, None)


def test_unknown_type_is_rejected():
    with pytest.raises(ValueError, match="unknown event type 'Teleport'"):
        event_from_dict({"type": "Teleport", "data": {}})


def test_bus_filters_by_type_and_delivers_across_threads():
    bus = EventBus()
    everything = bus.subscribe()
    only_news = bus.subscribe(events.NewsArrived)

    def worker(n: int) -> None:
        for i in range(500):
            bus.publish(events.NewsArrived(item_ids=(n, i)) if i % 2 else events.GuideTo(exhibit_id=f"{n}-{i}"))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = everything.drain(limit=10_000)
    assert len(got) == 2000
    news = only_news.drain(limit=10_000)
    assert len(news) == 1000 and all(isinstance(e, events.NewsArrived) for e in news)
    # per producer, order is kept
    for n in range(4):
        seq = [e.item_ids[1] for e in news if e.item_ids[0] == n]
        assert seq == sorted(seq)


def test_a_stuck_consumer_loses_oldest_events_not_the_producer():
    bus = EventBus()
    sub = bus.subscribe()
    sub.queue.maxsize = 3
    for i in range(10):
        bus.publish(events.GuideTo(exhibit_id=str(i)))
    assert [e.exhibit_id for e in sub.drain()] == ["7", "8", "9"]
    bus.unsubscribe(sub)
    bus.publish(events.StopSpeaking())
    assert sub.drain() == []

"""Push over a real mosquitto on loopback: published items are stored and announced within 5 s; a broker
that goes away hands over to feed polling and back; passwords and TLS work; wrong credentials are told."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core import content
from core.events import DeviceStatus, EventBus, NewsArrived, UrgentNotice
from core.models import ContentItem
from fleet.push import (
    PushError,
    PushSettings,
    PushSubscriber,
    parse_topic,
    publish_item,
    subscriptions,
    topic_for,
)
from tests.fleet.broker import Mosquitto
from tests.fleet.certs import make_tls_files
from tests.fleet.records import wait_until

ANNOUNCE_WITHIN_S = 5.0


def settings_for(port: int, **kw) -> PushSettings:
    base = {"host": "127.0.0.1", "port": port, "org": "demo", "branches": ("B01",), "keepalive": 5,
            "reconnect_min_s": 1, "reconnect_max_s": 1}
    return PushSettings(**(base | kw))


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


def subscriber(local_db, bus, settings: PushSettings, **kw) -> PushSubscriber:
    sub = PushSubscriber(settings, local_db, bus, terminal_id="kiosk-01", **kw)
    sub.start()
    return sub


def test_topics():
    assert subscriptions("demo", ["B01"]) == ["dangjian/demo/news", "dangjian/demo/notice",
                                              "dangjian/demo/branch/B01/news", "dangjian/demo/branch/B01/notice"]
    assert parse_topic("dangjian/demo/branch/B01/notice") == ("demo", "notice", "B01")
    assert parse_topic("dangjian/demo/news") == ("demo", "news", None)
    for bad in ("dangjian/demo/photos", "dangjian/+/news", "x/demo/news", "dangjian/demo/branch/B01/news/x"):
        assert parse_topic(bad) is None
    with pytest.raises(ValueError):
        topic_for("demo", "news", "B#")


def test_published_item_is_stored_and_announced_within_5_s(local_db, bus, broker):
    news = bus.subscribe(NewsArrived)
    settings = settings_for(broker.port)
    sub = subscriber(local_db, bus, settings)
    try:
        assert wait_until(lambda: sub.connected, 5)
        start = time.monotonic()
        assert publish_item(settings, {"guid": "push-1", "title_zh": "支部书记讲党课", "body": "<p>第一段</p><script>x</script>",
                                       "published_at": "2026-11-26T08:00:00+08:00"}) == "dangjian/demo/news"
        event = news.get(timeout=ANNOUNCE_WITHIN_S)
        latency = time.monotonic() - start
        assert isinstance(event, NewsArrived) and event.titles == ("支部书记讲党课",)
        assert latency < ANNOUNCE_WITHIN_S
        with local_db.session() as s:
            row = s.get(ContentItem, event.item_ids[0])
            assert (row.source, row.kind, row.body) == ("push:demo", "news", "第一段")
            assert [i.guid for i in content.visible(s, "news")] == ["push-1"]
        # The same message again (QoS 1 may deliver twice): stored once, announced once.
        publish_item(settings, {"guid": "push-1", "title_zh": "支部书记讲党课", "published_at": "2026-11-26T08:00:00+08:00"})
        assert wait_until(lambda: sub.status()["received"] == 2, ANNOUNCE_WITHIN_S)
        assert news.get(timeout=0.2) is None
        with local_db.session() as s:
            assert len(s.scalars(select(ContentItem)).all()) == 1
    finally:
        sub.stop()


def test_branch_urgent_notice_takes_over(local_db, bus, broker):
    events = bus.subscribe(UrgentNotice, NewsArrived)
    settings = settings_for(broker.port)
    sub = subscriber(local_db, bus, settings)
    try:
        assert wait_until(lambda: sub.connected, 5)
        publish_item(settings, {"guid": "n-1", "title_zh": "停电通知", "urgent": True}, kind="notice", branch="B01")
        got = [events.get(timeout=ANNOUNCE_WITHIN_S), events.get(timeout=ANNOUNCE_WITHIN_S)]
        urgent = next(e for e in got if isinstance(e, UrgentNotice))
        assert urgent.title == "停电通知"
        with local_db.session() as s:
            item = content.active_urgent(s)
            assert item is not None and item.branch_code == "B01" and item.kind == "notice"
    finally:
        sub.stop()


def test_broker_down_hands_over_to_polling_and_back(local_db, bus, broker):
    statuses = bus.subscribe(DeviceStatus)
    polled = []
    settings = settings_for(broker.port)
    sub = subscriber(local_db, bus, settings, on_fallback=lambda: polled.append(time.monotonic()))
    try:
        assert wait_until(lambda: sub.status()["mode"] == "push", 5)
        broker.stop()
        assert wait_until(lambda: sub.status()["mode"] == "polling", 5)
        assert len(polled) == 1 and not sub.connected
        states = [e.state for e in statuses.drain() if e.device == "push"]
        assert states == ["ok", "degraded"]
        time.sleep(1.5)  # reconnect attempts fail meanwhile: no second fallback, no event storm
        assert len(polled) == 1 and statuses.drain() == []
        broker.start()
        assert wait_until(lambda: sub.status()["mode"] == "push", 10)
        publish_item(settings, {"guid": "after", "title_zh": "恢复后的消息"})
        assert wait_until(lambda: sub.status()["stored"] == 1, ANNOUNCE_WITHIN_S)
        assert sub.status()["outages"] == 1
    finally:
        sub.stop()


def test_no_broker_at_start_means_polling_at_once(local_db, bus, tmp_path):
    from tests.fleet.broker import free_port

    polled = []
    sub = subscriber(local_db, bus, settings_for(free_port()), on_fallback=lambda: polled.append(1))
    try:
        assert wait_until(lambda: polled == [1], 5)
        assert sub.status()["mode"] == "polling"
    finally:
        sub.stop()
    off = PushSubscriber(PushSettings(), local_db, bus)
    off.start()
    assert off.status()["mode"] == "off"
    bad = PushSubscriber(PushSettings(host="127.0.0.1", org="党建"), local_db, bus)  # not a topic segment
    bad.start()
    assert bad.status()["mode"] == "off" and "topic" in bad.status()["last_error"]
    with pytest.raises(PushError, match="no broker"):
        publish_item(PushSettings(), {"guid": "x", "title_zh": "x"})


def test_password_and_tls(local_db, bus, broker_bin, tmp_path: Path):
    tls = make_tls_files(tmp_path / "tls")
    with Mosquitto(tmp_path / "secure", users={"kiosk": "s3cret-口令"}, tls=tls) as secure:
        good = settings_for(secure.port, username="kiosk", password="s3cret-口令", tls=True, ca_file=str(tls.ca))
        sub = subscriber(local_db, bus, good)
        wrong = subscriber(local_db, EventBus(), settings_for(secure.port, username="kiosk", password="guess",
                                                              tls=True, ca_file=str(tls.ca)))
        try:
            assert wait_until(lambda: sub.connected, 5)
            publish_item(good, {"guid": "tls-1", "title_zh": "加密通道"})
            assert wait_until(lambda: sub.status()["stored"] == 1, ANNOUNCE_WITHIN_S)
            assert wait_until(lambda: "refused" in (wrong.status()["last_error"] or ""), 5)
            assert wrong.status()["mode"] == "polling"
        finally:
            sub.stop()
            wrong.stop()
        with pytest.raises(PushError):
            publish_item(settings_for(secure.port, username="kiosk", password="s3cret-口令"),  # no TLS
                         {"guid": "x", "title_zh": "x"}, timeout=2)
        with pytest.raises(PushError, match="Not authorized|refused"):
            publish_item(settings_for(secure.port, tls=True, ca_file=str(tls.ca)), {"guid": "x", "title_zh": "x"},
                         timeout=3)


def test_settings_from_a_configuration_without_fleet_keys():
    from core.config import load_config

    settings = PushSettings.from_config(load_config(None, {}))
    assert not settings.enabled and settings.org == "default"

    from core.config import Config

    config = Config.model_validate({"fleet": {"org": "xinghe", "branches": ["B01", "B02"], "mqtt": {
        "host": "broker.example", "port": 8883, "username": "k", "password": "p", "tls": True, "ca_file": "/etc/ca.pem"}}})
    s = PushSettings.from_config(config)
    assert (s.host, s.port, s.tls, s.ca_file, s.org, s.branches) == ("broker.example", 8883, True, "/etc/ca.pem",
                                                                      "xinghe", ("B01", "B02"))


def test_publish_command_signs_and_terminals_accept_it(local_db, bus, broker, tmp_path, monkeypatch, capsys):
    import argparse

    from fleet import outbox_cli
    from fleet.signing import Verifier

    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "data"))
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    outbox_cli.add_arguments("publish", parser)
    key = tmp_path / "keys" / "admin.key"
    assert outbox_cli.cmd_publish(parser.parse_args(["--make-key", str(key)])) == 0
    settings = settings_for(broker.port, org="default")
    sub = subscriber(local_db, bus, settings, verifier=Verifier.from_sources([key.with_name("admin.key.pub")]))
    try:
        assert wait_until(lambda: sub.connected, 5)
        argv = ["--title", "三会一课提醒", "--body", "第一段\n\n第二段", "--kind", "notice", "--branch", "B01",
                "--host", "127.0.0.1", "--port", str(broker.port)]
        assert outbox_cli.cmd_publish(parser.parse_args(argv)) == 0  # no key: sent unsigned...
        assert "(unsigned)" in capsys.readouterr().out
        assert wait_until(lambda: sub.status()["rejected"] == 1, ANNOUNCE_WITHIN_S)  # ...and refused there
        assert sub.status()["stored"] == 0
        assert outbox_cli.cmd_publish(parser.parse_args([*argv, "--key", str(key)])) == 0
        assert "dangjian/default/branch/B01/notice (signed with key" in capsys.readouterr().out
        assert wait_until(lambda: sub.status()["stored"] == 1, ANNOUNCE_WITHIN_S)
        with local_db.session() as s:
            (item,) = content.visible(s, "notice")
            assert item.body == "第一段\n\n第二段" and item.branch_code == "B01"
    finally:
        sub.stop()

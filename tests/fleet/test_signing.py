"""Ed25519-signed content: with a public key configured, unsigned or tampered items and messages are
rejected and audited, and nothing of them is stored or shown."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.events import EventBus, NewsArrived
from core.models import AuditEntry, ContentItem
from fleet.push import INVALID, REJECTED, STORED, PushSettings, PushSubscriber, build_message
from fleet.signing import (
    BAD_SIGNATURE,
    MALFORMED,
    UNKNOWN_KEY,
    UNSIGNED,
    KeyFileError,
    SignatureError,
    Verifier,
    canonical_bytes,
    filter_json_feed,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    save_keypair,
    sign,
)

KEY = generate_private_key()
OTHER = generate_private_key()
TOPIC = "dangjian/demo/news"


def item(guid: str = "g1", title: str = "学习贯彻全会精神") -> dict:
    return {"guid": guid, "title_zh": title, "body": "<p>正文</p>", "published_at": "2026-11-26T08:00:00+08:00"}


def payload(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode()


@pytest.fixture
def strict(local_db):
    """A subscriber that requires signatures by KEY, and the events it publishes."""
    bus = EventBus()
    events = bus.subscribe(NewsArrived)
    sub = PushSubscriber(PushSettings(org="demo", branches=("B01",)), local_db, bus,
                         verifier=Verifier([KEY.public_key()]), terminal_id="kiosk-01")
    return sub, events


def rejections(db) -> list[AuditEntry]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "content.rejected")
                              .order_by(AuditEntry.id)))


def stored(db) -> list[str]:
    with db.session() as s:
        return [c.guid for c in s.scalars(select(ContentItem).order_by(ContentItem.id))]


def test_sign_and_verify():
    verifier = Verifier([KEY.public_key()])
    signed = sign(item(), KEY)
    assert verifier.verify(signed) == key_id(KEY.public_key())
    assert signed["_sig"]["alg"] == "Ed25519" and "_sig" not in item()
    # Key order and spacing do not matter; the canonical form does.
    reordered = json.loads(json.dumps(dict(reversed(list(signed.items()))), indent=2))
    assert verifier.verify(reordered)
    cases = {
        UNSIGNED: item(),
        BAD_SIGNATURE: signed | {"title_zh": "篡改后的标题"},
        UNKNOWN_KEY: sign(item(), OTHER),
        MALFORMED: signed | {"_sig": {"alg": "Ed25519", "kid": signed["_sig"]["kid"], "value": "not base64!"}},
    }
    for reason, obj in cases.items():
        with pytest.raises(SignatureError) as info:
            verifier.verify(obj)
        assert info.value.reason == reason
    assert Verifier().verify(item()) is None  # no key configured: nothing to check
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_key_files(tmp_path):
    private, public = save_keypair(KEY, tmp_path / "keys" / "publisher.key")
    assert oct(private.stat().st_mode & 0o777) == "0o600"
    assert key_id(load_private_key(private).public_key()) == key_id(load_public_key(public))
    assert key_id(load_public_key(public.read_text())) == key_id(KEY.public_key())
    with pytest.raises(KeyFileError, match="already exists"):
        save_keypair(OTHER, private)
    with pytest.raises(KeyFileError, match="not a PEM"):
        load_public_key(private)
    with pytest.raises(KeyFileError, match="cannot read"):
        load_public_key(tmp_path / "missing.pub")

    from core.config import Config

    with_keys = Config.model_validate({"fleet": {"public_keys": [str(public)]}})
    assert Verifier.from_config(with_keys).required and not Verifier.from_config(Config()).required


def test_signed_message_is_stored(strict, local_db):
    sub, events = strict
    result = sub.handle(TOPIC, payload(build_message([item()], org="demo", kind="news", private_key=KEY)))
    assert result.outcome == STORED and stored(local_db) == ["g1"]
    assert isinstance(events.get(timeout=1), NewsArrived) and rejections(local_db) == []


def test_unsigned_message_is_rejected_and_audited(strict, local_db):
    sub, events = strict
    result = sub.handle(TOPIC, payload(build_message([item()], org="demo", kind="news")))
    assert result.outcome == REJECTED and stored(local_db) == [] and events.drain() == []
    (entry,) = rejections(local_db)
    assert entry.actor == "push" and entry.detail["reason"] == UNSIGNED and entry.detail["scope"] == "message"
    assert entry.terminal_id == "kiosk-01" and entry.detail["topic"] == TOPIC


def test_tampered_message_and_items_are_rejected(strict, local_db):
    sub, _ = strict
    message = build_message([item("a"), item("b")], org="demo", kind="news", private_key=KEY)
    message["items"][1]["title_zh"] = "被篡改"
    assert sub.handle(TOPIC, payload(message)).outcome == REJECTED  # the message signature covers its items
    # A message re-signed by someone holding KEY but carrying an item changed after *its* signature:
    message = build_message([item("a"), item("b")], org="demo", kind="news", private_key=KEY)
    message["items"][1]["title_zh"] = "被篡改"
    resigned = sign(message, KEY)
    result = sub.handle(TOPIC, payload(resigned))
    assert (result.outcome, result.stored, result.rejected) == (STORED, 1, 1)
    assert stored(local_db) == ["a"]
    reasons = [(e.target, e.detail["reason"], e.detail["scope"]) for e in rejections(local_db)]
    assert reasons == [(TOPIC, BAD_SIGNATURE, "message"), ("b", BAD_SIGNATURE, "item")]


def test_a_signed_message_cannot_be_replayed_onto_another_topic(strict, local_db):
    sub, _ = strict
    message = build_message([item()], org="demo", kind="notice", branch="B01", private_key=KEY)
    assert sub.handle("dangjian/demo/branch/B01/notice", payload(message)).outcome == STORED
    for topic in ("dangjian/demo/notice", "dangjian/demo/branch/B01/news"):
        assert sub.handle(topic, payload(message)).outcome == INVALID
    assert sub.handle("dangjian/demo/branch/B02/notice", payload(message)).outcome == INVALID  # not ours


def test_rejection_audits_are_rate_limited(local_db):
    sub = PushSubscriber(PushSettings(org="demo"), local_db, EventBus(), verifier=Verifier([KEY.public_key()]),
                         audits_per_minute=3)
    for _ in range(10):
        assert sub.handle(TOPIC, payload(build_message([item()], org="demo", kind="news"))).outcome == REJECTED
    assert len(rejections(local_db)) == 3 and sub.status()["rejected"] == 10


def test_json_feed_items_are_filtered_by_signature():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "资讯",
           "items": [sign({"id": "1", "title": "已签名"}, KEY), {"id": "2", "title": "未签名"},
                     sign({"id": "3", "title": "原标题"}, KEY) | {"title": "改过"}, sign({"id": "4", "title": "他人"}, OTHER)]}
    data, rejected = filter_json_feed(json.dumps(doc).encode(), Verifier([KEY.public_key()]))
    assert [i["id"] for i in json.loads(data)["items"]] == ["1"]
    assert [(r["guid"], r["reason"]) for r in rejected] == [("2", UNSIGNED), ("3", BAD_SIGNATURE), ("4", UNKNOWN_KEY)]
    same, none = filter_json_feed(b"<rss/>", Verifier([KEY.public_key()]))
    assert same == b"<rss/>" and none == []
    assert filter_json_feed(json.dumps(doc).encode(), Verifier()) == (json.dumps(doc).encode(), [])


def test_feed_syncer_stores_only_signed_items_and_audits_each_refusal_once(local_db, tmp_path):
    """The feed worker applies the same rule as push: a JSON Feed's items need a valid signature, and an
    RSS feed (which cannot carry one) is refused unless its entry allows it unsigned."""
    from core.config import ContentSection, FeedSection
    from fleet.feed_sync import FeedSyncer

    feed = tmp_path / "feed.json"
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "集团党建资讯",
           "items": [sign({"id": "s1", "title": "已签名的资讯", "content_text": "正文"}, KEY),
                     {"id": "u1", "title": "未签名的资讯", "content_text": "正文"},
                     sign({"id": "t1", "title": "原标题", "content_text": "正文"}, KEY) | {"title": "篡改后的标题"}]}
    feed.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    rss = tmp_path / "feed.xml"
    rss.write_text('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                   "<item><guid>r1</guid><title>RSS 资讯</title><description>正文</description></item>"
                   "</channel></rss>", encoding="utf-8")
    feeds = [FeedSection(name="json", url=str(feed)), FeedSection(name="rss", url=str(rss)),
             FeedSection(name="trusted", url=str(rss), allow_unsigned=True)]
    bus = EventBus()
    syncer = FeedSyncer(ContentSection(demo_site=None, feeds=feeds), local_db, bus, tmp_path / "data",
                        verifier=Verifier([KEY.public_key()]), terminal_id="kiosk-01")
    status = syncer.sync_once()
    with local_db.session() as s:
        stored = sorted((r.source, r.guid) for r in s.scalars(select(ContentItem)))
    assert stored == [("feed:json", "s1"), ("feed:trusted", "r1")]
    assert status["feeds"]["json"]["online"] and status["feeds"]["trusted"]["online"]
    assert status["feeds"]["rss"]["online"] is False and "allow_unsigned" in status["feeds"]["rss"]["last_error"]
    reasons = sorted((r.target, r.detail["reason"]) for r in rejections(local_db))
    assert reasons == [(str(rss), UNSIGNED), ("t1", BAD_SIGNATURE), ("u1", UNSIGNED)]
    feed.write_text(feed.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # changed: fetched again
    syncer.sync_once()
    assert len(rejections(local_db)) == 3  # the same refusals are not audited every round

"""Fuzzing (hypothesis) what arrives from outside: push payloads and feed documents. Whatever comes, the
terminal classifies it — stored, rejected or invalid for a push message, FeedError for a feed — and never
raises anything else. Example counts are bounded so the suite stays fast; no example database is written."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.content import FeedError, parse_feed
from core.db import Database
from core.events import EventBus
from fleet.feed_sync import parse_json_feed
from fleet.push import (
    ERROR,
    INVALID,
    REJECTED,
    STORED,
    PushSettings,
    PushSubscriber,
    build_message,
    parse_topic,
)
from fleet.signing import Verifier, filter_json_feed, generate_private_key, sign

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
KEY = generate_private_key()
TOPICS = ["dangjian/demo/news", "dangjian/demo/notice", "dangjian/demo/branch/B01/news",
          "dangjian/demo/branch/B01/notice", "dangjian/demo/branch/B02/news", "dangjian/other/news",
          "dangjian/demo", "", "dangjian/demo/news/#"]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=12)
iso_times = st.datetimes(timezones=st.sampled_from([UTC, None])).map(lambda d: d.isoformat())
short_text = st.text(min_size=1, max_size=40)


def mostly(good: st.SearchStrategy, weight: int = 3) -> st.SearchStrategy:
    """``good`` most of the time (``weight`` to 1), any JSON value now and then."""
    return st.sampled_from([*([good] * weight), json_values]).flatmap(lambda chosen: chosen)


push_items = st.fixed_dictionaries({"guid": mostly(short_text, 6), "title_zh": mostly(short_text, 6)}, optional={
    "title_en": mostly(st.text(max_size=40)),
    "body": mostly(st.text(max_size=300) | st.just("<p>a<b>b</p><script>alert(1)</script>")),
    "summary": mostly(st.text(max_size=40)),
    "published_at": mostly(iso_times) | st.text(max_size=30),
    "expires_at": mostly(iso_times),
    "review_state": mostly(st.sampled_from(["published", "draft", "rejected", "??"])),
    "urgent": mostly(st.booleans()),
    "pinned": mostly(st.booleans()),
    "link": mostly(st.text(max_size=40)),
})


@st.composite
def topics_and_messages(draw) -> tuple[str, dict]:
    """A topic and a message for it: mostly consistent with each other and version 1, sometimes not."""
    topic = draw(st.sampled_from([*TOPICS[:4] * 4, *TOPICS]))
    org, kind, branch = parse_topic(topic) or ("demo", "news", None)
    if draw(st.sampled_from(range(6))) == 5:
        org, kind, branch = (draw(st.sampled_from(["demo", "other"])), draw(st.sampled_from(["news", "notice", "x"])),
                             draw(st.sampled_from([None, "B01", "B02"])))
    message = {"v": draw(mostly(st.just(1), 5)), "org": org, "kind": kind, "branch": branch,
               "items": draw(mostly(st.lists(push_items, min_size=1, max_size=4), 8))}
    if draw(st.booleans()):
        message["sent_at"] = draw(mostly(iso_times))
    if draw(st.sampled_from(range(6))) == 5:
        message["_sig"] = draw(json_values)
    return topic, message


@pytest.fixture(scope="module")
def subscribers(tmp_path_factory) -> Iterator[tuple[PushSubscriber, PushSubscriber]]:
    """One subscriber that accepts unsigned content, one that requires KEY's signature."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    settings_ = PushSettings(org="demo", branches=("B01",))
    yield (PushSubscriber(settings_, db, EventBus()),
           PushSubscriber(settings_, db, EventBus(), verifier=Verifier([KEY.public_key()]), audits_per_minute=5))
    db.dispose()


def handled(sub: PushSubscriber, topic: str, data: bytes) -> str:
    result = sub.handle(topic, data)
    assert result.outcome != ERROR, result.message
    assert result.outcome in (STORED, REJECTED, INVALID)
    return result.outcome


@FUZZ
@given(topic=st.sampled_from(TOPICS) | st.text(max_size=30), data=st.binary(max_size=2000))
def test_push_bytes(subscribers, topic, data):
    for sub in subscribers:
        handled(sub, topic, data)


@FUZZ
@given(case=topics_and_messages())
def test_push_messages(subscribers, case):
    topic, message = case
    lenient, strict = subscribers
    data = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    handled(lenient, topic, data)
    assert handled(strict, topic, data) != STORED  # unsigned or wrongly signed: never stored


@FUZZ
@given(items=st.lists(push_items, min_size=1, max_size=3), branch=st.sampled_from([None, "B01"]),
       kind=st.sampled_from(["news", "notice"]), flip=st.integers(min_value=0, max_value=10_000))
def test_signed_messages_with_one_byte_changed(subscribers, items, branch, kind, flip):
    _, strict = subscribers
    try:
        message = build_message(items, org="demo", kind=kind, branch=branch, private_key=KEY)
    except ValueError:  # lone surrogates cannot be signed: nothing to send
        return
    data = bytearray(json.dumps(message, ensure_ascii=False).encode())
    topic = f"dangjian/demo/branch/{branch}/{kind}" if branch else f"dangjian/demo/{kind}"
    handled(strict, topic, bytes(data))
    data[flip % len(data)] ^= 0x01
    handled(strict, topic, bytes(data))


def feed_documents() -> st.SearchStrategy[dict]:
    entries = st.fixed_dictionaries({}, optional={
        "id": json_values, "url": json_values, "title": json_values, "content_html": json_values,
        "content_text": json_values, "summary": json_values, "date_published": iso_times | json_values,
        "date_modified": json_values, "image": json_values, "attachments": json_values, "tags": json_values,
        "_dangjian": st.fixed_dictionaries({}, optional={"review": json_values, "title_en": json_values,
                                                         "branch": json_values}) | json_values,
        "_sig": json_values})
    return st.fixed_dictionaries({"version": st.sampled_from(["https://jsonfeed.org/version/1.1", "1", None])},
                                 optional={"items": st.lists(entries, max_size=4) | json_values,
                                           "feed_url": json_values, "title": json_values})


@FUZZ
@given(doc=feed_documents() | json_values)
def test_json_feed_documents(doc):
    data = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    for verifier in (Verifier(), Verifier([KEY.public_key()])):
        kept, _ = filter_json_feed(data, verifier)
        with contextlib.suppress(FeedError):
            parse_json_feed(kept, "https://intranet.example/feed.json")


xml_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=60)


urls = xml_text | st.sampled_from(["http://[::1/x.png", "//[", "http://a:b@[/", "img/a.png", "file:///etc/x"])


@FUZZ
@given(title=xml_text, body=xml_text, guid=xml_text, date=xml_text, raw=st.booleans(), tail=st.binary(max_size=40),
       image=urls)
def test_rss_documents(title, body, guid, date, raw, tail, image):
    def esc(s: str) -> str:
        return s if raw else s.replace("&", "&amp;").replace("<", "&lt;")

    doc = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dj="https://xinghe-energy.example/ns/dangjian">'
           f"<channel><title>t</title><item><title>{esc(title)}</title><guid>{esc(guid)}</guid>"
           f"<description>{esc(body)}</description><pubDate>{esc(date)}</pubDate><dj:review>{esc(title[:8])}</dj:review>"
           f'<enclosure url="{esc(image).replace(chr(34), "&quot;")}" type="image/png"/>'
           f"</item></channel></rss>").encode() + tail
    with contextlib.suppress(FeedError):
        parse_feed(doc, "https://intranet.example/rss.xml")


def test_signed_json_feed_items_survive_the_parser():
    """A signed item keeps its meaning through filter_json_feed and parse_json_feed."""
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "items": [sign({"id": "s1", "title": "已签名", "content_text": "正文"}, KEY)]}
    kept, rejected = filter_json_feed(json.dumps(doc).encode(), Verifier([KEY.public_key()]))
    assert rejected == [] and [i.guid for i in parse_json_feed(kept)] == ["s1"]

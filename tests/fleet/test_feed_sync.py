"""Feed sync against a real local HTTP server and a real database: conditional GETs, retries, timeouts,
malformed feeds, image caching and rejection, review states, going offline and back, JSON Feed, files."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from core.config import ContentSection, FeedSection
from core.content import parse_feed, visible
from core.events import EventBus, NewsArrived, SyncStatus
from core.images import MAX_SIZE, ImageRejected, cache_image, cached_path
from core.models import ContentItem, Setting
from fleet.feed_sync import FeedSyncer, parse_json_feed, setting_key
from tests.conftest import ROOT
from tests.fixtures_http import FeedServer, Reply

DJ = "https://xinghe-energy.example/ns/dangjian"
LATER = datetime(2030, 1, 1, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
DEMO_FEED = ROOT / "content" / "demo" / "news" / "feed.xml"


# ------------------------------------------------------------------------------------------- helpers


def rss_item(guid: str, title: str, body: str = "<p>正文。</p>", image: str | None = None,
             review: str | None = None, date: str = "Mon, 05 Jan 2026 08:00:00 +0800") -> str:
    enclosure = f'<enclosure url="{image}" type="image/png" length="1"/>' if image else ""
    state = f"<dj:review>{review}</dj:review>" if review else ""
    return (f"<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate>"
            f"<description><![CDATA[{body}]]></description>{enclosure}{state}</item>")


def rss(*items: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dj="{DJ}"><channel>'
            f"<title>测试党建资讯</title><link>http://example.org/</link>{''.join(items)}</channel></rss>").encode()


def png(size: tuple[int, int], mode: str = "RGB", noise: bool = False) -> bytes:
    if noise:
        im = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        im = Image.new(mode, size, (200, 22, 29, 128) if mode == "RGBA" else (200, 22, 29))
        im.paste((242, 193, 78) if mode == "RGB" else (242, 193, 78, 255), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    srv = FeedServer()
    yield srv
    srv.close()


class Harness:
    """A syncer wired to a database, a bus subscription and a recording sleep."""

    def __init__(self, database, data_dir: Path, feeds: list[FeedSection], **content: object) -> None:
        self.database = database
        self.data_dir = data_dir
        self.bus = EventBus()
        self.events = self.bus.subscribe(NewsArrived, SyncStatus)
        self.sleeps: list[float] = []
        http = requests.Session()
        http.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        settings = {"request_timeout_seconds": 2.0, **content}
        self.syncer = FeedSyncer(ContentSection(demo_site=None, feeds=feeds, **settings), database, self.bus,
                                 data_dir, sleep=self.sleeps.append, http=http)

    def sync(self) -> tuple[list[NewsArrived], SyncStatus]:
        self.syncer.sync_once()
        events = self.events.drain()
        statuses = [e for e in events if isinstance(e, SyncStatus)]
        assert len(statuses) == 1, events
        return [e for e in events if isinstance(e, NewsArrived)], statuses[0]

    def visible(self) -> list[ContentItem]:
        with self.database.session() as session:
            return visible(session, "news", now=LATER)

    def titles(self) -> list[str]:
        return [i.title_zh for i in self.visible()]

    def item(self, guid: str) -> ContentItem:
        with self.database.session() as session:
            return session.scalars(select(ContentItem).where(ContentItem.guid == guid)).one()

    def feed_status(self, name: str = "news") -> dict:
        return self.syncer.status()["feeds"][name]


def harness(database, tmp_path: Path, url: str, name: str = "news", fmt: str = "auto", **content) -> Harness:
    return Harness(database, tmp_path / "data", [FeedSection(name=name, url=url, format=fmt)], **content)


# ---------------------------------------------------------------------------------------------- RSS


def test_rss_items_are_stored_announced_and_their_images_cached_small(database, tmp_path, server):
    server.routes["/feed.xml"] = Reply(200, rss(
        rss_item("a1", "支部开展主题党日活动", image="img/big.png", date="Tue, 06 Jan 2026 09:00:00 +0800"),
        rss_item("a2", "党员志愿服务队走进社区", image="/img/alpha.png"),
    ), RSS_TYPE)
    server.routes["/img/big.png"] = Reply(200, png((3000, 2000)), {"Content-Type": "image/png"})
    server.routes["/img/alpha.png"] = Reply(200, png((64, 32), "RGBA"), {"Content-Type": "image/png"})
    h = harness(database, tmp_path, server.url("/feed.xml"))

    news, status = h.sync()

    assert h.titles() == ["支部开展主题党日活动", "党员志愿服务队走进社区"]
    assert len(news) == 1 and news[0].titles == ("支部开展主题党日活动", "党员志愿服务队走进社区")
    assert list(news[0].item_ids) == [i.id for i in h.visible()]
    assert status.online is True and status.last_success_iso is not None

    big = h.item("a1")
    assert big.image_path == str(cached_path(server.url("/img/big.png"), h.data_dir))
    assert Path(big.image_path).parent == h.data_dir / "cache" / "images"
    with Image.open(big.image_path) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
        assert im.size == (1080, 720)  # 3000x2000 fitted into 1280x720, aspect kept
        assert im.getpixel((50, 50))[0] > 200 and im.getpixel((50, 50))[2] < 120  # gold quarter survived
    with Image.open(h.item("a2").image_path) as im:
        assert im.mode == "RGB" and im.size == (64, 32)
    assert sorted(p.suffix for p in (h.data_dir / "cache" / "images").iterdir()) == [".jpg", ".jpg"]

    row = h.feed_status()
    assert row["online"] is True and row["last_status"] == 200 and row["last_error"] is None
    with database.session() as session:
        saved = session.get(Setting, "feed:news").value
    assert saved["last_success"] == row["last_success"] and saved["ok"] is True


def test_second_sync_sends_validators_and_a_304_changes_nothing(database, tmp_path, server):
    etag, modified = '"v1-abc"', "Mon, 05 Jan 2026 00:00:00 GMT"

    def feed(seen):
        if seen.headers.get("If-None-Match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, rss(rss_item("b1", "学习贯彻会议精神")), {**RSS_TYPE, "ETag": etag, "Last-Modified": modified})

    server.routes["/feed.xml"] = feed
    h = harness(database, tmp_path, server.url("/feed.xml"))
    news, _ = h.sync()
    assert len(news) == 1
    first_success = h.feed_status()["last_success"]

    news, status = h.sync()

    first, second = server.hits("/feed.xml")
    assert "If-None-Match" not in first.headers and "If-Modified-Since" not in first.headers
    assert second.headers["If-None-Match"] == etag
    assert second.headers["If-Modified-Since"] == modified
    assert news == [] and status.online is True
    assert h.titles() == ["学习贯彻会议精神"]
    row = h.feed_status()
    assert row["last_status"] == 304 and row["online"] is True and row["last_success"] >= first_success

    # The validators survive a restart: a new syncer on the same database sends them too.
    h2 = Harness(database, h.data_dir, h.syncer.content.feeds)
    news, _ = h2.sync()
    assert news == [] and server.hits("/feed.xml")[2].headers["If-None-Match"] == etag


def test_server_errors_are_retried_with_backoff_then_recover(database, tmp_path, server):
    good = Reply(200, rss(rss_item("c1", "党费收缴工作通知")), RSS_TYPE)
    server.routes["/feed.xml"] = [Reply(500, b"boom")] * 3 + [Reply(503, b"busy"), good]
    h = harness(database, tmp_path, server.url("/feed.xml"))

    news, status = h.sync()  # three tries, all 500
    assert len(server.hits("/feed.xml")) == 3
    assert h.sleeps == [0.5, 1.0]
    assert status.online is False and news == []
    row = h.feed_status()
    assert row["last_error"].startswith("HTTP 500") and row["last_status"] == 500 and row["attempts"] == 3
    assert h.syncer.status()["offline"] is True

    news, status = h.sync()  # 503 once, then 200
    assert len(server.hits("/feed.xml")) == 5
    assert h.sleeps == [0.5, 1.0, 0.5]
    assert status.online is True and [n.titles for n in news] == [("党费收缴工作通知",)]
    row = h.feed_status()
    assert row["online"] is True and row["last_error"] is None and row["attempts"] == 2


def test_a_404_is_not_retried(database, tmp_path, server):
    h = harness(database, tmp_path, server.url("/missing.xml"))
    _, status = h.sync()
    assert len(server.hits("/missing.xml")) == 1 and h.sleeps == []
    assert status.online is False and h.feed_status()["last_error"].startswith("HTTP 404")


def test_a_slow_server_times_out_and_the_last_good_copy_stays(database, tmp_path, server):
    good = Reply(200, rss(rss_item("d1", "三会一课制度学习")), RSS_TYPE)
    server.routes["/feed.xml"] = [good, Reply(200, rss(rss_item("d2", "迟到的新闻")), RSS_TYPE, delay=1.5)]
    h = harness(database, tmp_path, server.url("/feed.xml"), request_timeout_seconds=0.3)
    h.sync()

    started = time.monotonic()
    news, status = h.sync()
    elapsed = time.monotonic() - started

    assert elapsed < 1.4, elapsed  # 3 tries x 0.3 s, the backoff sleeps are recorded, not slept
    assert len(server.hits("/feed.xml")) == 4
    assert status.online is False and news == []
    assert "timed out" in h.feed_status()["last_error"]
    assert h.titles() == ["三会一课制度学习"]


@pytest.mark.parametrize("broken", [b"<<<rss><channel><item><title>\x00broken",
                                    rss(rss_item("e2", "截断的新闻"))[:150],
                                    b"<html><body>502 Bad Gateway</body></html>"],
                         ids=["garbage", "truncated", "html"])
def test_malformed_xml_is_recorded_and_earlier_items_stay_visible(database, tmp_path, server, broken):
    server.routes["/feed.xml"] = [Reply(200, rss(rss_item("e1", "党史学习教育")), RSS_TYPE),
                                  Reply(200, broken, RSS_TYPE)]
    h = harness(database, tmp_path, server.url("/feed.xml"))
    h.sync()
    _, status = h.sync()

    row = h.feed_status()
    assert "not an RSS/Atom feed" in row["last_error"] and row["online"] is False and row["last_status"] == 200
    assert status.online is False and "not an RSS/Atom feed" in status.message
    assert h.titles() == ["党史学习教育"]
    assert len(server.hits("/feed.xml")) == 2  # a parse error is not retried within the round


# ------------------------------------------------------------------------------------------- images


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
def test_an_oversized_image_is_rejected_and_the_item_kept_without_it(database, tmp_path, server, caplog, declared):
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("f1", "大图新闻", image="/huge.png")), RSS_TYPE)
    server.routes["/huge.png"] = Reply(200, png((256, 256), noise=True), {"Content-Type": "image/png"},
                                       length=declared)
    h = harness(database, tmp_path, server.url("/feed.xml"), max_image_bytes=50_000)
    with caplog.at_level(logging.WARNING):
        news, _ = h.sync()

    assert news[0].titles == ("大图新闻",)
    assert h.item("f1").image_path is None
    assert "oversized" in caplog.text
    assert list((h.data_dir / "cache" / "images").iterdir()) == []  # no partial download left

    h.sync()  # a permanent rejection is remembered: the picture is not fetched again every round
    assert len(server.hits("/huge.png")) == 1


def test_a_non_image_served_as_png_is_rejected(database, tmp_path, server, caplog):
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("g1", "假图片新闻", image="/fake.png")), RSS_TYPE)
    server.routes["/fake.png"] = Reply(200, b"<html><body>login required</body></html>", {"Content-Type": "image/png"})
    h = harness(database, tmp_path, server.url("/feed.xml"))
    with caplog.at_level(logging.WARNING):
        h.sync()
    assert h.item("g1").image_path is None and h.titles() == ["假图片新闻"]
    assert "not an image" in caplog.text
    assert list((h.data_dir / "cache" / "images").iterdir()) == []


def test_a_malformed_image_url_costs_only_that_picture(database, tmp_path, server):
    """Found by fuzzing the image cache: "http://[::1" made urlsplit raise, which failed the whole feed."""
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("g1", "坏图片地址的新闻", image="http://[::1/x.png"),
                                                rss_item("g2", "正常新闻")), RSS_TYPE)
    h = harness(database, tmp_path, server.url("/feed.xml"))
    _, status = h.sync()
    assert status.online and sorted(h.titles()) == ["坏图片地址的新闻", "正常新闻"]
    assert h.item("g1").image_path is None and h.feed_status()["last_error"] is None


def test_a_missing_image_is_retried_on_a_later_round(database, tmp_path, server):
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("g2", "图片稍后到", image="/later.png")), RSS_TYPE)
    server.routes["/later.png"] = [Reply(503, b"busy"), Reply(200, png((40, 30)), {"Content-Type": "image/png"})]
    h = harness(database, tmp_path, server.url("/feed.xml"))
    h.sync()
    assert h.item("g2").image_path is None
    h.sync()
    assert Path(h.item("g2").image_path).is_file()


def test_a_network_feed_may_not_put_a_local_file_on_screen(database, tmp_path, server, caplog):
    private = tmp_path / "member-photo.png"
    private.write_bytes(png((40, 40)))
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("g3", "越权图片", image=private.as_uri())), RSS_TYPE)
    h = harness(database, tmp_path, server.url("/feed.xml"))
    with caplog.at_level(logging.WARNING):
        h.sync()
    assert h.item("g3").image_path is None and h.titles() == ["越权图片"]
    assert "may not name a local file" in caplog.text
    assert not (h.data_dir / "cache" / "images").exists() or not any((h.data_dir / "cache" / "images").iterdir())


def test_decompression_bombs_and_bad_sources_are_rejected(tmp_path):
    data_dir = tmp_path / "data"
    for size, mode in (((9000, 5000), "1"), ((20000, 20000), "1")):  # our limit; Pillow's own bomb error
        path = tmp_path / f"bomb{size[0]}.png"
        Image.new(mode, size).save(path)
        assert path.stat().st_size < 200_000
        with pytest.raises(ImageRejected, match="decompression bomb"):
            cache_image(path.as_uri(), data_dir, max_bytes=5_000_000, timeout=1)
    with pytest.raises(ImageRejected, match="cannot read"):
        cache_image(str(tmp_path / "absent.png"), data_dir, max_bytes=5_000_000, timeout=1)
    with pytest.raises(ImageRejected, match="unsupported URL scheme"):
        cache_image("ftp://example.org/a.png", data_dir, max_bytes=5_000_000, timeout=1)
    eps = tmp_path / "a.eps"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(ImageRejected, match="not an image"):  # EPS would run Ghostscript: never decoded
        cache_image(eps.as_uri(), data_dir, max_bytes=5_000_000, timeout=1)
    assert list((data_dir / "cache" / "images").iterdir()) == []


def test_a_local_image_is_cached_once_as_a_downscaled_jpeg(tmp_path):
    src = tmp_path / "照片 1.png"
    src.write_bytes(png((1600, 1600)))
    first = cache_image(src.as_uri(), tmp_path / "data", max_bytes=5_000_000, timeout=1)
    assert first.name == hashlib.sha1(src.as_uri().encode()).hexdigest() + ".jpg"
    with Image.open(first) as im:
        assert im.size == (720, 720) and max(im.size) <= max(MAX_SIZE)
    src.unlink()  # cached: the source is not needed again
    assert cache_image(src.as_uri(), tmp_path / "data", max_bytes=5_000_000, timeout=1) == first


# ---------------------------------------------------------------------------------- content safety


def test_script_in_an_item_is_stripped(database, tmp_path, server):
    body = ('<p onclick="steal()">正文第一段</p><script>alert("x")</script>'
            '<img src="x" onerror="alert(2)"><iframe src="http://evil.example/"></iframe><p>第二段</p>')
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("h1", "安全<script>alert(1)</script>标题", body)),
                                       RSS_TYPE)
    h = harness(database, tmp_path, server.url("/feed.xml"))
    h.sync()
    item = h.item("h1")
    assert item.body == "正文第一段\n\n第二段"
    assert item.title_zh == "安全标题"
    for text in (item.body, item.title_zh, item.summary):
        assert "script" not in text and "alert" not in text and "onerror" not in text


def test_a_draft_is_stored_but_not_shown_until_published(database, tmp_path, server):
    draft = rss(rss_item("i1", "已发布新闻"), rss_item("i2", "待审核新闻", review="draft"),
                rss_item("i3", "支部已审核", review="branch_approved"), rss_item("i4", "怪状态", review="whatever"))
    published = rss(rss_item("i1", "已发布新闻"), rss_item("i2", "待审核新闻", review="published"))
    server.routes["/feed.xml"] = [Reply(200, draft, RSS_TYPE), Reply(200, published, RSS_TYPE)]
    h = harness(database, tmp_path, server.url("/feed.xml"))

    news, _ = h.sync()
    assert h.titles() == ["已发布新闻"]
    assert news[0].titles == ("已发布新闻",)
    assert h.item("i2").review_state == "draft" and h.item("i4").review_state == "draft"
    assert h.item("i3").review_state == "branch_approved"

    news, _ = h.sync()
    assert news[0].titles == ("待审核新闻",)
    assert set(h.titles()) == {"已发布新闻", "待审核新闻"}


# ------------------------------------------------------------------------------------ offline/online


def test_going_offline_keeps_the_last_good_copy_and_coming_back_clears_it(database, tmp_path):
    srv = FeedServer()
    port = srv.port
    srv.routes["/feed.xml"] = Reply(200, rss(rss_item("j1", "离线前的新闻")), RSS_TYPE)
    h = harness(database, tmp_path, srv.url("/feed.xml"))
    _, status = h.sync()
    assert status.online is True
    success = status.last_success_iso
    srv.close()

    _, status = h.sync()  # connection refused, three times
    assert status.online is False and status.last_success_iso == success
    assert h.syncer.status()["offline"] is True
    assert "cannot connect" in h.feed_status()["last_error"]
    assert h.sleeps == [0.5, 1.0]
    assert h.titles() == ["离线前的新闻"]

    srv = FeedServer(port)
    try:
        srv.routes["/feed.xml"] = Reply(200, rss(rss_item("j1", "离线前的新闻"), rss_item("j2", "恢复后的新闻")),
                                        RSS_TYPE)
        news, status = h.sync()
    finally:
        srv.close()
    assert status.online is True and status.last_success_iso > success
    assert h.syncer.status()["offline"] is False
    assert news[0].titles == ("恢复后的新闻",)
    assert set(h.titles()) == {"离线前的新闻", "恢复后的新闻"}


def test_offline_means_every_feed_failed(database, tmp_path, server):
    server.routes["/ok.xml"] = Reply(200, rss(rss_item("k1", "正常源新闻")), RSS_TYPE)
    feeds = [FeedSection(name="ok", url=server.url("/ok.xml")), FeedSection(name="bad", url=server.url("/bad.xml"))]
    h = Harness(database, tmp_path / "data", feeds)
    _, status = h.sync()
    state = h.syncer.status()
    assert state["feeds"]["ok"]["online"] is True and state["feeds"]["bad"]["online"] is False
    assert state["offline"] is False and status.online is True
    assert "bad: HTTP 404" in status.message


# ------------------------------------------------------------------------------------------ JSON Feed


def json_feed() -> bytes:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "党建资讯 JSON",
        "items": [
            {"id": "jf-1", "title": "JSON 新闻一", "url": "http://example.org/1",
             "content_html": "<p>甲段</p><script>alert(1)</script><p>乙段</p>",
             "date_published": "2026-01-05T08:00:00+08:00", "image": "img/j1.png", "tags": ["党建动态"],
             "_dangjian": {"review": "published", "title_en": "JSON news one", "branch": "B02"}},
            {"id": "jf-2", "title": "JSON 草稿", "content_text": "未审核", "_dangjian": {"review": "draft"}},
            {"id": 3, "title": "无扩展的条目", "content_text": "第一段\n\n第二段 <b>不是标签</b>",
             "date_published": "2026-01-06T00:00:00Z"},
            {"id": "jf-4", "content_text": "没有标题的条目被跳过"},
        ],
    }, ensure_ascii=False).encode()


def test_json_feed_with_the_dangjian_extension(database, tmp_path, server):
    server.routes["/feed.json"] = Reply(200, json_feed(), {"Content-Type": "application/feed+json"})
    server.routes["/plain"] = Reply(200, json_feed(), {"Content-Type": "text/plain; charset=utf-8"})
    server.routes["/img/j1.png"] = Reply(200, png((2000, 500)), {"Content-Type": "image/png"})
    feeds = [FeedSection(name="json", url=server.url("/feed.json")), FeedSection(name="sniffed", url=server.url("/plain"))]
    h = Harness(database, tmp_path / "data", feeds)

    news, status = h.sync()

    assert status.online is True and len(news) == 2
    with database.session() as session:
        rows = {(r.source, r.guid): r for r in session.scalars(select(ContentItem))}
    assert len(rows) == 6
    one = rows[("feed:json", "jf-1")]
    assert (one.title_en, one.branch_code, one.category) == ("JSON news one", "B02", "党建动态")
    assert one.body == "甲段\n\n乙段" and one.published_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    with Image.open(one.image_path) as im:
        assert im.size == (1280, 320)
    assert rows[("feed:json", "jf-2")].review_state == "draft"
    three = rows[("feed:sniffed", "3")]
    assert three.body == "第一段\n\n第二段 <b>不是标签</b>" and three.review_state == "published"
    assert sorted(h.titles()) == sorted(["JSON 新闻一", "无扩展的条目"] * 2)


def test_long_feed_names_get_distinct_keys_that_fit():
    a, b = setting_key("党建" * 40 + "甲"), setting_key("党建" * 40 + "乙")
    assert a != b and len(a) <= 64 and len(b) <= 64 and setting_key("news") == "feed:news"


def test_json_feed_errors():
    with pytest.raises(Exception, match="not a JSON Feed"):
        parse_json_feed(b'{"version": "1", "items": []}')
    with pytest.raises(Exception, match="not a JSON Feed"):
        parse_json_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [')
    item = parse_json_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": "x", "title": "T",'
                           b' "_dangjian": {"review": "maybe"}}]}')[0]
    assert item.review_state == "draft"


# ------------------------------------------------------------------------------------------------ files


def test_the_demo_feed_as_a_file_url_caches_its_relative_images(database, tmp_path):
    expected = [i for i in parse_feed(DEMO_FEED.read_bytes()) if i.review_state == "published"]
    h = harness(database, tmp_path, DEMO_FEED.as_uri(), name="demo")

    news, status = h.sync()

    assert status.online is True
    shown = h.visible()
    assert len(shown) == len(expected) > 10 and len(news[0].item_ids) == len(expected)
    cache = h.data_dir / "cache" / "images"
    for item in shown:
        assert Path(item.image_path).parent == cache and Path(item.image_path).is_file(), item.guid
    guid = expected[0].guid
    source_png = DEMO_FEED.parent / "images" / f"news{guid.rsplit('-', 1)[1]}.png"
    assert h.item(guid).image_path == str(cached_path(source_png.as_uri(), h.data_dir))
    assert h.feed_status("demo")["last_status"] == 200

    news, _ = h.sync()  # same modification time: nothing re-read
    assert news == [] and h.feed_status("demo")["last_status"] == 304


def test_a_plain_path_feed_is_reread_when_the_file_changes(database, tmp_path):
    folder = tmp_path / "feed"
    folder.mkdir()
    (folder / "pic.png").write_bytes(png((30, 20)))
    feed = folder / "news.xml"
    feed.write_bytes(rss(rss_item("l1", "本地文件新闻", image="pic.png")))
    h = harness(database, tmp_path, str(feed), name="local")
    news, _ = h.sync()
    assert news[0].titles == ("本地文件新闻",) and Path(h.item("l1").image_path).is_file()

    feed.write_bytes(rss(rss_item("l1", "本地文件新闻"), rss_item("l2", "新增的本地新闻")))
    os.utime(feed, ns=(feed.stat().st_atime_ns, feed.stat().st_mtime_ns + 1_000_000_000))
    news, _ = h.sync()
    assert news[0].titles == ("新增的本地新闻",)

    shutil.rmtree(folder)
    _, status = h.sync()
    assert status.online is False and "cannot read" in h.feed_status("local")["last_error"]
    assert set(h.titles()) == {"本地文件新闻", "新增的本地新闻"}


# ----------------------------------------------------------------------------------------------- thread


def test_the_worker_thread_syncs_at_start_and_when_asked(database, tmp_path, server):
    server.routes["/feed.xml"] = Reply(200, rss(rss_item("m1", "后台同步的新闻")), RSS_TYPE)
    h = harness(database, tmp_path, server.url("/feed.xml"), sync_interval_seconds=3600)
    statuses = h.bus.subscribe(SyncStatus)
    h.syncer.start()
    try:
        assert statuses.get(timeout=5) is not None
        assert len(server.hits("/feed.xml")) == 1
        h.syncer.sync_now()
        assert statuses.get(timeout=5) is not None
        assert len(server.hits("/feed.xml")) == 2
    finally:
        started = time.monotonic()
        h.syncer.stop()
    assert time.monotonic() - started < 2
    assert h.syncer._thread is None
    assert h.titles() == ["后台同步的新闻"]

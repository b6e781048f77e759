"""Feed parsing on real-world and malformed feeds: items come out sanitised, garbage gives FeedError."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.content import FeedError, html_to_text, parse_feed
from tests.conftest import ROOT


def feeds(testdata: Path, folder: str) -> list[Path]:
    return sorted((testdata / "feeds" / folder).iterdir())


def test_html_to_text_keeps_paragraphs_and_drops_active_content():
    text = html_to_text('<p style="color:red">第一段，<strong>重点</strong>。</p><script>alert(1)</script>'
                        '<p onclick="x()">第二段<br>换行</p><iframe src="http://x"></iframe><ul><li>甲</li></ul>')
    assert text == "第一段，重点。\n\n第二段\n换行\n\n• 甲"


def test_realworld_feeds_parse(testdata):
    for path in feeds(testdata, "realworld"):
        items = parse_feed(path.read_bytes(), base_url="https://example.org/feed")
        assert items, path.name
        assert all(i.title_zh and i.guid and i.published_at.tzinfo for i in items), path.name


def test_sanitize_cases_remove_script(testdata):
    for path in feeds(testdata, "sanitize"):
        for item in parse_feed(path.read_bytes()):
            for field in (item.title_zh, item.body):
                assert "<script" not in field.lower() and "alert(" not in field and "onerror" not in field


def test_encodings_are_decoded(testdata):
    by_name = {p.name: parse_feed(p.read_bytes()) for p in feeds(testdata, "encoding")}
    assert any("\u4e00" <= ch <= "\u9fff" for i in by_name["cd_sinica.edu.tw.xml"] for ch in i.title_zh)
    assert by_name["cd_acnnewswire.net.xml"][0].title_zh.startswith("JCB 与中国银联")
    assert by_name["cd_newsru.com.xml"][0].title_zh.startswith("В ")


@pytest.mark.parametrize("name", ["fp_rss_empty_document.xml", "frs_rss_2.0_invalid_1.xml"])
def test_broken_feeds_raise_feed_error_or_yield_what_is_readable(testdata, name):
    data = (testdata / "feeds" / "illformed" / name).read_bytes()
    try:
        items = parse_feed(data)
    except FeedError as exc:
        assert "not an RSS/Atom feed" in str(exc)
    else:
        assert all(i.title_zh for i in items)


def test_garbage_is_a_feed_error():
    for data in (b"", b"\x00\xff" * 100, b"<html><body>hello</body></html>", b"{\"not\": \"a feed\"}"):
        with pytest.raises(FeedError):
            parse_feed(data)


def test_relative_enclosures_resolve_against_the_feed():
    data = (ROOT / "content" / "demo" / "news" / "feed.xml").read_bytes()
    items = parse_feed(data, base_url="https://news.example.org/dangjian/rss.xml")
    assert items[0].image_url.startswith("https://news.example.org/dangjian/images/news")
    assert {i.review_state for i in items} == {"published", "draft", "branch_approved"}
    assert all(i.title_en for i in items)


def test_an_item_without_a_title_is_skipped(testdata):
    data = (testdata / "feeds" / "enclosure" / "fp_item_enclosure_url.xml").read_bytes()
    assert parse_feed(data) == []


# ------------------------------------------------------------------ real-world robustness (issue #16)

UNDECLARED = {  # text in a language whose legacy encoding feedparser would take for windows-1252
    "euc-kr": ("정부는 오늘 새로운 에너지 정책을 발표했습니다", "서울 시민들은 환영했습니다. 전문가들은 신중한 입장입니다."),
    "koi8-r": ("Правительство объявило новую энергетическую политику",
               "Жители города приветствовали решение. Эксперты высказались осторожно."),
    "shift_jis": ("政府は本日、新しいエネルギー政策を発表しました", "市民は歓迎しました。専門家は慎重な見方を示しています。"),
    "gb18030": ("党支部召开主题党日活动", "全体党员参加学习，围绕新时代党的建设总要求开展讨论。"),
}


def rss(items: str, decl: str = "") -> str:
    return (f"{decl}<rss version=\"2.0\"><channel><title>t</title><link>https://x.example/</link>"
            f"{items}</channel></rss>")


@pytest.mark.parametrize("encoding", sorted(UNDECLARED))
def test_a_feed_without_an_encoding_declaration_is_detected_not_mojibake(encoding):
    title, body = UNDECLARED[encoding]
    items = "".join(f"<item><title>{title} {k}</title><description>{body * 3}</description>"
                    f"<guid>g{k}</guid></item>" for k in range(3))
    for decl in ("", '<?xml version="1.0"?>\n'):  # none at all, or one without an encoding
        data = rss(items, decl).encode(encoding)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        parsed = parse_feed(data)
        assert [i.title_zh for i in parsed] == [f"{title} {k}" for k in range(3)], encoding
        assert parsed[0].body.startswith(body)


def test_declared_encodings_and_utf8_are_left_alone(testdata):
    from core.content import with_known_encoding

    for path in feeds(testdata, "encoding"):
        data = path.read_bytes()
        if b"encoding=" in data[:200] or data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            assert with_known_encoding(data) is data, path.name
    utf8 = rss("<item><title>党建</title></item>").encode()
    assert with_known_encoding(utf8) is utf8


def test_gzip_and_deflate_feed_files_are_recognised_by_their_magic_bytes(tmp_path):
    import gzip
    import zlib

    from core.content import MAX_DECODED_BYTES, inflate

    plain = rss("".join(f"<item><title>第{k}条</title><guid>{k}</guid></item>" for k in range(5))).encode()
    for packed in (gzip.compress(plain), zlib.compress(plain)):
        assert [i.title_zh for i in parse_feed(packed)] == [f"第{k}条" for k in range(5)]
    with pytest.raises(FeedError, match="broken gzip stream"):
        parse_feed(gzip.compress(plain)[:40] + b"\x00" * 40)
    bomb = gzip.compress(b"<" + b" " * (MAX_DECODED_BYTES + 10))
    with pytest.raises(FeedError, match="inflates past"):
        inflate(bomb)


@pytest.mark.parametrize(("text", "expected"), [
    ("Wed, 01 May 2024 13:47:03+0900", "2024-05-01T04:47:03+00:00"),   # no space before the zone
    ("Wed, 01 May 2024 13:47:03 +0900", "2024-05-01T04:47:03+00:00"),
    ("2024-05-01T13:47:03+0900", "2024-05-01T04:47:03+00:00"),          # ISO without the colon
    ("2024-05-01 13:47:03+09:00", "2024-05-01T04:47:03+00:00"),
    ("2024-05-01T13:47:03Z", "2024-05-01T13:47:03+00:00"),
    ("Wed, 01 May 2024 13:47:03 GMT", "2024-05-01T13:47:03+00:00"),
    ("2024-05-01 09:00", "2024-05-01T01:00:00+00:00"),                  # zoneless: Beijing time
    ("Wed, 01 May 2024 09:00:00", "2024-05-01T01:00:00+00:00"),
    ("2024年5月1日 09:30", "2024-05-01T01:30:00+00:00"),
    ("2024/05/01", "2024-04-30T16:00:00+00:00"),
    ("Wed, 01 May 2024 09:00:00 CST", "2024-05-01T01:00:00+00:00"),     # China Standard Time at a China site
    ("not a date", None), ("", None), ("2024-13-45 10:00", None),
])
def test_dates_are_read_leniently_zoneless_ones_in_the_site_zone(text, expected):
    from zoneinfo import ZoneInfo

    from core.content import parse_date

    got = parse_date(text, ZoneInfo("Asia/Shanghai"))
    assert (got.isoformat() if got else None) == expected


def test_feed_items_take_the_site_zone_and_odd_zones():
    from zoneinfo import ZoneInfo

    data = rss("<item><title>a</title><guid>a</guid><pubDate>2024-05-01 13:47:03+0900</pubDate></item>"
               "<item><title>b</title><guid>b</guid><pubDate>2024-05-01 09:00:00</pubDate></item>").encode()
    a, b = parse_feed(data, site_tz=ZoneInfo("Asia/Shanghai"))
    assert a.published_at.isoformat() == "2024-05-01T04:47:03+00:00"
    assert b.published_at.isoformat() == "2024-05-01T01:00:00+00:00"  # not 09:00 UTC, 8 h off


def test_every_dropped_item_is_counted_with_its_reason_and_logged(caplog):
    from collections import Counter

    data = rss("<item><title>kept</title><guid>1</guid></item>"
               "<item><description>&lt;p&gt;只有正文的一条消息，没有标题。第二句。&lt;/p&gt;</description><guid>2</guid></item>"
               + "<item><link>https://x.example/empty</link></item>" * 3
               + "<item><title>again</title><guid>1</guid></item>").encode()
    dropped: Counter[str] = Counter()
    items = parse_feed(data, dropped=dropped)
    assert [i.title_zh for i in items] == ["kept"]  # the news list shows titles: nothing to tap on without
    assert dropped == {"no title": 4, "same id as an earlier item": 1}
    with caplog.at_level("WARNING", logger="core.content"):
        parse_feed(data, base_url="https://x.example/rss")
    assert any("5 item(s) dropped (no title: 4, same id as an earlier item: 1)" in r.getMessage()
               for r in caplog.records)


def test_a_huge_item_is_cut_with_a_note():
    import time

    from core.content import MAX_BODY_CHARS, TRUNCATED_NOTE

    para = "<p>" + "党的建设" * 250 + "</p>"
    data = rss(f"<item><title>长文</title><guid>big</guid><description><![CDATA[{para * 15000}]]>"
               "</description></item>").encode()
    assert len(data) > 15_000_000
    t = time.perf_counter()
    (item,) = parse_feed(data)
    print(f"15 MB item parsed in {time.perf_counter() - t:.2f} s")
    assert item.body.endswith(TRUNCATED_NOTE) and len(item.body) <= MAX_BODY_CHARS + len(TRUNCATED_NOTE)
    assert len(item.summary) == 140


def test_the_syncer_reads_a_gzip_file_with_undeclared_encoding_and_records_drops(tmp_path):
    import gzip
    from zoneinfo import ZoneInfo

    from core.config import ContentSection, FeedSection
    from core.db import Database
    from core.events import EventBus
    from fleet.feed_sync import FeedSyncer

    title, body = UNDECLARED["euc-kr"]
    doc = rss(f"<item><title>{title}</title><guid>k1</guid><pubDate>2024-05-01 09:00</pubDate>"
              f"<description>{body}</description></item><item><guid>nothing</guid></item>")
    path = tmp_path / "feed.xml.gz"
    path.write_bytes(gzip.compress(doc.encode("euc-kr")))
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    content = ContentSection(feeds=[FeedSection(name="kr", url=str(path))])
    syncer = FeedSyncer(content, db, EventBus(), tmp_path, site_tz=ZoneInfo("Asia/Seoul"))
    status = syncer.sync_once()
    state = syncer._states["kr"]
    assert state["ok"] and state["dropped"] == {"no title": 1}, status
    from sqlalchemy import select

    from core.models import ContentItem

    with db.session() as s:
        (row,) = s.scalars(select(ContentItem)).all()
        assert row.title_zh == title and row.published_at.replace(tzinfo=None).isoformat() == "2024-05-01T00:00:00"


def test_only_web_links_are_stored_and_control_characters_never_shown():
    """Was: javascript: and file:// item links were stored; ESC and U+202E drew as boxes (#19)."""
    import json

    from fleet.feed_sync import parse_json_feed

    rss = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
           "<item><title>通知\x1b[31m一</title><link>javascript:alert(1)</link><guid>a</guid></item>"
           "<item><title>\u202eabc 通知二</title><link>file:///etc/passwd</link><guid>b</guid></item>"
           "<item><title>通知三</title><link>/news/3.html</link><guid>c</guid></item>"
           "<item><title>通知四</title><link>https://example.org/4</link><guid>d</guid></item>"
           "</channel></rss>").encode("utf-8")
    items = parse_feed(rss, base_url="https://intranet.example/feed.xml")
    assert [i.link for i in items] == ["", "", "https://intranet.example/news/3.html", "https://example.org/4"]
    assert [i.title_zh for i in items][:2] == ["通知[31m一", "abc 通知二"]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "x", "title": "新闻", "url": "javascript:void(0)", "content_text": "正文\u202e反"}]}
    [item] = parse_json_feed(json.dumps(doc).encode("utf-8"))
    assert item.link == "" and "\u202e" not in item.body

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

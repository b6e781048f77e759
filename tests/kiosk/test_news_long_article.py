"""A long item (20,000 characters, the size left after the feed body limit) opens at once and is laid out
over the next frames, with taps and scrolling working meanwhile (issue #16, Feeds).

Speed is measured in bench/long_article_bench.py; these tests check behaviour with the real renderer: the
first screenful is there after the tap, the rest arrives progressively, the result is exactly what
laying it all out at once gives, and 返回 during layout goes back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import kiosk.document
from core.models import ContentItem
from kiosk.document import DocumentView, _Line
from kiosk.screens.news import ItemScreen, NewsScreen
from kiosk.ui.drawing import measurer
from kiosk.ui.text import iter_paragraph_lines, wrap_text
from tests.kiosk.test_kiosk_app import Finger, render

SENTENCE = "中国共产党党员必须坚持理论学习，做到学思用贯通、知信行统一。" * 3 + "Party members study theory every day. "


def long_body(paragraphs: bool) -> str:
    text = ""
    while len(text) < 20000:
        text += SENTENCE + ("\n\n" if paragraphs else "")
    return text[:20000]


def open_long_item(make_app, size, body: str):
    app = make_app(size)
    with app.terminal.db.session() as s:
        s.add(ContentItem(kind="news", source="t", guid="long", title_zh="长文章：理论学习", summary="长",
                          body=body, review_state="published", published_at=app.ctx.now() - timedelta(seconds=1)))
        s.commit()
    finger = Finger(app)
    app.open_screen("news")
    news = app.nav.top
    render(app)
    index = next(i for i, it in enumerate(news.items) if it.guid == "long")
    news.list.scroll_to(index)
    render(app)
    y = news.list.rect.y + index * news.list.row_height - round(news.list.offset) + news.list.row_height // 2
    finger.tap((news.list.rect.centerx, y))
    return app, finger, news


@pytest.fixture
def slow_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """No time budget: eight rows a frame, so the test sees layout in progress on any machine."""
    monkeypatch.setattr(kiosk.document, "LAYOUT_BUDGET_S", 0.0)


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
@pytest.mark.parametrize("paragraphs", [True, False])
def test_long_item_shows_its_first_screen_then_the_rest_progressively(make_app, slow_layout, size, paragraphs):
    body = long_body(paragraphs)
    app, finger, _ = open_long_item(make_app, size, body)
    screen = app.nav.top
    assert isinstance(screen, ItemScreen)
    doc = screen.doc
    assert not doc.laid_out, "20,000 characters are not laid out in the tap's frame"
    view_rows = doc.rect.h // doc.row_height
    assert len(doc.items) >= view_rows, "the first screenful is there at once"
    shown = [r for r in (doc.items[i] for i in doc.visible_range()) if isinstance(r, _Line) and r.role == "body"]
    assert shown and shown[0].text.startswith(body[:4])
    counts = [len(doc.items)]
    while not doc.laid_out:
        finger.tick(1 / 30)
        counts.append(len(doc.items))
        assert len(counts) < 2000
    assert counts == sorted(counts) and len(set(counts)) > 3, "rows arrive over several frames"
    width = doc.rect.w - 2 * app.theme.spacing.pad
    measure = measurer(app.theme.font("body"))
    expected = [line for para in body.split("\n\n") if para.strip()
                for line in wrap_text(para.strip().replace("\n", " "), width, measure)]
    assert [r.text for r in doc.items if isinstance(r, _Line) and r.role == "body"] == expected
    render(app)


def test_back_during_layout_goes_back(make_app, slow_layout):
    app, finger, news = open_long_item(make_app, (1920, 1080), long_body(False))
    doc = app.nav.top.doc
    assert not doc.laid_out
    finger.tap(app.nav.header.back_button.rect.center)
    assert app.nav.top is news and isinstance(news, NewsScreen)
    render(app)


def test_scrolling_during_layout_follows_the_finger(make_app, slow_layout):
    app, finger, _ = open_long_item(make_app, (1080, 1920), long_body(True))
    doc = app.nav.top.doc
    finger.swipe_up(doc.rect.centerx, doc.rect.bottom - 100, doc.rect.top + 100)
    assert doc.offset > 0 and not doc.laid_out
    for _ in range(40):
        finger.tick(1 / 30)
    assert 0 < doc.offset <= doc.max_offset
    render(app)


def test_text_lays_out_everything():
    """``text()`` (used by tests and a future screen reader) completes the layout first."""
    import pygame

    from kiosk.ui.fonts import Fonts
    from kiosk.ui.theme import Theme

    theme = Theme.for_screen((1920, 1080), Fonts.default())
    doc = DocumentView(pygame.Rect(0, 0, 1200, 600), theme, title="标题", body=long_body(True))
    assert not doc.laid_out
    text = doc.text()
    assert doc.laid_out and text.count("Party members study theory every day.") == long_body(True).count(
        "Party members study theory every day.")


@pytest.mark.parametrize("text", [SENTENCE * 5, "（括号）开头，。结尾" * 30, "word " * 200 + "超长" * 50, "", "   "])
def test_iter_paragraph_lines_breaks_as_wrap_text(text):
    from kiosk.ui.fonts import Fonts

    measure = measurer(Fonts.default().get(28))
    assert list(iter_paragraph_lines(text, 500, measure)) == wrap_text(text, 500, measure)

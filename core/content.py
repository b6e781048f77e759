"""News, notices and articles: parsing feeds into items, storing them, and choosing what to show.

Feeds come from outside (a group intranet, a file), so their HTML is never trusted: nh3 (the Ammonia
sanitiser) keeps a few structural tags, and the result is flattened to plain text with paragraph
breaks, which is all the kiosk draws. A feed may carry a review state per item in the
``https://xinghe-energy.example/ns/dangjian`` namespace (``<dj:review>``); items without one are taken
as published (the administrator chose to subscribe to that feed). Only published, unexpired items are
ever returned for display.
"""

from __future__ import annotations

import calendar
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

import feedparser
import nh3
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import REVIEW_STATES, ContentItem, utcnow

_KEEP_TAGS = {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "strong", "b", "em", "blockquote"}
_BLOCK = {"p", "div", "li", "h1", "h2", "h3", "h4", "blockquote", "ul", "ol"}


class FeedError(Exception):
    """A feed could not be read as RSS, Atom or JSON; the message says why."""


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n\n")
        if tag == "li":
            self.parts.append("• ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Sanitise untrusted HTML and flatten it to text: paragraphs separated by one blank line."""
    if not markup:
        return ""
    clean = nh3.clean(markup, tags=_KEEP_TAGS, attributes={}, strip_comments=True)
    maker = _TextMaker()
    maker.feed(clean)
    maker.close()
    text = html.unescape("".join(maker.parts))
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


@dataclass
class FeedItem:
    """One parsed, sanitised item, not yet stored."""

    guid: str
    title_zh: str
    published_at: datetime
    title_en: str = ""
    body: str = ""
    summary: str = ""
    link: str = ""
    image_url: str | None = None
    category: str = ""
    branch_code: str | None = None
    review_state: str = "published"
    image_path: str | None = None
    """Local file of the image once cached (set by whoever fetched it)."""


def _time_of(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def resolve_url(base_url: str, href: str) -> str | None:
    """``href`` made absolute against the feed's address; None for one no URL parser accepts
    ("http://[::1"): the item is kept without its picture rather than the whole feed failing."""
    try:
        return urljoin(base_url, href) if base_url else href
    except ValueError:
        return None


def parse_feed(data: bytes, base_url: str = "", now: datetime | None = None) -> list[FeedItem]:
    """Parse RSS/Atom (feedparser) bytes into FeedItems. Raises FeedError when nothing usable is in it.

    A feed with a recoverable problem (feedparser's ``bozo``) still yields the items it could read.
    """
    now = now or utcnow()
    parsed = feedparser.parse(data)
    if not parsed.entries:
        if not parsed.get("version") or parsed.get("bozo"):
            reason = parsed.get("bozo_exception") or "no RSS or Atom feed element"
            raise FeedError(f"not an RSS/Atom feed: {reason}")
        return []
    items = []
    for entry in parsed.entries:
        title = html_to_text(entry.get("title", "")).replace("\n", " ").strip()
        guid = entry.get("id") or entry.get("link") or title
        if not title or not guid:
            continue
        contents = entry.get("content") or []
        raw_body = contents[0].get("value", "") if contents else entry.get("summary", "")
        body = html_to_text(raw_body)
        image = None
        for enc in entry.get("enclosures", []):
            if str(enc.get("type", "")).startswith("image/") and enc.get("href"):
                image = resolve_url(base_url, str(enc["href"]))
                break
        state = str(entry.get("dj_review", "published")).strip() or "published"
        if state not in REVIEW_STATES:
            state = "draft"  # an unknown state is never shown
        tags = entry.get("tags") or []
        items.append(FeedItem(
            guid=str(guid)[:500],
            title_zh=title[:500],
            title_en=str(entry.get("dj_title_en", "")).strip()[:500],
            body=body,
            summary=body[:140],
            link=entry.get("link", ""),
            image_url=image,
            category=(tags[0].get("term", "") if tags else "")[:100],
            branch_code=(str(entry.get("dj_branch", "")).strip() or None),
            review_state=state,
            published_at=_time_of(entry) or now,
        ))
    return items


def store_items(session: Session, source: str, kind: str, items: list[FeedItem]) -> list[int]:
    """Insert new items and update changed ones (matched by source + guid).

    Returns the ids of items that became visible for the first time (new and published), newest first,
    so the caller can announce them.
    """
    existing = {c.guid: c for c in session.scalars(
        select(ContentItem).where(ContentItem.source == source, ContentItem.guid.in_([i.guid for i in items])))}
    fresh: list[ContentItem] = []
    for item in items:
        row = existing.get(item.guid)
        was_visible = row is not None and row.review_state == "published"
        if row is None:
            row = ContentItem(kind=kind, source=source, guid=item.guid)
            session.add(row)
        row.title_zh, row.title_en, row.body, row.summary = item.title_zh, item.title_en, item.body, item.summary
        row.link, row.category, row.branch_code = item.link, item.category, item.branch_code
        row.review_state, row.published_at = item.review_state, item.published_at
        if item.image_path:
            row.image_path = item.image_path
        if row.review_state == "published" and not was_visible:
            fresh.append(row)
    session.flush()
    fresh.sort(key=lambda r: r.published_at, reverse=True)
    return [r.id for r in fresh]


def visible(session: Session, kind: str, now: datetime | None = None, limit: int = 200,
            branch_code: str | None = None) -> list[ContentItem]:
    """Published, unexpired items of ``kind``: pinned first, then newest first."""
    now = now or utcnow()
    query = (
        select(ContentItem)
        .where(ContentItem.kind == kind, ContentItem.review_state == "published",
               ContentItem.published_at <= now,
               or_(ContentItem.expires_at.is_(None), ContentItem.expires_at > now))
        .order_by(ContentItem.pinned.desc(), ContentItem.published_at.desc(), ContentItem.id.desc())
        .limit(limit)
    )
    if branch_code is not None:
        query = query.where(or_(ContentItem.branch_code.is_(None), ContentItem.branch_code == branch_code))
    return list(session.scalars(query))


def active_urgent(session: Session, now: datetime | None = None) -> ContentItem | None:
    """The newest urgent notice that is published, unexpired and not cleared by an admin."""
    now = now or utcnow()
    return session.scalars(
        select(ContentItem)
        .where(ContentItem.kind == "notice", ContentItem.urgent.is_(True),
               ContentItem.review_state == "published", ContentItem.cleared_at.is_(None),
               ContentItem.published_at <= now,
               or_(ContentItem.expires_at.is_(None), ContentItem.expires_at > now))
        .order_by(ContentItem.published_at.desc())
        .limit(1)
    ).first()

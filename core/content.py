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
import email.utils
import html
import logging
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import feedparser
import nh3
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import REVIEW_STATES, ContentItem, utcnow

log = logging.getLogger(__name__)

MAX_DECODED_BYTES = 20_000_000
"""A compressed feed file is refused when it inflates past this (a zip bomb must not eat the kiosk's memory)."""
MAX_RAW_BODY_CHARS = 400_000
"""An item's HTML is cut here before sanitising: a 15 MB item froze the kiosk for 14 s when tapped."""
MAX_BODY_CHARS = 20_000
"""An item's text is cut here, with :data:`TRUNCATED_NOTE`: about 15 screens of a long article."""
TRUNCATED_NOTE = "\n\n（正文过长，以下内容已省略，全文请见原文链接。 The rest of this article is too long to show here.）"

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


#: Characters a feed may carry that must never reach the screen: C0/C1 controls (ESC draws as a box)
#: and the bidirectional overrides and isolates (U+202E turns a title around: "Trojan Source").
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """``text`` without control characters and bidi overrides (line breaks and tabs kept)."""
    return _INVISIBLE.sub("", text)


def safe_link(url: str, base_url: str = "") -> str:
    """An item's link if it is http(s) (relative ones resolved against the feed), else "": a
    ``javascript:`` or ``file://`` link from a feed is never stored, let alone opened."""
    url = plain(str(url or "")).strip()
    if not url:
        return ""
    resolved = urljoin(base_url, url) if base_url else url
    return resolved[:2000] if urlsplit(resolved).scheme in ("http", "https") else ""


def html_to_text(markup: str) -> str:
    """Sanitise untrusted HTML and flatten it to text: paragraphs separated by one blank line."""
    if not markup:
        return ""
    clean = nh3.clean(markup, tags=_KEEP_TAGS, attributes={}, strip_comments=True)
    maker = _TextMaker()
    maker.feed(clean)
    maker.close()
    text = plain(html.unescape("".join(maker.parts)))
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


# --------------------------------------------------------------------------- bytes, encodings, dates


def inflate(data: bytes, limit: int = MAX_DECODED_BYTES) -> bytes:
    """A feed file saved compressed (``feed.xml.gz``; over HTTP ``requests`` already inflates it) is
    recognised by its magic bytes, gzip or zlib-wrapped deflate, and inflated up to ``limit`` bytes.
    Anything else comes back as it is. Raises FeedError for a broken or too large stream."""
    if data[:2] == b"\x1f\x8b":
        wbits, kind = 16 + zlib.MAX_WBITS, "gzip"
    elif len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0 and data[0] >> 4 <= 7:
        wbits, kind = zlib.MAX_WBITS, "deflate"
    else:
        return data
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise FeedError(f"not an RSS/Atom feed: a broken {kind} stream ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise FeedError(f"not an RSS/Atom feed: the {kind} file inflates past {limit} bytes")
    return out


_XML_DECL = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?\?>", re.S)
_DECLARED = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")


def with_known_encoding(data: bytes) -> bytes:
    """An XML feed with no encoding declaration, no BOM and bytes that are not UTF-8 (an EUC-KR, KOI8-R
    or Shift_JIS file saved by hand) is read by feedparser as windows-1252: mojibake stored with status
    OK. Here its encoding is detected (charset-normalizer) and the document handed on as UTF-8 with a
    declaration that says so. A declared encoding, a BOM or valid UTF-8 is left alone."""
    if data[:3] == b"\xef\xbb\xbf" or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data
    decl = _XML_DECL.match(data)
    if decl is not None and _DECLARED.search(decl.group(0)):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is None or not best.encoding:
        return data
    try:
        text = data.decode(best.encoding)
    except (LookupError, UnicodeDecodeError):
        text = data.decode(best.encoding, errors="replace")
    log.info("feed without an encoding declaration: read as %s (detected)", best.encoding)
    body = text.encode("utf-8")
    if decl is not None:
        body = _XML_DECL.sub(b"", body, count=1)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.lstrip()


#: Zone abbreviations seen in real feeds. CST is China Standard Time where the site is in China (see
#: :func:`parse_date`), US Central elsewhere.
_ZONES = {"Z": 0, "UT": 0, "UTC": 0, "GMT": 0, "BJT": 480, "HKT": 480, "JST": 540, "KST": 540, "IST": 330,
          "CET": 60, "CEST": 120, "BST": 60, "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240,
          "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420}
_CHINA = ("Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "Asia/Taipei", "Asia/Hong_Kong",
          "Asia/Macau", "PRC")
_ISO = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[T\s,]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:[.,]\d+)?\s*秒?)?)?\s*(.*)$")
_RFC_ZONE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*([A-Za-z]{1,5}|[+-]\d{2}:?\d{2}|[+-]\d{2})?\s*$")


def _offset(zone: str, site: tzinfo) -> tzinfo | None:
    """The tzinfo a zone text stands for; None when there is none (the site's zone then applies)."""
    zone = zone.strip().strip("()")
    if not zone:
        return None
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", zone)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(timedelta(minutes=-minutes if m.group(1) == "-" else minutes))
    name = zone.upper()
    if name == "CST" and str(getattr(site, "key", site)) in _CHINA:
        return timezone(timedelta(hours=8))
    if name in _ZONES:
        return timezone(timedelta(minutes=_ZONES[name]))
    return None


def parse_date(text: str, site: tzinfo = UTC) -> datetime | None:
    """A feed's date, read leniently: RFC 822 (with or without a space before the zone, "13:47:03+0900"),
    ISO 8601 with a space or a "+0900" zone, 2024/05/01, 2024年5月1日 13:47. A date with no zone is the
    site's local time (a Chinese feed's "2024-05-01 09:00" is 09:00 in Beijing, not UTC: 8 hours apart).
    Returns an aware UTC datetime, or None when the text is not a date."""
    text = (text or "").strip()
    if not text:
        return None
    when: datetime | None = None
    zone_text = ""
    m = _ISO.match(text)
    try:
        if m:
            y, mo, d, hh, mi, ss, rest = m.groups()
            when = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
            zone_text = rest
        else:
            parts = email.utils.parsedate_tz(text)
            if parts is None:
                return None
            when = datetime(*parts[:6])  # type: ignore[misc]
            zm = _RFC_ZONE.search(text)
            zone_text = (zm.group(1) or "") if zm else ""
    except (ValueError, OverflowError):
        return None
    if not 1970 <= when.year <= 2200:
        return None
    zone = _offset(zone_text, site)
    when = when.replace(tzinfo=zone if zone is not None else site)
    return when.astimezone(UTC)


def _time_of(entry, site: tzinfo = UTC) -> datetime | None:
    for key in ("published", "updated", "created"):
        value = entry.get(key)
        if isinstance(value, str):
            when = parse_date(value, site)
            if when is not None:
                return when
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def limited_body(raw_html: str) -> str:
    """An item's text, sanitised, cut to :data:`MAX_BODY_CHARS` with a note saying so; the HTML is cut
    first too, so a 15 MB item costs no more to clean and lay out than a long article."""
    cut = len(raw_html) > MAX_RAW_BODY_CHARS
    text = html_to_text(raw_html[:MAX_RAW_BODY_CHARS] if cut else raw_html)
    if cut or len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS].rstrip() + TRUNCATED_NOTE
    return text


def log_dropped(dropped: Counter[str], what: str = "feed") -> None:
    """One warning listing how many items were dropped and why ("no title": 3, …)."""
    if dropped:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in dropped.most_common())
        log.warning("%s: %d item(s) dropped (%s)", what, sum(dropped.values()), reasons)


def resolve_url(base_url: str, href: str) -> str | None:
    """``href`` made absolute against the feed's address; None for one no URL parser accepts
    ("http://[::1"): the item is kept without its picture rather than the whole feed failing."""
    try:
        return urljoin(base_url, href) if base_url else href
    except ValueError:
        return None


def parse_feed(data: bytes, base_url: str = "", now: datetime | None = None, *, site_tz: tzinfo = UTC,
               dropped: Counter[str] | None = None) -> list[FeedItem]:
    """Parse RSS/Atom (feedparser) bytes into FeedItems. Raises FeedError when nothing usable is in it.

    A feed with a recoverable problem (feedparser's ``bozo``) still yields the items it could read. A
    gzip/deflate file is inflated and an undeclared encoding detected first (:func:`inflate`,
    :func:`with_known_encoding`); dates are read leniently, zoneless ones in ``site_tz``
    (:func:`parse_date`); every item left out (no title, a repeated id) is counted by reason in
    ``dropped`` (when given) or logged; a huge item is cut (:func:`limited_body`).
    """
    now = now or utcnow()
    drops: Counter[str] = Counter() if dropped is None else dropped
    parsed = feedparser.parse(with_known_encoding(inflate(data)))
    if not parsed.entries:
        if not parsed.get("version") or parsed.get("bozo"):
            reason = parsed.get("bozo_exception") or "no RSS or Atom feed element"
            raise FeedError(f"not an RSS/Atom feed: {reason}")
        return []
    items = []
    seen: set[str] = set()
    for entry in parsed.entries:
        contents = entry.get("content") or []
        raw_body = contents[0].get("value", "") if contents else entry.get("summary", "")
        body = limited_body(raw_body)
        title = html_to_text(entry.get("title", "")).replace("\n", " ").strip()
        guid = entry.get("id") or entry.get("link") or title
        if not title:  # the list shows titles: an untitled item has nothing to tap on
            drops["no title"] += 1
            continue
        if str(guid)[:500] in seen:
            drops["same id as an earlier item"] += 1
            continue
        seen.add(str(guid)[:500])
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
            title_en=plain(str(entry.get("dj_title_en", ""))).strip()[:500],
            body=body,
            summary=body[:140],
            link=safe_link(entry.get("link", ""), base_url),
            image_url=image,
            category=(tags[0].get("term", "") if tags else "")[:100],
            branch_code=(str(entry.get("dj_branch", "")).strip() or None),
            review_state=state,
            published_at=_time_of(entry, site_tz) or now,
        ))
    if dropped is None:
        log_dropped(drops, base_url or "feed")
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


def articles_by_guid(session: Session) -> dict[str, ContentItem]:
    """Every article by its guid — drafts, withdrawn and expired ones too, unlike ``visible``.

    Why all of them: a member's history (我的记录) names each article read for points, and it must still
    name one after it has left the list (when two sources share a guid, the newer row wins)."""
    rows = session.scalars(select(ContentItem).where(ContentItem.kind == "article").order_by(ContentItem.id))
    return {a.guid: a for a in rows}


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

"""JSON Feed (https://jsonfeed.org, version 1 and 1.1) for the feed syncer, with the ``_dangjian`` extension.

Why JSON Feed besides RSS/Atom: it is the one feed format that can carry a signature per item (see
``fleet.signing``) and our own fields — review state, English title, branch — without inventing XML
namespaces. Items come out as ``core.content.FeedItem``, sanitised exactly like RSS items, so the rest of
the sync does not care which format a feed used.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

from core.content import (
    FeedError,
    FeedItem,
    html_to_text,
    inflate,
    limited_body,
    log_dropped,
    parse_date,
    plain,
    resolve_url,
    safe_link,
)
from core.models import REVIEW_STATES, utcnow


def _json_time(value: Any, site: tzinfo = UTC) -> datetime | None:
    """RFC 3339 as JSON Feed asks, or whatever :func:`core.content.parse_date` can read; a zoneless
    time is the site's."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return parse_date(value, site)
    return when.replace(tzinfo=site).astimezone(UTC) if when.tzinfo is None else when.astimezone(UTC)


def _text_to_html(text: str) -> str:
    """Plain ``content_text`` as paragraphs, so it goes through the same flattening as HTML."""
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.replace("\r\n", "\n").split("\n\n"))


def parse_json_feed(data: bytes, base_url: str = "", now: datetime | None = None, *, site_tz: tzinfo = UTC,
                    dropped: Counter[str] | None = None) -> list[FeedItem]:
    """Parse a JSON Feed (https://jsonfeed.org, version 1 or 1.1) into sanitised FeedItems.

    The ``_dangjian`` object of an item may carry ``review`` (draft | branch_approved | published |
    rejected; an unknown value counts as draft), ``title_en`` and ``branch``. Raises FeedError when the
    document is not a JSON Feed. As for RSS (:func:`core.content.parse_feed`): zoneless dates are the
    site's, a huge item is cut, and each item left out (no title, no id) is counted in ``dropped`` by
    reason (or logged).
    """
    now = now or utcnow()
    drops: Counter[str] = Counter() if dropped is None else dropped
    try:
        doc = json.loads(inflate(data).decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise FeedError("not a JSON Feed: no https://jsonfeed.org/version/ in 'version'")
    entries = doc.get("items")
    if not isinstance(entries, list):
        raise FeedError("not a JSON Feed: 'items' is not a list")
    base = base_url or str(doc.get("feed_url") or "")
    items = []
    for entry in entries:
        if not isinstance(entry, dict):
            drops["not an object"] += 1
            continue
        ext = entry.get("_dangjian") if isinstance(entry.get("_dangjian"), dict) else {}
        if entry.get("content_html"):
            body = limited_body(str(entry["content_html"]))
        else:
            body = limited_body(_text_to_html(str(entry.get("content_text") or entry.get("summary") or "")))
        title = html_to_text(str(entry.get("title") or "")).replace("\n", " ").strip()
        guid = str(entry.get("id") or entry.get("url") or "").strip()
        if not title:
            drops["no title"] += 1
            continue
        if not guid:
            drops["no id and no url"] += 1
            continue
        image = entry.get("image") or entry.get("banner_image")
        if not image:
            image = next((a.get("url") for a in entry.get("attachments") or []
                          if isinstance(a, dict) and str(a.get("mime_type", "")).startswith("image/")), None)
        state = str(ext.get("review") or "published").strip()
        tags = entry.get("tags") if isinstance(entry.get("tags"), list) else []
        items.append(FeedItem(
            guid=guid[:500],
            title_zh=title[:500],
            title_en=plain(str(ext.get("title_en") or "")).strip()[:500],
            body=body,
            summary=(html_to_text(str(entry["summary"])) if entry.get("summary") else body)[:140],
            link=safe_link(str(entry.get("url") or ""), base),
            image_url=resolve_url(base, str(image)) if image else None,
            category=str(tags[0])[:100] if tags else "",
            branch_code=str(ext.get("branch") or "").strip() or None,
            review_state=state if state in REVIEW_STATES else "draft",
            published_at=(_json_time(entry.get("date_published"), site_tz)
                          or _json_time(entry.get("date_modified"), site_tz) or now),
        ))
    if dropped is None:
        log_dropped(drops, base or "JSON Feed")
    return items


def looks_like_json(feed_format: str, content_type: str, body: bytes, url: str = "") -> bool:
    """Whether to read a document as JSON Feed: by configuration, content type, file name or first byte."""
    if feed_format != "auto":
        return feed_format == "json"
    content_type = content_type.lower()
    if "json" in content_type:
        return True
    if "xml" in content_type or "rss" in content_type or "atom" in content_type:
        return False
    return urlsplit(url).path.endswith(".json") or body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")

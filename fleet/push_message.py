"""What a push message is: its topics, its JSON, and how its items are checked and stored.

Why apart from the subscriber: the message format is shared by three parties — the administrator's
``push publish`` (``build_message``), every terminal's ``PushSubscriber`` and remote administration's
urgent notice (``_item``, ``store_pushed``) — and has to be read the same way by all of them; it is also
the part that takes untrusted input (fuzzed in tests/fleet/test_fuzz.py), so it stays small and free of
network code. See ``fleet.push`` for the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.content import FeedItem, html_to_text, store_items
from core.db import Database
from core.models import REVIEW_STATES, ContentItem, utcnow
from fleet.signing import sign

TOPIC_ROOT = "dangjian"
KINDS = ("news", "notice")
MAX_PAYLOAD = 256 * 1024
MAX_ITEMS = 50
SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""An org or branch code as it may appear in a topic: no '/', '+', '#' or spaces."""

STORED, REJECTED, INVALID, ERROR = "stored", "rejected", "invalid", "error"


def topic_for(org: str, kind: str, branch: str | None = None) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    for part in (org, branch) if branch is not None else (org,):
        if not SEGMENT.match(part):
            raise ValueError(f"{part!r} cannot be part of a topic (letters, digits, _ . - only)")
    return f"{TOPIC_ROOT}/{org}/branch/{branch}/{kind}" if branch else f"{TOPIC_ROOT}/{org}/{kind}"


def subscriptions(org: str, branches: Iterable[str]) -> list[str]:
    """The topics a terminal of ``org`` listens to: the organisation's, and each of its branches'."""
    out = [topic_for(org, k) for k in KINDS]
    out += [topic_for(org, k, b) for b in branches for k in KINDS]
    return out


def parse_topic(topic: str) -> tuple[str, str, str | None] | None:
    """``(org, kind, branch)`` of a push topic, or None when ``topic`` is not one."""
    parts = topic.split("/")
    if len(parts) == 3 and parts[0] == TOPIC_ROOT and parts[2] in KINDS and SEGMENT.match(parts[1]):
        return parts[1], parts[2], None
    if (len(parts) == 5 and parts[0] == TOPIC_ROOT and parts[2] == "branch" and parts[4] in KINDS
            and SEGMENT.match(parts[1]) and SEGMENT.match(parts[3])):
        return parts[1], parts[4], parts[3]
    return None


def build_message(items: list[dict[str, Any]], *, org: str, kind: str, branch: str | None = None,
                  private_key: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """A push message for ``items``; with ``private_key`` each item and the message are signed."""
    topic_for(org, kind, branch)  # validates the parts
    signed_items = [sign(i, private_key) if private_key is not None else dict(i) for i in items]
    message = {"v": 1, "org": org, "kind": kind, "branch": branch, "sent_at": (now or utcnow()).isoformat(),
               "items": signed_items}
    return sign(message, private_key) if private_key is not None else message


@dataclass
class HandleResult:
    """What one message did: ``outcome`` is stored | rejected | invalid | error."""

    outcome: str
    new_ids: tuple[int, ...] = ()
    stored: int = 0
    rejected: int = 0
    invalid: int = 0
    message: str = ""


@dataclass
class _Extra:
    urgent: bool = False
    pinned: bool = False
    expires_at: datetime | None = None


class _Invalid(ValueError):
    pass


def _text(d: dict, key: str, limit: int, required: bool = False) -> str:
    """Text field ``key``, cut to ``limit``; NUL and lone surrogates (which JSON allows and the databases
    refuse) are replaced."""
    value = d.get(key)
    if value is None or value == "":
        if required:
            raise _Invalid(f"item without {key}")
        return ""
    if not isinstance(value, str):
        raise _Invalid(f"{key} must be text")
    return value[:limit].encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _time(d: dict, key: str) -> datetime | None:
    value = d.get(key)
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise _Invalid(f"{key} must be an ISO time with its UTC offset")
    return when


def _item(d: Any, branch: str | None, now: datetime) -> tuple[FeedItem, _Extra]:
    """One pushed item, sanitised as a feed item is."""
    if not isinstance(d, dict):
        raise _Invalid("an item must be an object")
    guid = _text(d, "guid", 500, required=True).strip()
    title = html_to_text(_text(d, "title_zh", 20_000, required=True)).replace("\n", " ").strip()[:500]
    if not guid or not title:
        raise _Invalid("item without guid or title")
    body = html_to_text(_text(d, "body", MAX_PAYLOAD))
    summary = html_to_text(_text(d, "summary", 2000)) or body
    state = _text(d, "review_state", 32) or "published"
    flags = {k: d.get(k, False) for k in ("urgent", "pinned")}
    if not all(isinstance(v, bool) for v in flags.values()):
        raise _Invalid("urgent and pinned must be true or false")
    item = FeedItem(guid=guid, title_zh=title, published_at=_time(d, "published_at") or now,
                    title_en=html_to_text(_text(d, "title_en", 2000)).replace("\n", " ")[:500], body=body,
                    summary=summary[:140], link=_text(d, "link", 1000), category=_text(d, "category", 100),
                    branch_code=branch, review_state=state if state in REVIEW_STATES else "draft")
    return item, _Extra(urgent=flags["urgent"], pinned=flags["pinned"], expires_at=_time(d, "expires_at"))


def store_pushed(db: Database, source: str, kind: str, accepted: list[tuple[FeedItem, _Extra]]
                 ) -> tuple[list[int], list[str], tuple[int, str] | None]:
    """Store sanitised items with their flags; returns (new ids, their titles, a new urgent notice or None).

    Shared by push messages and remote administration's urgent notice, so both land exactly like a
    feed item (same sanitising, same idempotence by guid).
    """
    if not accepted:
        return [], [], None
    # The same guid twice in one message: the last copy wins (store_items would insert it twice).
    unique = list({item.guid: (item, extra) for item, extra in accepted}.values())
    with db.session() as session:
        new_ids = store_items(session, source=source, kind=kind, items=[i for i, _ in unique])
        rows = {r.guid: r for r in session.scalars(select(ContentItem).where(
            ContentItem.source == source, ContentItem.guid.in_([i.guid for i, _ in unique])))}
        for item, extra in unique:
            row = rows[item.guid]
            row.urgent, row.pinned, row.expires_at = extra.urgent, extra.pinned, extra.expires_at
        by_id = {r.id: r for r in rows.values()}
        titles = [by_id[i].title_zh for i in new_ids]
        fresh_urgent = [by_id[i] for i in new_ids if kind == "notice" and by_id[i].urgent]
        urgent = (fresh_urgent[0].id, fresh_urgent[0].title_zh) if fresh_urgent else None
    return new_ids, titles, urgent

"""Feed sync worker: fetch the configured news feeds, store what is new, and tell the kiosk.

Why it looks like this: the kiosk is offline first. A feed is fetched with a conditional GET
(``If-None-Match`` / ``If-Modified-Since`` from the last good response, kept in the ``settings`` table as
``feed:<name>``) so an unchanged feed costs one small request, and any failure — timeout, refused
connection, HTTP 5xx, a malformed document — is recorded and logged but never deletes anything: the
screens go on showing the last good copy. Validators are saved in the same transaction as the items they
describe, so a crash cannot leave an ETag for content that was never stored.

The worker owns the network; front ends learn the outcome only from events on the bus (``NewsArrived``
for newly visible items, ``SyncStatus`` after every round) and from ``status()``, which reads memory and
is cheap enough for the header to call every frame.

Feeds may be RSS/Atom (``core.content.parse_feed``), JSON Feed 1/1.1 with a ``_dangjian`` extension
(review state, English title, branch), or a local file (``file://`` URL or a path; its modification time
stands in for the ETag).

Signed content: with ``fleet.public_keys`` configured, a feed's items must each carry a valid Ed25519
signature (``core.signing``, checked before parsing); unsigned or tampered items are not stored and are
audited (``content.rejected``) once each, not every round. RSS and Atom cannot carry a signature, so with
keys configured such a feed is refused as a whole unless its entry says ``allow_unsigned: true`` — an
administrator's explicit choice for a feed trusted by its transport (an HTTPS intranet server).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import feedparser
import requests
from sqlalchemy import select

from core.audit import audit
from core.background import BackgroundLoop
from core.config import ROOT, ContentSection, FeedSection
from core.content import (
    FeedError,
    FeedItem,
    html_to_text,
    inflate,
    limited_body,
    log_dropped,
    parse_date,
    parse_feed,
    plain,
    resolve_url,
    safe_link,
    store_items,
)
from core.db import Database
from core.events import EventBus, NewsArrived, SyncStatus
from core.images import ImageRejected, cache_image, local_path
from core.models import REVIEW_STATES, ContentItem, Setting, utcnow
from core.signing import Verifier, filter_json_feed

if TYPE_CHECKING:
    from core.terminal import Terminal

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 20_000_000
"""A feed document larger than this is refused (a misconfigured URL pointing at a video, say)."""

BODY_TIMEOUT_FACTOR = 6
"""A whole feed body must arrive within this many request timeouts."""

USER_AGENT = "dangjian-terminal/0.1 (feed sync)"


class SyncError(Exception):
    """One feed could not be fetched this round; the message is what the admin screen shows.

    ``status`` is the HTTP status if one came back; ``retry`` says whether another try may help (network
    trouble, 5xx, 429) or not (404, an oversized feed); ``attempts`` is how many tries were made.
    """

    def __init__(self, message: str, status: int | None = None, retry: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry
        self.attempts = 1


@dataclass
class _Fetched:
    status: int
    """200 (new content) or 304 (unchanged since the validators we sent)."""
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    base_url: str = ""
    attempts: int = 1


def setting_key(feed_name: str) -> str:
    """``feed:<name>``: the feed's key in the settings table and the ``source`` of its items. Names too
    long for the 64-character key are shortened with a hash, so two long names never share a key."""
    key = f"feed:{feed_name}"
    if len(key) <= 64:
        return key
    return f"feed:{feed_name[:42]}~{hashlib.sha1(feed_name.encode('utf-8')).hexdigest()[:16]}"


# ------------------------------------------------------------------------------------------ JSON Feed


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


# ------------------------------------------------------------------------------------------- syncer


class FeedSyncer(BackgroundLoop):
    """Keeps the configured feeds in the database. ``sync_once()`` runs one round (never raises);
    ``start()`` runs rounds every ``sync_interval_seconds`` in a daemon thread; ``sync_now()`` wakes it.
    The thread, its stop and wake are core.background's, like the fleet's other workers; a failed feed
    is retried by the next round (and each request by ``tries`` with doubling waits)."""

    thread_name = "feed-sync"

    def __init__(self, content: ContentSection, db: Database, bus: EventBus, data_dir: Path, *,
                 now: Callable[[], datetime] = utcnow, sleep: Callable[[float], object] | None = None,
                 http: requests.Session | None = None, tries: int = 3, backoff_seconds: float = 0.5,
                 verifier: Verifier | None = None, terminal_id: str = "", site_tz: tzinfo = UTC) -> None:
        self.content = content
        self.site_tz = site_tz
        """Zoneless feed dates are this zone's local time (the site's ``site.timezone``)."""
        self.verifier = verifier or Verifier()
        self.terminal_id = terminal_id
        self._audited: set[tuple[str, str, str]] = set()  # (feed, guid, reason) already in the audit log
        self.db = db
        self.bus = bus
        self.data_dir = Path(data_dir)
        self.now = now
        self.tries = max(1, tries)
        self.backoff_seconds = backoff_seconds
        self.http = http or requests.Session()
        self.http.headers.setdefault("User-Agent", USER_AGENT)
        self._init_loop()
        # The default sleep is a wait on the stop flag, so stop() is not held up by a backoff.
        self._sleep = sleep or self._stop.wait
        self._round_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._states: dict[str, dict[str, Any]] | None = None
        self._rejected_images: set[str] = set()

    @classmethod
    def for_terminal(cls, terminal: Terminal, **kwargs: Any) -> FeedSyncer:
        from zoneinfo import ZoneInfo

        kwargs.setdefault("verifier", Verifier.from_config(terminal.config))
        kwargs.setdefault("site_tz", ZoneInfo(terminal.config.site.timezone))
        return cls(terminal.config.content, terminal.db, terminal.bus, terminal.config.site.data_dir,
                   now=terminal.now, terminal_id=terminal.terminal_id, **kwargs)

    # ----------------------------------------------------------------------------------- thread

    def stop(self, timeout: float | None = 5.0) -> None:
        """Ask the thread to finish and wait for it (an HTTP request in flight may take up to its timeout)."""
        super().stop(timeout)

    def sync_now(self) -> None:
        """Start a round as soon as the current one (if any) ends: the admin's 'sync now' button."""
        self.wake()

    def run_forever(self, stop_event: threading.Event) -> None:
        """Sync, then wait ``sync_interval_seconds`` or until woken, until ``stop_event`` is set."""
        while not stop_event.is_set():
            self._wake.clear()
            try:
                self.sync_once()
            except Exception:  # sync_once records its own failures; this is a last guard for the thread
                log.exception("feed sync round failed")
            self._wait(stop_event, self.content.sync_interval_seconds)

    # ------------------------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """``{"offline": bool, "last_success": iso | None, "feeds": {name: {...}}}`` from memory.

        ``offline`` is True when every configured feed's last attempt failed (False before any attempt).
        Each feed has ``online`` (its last attempt succeeded, None before any), ``last_success``,
        ``last_error``, ``last_attempt`` and ``last_status`` (HTTP status; 200/304 for files too).
        """
        states = self._load_states()
        feeds = {}
        with self._state_lock:
            for feed in self.content.feeds:
                state = states.get(feed.name, {})
                feeds[feed.name] = {
                    "url": feed.url,
                    "online": state.get("ok"),
                    "last_success": state.get("last_success"),
                    "last_error": state.get("last_error"),
                    "last_error_at": state.get("last_error_at"),
                    "last_attempt": state.get("last_attempt"),
                    "last_status": state.get("last_status"),
                    "attempts": state.get("attempts"),
                }
        successes = [f["last_success"] for f in feeds.values() if f["last_success"]]
        return {
            "offline": bool(feeds) and all(f["online"] is False for f in feeds.values()),
            "last_success": max(successes, key=datetime.fromisoformat) if successes else None,
            "feeds": feeds,
        }

    # ------------------------------------------------------------------------------------- round

    def sync_once(self) -> dict[str, Any]:
        """Fetch every configured feed once, store new items, publish events; returns ``status()``.

        Never raises: a feed's failure is recorded for that feed and the others go on.
        """
        with self._round_lock:
            messages = []
            for feed in self.content.feeds:
                try:
                    messages.append(self._sync_feed(feed))
                except Exception as exc:  # a bug or a database outage: record it, keep the kiosk running
                    log.exception("feed %s: unexpected failure (the last good copy stays on screen)", feed.name)
                    self._record(feed, ok=False, status=None, error=f"{type(exc).__name__}: {exc}")
                    messages.append(f"{feed.name}: {type(exc).__name__}")
            status = self.status()
            self.bus.publish(SyncStatus(online=not status["offline"], last_success_iso=status["last_success"],
                                        message="; ".join(messages) or "no feeds configured"))
            return status

    def _sync_feed(self, feed: FeedSection) -> str:
        state = dict(self._load_states().get(feed.name, {}))
        if state.get("url") != feed.url:  # a new address: its validators mean nothing
            state = {k: v for k, v in state.items() if k not in ("etag", "last_modified")}
        try:
            fetched = self._fetch(feed, state)
            if fetched.status == 304:
                self._record(feed, ok=True, status=304, attempts=fetched.attempts)
                log.debug("feed %s: not modified", feed.name)
                return f"{feed.name}: not modified"
            dropped: Counter[str] = Counter()
            items = self._parse(feed, fetched, dropped)
        except (SyncError, FeedError) as exc:
            log.warning("feed %s: %s (the last good copy stays on screen)", feed.name, exc)
            if isinstance(exc, SyncError):
                self._record(feed, ok=False, status=exc.status, error=str(exc), attempts=exc.attempts)
            else:  # the document came (200) but is not a feed
                self._record(feed, ok=False, status=200, error=str(exc), attempts=fetched.attempts)
            return f"{feed.name}: {exc}"

        source = setting_key(feed.name)
        self._cache_images(feed, source, items)
        now_iso = self.now().isoformat()
        # An empty document may be a cut-off one: keep the old validators so the next round fetches it whole.
        validators = {"etag": fetched.etag, "last_modified": fetched.last_modified} if items else {}
        with self.db.session() as session:
            new_ids = store_items(session, source=source, kind="news", items=items)
            rows = {r.id: r for r in session.scalars(select(ContentItem).where(ContentItem.id.in_(new_ids)))}
            titles = tuple(rows[i].title_zh for i in new_ids)
            state = self._updated_state(feed, ok=True, status=fetched.status, attempts=fetched.attempts,
                                        now_iso=now_iso, **validators)
            state["dropped"] = dict(dropped)  # by reason, for the status and the administrator
            self._save_state(session, feed.name, state)
        with self._state_lock:
            assert self._states is not None
            self._states[feed.name] = state
        if new_ids:
            self.bus.publish(NewsArrived(item_ids=tuple(new_ids), titles=titles))
        log_dropped(dropped, f"feed {feed.name}")
        log.info("feed %s: %d items, %d newly visible, %d dropped", feed.name, len(items), len(new_ids),
                 sum(dropped.values()))
        return f"{feed.name}: {len(new_ids)} new"

    def _parse(self, feed: FeedSection, fetched: _Fetched, dropped: Counter[str] | None = None) -> list[FeedItem]:
        check = self.verifier.required and not feed.allow_unsigned
        fetched.body = inflate(fetched.body)  # a feed.xml.gz file (over HTTP requests has inflated it)
        if looks_like_json(feed.format, fetched.content_type, fetched.body, feed.url):
            body = fetched.body
            if check:
                body, rejected = filter_json_feed(body, self.verifier)
                self._audit_rejections(feed, rejected)
            return parse_json_feed(body, fetched.base_url, self.now(), site_tz=self.site_tz, dropped=dropped)
        if check:
            self._audit_rejections(feed, [{"guid": "", "reason": "unsigned",
                                           "message": "an RSS/Atom feed cannot be signed"}])
            raise FeedError("refused: signatures are required here (fleet.public_keys) and RSS/Atom cannot "
                            "carry one; publish a signed JSON Feed, or set allow_unsigned: true for this feed")
        items = parse_feed(fetched.body, fetched.base_url, self.now(), site_tz=self.site_tz, dropped=dropped)
        if not items:
            # parse_feed forgives a broken document that yields nothing (e.g. one cut off mid-item); for a
            # sync that is a failure worth showing, not "the feed is now empty".
            problem = feedparser.parse(fetched.body).get("bozo_exception")
            if problem is not None:
                raise FeedError(f"not an RSS/Atom feed: malformed document ({problem})")
        return items

    def _audit_rejections(self, feed: FeedSection, rejected: list[dict[str, str]]) -> None:
        """Audit each refused item once (a feed is fetched every few minutes; the log must not fill up)."""
        fresh = [r for r in rejected if (feed.name, r["guid"], r["reason"]) not in self._audited]
        if rejected:
            log.warning("feed %s: %d item(s) refused for their signature", feed.name, len(rejected))
        if not fresh:
            return
        try:
            with self.db.session() as session:
                for r in fresh[:100]:
                    audit(session, "feed", "content.rejected", (r["guid"] or feed.url)[:200], self.terminal_id,
                          feed=feed.name, reason=r["reason"], message=r["message"][:200], scope="feed item")
        except Exception:
            log.exception("feed %s: cannot audit refused items", feed.name)
            return
        self._audited.update((feed.name, r["guid"], r["reason"]) for r in fresh[:100])

    # ----------------------------------------------------------------------------------- fetching

    def _fetch(self, feed: FeedSection, state: dict[str, Any]) -> _Fetched:
        """Conditional GET with retries and exponential backoff, or a file read (a relative path is taken
        from the project root, where the demo content lives)."""
        path = local_path(feed.url)
        if path is not None:
            return self._read_file(path if path.is_absolute() else ROOT / path, state)
        if urlsplit(feed.url).scheme not in ("http", "https"):
            raise SyncError(f"unsupported URL {feed.url!r} (http, https, file:// or a path)")
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        timeout = self.content.request_timeout_seconds
        error = SyncError("not tried")
        for attempt in range(1, self.tries + 1):
            if attempt > 1:
                self._sleep(self.backoff_seconds * 2 ** (attempt - 2))
            try:
                fetched = self._get(feed.url, headers, timeout)
                fetched.attempts = attempt
                return fetched
            except SyncError as exc:
                error = exc
                exc.attempts = attempt
                if not exc.retry:
                    break
                log.info("feed %s: try %d of %d failed: %s", feed.name, attempt, self.tries, exc)
        raise error

    def _get(self, url: str, headers: dict[str, str], timeout: float) -> _Fetched:
        """One GET. Network trouble and 5xx/429 raise a retryable SyncError, other statuses a final one."""
        # requests' read timeout applies to each read, so a server trickling bytes is bounded here instead.
        deadline = time.monotonic() + timeout * BODY_TIMEOUT_FACTOR
        try:
            with self.http.get(url, headers=headers, timeout=timeout, stream=True) as response:
                code = response.status_code
                if code == 304:
                    return _Fetched(304)
                if code != 200:
                    raise SyncError(f"HTTP {code} {response.reason or ''}".strip(), code,
                                    retry=code >= 500 or code == 429)
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_FEED_BYTES:
                        raise SyncError(f"feed larger than {MAX_FEED_BYTES} bytes", 200, retry=False)
                    if time.monotonic() > deadline:
                        raise SyncError(f"timed out: body still arriving after {timeout * BODY_TIMEOUT_FACTOR:g} s")
                return _Fetched(200, bytes(body), response.headers.get("Content-Type", ""),
                                response.headers.get("ETag"), response.headers.get("Last-Modified"),
                                base_url=response.url or url)
        except requests.Timeout:
            raise SyncError(f"timed out after {timeout:g} s") from None
        except requests.ConnectionError as exc:
            if "timed out" in str(exc):  # a read timeout while streaming the body arrives as ConnectionError
                raise SyncError(f"timed out after {timeout:g} s") from None
            raise SyncError(f"cannot connect: {_root_cause(exc)}") from None
        except requests.RequestException as exc:
            raise SyncError(f"request failed: {type(exc).__name__}: {exc}") from None

    def _read_file(self, path: Path, state: dict[str, Any]) -> _Fetched:
        try:
            info = path.stat()
            validator = f"mtime:{info.st_mtime_ns}:size:{info.st_size}"
            if state.get("etag") == validator:
                return _Fetched(304, etag=validator)
            if info.st_size > MAX_FEED_BYTES:
                raise SyncError(f"feed file larger than {MAX_FEED_BYTES} bytes", retry=False)
            body = path.read_bytes()
        except OSError as exc:
            raise SyncError(f"cannot read {path}: {exc.strerror or exc}", retry=False) from None
        return _Fetched(200, body, "", etag=validator, base_url=path.resolve().as_uri())

    def _cache_images(self, feed: FeedSection, source: str, items: list[FeedItem]) -> None:
        """Cache pictures of published items not yet stored with one; a failure leaves the item without.

        A feed from the network may only point at pictures on the network: a ``file://`` enclosure in it
        would put a file of this machine (a member's photo, say) on the public screen.
        """
        remote = urlsplit(feed.url).scheme in ("http", "https")
        with self.db.session() as session:
            have = dict(session.execute(
                select(ContentItem.guid, ContentItem.image_path)
                .where(ContentItem.source == source, ContentItem.guid.in_([i.guid for i in items]))).all())
        for item in items:
            url = item.image_url
            if not url or item.review_state != "published" or have.get(item.guid) or url in self._rejected_images:
                continue
            try:
                scheme = urlsplit(url).scheme
            except ValueError:  # "http://[::1" and the like: one bad picture must not fail the whole feed
                scheme = ""
            if remote and scheme not in ("http", "https"):
                log.warning("image of %s rejected (a network feed may not name a local file): %s", item.guid, url)
                continue
            try:
                item.image_path = str(cache_image(url, self.data_dir, max_bytes=self.content.max_image_bytes,
                                                  timeout=self.content.request_timeout_seconds, session=self.http))
            except ImageRejected as exc:
                if not exc.transient:
                    self._rejected_images.add(url)  # do not fetch an oversized picture every round
                log.warning("image of %s rejected (%s): %s", item.guid, exc.reason, url)

    # -------------------------------------------------------------------------------------- state

    def _load_states(self) -> dict[str, dict[str, Any]]:
        """The per-feed states, read from the settings table once and kept in memory afterwards."""
        with self._state_lock:
            if self._states is None:
                keys = [setting_key(f.name) for f in self.content.feeds]
                try:
                    with self.db.session() as session:
                        rows = session.scalars(select(Setting).where(Setting.key.in_(keys))).all()
                    by_key = {r.key: dict(r.value or {}) for r in rows}
                except Exception:  # the database is down: start from nothing rather than stop syncing
                    log.exception("cannot read feed sync state; starting without validators")
                    by_key = {}
                self._states = {f.name: by_key.get(setting_key(f.name), {}) for f in self.content.feeds}
            return self._states

    def _updated_state(self, feed: FeedSection, *, ok: bool, status: int | None, now_iso: str,
                       error: str | None = None, attempts: int | None = None, **validators: str | None) -> dict:
        with self._state_lock:
            state = dict((self._states or {}).get(feed.name, {}))
        if state.get("url") != feed.url:
            state.pop("etag", None)
            state.pop("last_modified", None)
        state.update(url=feed.url, ok=ok, last_attempt=now_iso, last_status=status, attempts=attempts)
        if ok:
            state.update(last_success=now_iso, last_error=None)
            state.update({k: v for k, v in validators.items()})
        else:
            state.update(last_error=error, last_error_at=now_iso)
        return state

    def _record(self, feed: FeedSection, *, ok: bool, status: int | None, error: str | None = None,
                attempts: int | None = None) -> None:
        """Store the outcome of an attempt that stored no items (304 or a failure)."""
        self._load_states()
        state = self._updated_state(feed, ok=ok, status=status, now_iso=self.now().isoformat(),
                                    error=error, attempts=attempts)
        with self._state_lock:
            assert self._states is not None
            self._states[feed.name] = state
        try:
            with self.db.session() as session:
                self._save_state(session, feed.name, state)
        except Exception:  # the database may be the thing that is down; memory still has it
            log.exception("feed %s: cannot save sync state", feed.name)

    @staticmethod
    def _save_state(session, name: str, state: dict[str, Any]) -> None:
        row = session.get(Setting, setting_key(name))
        if row is None:
            session.add(Setting(key=setting_key(name), value=state))
        else:
            row.value = state  # a new dict: JSON columns do not track changes inside one


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error chain, e.g. 'Connection refused'."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Network is unreachable",
                   "No route to host", "Connection reset", "timed out"):
        if marker in text:
            return marker
    return type(exc).__name__

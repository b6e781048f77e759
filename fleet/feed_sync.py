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
signature (``fleet.signing``, checked before parsing); unsigned or tampered items are not stored and are
audited (``content.rejected``) once each, not every round. RSS and Atom cannot carry a signature, so with
keys configured such a feed is refused as a whole unless its entry says ``allow_unsigned: true`` — an
administrator's explicit choice for a feed trusted by its transport (an HTTPS intranet server).

Modules: ``feed_fetch`` (the conditional GET, retries, files), ``feed_json`` (JSON Feed), and here the
``FeedSyncer`` worker: parsing, signatures, storing, pictures and the per-feed state (the names of the
other two that callers use are re-exported).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import feedparser
import requests
from sqlalchemy import select

from core.audit import audit
from core.background import BackgroundLoop
from core.config import ContentSection, FeedSection
from core.content import (
    FeedError,
    FeedItem,
    inflate,
    log_dropped,
    parse_feed,
    store_items,
)
from core.db import Database
from core.events import EventBus, NewsArrived, SyncStatus
from core.images import ImageRejected, cache_image
from core.models import ContentItem, Setting, utcnow
from fleet.feed_fetch import (
    BODY_TIMEOUT_FACTOR,
    MAX_FEED_BYTES,
    USER_AGENT,
    FeedFetching,
    SyncError,
    _Fetched,
)
from fleet.feed_json import looks_like_json, parse_json_feed
from fleet.signing import Verifier, filter_json_feed

if TYPE_CHECKING:
    from core.terminal import Terminal

__all__ = ["BODY_TIMEOUT_FACTOR", "MAX_FEED_BYTES", "USER_AGENT", "FeedSyncer", "SyncError", "looks_like_json",
           "parse_json_feed", "setting_key"]

log = logging.getLogger(__name__)


def setting_key(feed_name: str) -> str:
    """``feed:<name>``: the feed's key in the settings table and the ``source`` of its items. Names too
    long for the 64-character key are shortened with a hash, so two long names never share a key."""
    key = f"feed:{feed_name}"
    if len(key) <= 64:
        return key
    return f"feed:{feed_name[:42]}~{hashlib.sha1(feed_name.encode('utf-8')).hexdigest()[:16]}"


# ------------------------------------------------------------------------------------------- syncer


class FeedSyncer(FeedFetching, BackgroundLoop):
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

    # ----------------------------------------------------------------------------------- pictures

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

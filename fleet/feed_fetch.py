"""Fetching one feed document for the feed syncer: a conditional GET with retries, or a local file.

Why apart from the syncer: this is the part that meets the network, with its own rules — ``If-None-Match``
/ ``If-Modified-Since`` from the last good response, so an unchanged feed costs one small request; a few
tries with doubling waits for network trouble, 5xx and 429, none for a 404; a size cap and a whole-body
deadline (requests' read timeout applies to each read, so a server trickling bytes would otherwise hold
the round for ever); and a file's modification time and size standing in for the ETag. What it returns
or raises (``_Fetched``, ``SyncError``) is all the syncer needs to know.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from core.background import doubling_delay
from core.config import ROOT, FeedSection
from core.images import local_path

if TYPE_CHECKING:
    from core.config import ContentSection

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


class FeedFetching:
    """``_fetch`` for the feed syncer: it keeps ``content`` (for the request timeout), ``http`` (a
    requests Session), ``tries``, ``backoff_seconds`` and ``_sleep`` (a wait that a stop cuts short)."""

    content: ContentSection
    http: requests.Session
    tries: int
    backoff_seconds: float
    _sleep: Callable[[float], object]

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
                self._sleep(doubling_delay(attempt - 1, self.backoff_seconds, float("inf")))
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


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error chain, e.g. 'Connection refused'."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "Network is unreachable",
                   "No route to host", "Connection reset", "timed out"):
        if marker in text:
            return marker
    return type(exc).__name__

"""Real-time push over MQTT: an administrator publishes a news item or notice, terminals show it in seconds.

Why MQTT: ten thousand kiosks each polling a feed every few minutes is slow to deliver and heavy on the
server; one broker (or an EMQX cluster) holding a connection per terminal delivers in milliseconds. Push
is an accelerator, never a dependency: the feed syncer keeps polling, and when the broker is unreachable
``PushSubscriber`` says so (``DeviceStatus("push", "degraded")``, ``status()["mode"] == "polling"``) and
asks for a feed round at once through ``on_fallback``.

Topics (``<org>`` and ``<code>`` are letters, digits, ``_ . -``)::

    dangjian/<org>/news                      dangjian/<org>/notice
    dangjian/<org>/branch/<code>/news        dangjian/<org>/branch/<code>/notice

A message is one JSON object (UTF-8, at most ``MAX_PAYLOAD`` bytes)::

    {"v": 1, "org": "...", "kind": "news"|"notice", "branch": null|"B01", "sent_at": "<ISO>",
     "items": [{"guid": "...", "title_zh": "...", "body": "<p>HTML or text</p>", "published_at": "<ISO>",
                "title_en", "summary", "link", "category", "review_state", "urgent", "pinned",
                "expires_at", "_sig": {...}}],
     "_sig": {...}}

``org``/``kind``/``branch`` must match the topic, and with public keys configured both the message and each
item must carry a valid Ed25519 signature (``core.signing``): the signature covers the topic fields, so a
signed branch notice cannot be replayed onto another branch. Items are sanitised and stored exactly like
feed items (``core.content.store_items``, source ``push:<org>``), so a repeated message changes nothing.
The subscriber uses a persistent session (``clean_session=False``, QoS 1): the broker keeps what is
published while a terminal is offline and delivers it on reconnect.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.audit import AuditBudget, audit
from core.config import Config
from core.content import FeedItem, html_to_text, store_items
from core.db import Database
from core.events import DeviceStatus, EventBus, NewsArrived, UrgentNotice
from core.models import REVIEW_STATES, ContentItem, utcnow
from core.signing import SignatureError, Verifier, sign

log = logging.getLogger(__name__)

TOPIC_ROOT = "dangjian"
KINDS = ("news", "notice")
MAX_PAYLOAD = 256 * 1024
MAX_ITEMS = 50
SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
"""An org or branch code as it may appear in a topic: no '/', '+', '#' or spaces."""

STORED, REJECTED, INVALID, ERROR = "stored", "rejected", "invalid", "error"


class PushError(Exception):
    """Publishing failed (broker unreachable, refused, or no acknowledgement in time)."""


# -------------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class PushSettings:
    """``fleet.org``, ``fleet.branches`` and ``fleet.mqtt.*`` (read with defaults; no host: push is off)."""

    host: str | None = None
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_insecure: bool = False
    keepalive: int = 30
    client_id: str | None = None
    org: str = "default"
    branches: tuple[str, ...] = ()
    qos: int = 1
    reconnect_min_s: int = 1
    reconnect_max_s: int = 60

    @property
    def enabled(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_config(cls, config: Config) -> PushSettings:
        """The ``fleet.mqtt`` section (defaults in core.config, once); empty strings count as unset."""
        fleet, mqtt = config.fleet, config.fleet.mqtt

        def opt(value: object) -> str | None:
            return str(value) if value not in (None, "") else None

        return cls(host=opt(mqtt.host), port=mqtt.port, username=opt(mqtt.username), password=opt(mqtt.password),
                   tls=mqtt.tls, ca_file=opt(mqtt.ca_file), cert_file=opt(mqtt.cert_file), key_file=opt(mqtt.key_file),
                   tls_insecure=mqtt.tls_insecure, keepalive=mqtt.keepalive, client_id=opt(mqtt.client_id),
                   org=fleet.org, branches=tuple(fleet.branches))


# ---------------------------------------------------------------------------------------------- topics


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


# ------------------------------------------------------------------------------------------ publishing


def build_message(items: list[dict[str, Any]], *, org: str, kind: str, branch: str | None = None,
                  private_key: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """A push message for ``items``; with ``private_key`` each item and the message are signed."""
    topic_for(org, kind, branch)  # validates the parts
    signed_items = [sign(i, private_key) if private_key is not None else dict(i) for i in items]
    message = {"v": 1, "org": org, "kind": kind, "branch": branch, "sent_at": (now or utcnow()).isoformat(),
               "items": signed_items}
    return sign(message, private_key) if private_key is not None else message


def _client(settings: PushSettings, client_id: str, clean_session: bool) -> Any:
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session,
                         protocol=mqtt.MQTTv311)
    client.suppress_exceptions = True  # a bug in a callback must not end the network thread
    if settings.username:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set(ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file)
        if settings.tls_insecure:
            client.tls_insecure_set(True)
    client.reconnect_delay_set(settings.reconnect_min_s, settings.reconnect_max_s)
    return client


def publish_item(settings: PushSettings, items: dict[str, Any] | list[dict[str, Any]], *, kind: str = "news",
                 branch: str | None = None, private_key: Any = None, timeout: float = 10.0,
                 retain: bool = False) -> str:
    """Publish one item (or several) to the organisation's or a branch's topic, QoS 1; returns the topic.

    Waits for the broker's acknowledgement; raises PushError when it does not come within ``timeout``.
    """
    if not settings.enabled:
        raise PushError("no broker configured (fleet.mqtt.host)")
    batch = [items] if isinstance(items, dict) else list(items)
    topic = topic_for(settings.org, kind, branch)
    payload = json.dumps(build_message(batch, org=settings.org, kind=kind, branch=branch,
                                       private_key=private_key), ensure_ascii=False).encode()
    if len(payload) > MAX_PAYLOAD:
        raise PushError(f"message of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    client = _client(settings, f"dangjian-publisher-{uuid.uuid4().hex[:12]}", clean_session=True)
    connected = threading.Event()
    refused: list[str] = []

    def on_connect(client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            refused.append(str(reason_code))
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(settings.host, settings.port, settings.keepalive)
    except (OSError, ValueError) as exc:
        raise PushError(f"cannot connect to {settings.host}:{settings.port}: {exc}") from None
    client.loop_start()
    try:
        if not connected.wait(timeout) or refused:
            raise PushError(f"{settings.host}:{settings.port} refused the connection: {refused[0]}" if refused
                            else f"no answer from {settings.host}:{settings.port} within {timeout:g} s")
        info = client.publish(topic, payload, qos=1, retain=retain)
        deadline = time.monotonic() + timeout
        while not info.is_published() and time.monotonic() < deadline:
            time.sleep(0.005)
        if not info.is_published():
            raise PushError(f"no acknowledgement from {settings.host}:{settings.port} within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return topic


# ----------------------------------------------------------------------------------------- subscribing


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


@dataclass
class _State:
    mode: str = "off"
    connected: bool = False
    last_message: str | None = None
    last_error: str | None = None
    received: int = 0
    stored: int = 0
    rejected: int = 0
    invalid: int = 0
    outages: int = 0
    since: float = field(default_factory=time.monotonic)


class PushSubscriber:
    """Listens on the organisation's and branches' topics, stores what arrives, announces it.

    ``start()`` returns at once (paho's network thread connects and reconnects in the background);
    ``handle(topic, payload)`` does the work for one message and never raises, so tests and fuzzing can
    drive it without a broker.
    """

    def __init__(self, settings: PushSettings, db: Database, bus: EventBus, *, verifier: Verifier | None = None,
                 terminal_id: str = "", on_fallback: Callable[[], None] | None = None,
                 now: Callable[[], datetime] = utcnow, audits_per_minute: int = 30) -> None:
        self.settings = settings
        self.db = db
        self.bus = bus
        self.verifier = verifier or Verifier()
        self.terminal_id = terminal_id
        self.on_fallback = on_fallback
        self.now = now
        self._lock = threading.Lock()
        self._state = _State(mode="polling" if settings.enabled else "off")
        try:
            self.topics = subscriptions(settings.org, settings.branches)
        except ValueError as exc:  # a bad org or branch code must not stop the kiosk: push stays off
            log.error("push: off: %s", exc)
            self.topics = []
            self._state = _State(mode="off", last_error=str(exc))
        self._client: Any = None
        self._routes: dict[str, Callable[[str, bytes], None]] = {}
        self._audits = AuditBudget(audits_per_minute)

    @classmethod
    def for_terminal(cls, terminal: Any, on_fallback: Callable[[], None] | None = None) -> PushSubscriber:
        return cls(PushSettings.from_config(terminal.config), terminal.db, terminal.bus,
                   verifier=Verifier.from_config(terminal.config), terminal_id=terminal.terminal_id,
                   on_fallback=on_fallback, now=terminal.now)

    # ------------------------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        """``mode``: push (connected) | polling (broker down: feed polling is in charge) | off (no broker)."""
        with self._lock:
            s = self._state
            return {"mode": s.mode, "connected": s.connected, "last_message": s.last_message,
                    "last_error": s.last_error, "received": s.received, "stored": s.stored,
                    "rejected": s.rejected, "invalid": s.invalid, "outages": s.outages,
                    "topics": list(self.topics)}

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._state.connected

    def _set_connected(self, connected: bool, error: str | None = None) -> None:
        with self._lock:
            was = self._state.connected
            first_failure = not connected and self._state.outages == 0 and self._state.mode != "push"
            self._state.connected = connected
            self._state.mode = "push" if connected else "polling"
            if error:
                self._state.last_error = error
            changed = was != connected or first_failure
            if not connected and changed:
                self._state.outages += 1
        if not changed:
            return
        if connected:
            log.info("push: connected to %s:%s", self.settings.host, self.settings.port)
            self.bus.publish(DeviceStatus("push", "ok", f"{self.settings.host}:{self.settings.port}"))
            return
        log.warning("push: broker unreachable (%s); feed polling takes over", error or "disconnected")
        self.bus.publish(DeviceStatus("push", "degraded", f"推送中断，改为定时拉取 / push down, polling feeds: {error or ''}"))
        if self.on_fallback is not None:
            try:
                self.on_fallback()
            except Exception:
                log.exception("push: fallback failed")

    # ------------------------------------------------------------------------------------ routes

    def add_route(self, topic: str, handler: Callable[[str, bytes], None]) -> None:
        """Also subscribe to ``topic`` (an exact topic, no wildcards) and give its messages to ``handler``.

        Why here: remote administration rides on the push connection, so a terminal holds one broker
        connection, not two (10,000 terminals, 10,000 connections). Call before ``start()``.
        """
        self._routes[topic] = handler

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """Publish on the push connection (a reply to a remote command); False when not connected."""
        client = self._client
        if client is None or not self.connected:
            return False
        try:
            return client.publish(topic, payload, qos=qos).rc == 0
        except (OSError, ValueError) as exc:
            log.warning("push: cannot publish on %s: %s", topic, exc)
            return False

    # ------------------------------------------------------------------------------------ thread

    def start(self) -> None:
        """Connect in the background (no broker configured: status ``off``, nothing started)."""
        if not self.settings.enabled or not self.topics or self._client is not None:
            return
        client_id = self.settings.client_id or f"dangjian-{self.settings.org}-{self.terminal_id or uuid.uuid4().hex[:8]}"
        client = _client(self.settings, client_id[:128], clean_session=False)
        # paho doubles its reconnect delay without jitter: start each terminal at its own phase, so that
        # after a broker restart ten thousand terminals do not all knock in the same second.
        first = self.settings.reconnect_min_s * random.uniform(1.0, 2.0)
        client.reconnect_delay_set(first, max(first, self.settings.reconnect_max_s))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        try:
            client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive)
        except (OSError, ValueError) as exc:
            self._set_connected(False, str(exc))
        client.loop_start()

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        client.on_disconnect = None
        client.disconnect()
        client.loop_stop()
        with self._lock:
            self._state.connected = False
            self._state.mode = "off"

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            self._set_connected(False, f"refused: {reason_code}")
            return
        client.subscribe([(t, self.settings.qos) for t in [*self.topics, *self._routes]])

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        refused = [str(c) for c in reason_codes if getattr(c, "is_failure", False)]
        if refused:  # an ACL forbids a topic: what push does deliver is still stored; say what is missing
            with self._lock:
                self._state.last_error = f"subscription refused: {', '.join(refused)}"
            log.warning("push: broker refused %d of %d subscriptions", len(refused), len(reason_codes))
        self._set_connected(True)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        # After a refused connection keep the refusal as the error: it says what to fix.
        self._set_connected(False, f"disconnected: {reason_code}" if self.connected else None)

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        self._set_connected(False, "cannot connect")

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        route = self._routes.get(message.topic)
        if route is None:
            self.handle(message.topic, message.payload)
            return
        try:
            route(message.topic, message.payload)
        except Exception:  # a route's bug must not end paho's network thread
            log.exception("push: handler for %s failed", message.topic)

    # ---------------------------------------------------------------------------------- messages

    def handle(self, topic: str, payload: bytes) -> HandleResult:
        """Check, store and announce one message; never raises (an internal error is ``outcome='error'``)."""
        try:
            result = self._handle(topic, payload)
        except Exception as exc:
            log.exception("push: message on %r could not be handled", topic)
            result = HandleResult(ERROR, message=f"{type(exc).__name__}: {exc}")
        with self._lock:
            s = self._state
            s.received += 1
            s.last_message = self.now().isoformat()
            s.stored += result.stored
            s.rejected += result.rejected
            s.invalid += result.invalid + (1 if result.outcome == INVALID else 0)
        if result.outcome != STORED:
            log.warning("push: message on %r %s: %s", topic, result.outcome, result.message)
        return result

    def _handle(self, topic: str, payload: bytes) -> HandleResult:
        if not isinstance(payload, bytes | bytearray) or len(payload) > MAX_PAYLOAD:
            return HandleResult(INVALID, message=f"payload over {MAX_PAYLOAD} bytes")
        where = parse_topic(topic) if isinstance(topic, str) else None
        if where is None or where[0] != self.settings.org:
            return HandleResult(INVALID, message="not one of this organisation's topics")
        org, kind, branch = where
        if branch is not None and branch not in self.settings.branches:
            return HandleResult(INVALID, message=f"branch {branch} is not this terminal's")
        try:
            message = json.loads(bytes(payload).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            return HandleResult(INVALID, message=f"not JSON: {str(exc)[:100]}")
        if not isinstance(message, dict):
            return HandleResult(INVALID, message="not a JSON object")
        try:
            self.verifier.verify(message)
        except SignatureError as exc:
            self._audit_rejection(topic, "", exc, whole_message=True)
            return HandleResult(REJECTED, rejected=1, message=f"message {exc.reason}: {exc}")
        if message.get("v") != 1 or not isinstance(message.get("items"), list):
            return HandleResult(INVALID, message="not a version 1 push message with items")
        if (message.get("org"), message.get("kind"), message.get("branch")) != (org, kind, branch):
            return HandleResult(INVALID, message="org, kind or branch do not match the topic")
        if not 0 < len(message["items"]) <= MAX_ITEMS:
            return HandleResult(INVALID, message=f"1-{MAX_ITEMS} items expected")
        now = self.now()
        accepted: list[tuple[FeedItem, _Extra]] = []
        rejections: list[tuple[str, SignatureError]] = []
        invalid = 0
        for raw in message["items"]:
            try:
                self.verifier.verify(raw)
            except SignatureError as exc:
                guid = raw.get("guid") if isinstance(raw, dict) else None
                rejections.append((str(guid)[:200] if guid is not None else "", exc))
                continue
            try:
                accepted.append(_item(raw, branch, now))
            except _Invalid as exc:
                invalid += 1
                log.warning("push: item on %s skipped: %s", topic, exc)
        for guid, exc in rejections:
            self._audit_rejection(topic, guid, exc)
        new_ids, titles, urgent = self._store(org, kind, accepted)
        if new_ids:
            self.bus.publish(NewsArrived(item_ids=tuple(new_ids), titles=tuple(titles)))
        if urgent is not None:
            self.bus.publish(UrgentNotice(item_id=urgent[0], title=urgent[1]))
        outcome = STORED if accepted else (REJECTED if rejections else INVALID)
        return HandleResult(outcome, tuple(new_ids), len(accepted), len(rejections), invalid,
                            f"{len(accepted)} stored, {len(new_ids)} new, {len(rejections)} rejected, {invalid} invalid")

    def _store(self, org: str, kind: str, accepted: list[tuple[FeedItem, _Extra]]
               ) -> tuple[list[int], list[str], tuple[int, str] | None]:
        return store_pushed(self.db, f"push:{org}", kind, accepted)

    def _audit_rejection(self, topic: str, guid: str, exc: SignatureError, whole_message: bool = False) -> None:
        """Audit a signature rejection; at most ``audits_per_minute`` rows, the rest counted in the next."""
        suppressed = self._audits.take()
        if suppressed is None:
            return
        try:
            with self.db.session() as session:
                audit(session, "push", "content.rejected", (guid or topic)[:200], self.terminal_id,
                      topic=topic[:200], reason=exc.reason, message=str(exc)[:200],
                      scope="message" if whole_message else "item", suppressed_before=suppressed)
        except Exception:
            log.exception("push: cannot audit a rejected message")

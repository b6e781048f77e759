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
item must carry a valid Ed25519 signature (``fleet.signing``): the signature covers the topic fields, so a
signed branch notice cannot be replayed onto another branch. Items are sanitised and stored exactly like
feed items (``core.content.store_items``, source ``push:<org>``), so a repeated message changes nothing.
The subscriber uses a persistent session (``clean_session=False``, QoS 1): the broker keeps what is
published while a terminal is offline and delivers it on reconnect.

Modules: ``push_message`` (topics, the message, checking and storing items), ``push_transport`` (broker
settings, the paho client, publishing), and here the ``PushSubscriber`` (their names are re-exported).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.audit import AuditBudget, audit
from core.content import FeedItem
from core.db import Database
from core.events import DeviceStatus, EventBus, NewsArrived, UrgentNotice
from core.models import utcnow
from fleet.push_message import (
    ERROR,
    INVALID,
    KINDS,
    MAX_ITEMS,
    MAX_PAYLOAD,
    REJECTED,
    SEGMENT,
    STORED,
    TOPIC_ROOT,
    HandleResult,
    _Extra,
    _Invalid,
    _item,
    build_message,
    parse_topic,
    store_pushed,
    subscriptions,
    topic_for,
)
from fleet.push_transport import PushError, PushSettings, _client, publish_item
from fleet.signing import SignatureError, Verifier

__all__ = ["ERROR", "INVALID", "KINDS", "MAX_ITEMS", "MAX_PAYLOAD", "REJECTED", "SEGMENT", "STORED", "TOPIC_ROOT",
           "HandleResult", "PushError", "PushSettings", "PushSubscriber", "build_message", "parse_topic",
           "publish_item", "store_pushed", "subscriptions", "topic_for"]

log = logging.getLogger(__name__)


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

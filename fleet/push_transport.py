"""The MQTT side of push: broker settings, a configured paho client, and publishing with acknowledgement.

Why apart: everything that knows paho and the broker's address, credentials and TLS lives here, so the
subscriber (``fleet.push``) and the remote-administration command line (``fleet.remote_cli``) open their
connections the same way, and the message format (``fleet.push_message``) never touches the network.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from core.config import Config
from fleet.push_message import MAX_PAYLOAD, build_message, topic_for


class PushError(Exception):
    """Publishing failed (broker unreachable, refused, or no acknowledgement in time)."""


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
    start(client, settings)
    try:
        await_ready(settings, connected, refused, timeout)
        if not published(client.publish(topic, payload, qos=1, retain=retain), timeout):
            raise PushError(f"no acknowledgement from {settings.host}:{settings.port} within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()
    return topic


def start(client: Any, settings: Any) -> None:
    """Connect and start the client's network loop; PushError naming the broker when it cannot be reached
    (the caller disconnects and stops the loop in a ``finally`` once this returned)."""
    try:
        client.connect(settings.host, settings.port, settings.keepalive)
    except (OSError, ValueError) as exc:
        raise PushError(f"cannot connect to {settings.host}:{settings.port}: {exc}") from None
    client.loop_start()


def await_ready(settings: Any, ready: threading.Event, refused: list[str], timeout: float) -> None:
    """Wait for the caller's callbacks to set ``ready``; PushError when the broker refused (``refused``
    holds its reason) or did not answer within ``timeout``."""
    if not ready.wait(timeout) or refused:
        raise PushError(f"{settings.host}:{settings.port} refused the connection: {refused[0]}" if refused
                        else f"no answer from {settings.host}:{settings.port} within {timeout:g} s")


def published(info: Any, timeout: float) -> bool:
    """Whether the broker acknowledged a QoS 1 message within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not info.is_published() and time.monotonic() < deadline:
        time.sleep(0.005)
    return info.is_published()

"""Remote administration over the push broker: screenshot, sync now, health, restart, urgent notice.

Why over MQTT: a terminal behind a company firewall opens no port; it already holds one connection to
the broker for push (``PushSubscriber.add_route`` shares it), so an administrator reaches every terminal
without a VPN or SSH.

Topics (``<org>`` and ``<terminal>`` are letters, digits, ``_ . -``)::

    dangjian/<org>/terminal/<terminal>/cmd      one terminal's commands
    dangjian/<org>/terminals/cmd                every terminal of the organisation ("terminal": "*")
    dangjian/<org>/terminal/<terminal>/reply    the terminal's answers

A command is one JSON object, signed with Ed25519 by a key listed in ``fleet.admin_keys``::

    {"v": 1, "id": "<uuid4>", "org": "...", "terminal": "<id>" | "*", "command": "health",
     "args": {...}, "issued_at": "<ISO with offset>", "issued_by": "name", "_sig": {...}}

A terminal refuses (and audits, ``remote.refused``) a command that is unsigned or signed by another key,
meant for another organisation or terminal, older than ``fleet.command_max_age_seconds`` or dated in the
future, unknown, or whose id it has already accepted. The accepted command is audited
(``remote.command``) *before* it runs: the audit log is also the replay memory, so a ``restart``
redelivered by the broker after the restart is recognised and not obeyed twice. With no admin key
configured, remote administration is off and every command is refused.

Replies are not signed (a terminal holds no private key); the broker's ACL decides who may publish on
``.../reply`` (only that terminal's account). They carry the command's id so the administrator's tool
matches them.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.audit import AuditBudget, audit
from core.db import Database
from core.events import EventBus, UrgentNotice
from core.models import AuditEntry, utcnow
from fleet.signing import SignatureError, Verifier, sign

log = logging.getLogger(__name__)

TOPIC_ROOT = "dangjian"
SEGMENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
COMMANDS = ("health", "screenshot", "sync", "restart", "notice")
MAX_COMMAND_BYTES = 64 * 1024
MAX_FUTURE_S = 60.0
"""Clock skew tolerated for a command dated in the future (a terminal's clock may lag the admin's)."""

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class RemoteError(Exception):
    """A command could not be carried out (the reply says why)."""


# ---------------------------------------------------------------------------------------------- topics


def _segment(value: str) -> str:
    if not isinstance(value, str) or not SEGMENT.match(value):
        raise ValueError(f"{value!r} cannot be part of a topic (letters, digits, _ . - only)")
    return value


def command_topic(org: str, terminal: str) -> str:
    """One terminal's command topic, or the organisation's broadcast topic for ``terminal == "*"``."""
    if terminal == "*":
        return f"{TOPIC_ROOT}/{_segment(org)}/terminals/cmd"
    return f"{TOPIC_ROOT}/{_segment(org)}/terminal/{_segment(terminal)}/cmd"


def reply_topic(org: str, terminal: str) -> str:
    return f"{TOPIC_ROOT}/{_segment(org)}/terminal/{_segment(terminal)}/reply"


def reply_filter(org: str) -> str:
    """Every terminal's replies (what the administrator's tool listens to)."""
    return f"{TOPIC_ROOT}/{_segment(org)}/terminal/+/reply"


def build_command(command: str, *, org: str, terminal: str, args: dict[str, Any] | None = None,
                  issued_by: str = "", private_key: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """A command object, signed when ``private_key`` is given (terminals refuse unsigned ones)."""
    if command not in COMMANDS:
        raise ValueError(f"command must be one of {', '.join(COMMANDS)}, got {command!r}")
    command_topic(org, terminal)  # validates org and terminal
    body = {"v": 1, "id": str(uuid.uuid4()), "org": org, "terminal": terminal, "command": command,
            "args": dict(args or {}), "issued_at": (now or utcnow()).isoformat(), "issued_by": issued_by[:100]}
    return sign(body, private_key) if private_key is not None else body


# ----------------------------------------------------------------------------------------- the terminal


@dataclass
class Outcome:
    """What happened to one command: ``reply`` is what was (or would be) published, None when refused
    before the terminal could tell who asked (no reply is sent to forged or malformed commands)."""

    accepted: bool
    reason: str = ""
    reply: dict[str, Any] | None = None


class _Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RemoteAdmin:
    """Checks, audits and runs remote commands for one terminal; replies through ``publish``.

    ``handlers`` maps a command name to a function of its ``args`` returning a JSON-able result (raise
    RemoteError for a clean failure). The kiosk supplies them, because a screenshot or a restart belongs
    to the front end; ``notice`` has a default here (it only stores an item). ``handle`` never raises.
    """

    def __init__(self, *, org: str, terminal_id: str, db: Database, bus: EventBus, verifier: Verifier,
                 handlers: dict[str, Handler], publish: Callable[[str, bytes], bool] | None = None,
                 max_age_s: float = 300.0, now: Callable[[], datetime] = utcnow,
                 audits_per_minute: int = 30) -> None:
        self.org = org
        self.terminal_id = terminal_id
        self.db = db
        self.bus = bus
        self.verifier = verifier
        self.handlers: dict[str, Handler] = {"notice": self._notice, **handlers}
        self.publish = publish
        self.max_age_s = max_age_s
        self.now = now
        self._lock = threading.Lock()  # one command at a time (a restart must not overtake a screenshot)
        self._audits = AuditBudget(audits_per_minute)
        self.counts = {"accepted": 0, "refused": 0, "failed": 0}

    @classmethod
    def for_terminal(cls, terminal: Any, handlers: dict[str, Handler],
                     publish: Callable[[str, bytes], bool] | None = None) -> RemoteAdmin:
        fleet = terminal.config.fleet
        return cls(org=fleet.org, terminal_id=terminal.terminal_id, db=terminal.db, bus=terminal.bus,
                   verifier=Verifier.from_sources(fleet.admin_keys), handlers=handlers, publish=publish,
                   max_age_s=fleet.command_max_age_seconds, now=terminal.now)

    @property
    def enabled(self) -> bool:
        return self.verifier.required

    def topics(self) -> list[str]:
        """The topics to subscribe to (none when the organisation or terminal id cannot be a topic)."""
        try:
            return [command_topic(self.org, self.terminal_id), command_topic(self.org, "*")]
        except ValueError as exc:
            log.error("remote administration off: %s", exc)
            return []

    def on_message(self, topic: str, payload: bytes) -> None:
        """For ``PushSubscriber.add_route``."""
        self.handle(topic, payload)

    def handle(self, topic: str, payload: bytes) -> Outcome:
        with self._lock:
            try:
                outcome = self._handle(topic, payload)
            except Exception as exc:  # never end the broker's network thread
                log.exception("remote: command on %s could not be handled", topic)
                outcome = Outcome(False, "error", None)
                self.counts["failed"] += 1
                self._audit_refusal(topic, "", "error", f"{type(exc).__name__}: {exc}")
        if outcome.reply is not None and self.publish is not None:
            data = json.dumps(outcome.reply, ensure_ascii=False).encode()
            if not self.publish(reply_topic(self.org, self.terminal_id), data):
                log.warning("remote: the reply to %s could not be published", outcome.reply.get("id"))
        return outcome

    # ---------------------------------------------------------------------------------- checks

    def _handle(self, topic: str, payload: bytes) -> Outcome:
        try:
            command = self._check(topic, payload)
        except _Refused as exc:
            self.counts["refused"] += 1
            self._audit_refusal(topic, "", exc.reason, str(exc))
            log.warning("remote: refused a command on %s: %s", topic, exc)
            return Outcome(False, exc.reason, None)
        cid, name = command["id"], command["command"]
        try:
            self._accept(command)
        except _Refused as exc:  # a replay: tell the sender, it may be waiting for the first answer
            self.counts["refused"] += 1
            self._audit_refusal(topic, cid, exc.reason, str(exc))
            return Outcome(False, exc.reason, self._reply(command, False, error=str(exc)))
        self.counts["accepted"] += 1
        log.info("remote: %s from %s (%s)", name, command.get("issued_by") or "?", cid)
        handler = self.handlers.get(name)
        if handler is None:
            return Outcome(True, "", self._reply(command, False, error=f"{name} is not available on this terminal"))
        try:
            result = handler(dict(command.get("args") or {}))
        except RemoteError as exc:
            self.counts["failed"] += 1
            return Outcome(True, "", self._reply(command, False, error=str(exc)))
        except Exception as exc:
            self.counts["failed"] += 1
            log.exception("remote: %s failed", name)
            return Outcome(True, "", self._reply(command, False, error=f"{type(exc).__name__}: {exc}"))
        return Outcome(True, "", self._reply(command, True, result=result))

    def _check(self, topic: str, payload: bytes) -> dict[str, Any]:
        if not self.verifier.required:
            raise _Refused("disabled", "remote administration is off here (fleet.admin_keys is empty)")
        if not isinstance(payload, bytes | bytearray) or len(payload) > MAX_COMMAND_BYTES:
            raise _Refused("invalid", f"a command is at most {MAX_COMMAND_BYTES} bytes")
        try:
            command = json.loads(bytes(payload).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise _Refused("invalid", f"not JSON: {str(exc)[:100]}") from None
        if not isinstance(command, dict):
            raise _Refused("invalid", "not a JSON object")
        try:
            self.verifier.verify(command)
        except SignatureError as exc:
            raise _Refused(exc.reason, f"signature: {exc}") from None
        if command.get("v") != 1:
            raise _Refused("invalid", "not a version 1 command")
        target = command.get("terminal")
        if command.get("org") != self.org or topic != command_topic(self.org, "*" if target == "*" else self.terminal_id):
            raise _Refused("wrong_target", "meant for another organisation or terminal, or on the wrong topic")
        if target not in ("*", self.terminal_id):
            raise _Refused("wrong_target", f"meant for terminal {str(target)[:64]!r}")
        if command.get("command") not in COMMANDS:
            raise _Refused("invalid", f"unknown command {str(command.get('command'))[:32]!r}")
        try:
            uuid.UUID(str(command.get("id")))
        except ValueError:
            raise _Refused("invalid", "id must be a UUID") from None
        if not isinstance(command.get("args", {}), dict):
            raise _Refused("invalid", "args must be an object")
        issued = command.get("issued_at")
        try:
            when = datetime.fromisoformat(issued) if isinstance(issued, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise _Refused("invalid", "issued_at must be an ISO time with its UTC offset")
        age = (self.now() - when).total_seconds()
        if age > self.max_age_s:
            raise _Refused("expired", f"issued {age:.0f} s ago (limit {self.max_age_s:g} s)")
        if age < -MAX_FUTURE_S:
            raise _Refused("expired", f"dated {-age:.0f} s in the future")
        return command

    def _accept(self, command: dict[str, Any]) -> None:
        """Audit the command, refusing an id accepted before (in the same transaction: no double run)."""
        cid = str(command["id"])
        with self.db.session() as session:
            seen = session.scalar(select(AuditEntry.id).where(AuditEntry.action == "remote.command",
                                                              AuditEntry.target == cid).limit(1))
            if seen is not None:
                raise _Refused("replay", f"command {cid} was already carried out")
            sig = command.get("_sig") or {}
            audit(session, f"remote:{str(command.get('issued_by') or '')[:60]}", "remote.command", cid,
                  self.terminal_id, command=command["command"], kid=str(sig.get("kid", ""))[:64],
                  issued_at=str(command.get("issued_at")), args=_brief(command.get("args") or {}))

    def _reply(self, command: dict[str, Any], ok: bool, *, result: Any = None, error: str = "") -> dict[str, Any]:
        reply = {"v": 1, "id": command.get("id"), "terminal": self.terminal_id, "command": command.get("command"),
                 "ok": ok, "at": self.now().isoformat()}
        if ok:
            reply["result"] = result if result is not None else {}
        else:
            reply["error"] = error[:500]
        return reply

    def _audit_refusal(self, topic: str, cid: str, reason: str, message: str) -> None:
        """At most ``audits_per_minute`` rows a minute (a flood of forged commands must not fill the disk)."""
        suppressed = self._audits.take()
        if suppressed is None:
            return
        try:
            with self.db.session() as session:
                audit(session, "remote", "remote.refused", (cid or topic)[:200], self.terminal_id,
                      topic=str(topic)[:200], reason=reason, message=message[:200], suppressed_before=suppressed)
        except Exception:
            log.exception("remote: cannot audit a refused command")

    # ------------------------------------------------------------------------------ built-ins

    def _notice(self, args: dict[str, Any]) -> dict[str, Any]:
        """An urgent notice (紧急通知), stored like a pushed one; the kiosk hands it the whole screen."""
        from fleet.push import _Invalid, _item, store_pushed

        now = self.now()
        item = {"guid": str(args.get("guid") or f"remote-{uuid.uuid4()}"), "title_zh": args.get("title_zh"),
                "body": args.get("body", ""), "title_en": args.get("title_en", ""),
                "urgent": bool(args.get("urgent", True)), "pinned": bool(args.get("pinned", False)),
                "published_at": now.isoformat()}
        minutes = args.get("expires_minutes")
        if minutes is not None:
            if not isinstance(minutes, int | float) or not 0 < minutes <= 60 * 24 * 30:
                raise RemoteError("expires_minutes must be a number of minutes up to 30 days")
            item["expires_at"] = (now + timedelta(minutes=float(minutes))).isoformat()
        try:
            parsed = _item(item, None, now)
        except _Invalid as exc:
            raise RemoteError(f"notice: {exc}") from None
        new_ids, _, urgent = store_pushed(self.db, f"remote:{self.org}", "notice", [parsed])
        if urgent is not None:
            self.bus.publish(UrgentNotice(item_id=urgent[0], title=urgent[1]))
        return {"guid": item["guid"], "stored": bool(new_ids), "urgent": urgent is not None}


def _brief(args: dict[str, Any]) -> dict[str, Any]:
    """Arguments for the audit row, each cut short (a notice's body belongs in the content table)."""
    return {str(k)[:32]: (v if isinstance(v, bool | int | float) or v is None else str(v)[:80])
            for k, v in list(args.items())[:10]}


# ------------------------------------------------------------------------------------------- health

PACKAGES = ("pygame", "panda3d", "vosk", "faster-whisper", "face-recognition", "dlib-bin",
            ("opencv-python-headless", "opencv-python"), "pyttsx3", "paho-mqtt", "SQLAlchemy", "transformers", "torch")
"""Distributions reported by ``health``; a tuple lists alternatives (the first installed one is named)."""


def versions() -> dict[str, str]:
    """Python and the engines' versions (a package not installed says so)."""
    out = {"python": sys.version.split()[0]}
    for entry in PACKAGES:
        names = entry if isinstance(entry, tuple) else (entry,)
        for name in names:
            try:
                out[name] = metadata.version(name)
                break
            except metadata.PackageNotFoundError:
                continue
        else:
            out[names[0]] = "not installed"
    return out


def disk(path: Path) -> dict[str, Any]:
    """Free space where the data lives (a full disk stops sign-ins: the administrator must see it first)."""
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return {"path": str(path), "error": str(exc)}
    return {"path": str(path), "total_mb": round(usage.total / 2**20), "free_mb": round(usage.free / 2**20),
            "free_percent": round(100 * usage.free / usage.total, 1) if usage.total else 0.0}


def health_report(terminal: Any, parts: dict[str, Any], started: float | None = None) -> dict[str, Any]:
    """The ``health`` command's answer: identity, versions, disk, database, and the front end's ``parts``
    (sync, outbox, push, devices...), which it gathers because it owns those workers."""
    from core.outbox import outbox_status

    data_dir = Path(terminal.config.site.data_dir)
    report: dict[str, Any] = {"terminal": terminal.terminal_id, "org": terminal.config.fleet.org,
                              "time": terminal.now().isoformat(), "versions": versions(), "disk": disk(data_dir)}
    if started is not None:
        report["uptime_s"] = round(time.monotonic() - started, 1)
    try:
        with terminal.db.session() as session:
            report["outbox"] = outbox_status(session)
    except Exception as exc:
        report["outbox"] = {"error": f"{type(exc).__name__}: {exc}"}
    report.update(parts)
    return json.loads(json.dumps(report, default=str))  # JSON-able whatever the parts hold

"""``launcher.py remote``: command a terminal (or all of them) over the broker, and print the replies.

    launcher.py remote T-0001 health
    launcher.py remote T-0001 screenshot --out t1.png
    launcher.py remote '*' sync --wait 5
    launcher.py remote T-0001 notice --title "今晚停电检修" --body "..." --expires-minutes 120
    launcher.py remote T-0001 restart

Commands are signed with the administrator's Ed25519 key (``--key`` or ``fleet.signing_key``); the
terminals list its public key in ``fleet.admin_keys``. Heavy imports happen inside the handler.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def send_command(settings: Any, command: dict[str, Any], *, wait_s: float, expect_one: bool,
                 on_reply: Callable[[dict[str, Any]], None]) -> int:
    """Publish ``command`` and pass each matching reply to ``on_reply``; returns the number of replies.

    Listens before publishing, so a fast terminal's answer is not missed. Raises PushError when the
    broker cannot be reached or does not acknowledge.
    """
    import uuid

    from fleet.push import PushError, _client
    from fleet.push_transport import await_ready, published, start
    from fleet.remote import command_topic, reply_filter

    client = _client(settings, f"dangjian-admin-{uuid.uuid4().hex[:12]}", clean_session=True)
    ready = threading.Event()
    done = threading.Event()
    failures: list[str] = []
    count = [0]

    def on_connect(client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if getattr(reason_code, "is_failure", False):
            failures.append(str(reason_code))
            ready.set()
            return
        client.subscribe(reply_filter(command["org"]), qos=1)

    def on_subscribe(client: Any, userdata: Any, mid: Any, reason_codes: Any, properties: Any) -> None:
        ready.set()

    def on_message(client: Any, userdata: Any, message: Any) -> None:
        try:
            reply = json.loads(message.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return
        if isinstance(reply, dict) and reply.get("id") == command["id"]:
            count[0] += 1
            on_reply(reply)
            if expect_one:
                done.set()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    start(client, settings)
    try:
        await_ready(settings, ready, failures, 10)
        topic = command_topic(command["org"], command["terminal"])
        if not published(client.publish(topic, json.dumps(command, ensure_ascii=False).encode(), qos=1), 10):
            raise PushError("the broker did not acknowledge the command")
        done.wait(wait_s)
    finally:
        client.disconnect()
        client.loop_stop()
    return count[0]


def _args_for(args: argparse.Namespace) -> dict[str, Any]:
    if args.action == "notice":
        if not args.title:
            raise ValueError("notice needs --title")
        out: dict[str, Any] = {"title_zh": args.title, "body": args.body or "", "urgent": not args.not_urgent}
        if args.title_en:
            out["title_en"] = args.title_en
        if args.expires_minutes is not None:
            out["expires_minutes"] = args.expires_minutes
        return out
    if args.action == "screenshot" and args.max_width:
        return {"max_width": args.max_width}
    return {}


def _print_reply(reply: dict[str, Any], args: argparse.Namespace, many: bool) -> None:
    terminal = str(reply.get("terminal"))
    if not reply.get("ok"):
        print(f"{terminal}: FAILED: {reply.get('error')}")
        return
    result = reply.get("result") or {}
    if args.action == "screenshot" and isinstance(result.get("png_base64"), str):
        out = Path(args.out or "screenshot.png")
        if many:
            out = out.with_name(f"{out.stem}-{terminal}{out.suffix or '.png'}")
        out.write_bytes(base64.b64decode(result.pop("png_base64")))
        result["saved"] = str(out)
    if args.json:
        print(json.dumps(reply | {"result": result}, ensure_ascii=False))
    else:
        print(f"{terminal}: ok")
        print(json.dumps(result, ensure_ascii=False, indent=2))


def cmd_remote(args: argparse.Namespace) -> int:
    """Send one signed command; exit 0 when every expected terminal answered ok."""
    from core.config import load_config
    from fleet.push import PushError, PushSettings
    from fleet.remote import build_command
    from fleet.signing import KeyFileError, load_private_key

    config = load_config(args.config)
    settings = PushSettings.from_config(config)
    if args.host:
        settings = dataclasses.replace(settings, host=args.host, port=args.port or settings.port)
    if not settings.enabled:
        return _err("no broker: set fleet.mqtt.host in the configuration or give --host")
    key_path = args.key or config.fleet.signing_key
    if not key_path:
        return _err("remote commands must be signed: give the administrator's key with --key FILE "
                    "(or fleet.signing_key); make one with `launcher.py publish --make-key FILE`")
    try:
        private = load_private_key(key_path)
        command = build_command(args.action, org=config.fleet.org, terminal=args.terminal, args=_args_for(args),
                                issued_by=args.by, private_key=private)
    except (KeyFileError, ValueError) as exc:
        return _err(str(exc))
    many = args.terminal == "*"
    answers: list[dict[str, Any]] = []

    def on_reply(reply: dict[str, Any]) -> None:
        answers.append(reply)
        _print_reply(reply, args, many)

    wait = args.wait if args.wait is not None else (5.0 if many else 15.0)
    try:
        send_command(settings, command, wait_s=wait, expect_one=not many, on_reply=on_reply)
    except PushError as exc:
        return _err(str(exc))
    if not answers:
        return _err(f"no reply within {wait:g} s (terminal offline? the broker keeps the command for it, "
                    f"and it expires after the terminal's fleet.command_max_age_seconds)")
    if many:
        print(f"{len(answers)} terminal(s) answered", file=sys.stderr)
    return 0 if all(a.get("ok") for a in answers) else 1


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "remote": (cmd_remote, "command a terminal over MQTT: health, screenshot, sync, restart, notice (signed)"),
}


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    p.add_argument("terminal", help="the terminal's id (site.terminal_id), or '*' for every terminal")
    p.add_argument("action", choices=["health", "screenshot", "sync", "restart", "notice"], help="what to do")
    p.add_argument("--key", metavar="FILE", help="administrator's Ed25519 key (default fleet.signing_key)")
    p.add_argument("--by", default="admin", help="your name, written in the terminal's audit log")
    p.add_argument("--wait", type=float, help="seconds to wait for replies (default 15; 5 for '*')")
    p.add_argument("--out", metavar="PNG", help="screenshot: where to save it (default screenshot.png)")
    p.add_argument("--max-width", type=int, help="screenshot: scale down to this width")
    p.add_argument("--title", help="notice: title (Chinese)")
    p.add_argument("--title-en", help="notice: title (English)")
    p.add_argument("--body", help="notice: text")
    p.add_argument("--expires-minutes", type=float, help="notice: minutes until it stops being shown")
    p.add_argument("--not-urgent", action="store_true", help="notice: an ordinary notice, not a takeover")
    p.add_argument("--json", action="store_true", help="one JSON reply per line")
    p.add_argument("--host", help="broker host (default fleet.mqtt.host)")
    p.add_argument("--port", type=int, help="broker port (default fleet.mqtt.port)")

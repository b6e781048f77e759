"""Command-line tools for the fleet: ``sync`` (the outbox, and the roster pull and publish) and ``publish``
(push a news item or notice).

Why here: launcher.py stays the one entry point and imports only this light module; paho-mqtt and the
central database are touched inside the handlers. Wiring (in launcher.py), as for face_cli::

    from fleet import outbox_cli
    COMMANDS.update(outbox_cli.COMMANDS)
    ...                                      # in build_parser's loop over COMMANDS:
    elif name in outbox_cli.COMMANDS:
        outbox_cli.add_arguments(name, p)

Each handler takes the parsed ``argparse.Namespace`` (with ``config``) and returns an exit code.
"""

from __future__ import annotations

import argparse
import dataclasses
import html
import json
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _local(iso: str | None, tz: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if iso else "-"


# -------------------------------------------------------------------------------------------- sync


def cmd_sync(args: argparse.Namespace) -> int:
    """Show what the outbox holds and where the roster pull stands (offline); with --once send the outbox
    now, with --pull apply the central roster now, with --publish-roster publish this database's roster."""
    from core.config import load_config
    from core.db import Database
    from core.outbox import outbox_status
    from fleet.outbox_sender import OutboxSender, OutboxSettings
    from fleet.roster_sync import roster_status

    config = load_config(args.config)
    settings = OutboxSettings.from_config(config)
    central = args.central or settings.central_url
    db = Database(config.database_url)
    code = 0
    try:
        if (args.once or getattr(args, "pull", False) or getattr(args, "publish_roster", False)) and not central:
            return _err("no central database: set fleet.central_url in the configuration or give --central URL")
        if getattr(args, "publish_roster", False):
            code |= _publish_roster(args, config, db, central)
        if args.once:
            sender = OutboxSender(db, central, batch_size=settings.batch_size)
            try:
                done = sender.drain()
                if not done.batches and not done.error:  # nothing was pending: still prove the link works
                    done.error = _reach(sender)
            finally:
                sender.close()
            print(f"sent {done.inserted} new record(s) in {done.batches} batch(es); {done.already} were there "
                  f"already; {done.failed} skipped as malformed")
            if done.error:
                print(f"stopped: {done.error} (the rest stays pending and is retried)", file=sys.stderr)
                code = 1
        if getattr(args, "pull", False):
            code |= _pull_roster(args, config, db, central)
        with db.session() as s:
            status = outbox_status(s)
            status["roster"] = roster_status(s)
    finally:
        db.dispose()
    status["central"] = _safe(central) if central else None
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
        return code
    tz = ZoneInfo(config.site.timezone)
    print(f"central database: {status['central'] or 'not configured (records wait here until fleet.central_url is set)'}")
    kinds = ", ".join(f"{k} {n}" for k, n in status["pending_by_kind"].items() if n)
    line = f"pending: {status['pending']}"
    if status["pending"]:
        line += f" ({kinds}); oldest {_local(status['oldest_pending'], tz)}, tried {status['head_attempts']} time(s)"
    print(line)
    if status["last_error"]:
        print(f"last error: {status['last_error']} (at {_local(status['last_attempt'], tz)})")
    if status["failed"]:
        print(f"skipped as malformed: {status['failed']} (last: {status['last_failed_error']})")
    print(f"sent (kept {status['sent_kept']}): last {_local(status['last_sent'], tz)}")
    _print_roster(status["roster"], tz)
    return code


def _reach(sender: Any) -> str | None:
    """Open (and migrate) the central database; None when it answers, else why not. ``sync --once`` with
    nothing pending used to exit 0 without ever connecting, so a wrong URL went unnoticed."""
    from core.db import DatabaseError

    try:
        sender.central()
    except DatabaseError as exc:
        first = str(exc).splitlines()[0]
        reason = first.split(") ", 1)[1] if ") " in first else first  # the driver's own words, one line
        return f"cannot reach the central database: {reason}"
    return None


def _print_roster(r: dict[str, Any], tz: ZoneInfo) -> None:
    line = f"roster: revision {r['revision']}"
    line += f" (applied {_local(r['applied_at'], tz)})" if r["applied_at"] else " (nothing pulled yet)"
    line += f"; last pull {_local(r['last_pull_at'], tz)}"
    if r["last_pull_at"]:
        line += f" failed: {r['last_error']}" if r["last_error"] else " ok"
    print(line)
    if r["skipped_total"]:
        print(f"roster rows skipped: {r['skipped_total']} (last: {r['skipped_recent'][-1]})")


def _publish_roster(args: argparse.Namespace, config: Any, db: Any, central: str) -> int:
    """Publish this (the master) database's roster to the central log; prints the counts."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.db import Database, DatabaseError
    from core.facecrypt import FaceCipher, FaceKeyError, key_file_for, load_key
    from fleet.roster_sync import publish_roster, roster_central_url
    from fleet.signing import KeyFileError, Verifier, load_private_key

    private = None
    key_path = args.key or config.fleet.signing_key
    if key_path:
        try:
            private = load_private_key(key_path)
        except KeyFileError as exc:
            return _err(str(exc))
    elif Verifier.from_sources(config.fleet.admin_keys).required:
        return _err("terminals here check roster signatures (fleet.admin_keys): give the administrator's key "
                    "with --key FILE (or fleet.signing_key)")
    cipher, key_error = None, None
    try:
        cipher = FaceCipher(load_key(key_file_for(config)))
    except FaceKeyError as exc:
        key_error = str(exc)
    try:
        central_db = Database(roster_central_url(central))
    except DatabaseError as exc:
        return _err(str(exc))
    try:
        result = publish_roster(db, central_db, cipher, compact=args.compact, key_error=key_error,
                                private_key=private)
    except FaceKeyError as exc:
        return _err(f"cannot read this database's face templates (nothing published): {exc}")
    except SQLAlchemyError as exc:
        return _err(f"publishing the roster failed (nothing published): {str(exc).splitlines()[0]}")
    finally:
        central_db.dispose()
    from fleet.signing import key_id

    signed = f"signed with key {key_id(private.public_key())}" if private is not None else "unsigned"
    print(f"{result.summary()} ({signed})")
    if result.faces_withheld:
        print(f"warning: face templates of {result.faces_withheld} member(s) not published: "
              f"{result.faces_withheld_reason}", file=sys.stderr)
    return 0


def _pull_roster(args: argparse.Namespace, config: Any, db: Any, central: str) -> int:
    """Apply the central roster log to this database now; prints the counts; 1 if it stopped on an error."""
    from core.facecrypt import key_file_for, load_key
    from fleet.roster_sync import RosterPuller, RosterSettings

    settings = RosterSettings.from_config(config)
    key_path = key_file_for(config)
    from fleet.signing import Verifier

    puller = RosterPuller(db, central, key_loader=lambda: load_key(key_path), faces=settings.faces,
                          terminal_id=config.site.terminal_id,
                          verifier=Verifier.from_sources(config.fleet.admin_keys))
    try:
        result = puller.pull_once(full=args.full)
    finally:
        puller.close()
    print(result.summary())
    for reason in result.reasons[:10]:
        print(f"  skipped {reason}")
    if len(result.reasons) > 10:
        print(f"  … and {len(result.reasons) - 10} more skipped")
    for note in result.notes[:10]:
        print(f"  note: {note}")
    if result.error:
        print(f"stopped: {result.error} (the rest is pulled at the next try)", file=sys.stderr)
        return 1
    return 0


# ----------------------------------------------------------------------------------------- publish


def _item_from_args(args: argparse.Namespace, tz: ZoneInfo) -> list[dict[str, Any]]:
    if args.json_file:
        data = json.loads(Path(args.json_file).read_text(encoding="utf-8"))
        return data if isinstance(data, list) else [data]
    body = args.body or ""
    if args.body_file:
        body = Path(args.body_file).read_text(encoding="utf-8")
    item: dict[str, Any] = {
        "guid": args.guid or f"push-{uuid.uuid4()}",
        "title_zh": args.title,
        "body": "".join(f"<p>{html.escape(p.strip())}</p>" for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()),
        "published_at": datetime.now(tz).isoformat(),
        "urgent": bool(args.urgent),
        "pinned": bool(args.pinned),
    }
    for key, value in (("title_en", args.title_en), ("link", args.link), ("category", args.category)):
        if value:
            item[key] = value
    if args.expires:
        when = datetime.fromisoformat(args.expires)
        item["expires_at"] = (when if when.tzinfo else when.replace(tzinfo=tz)).isoformat()
    return [item]


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish a news item or notice to every terminal of the organisation (or one branch) over MQTT."""
    from core.config import load_config
    from fleet.push import PushError, PushSettings, publish_item
    from fleet.signing import (
        KeyFileError,
        Verifier,
        generate_private_key,
        key_id,
        load_private_key,
        save_keypair,
    )

    if args.make_key:
        try:
            private, public = save_keypair(generate_private_key(), args.make_key)
        except KeyFileError as exc:
            return _err(str(exc))
        kid = key_id(load_private_key(private).public_key())
        print(f"signing key: {private} (mode 0600, keep it on this machine)\npublic key:  {public} (key id {kid}; "
              "copy it to the terminals and list it in fleet.public_keys)")
        return 0
    config = load_config(args.config)
    settings = PushSettings.from_config(config)
    if args.host:
        settings = dataclasses.replace(settings, host=args.host, port=args.port or settings.port)
    if not settings.enabled:
        return _err("no broker: set fleet.mqtt.host in the configuration or give --host")
    if not args.title and not args.json_file:
        return _err("publish needs --title (or --json FILE)")
    key_path = args.key or config.fleet.signing_key
    private = None
    if key_path:
        try:
            private = load_private_key(key_path)
        except KeyFileError as exc:
            return _err(str(exc))
    elif Verifier.from_config(config).required:
        return _err("terminals here check signatures (fleet.public_keys): give the signing key with --key FILE")
    try:
        items = _item_from_args(args, ZoneInfo(config.site.timezone))
    except (OSError, ValueError) as exc:
        return _err(f"cannot read the item: {exc}")
    try:
        topic = publish_item(settings, items, kind=args.kind, branch=args.branch, private_key=private,
                             retain=args.retain)
    except (PushError, ValueError) as exc:
        return _err(str(exc))
    signed = f"signed with key {key_id(private.public_key())}" if private else "unsigned"
    print(f"published {len(items)} item(s) to {topic} ({signed})")
    return 0


# -------------------------------------------------------------------------------------------- wiring

COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "sync": (cmd_sync, "show or send the outbox of sign-ins and quiz results; pull or publish the roster"),
    "publish": (cmd_publish, "push a news item or notice to the terminals over MQTT (signed with Ed25519)"),
}


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    """Add the options of command ``name`` to its sub-parser ``p``."""
    if name == "sync":
        p.add_argument("--status", action="store_true", help="show what is pending (the default; works offline)")
        p.add_argument("--once", action="store_true", help="send everything pending now, then show the status")
        p.add_argument("--pull", action="store_true",
                       help="apply the branches, members, meetings and face templates published centrally, now")
        p.add_argument("--full", action="store_true", help="with --pull: replay the whole roster log from the start")
        p.add_argument("--publish-roster", action="store_true",
                       help="administrator's workstation: publish this database's roster to the central log")
        p.add_argument("--compact", action="store_true",
                       help="with --publish-roster: also drop superseded rows from the central log")
        p.add_argument("--central", metavar="URL", help="central PostgreSQL URL (default fleet.central_url)")
        p.add_argument("--key", metavar="FILE",
                       help="with --publish-roster: sign the rows with this Ed25519 key (default fleet.signing_key)")
        p.add_argument("--json", action="store_true", help="machine-readable status")
    elif name == "publish":
        p.add_argument("--title", help="title (Chinese)")
        p.add_argument("--title-en", help="title (English)")
        p.add_argument("--body", help="text; paragraphs separated by a blank line")
        p.add_argument("--body-file", metavar="FILE", help="read the text from a UTF-8 file")
        p.add_argument("--json", dest="json_file", metavar="FILE", help="an item (or a list) as JSON instead")
        p.add_argument("--kind", choices=["news", "notice"], default="news")
        p.add_argument("--branch", metavar="CODE", help="only this branch's terminals")
        p.add_argument("--urgent", action="store_true", help="an urgent notice (紧急通知) takes the whole screen")
        p.add_argument("--pinned", action="store_true", help="keep it at the top of its list")
        p.add_argument("--expires", metavar="TIME", help="local time it stops being shown, YYYY-MM-DD HH:MM")
        p.add_argument("--guid", help="identifier (default a new UUID); the same guid updates an item")
        p.add_argument("--link", help="link shown with the item")
        p.add_argument("--category", help="category label")
        p.add_argument("--key", metavar="FILE", help="Ed25519 signing key (default fleet.signing_key)")
        p.add_argument("--make-key", metavar="FILE", help="create a signing key pair (FILE and FILE.pub) and stop")
        p.add_argument("--host", help="broker host (default fleet.mqtt.host)")
        p.add_argument("--port", type=int, help="broker port (default fleet.mqtt.port)")
        p.add_argument("--retain", action="store_true", help="the broker keeps it for terminals that connect later")

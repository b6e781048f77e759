"""Command-line tools for face sign-in and meetings: ``enroll``, ``members``, ``face-check``, ``meetings``,
``report`` (the last two live in :mod:`robot_assistant.meetings_cli` and are wired through this table).

Why a separate module: launcher.py stays the one entry point and imports only this light module;
OpenCV and dlib are imported inside the handlers that need them. Wiring (in launcher.py)::

    from robot_assistant import face_cli
    COMMANDS.update(face_cli.COMMANDS)
    ...                                      # in build_parser's loop over COMMANDS:
    elif name in face_cli.COMMANDS:
        face_cli.add_arguments(name, p)

Each handler takes the parsed ``argparse.Namespace`` (with ``config``) and returns an exit code.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# the shared helpers and the meetings commands, importable from here as before
from robot_assistant.cli_support import _actor, _bad, _err, _face_settings, _terminal
from robot_assistant.meetings_cli import _day, _local, cmd_meetings, cmd_report  # noqa: F401

# ------------------------------------------------------------------------------------------ enroll


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol members' faces from a folder (one sub-folder per member number) or a CSV. Exit 0 only when
    every member named in the source was enrolled; 2 for a source or consent that cannot be used (checked
    before the face engine loads); 1 when any member failed (each with its reason, and a count)."""
    from robot_assistant.face.engine import FaceEngineUnavailable
    from robot_assistant.face.enroll import EnrollError, collect_sources
    from robot_assistant.face.templates import FaceKeyError, load_key

    terminal = _terminal(args)
    settings = _face_settings(terminal)
    if args.make_key:
        _make_key(settings)
        if not args.source:
            return 0
    if not args.source:
        return _bad("name a folder of member folders or a CSV file (or --make-key)")
    consent = args.consent or settings.consent_version
    if not (consent or "").strip():
        return _bad("a consent text version is required: enrol only members who signed the consent form, and "
                    "name its version (--consent VERSION or face.consent_version)")
    try:
        sources = collect_sources(Path(args.source))
    except EnrollError as exc:
        return _bad(str(exc))
    if not sources:
        return _bad(f"{args.source}: names no member (a folder needs one sub-folder per member number, a CSV "
                    "rows of member_number,photo)")
    try:
        enroller = _enroller(args, settings, load_key(settings.key_file))
    except (FaceKeyError, FaceEngineUnavailable) as exc:
        return _err(str(exc))
    bar, progress = _progress_bar(sum(map(len, sources.values())))
    try:
        with terminal.db.session() as session:
            report = enroller.enroll(session, sources, consent_version=consent, actor=_actor(args),
                                     terminal_id=terminal.terminal_id, replace=not args.add,
                                     allow_duplicates=args.allow_duplicates, progress=progress)
    except (EnrollError, FaceEngineUnavailable, FaceKeyError) as exc:
        bar.close()
        return _err(str(exc))
    bar.close()
    return _enroll_outcome(report)


def _make_key(settings: Any) -> None:
    """``enroll --make-key``: create the face key file unless there is one (never replace a key: the
    templates it encrypted would become unreadable)."""
    from robot_assistant.face.templates import create_key_file

    if settings.key_file.exists():
        print(f"key file {settings.key_file} already exists: keeping it")
    else:
        print(f"created face key {create_key_file(settings.key_file)} (mode 0600) — back it up: "
              f"without it the stored templates cannot be read")


def _enroller(args: argparse.Namespace, settings: Any, key: bytes) -> Any:
    """The configured engine, loaded (``FaceEngineUnavailable`` when it cannot be), behind an ``Enroller``
    with the site's quality, duplicate and consistency settings and the command's options."""
    from robot_assistant.face.engines import make_engine
    from robot_assistant.face.enroll import Enroller
    from robot_assistant.face.templates import TemplateCipher, TemplateStore

    engine = make_engine(settings.engine, settings.model_dir)
    engine.load()
    return Enroller(engine, TemplateStore(TemplateCipher(key), engine.template_model), settings.quality,
                    jitters=args.jitters or settings.enroll_jitters,
                    duplicate_tolerance=settings.duplicate_tolerance,
                    consistency_tolerance=settings.consistency_tolerance,
                    keep_photos=args.keep_photos or settings.keep_photos, aggregate=settings.aggregate)


def _progress_bar(photos: int) -> tuple[Any, Callable[[int, int, str], None]]:
    """A progress bar over ``photos`` and the enroller's ``progress`` callback that moves it."""
    from tqdm import tqdm

    # a progress bar on a terminal only: a log or a pipe gets the result lines, not carriage returns
    bar = tqdm(total=photos, desc="photos", unit="photo", file=sys.stderr, disable=not sys.stderr.isatty())

    def progress(done: int, total: int, what: str) -> None:
        bar.set_postfix_str(f"{Path(what).parent.name}/{Path(what).name}"[-40:], refresh=False)
        bar.update(done - bar.n)

    return bar, progress


def _enroll_outcome(report: Any) -> int:
    """Print each member's result and the counts; exit 1 naming the members not enrolled, by reason."""
    for line in report.lines():
        print(line)
    print(f"enrolled {len(report.enrolled)} of {len(report.members)} members; "
          f"{len(report.rejected())} photos rejected")
    failed = report.failed()
    if failed:
        by: dict[str, list[str]] = {}
        for m in failed:
            by.setdefault(m.status, []).append(m.number)
        return _err(f"{len(failed)} of {len(report.members)} members not enrolled — "
                    + "; ".join(f"{status}: {', '.join(numbers)}" for status, numbers in by.items())
                    + " (each member's reason is listed above)")
    return 0


# ----------------------------------------------------------------------------------------- members


def cmd_members(args: argparse.Namespace) -> int:
    """``members list`` shows face enrolment and consent; ``members erase NUMBER`` deletes face data."""
    from sqlalchemy import func, select

    from core.models import Consent, FaceTemplate, Member
    from robot_assistant.face.templates import FaceKeyError, TemplateCipher, TemplateStore, load_key

    terminal = _terminal(args)
    settings = _face_settings(terminal)
    if args.action == "list":
        from robot_assistant.face.engines import make_engine
        from robot_assistant.face.enroll import NEEDS_PHOTOS, REENCODABLE, engine_status

        model = make_engine(settings.engine, settings.model_dir).template_model  # no model is loaded for this
        store = TemplateStore(TemplateCipher(b"\0" * 32), model)  # listing decrypts nothing
        words = {"ready": f"ready for {settings.engine}", REENCODABLE: "photos kept: re-encoded when face "
                 "sign-in starts (or members reencode)", NEEDS_PHOTOS: f"NEEDS NEW PHOTOS for {settings.engine} "
                 "(signs in by number + PIN until enrolled again)", "not_enrolled": "not enrolled"}
        with terminal.db.session() as s:
            counts = dict(s.execute(select(FaceTemplate.member_id, func.count()).group_by(FaceTemplate.member_id)).all())
            consents = {c.member_id: c for c in s.scalars(select(Consent).where(Consent.withdrawn_at.is_(None)))}
            status = {e.number: e for e in engine_status(s, store)}
            needs = []
            for m in s.scalars(select(Member).order_by(Member.number)):
                c = consents.get(m.id)
                state = "" if m.active else "\tinactive"
                e = status[m.number]
                if e.status == NEEDS_PHOTOS:
                    needs.append(m.number)
                print(f"{m.number}\t{m.name}\ttemplates {counts.get(m.id, 0)}\t"
                      f"consent {c.text_version if c else '-'}\t{words[e.status]}{state}")
        if needs:
            print(f"{len(needs)} member(s) need new photos for the {settings.engine} engine: {', '.join(needs)}")
        return 0
    if args.action == "reencode":
        return _reencode(args, terminal, settings)
    if args.action in ("set-pin", "reset-pin"):
        return _member_pin(args, terminal)

    if not args.number:
        return _bad("members erase needs a member NUMBER")
    if not args.yes:
        answer = input(f"Erase every face template and photo of member {args.number}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing erased")
            return 1
    try:
        cipher = TemplateCipher(load_key(settings.key_file))
    except FaceKeyError:
        cipher = TemplateCipher(b"\0" * 32)  # erasing needs no key: rows are deleted, not read
    with terminal.db.session() as s:
        member = s.scalars(select(Member).where(Member.number == args.number)).first()
        if member is None:
            return _bad(f"no member {args.number!r}: `members list` shows the member numbers")
        done = TemplateStore(cipher).erase_member(s, member, actor=_actor(args), terminal_id=terminal.terminal_id)
    print(f"erased member {done.member_number}: {done.templates} templates, {done.photos} photos; "
          f"consent withdrawn ({done.consents_withdrawn})")
    return 0


def _member_pin(args: argparse.Namespace, terminal: Any) -> int:
    """``members set-pin NUMBER``: give a member a PIN for the keypad fallback (a standalone site has no
    central roster to bring one); ``members reset-pin NUMBER``: remove it. Either clears the number's
    lockout and is audited; the PIN itself is only ever stored as a scrypt hash. Both go through
    :mod:`core.member_pins`, the service the kiosk's PIN panel uses, so both accept the same PINs."""
    from core.member_pins import check_new_pin, reset_member_pin, set_member_pin
    from core.secrets import MEMBER_PIN_MIN, PinError, check_pin_format

    if not args.number:
        return _bad(f"members {args.action} needs a member NUMBER")
    if args.action == "set-pin":
        pin = args.pin if args.pin is not None else getpass.getpass(f"PIN for {args.number} ({MEMBER_PIN_MIN}-12 digits): ")
        try:
            pin = check_pin_format(pin, MEMBER_PIN_MIN)
            if args.pin is None and check_pin_format(getpass.getpass("again: "), MEMBER_PIN_MIN) != pin:
                return _bad("the two PINs differ; nothing changed")
            pin = check_new_pin(pin)
        except PinError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        with terminal.db.session() as s:
            if set_member_pin(s, args.number, pin, actor=_actor(args), terminal_id=terminal.terminal_id) is None:
                return _bad(f"no member {args.number!r}: `members list` shows the member numbers")
        print(f"PIN set for {args.number}; wrong-PIN lockout cleared")
        return 0
    with terminal.db.session() as s:
        if reset_member_pin(s, args.number, actor=_actor(args), terminal_id=terminal.terminal_id) is None:
            return _bad(f"no member {args.number!r}: `members list` shows the member numbers")
    print(f"PIN removed for {args.number}; wrong-PIN lockout cleared")
    return 0


def _reencode(args: argparse.Namespace, terminal: Any, settings: Any) -> int:
    """Make the configured engine's templates from kept enrolment photos (after an engine switch)."""
    from robot_assistant.face.engine import FaceEngineUnavailable
    from robot_assistant.face.engines import make_engine
    from robot_assistant.face.enroll import Enroller, reencode_from_photos
    from robot_assistant.face.templates import FaceKeyError, TemplateCipher, TemplateStore, load_key

    try:
        engine = make_engine(settings.engine, settings.model_dir).load()
        store = TemplateStore(TemplateCipher(load_key(settings.key_file)), engine.template_model)
    except (FaceEngineUnavailable, FaceKeyError) as exc:
        return _err(str(exc))
    enroller = Enroller(engine, store, settings.quality, jitters=settings.enroll_jitters, aggregate=settings.aggregate)
    with terminal.db.session() as s:
        done = reencode_from_photos(s, enroller, actor=_actor(args), terminal_id=terminal.terminal_id,
                                    numbers=[args.number] if args.number else None)
    for number, made in done.items():
        print(f"{number}: {made} templates for {settings.engine}" + ("" if made else " — no kept photo passed the "
                                                                       "quality checks: needs new photos"))
    print(f"re-encoded {sum(1 for v in done.values() if v)} member(s) from kept photos")
    failed = [n for n, made in done.items() if not made]
    if args.number and args.number not in done:
        print(f"error: member {args.number} has no kept enrolment photos to re-encode: enrol new photos "
              f"(launcher.py enroll FOLDER)", file=sys.stderr)
        return 1
    if failed:  # the command did not do what was asked for these members: say so in the exit code
        print(f"error: {len(failed)} member(s) still without {settings.engine} templates: {', '.join(failed)}",
              file=sys.stderr)
        return 1
    return 0


# -------------------------------------------------------------------------------------- face-check


def cmd_face_check(args: argparse.Namespace) -> int:
    """Leave-one-out open-set check of the site's face settings on a folder of its own photos."""
    import json
    import tempfile

    from core.config import ConfigError, load_config
    from robot_assistant.face.engine import FaceEngineUnavailable
    from robot_assistant.face.engines import make_engine
    from robot_assistant.face.facecheck import FaceCheckError, check, scan
    from robot_assistant.face.settings import FaceSettings

    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = FaceSettings.from_config(config, engine=args.engine)
    try:
        for d in args.dirs:
            scan(Path(d))
        engine = make_engine(settings.engine, settings.model_dir).load()
    except FaceCheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FaceEngineUnavailable as exc:
        return _err(str(exc))

    def progress(what: str) -> None:
        if not args.json:
            print(f"\rencoding {what}"[:100].ljust(100), end="", file=sys.stderr, flush=True)

    cache = Path(args.cache) if args.cache else Path(tempfile.gettempdir()) / "dangjian-face-check"
    report = check([Path(d) for d in args.dirs], engine, settings, cache_dir=cache, progress=progress)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\r".ljust(100), end="\r", file=sys.stderr)
        print("\n".join(report.lines()))
    return 0


# -------------------------------------------------------------------------------------------- wiring

COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "enroll": (cmd_enroll, "enrol members' faces from a folder or CSV (consent required; templates encrypted)"),
    "members": (cmd_members, "list members' face enrolment (who needs new photos), re-encode, erase face data, "
                             "set or reset a member's PIN"),
    "face-check": (cmd_face_check, "measure face sign-in on a folder of the site's photos (one sub-folder per "
                                   "person) before going live"),
    "meetings": (cmd_meetings, "create, list or close 三会一课 meetings"),
    "report": (cmd_report, "attendance per meeting and branch, to CSV or XLSX"),
}


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    """Add the options of command ``name`` to its sub-parser ``p``."""
    p.add_argument("--actor", help="who does this, for the audit log (default admin:<login name>)")
    if name == "enroll":
        p.add_argument("source", nargs="?", help="folder with one sub-folder per member number, or a CSV "
                                                 "(member_number,photo)")
        p.add_argument("--consent", metavar="VERSION", help="version of the consent form the members signed "
                                                            "(default face.consent_version)")
        p.add_argument("--jitters", type=int, help="encodings averaged per photo (default: the engine's, sface 2 = photo + mirror, "
                                                     "dlib 10 re-samples)")
        p.add_argument("--keep-photos", action="store_true", help="also keep the photos, encrypted")
        p.add_argument("--add", action="store_true", help="add to a member's templates instead of replacing them")
        p.add_argument("--allow-duplicates", action="store_true", help="enrol even when a face looks like another member's")
        p.add_argument("--make-key", action="store_true", help="create the face key file (mode 0600) if missing")
    elif name == "members":
        p.add_argument("action", choices=["list", "erase", "reencode", "set-pin", "reset-pin"])
        p.add_argument("number", nargs="?", help="member number (for erase, set-pin, reset-pin; optional for reencode)")
        p.add_argument("--pin", help="set-pin: the PIN (asked for twice, not echoed, when omitted; 6-12 digits)")
        p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    elif name == "face-check":
        p.add_argument("dirs", nargs="+", metavar="DIR", help="folder with one sub-folder of photos per person")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--engine", choices=["sface", "dlib"], help="engine to check (default face.engine)")
        p.add_argument("--cache", metavar="DIR", help="encoding cache (default: the system temp folder)")
    elif name == "meetings":
        p.add_argument("action", choices=["create", "list", "close"])
        p.add_argument("id", nargs="?", type=int, help="meeting id (for close)")
        p.add_argument("--type", help="支部党员大会 | 支委会 | 党小组会 | 党课")
        p.add_argument("--title", help="title (Chinese)")
        p.add_argument("--title-en", help="title (English)")
        p.add_argument("--branch", help="branch code")
        p.add_argument("--start", help="local start time, YYYY-MM-DD HH:MM (not more than 7 days ago)")
        p.add_argument("--end", help="local end time, YYYY-MM-DD HH:MM (or --minutes)")
        p.add_argument("--minutes", type=int, default=90, help="length when --end is not given (default 90, "
                                                                "at most 720 = 12 hours)")
        p.add_argument("--place", help="place (Chinese)")
        p.add_argument("--roster", help="comma-separated member numbers (default: the branch's active members)")
        p.add_argument("--all", action="store_true", help="list past and closed meetings too")
    elif name == "report":
        p.add_argument("--meeting", type=int, action="append", help="meeting id (repeatable)")
        p.add_argument("--branch", help="branch code")
        p.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        p.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")
        p.add_argument("--out", help="a .csv (details, plus _summary.csv) or .xlsx file")


def validate(name: str, args: argparse.Namespace) -> str | None:
    """A usage problem argparse cannot see, or None."""
    if name == "meetings" and args.action == "create":
        missing = [o for o in ("type", "title", "branch", "start") if not getattr(args, o)]
        if missing:
            return "meetings create needs " + ", ".join(f"--{m}" for m in missing)
    if name == "meetings" and args.action == "close" and args.id is None:
        return "meetings close needs a meeting id"
    return None


def _checked(name: str, handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        problem = validate(name, args)
        return _bad(problem) if problem else handler(args)

    run.__doc__ = handler.__doc__
    return run


COMMANDS = {name: (_checked(name, handler), text) for name, (handler, text) in COMMANDS.items()}

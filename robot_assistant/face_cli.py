"""Command-line tools for face sign-in and meetings: ``enroll``, ``members``, ``face-check``, ``meetings``,
``report``.

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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any


def _terminal(args: argparse.Namespace) -> Any:
    from core.config import load_config
    from core.terminal import open_terminal

    terminal, _ = open_terminal(load_config(args.config))
    return terminal


def _actor(args: argparse.Namespace) -> str:
    return args.actor or f"admin:{getpass.getuser()}"


def _err(message: str) -> int:
    """A runtime failure: one line on stderr, exit 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def _bad(message: str) -> int:
    """A bad input (an option, a file, a number that does not exist): one line on stderr, exit 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _face_settings(terminal: Any) -> Any:
    from robot_assistant.face.settings import FaceSettings

    return FaceSettings.from_config(terminal.config)


# ------------------------------------------------------------------------------------------ enroll


def cmd_enroll(args: argparse.Namespace) -> int:
    """Enrol members' faces from a folder (one sub-folder per member number) or a CSV. Exit 0 only when
    every member named in the source was enrolled; 2 for a source or consent that cannot be used (checked
    before the face engine loads); 1 when any member failed (each with its reason, and a count)."""
    from robot_assistant.face.templates import (
        FaceKeyError,
        TemplateCipher,
        TemplateStore,
        create_key_file,
        load_key,
    )

    terminal = _terminal(args)
    settings = _face_settings(terminal)
    if args.make_key:
        if settings.key_file.exists():
            print(f"key file {settings.key_file} already exists: keeping it")
        else:
            print(f"created face key {create_key_file(settings.key_file)} (mode 0600) — back it up: "
                  f"without it the stored templates cannot be read")
        if not args.source:
            return 0
    if not args.source:
        return _bad("name a folder of member folders or a CSV file (or --make-key)")
    consent = args.consent or settings.consent_version
    from robot_assistant.face.enroll import EnrollError, collect_sources

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
        key = load_key(settings.key_file)
    except FaceKeyError as exc:
        return _err(str(exc))
    from robot_assistant.face.engine import FaceEngineUnavailable
    from robot_assistant.face.engines import make_engine
    from robot_assistant.face.enroll import Enroller

    engine = make_engine(settings.engine, settings.model_dir)
    try:
        engine.load()
    except FaceEngineUnavailable as exc:
        return _err(str(exc))
    enroller = Enroller(engine, TemplateStore(TemplateCipher(key), engine.template_model), settings.quality,
                        jitters=args.jitters or settings.enroll_jitters,
                        duplicate_tolerance=settings.duplicate_tolerance,
                        consistency_tolerance=settings.consistency_tolerance,
                        keep_photos=args.keep_photos or settings.keep_photos, aggregate=settings.aggregate)

    from tqdm import tqdm

    # a progress bar on a terminal only: a log or a pipe gets the result lines, not carriage returns
    bar = tqdm(total=sum(map(len, sources.values())), desc="photos", unit="photo", file=sys.stderr,
               disable=not sys.stderr.isatty())

    def progress(done: int, total: int, what: str) -> None:
        bar.set_postfix_str(f"{Path(what).parent.name}/{Path(what).name}"[-40:], refresh=False)
        bar.update(done - bar.n)

    try:
        with terminal.db.session() as session:
            report = enroller.enroll(session, sources, consent_version=consent, actor=_actor(args),
                                     terminal_id=terminal.terminal_id, replace=not args.add,
                                     allow_duplicates=args.allow_duplicates, progress=progress)
    except (EnrollError, FaceEngineUnavailable, FaceKeyError) as exc:
        bar.close()
        return _err(str(exc))
    bar.close()
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
    lockout and is audited; the PIN itself is only ever stored as a scrypt hash."""
    from sqlalchemy import select

    from core.audit import audit
    from core.models import Member
    from core.secrets import MEMBER_PIN, MEMBER_PIN_MIN, Lockout, PinError, check_pin_format, hash_pin

    if not args.number:
        return _bad(f"members {args.action} needs a member NUMBER")
    new_hash = None
    if args.action == "set-pin":
        pin = args.pin if args.pin is not None else getpass.getpass(f"PIN for {args.number} ({MEMBER_PIN_MIN}-12 digits): ")
        try:
            pin = check_pin_format(pin, MEMBER_PIN_MIN)
            if args.pin is None and check_pin_format(getpass.getpass("again: "), MEMBER_PIN_MIN) != pin:
                return _bad("the two PINs differ; nothing changed")
            if len(set(pin)) == 1 or pin in "01234567890" or pin in "09876543210":
                raise PinError("PIN 过于简单（如 111111、123456） / too easy to guess (like 111111 or 123456)")
            new_hash = hash_pin(pin, MEMBER_PIN_MIN)
        except PinError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    with terminal.db.session() as s:
        member = s.scalars(select(Member).where(Member.number == args.number)).first()
        if member is None:
            return _bad(f"no member {args.number!r}: `members list` shows the member numbers")
        member.pin_hash = new_hash
        Lockout(f"pin:{member.number}", MEMBER_PIN).clear(s)
        audit(s, _actor(args), "member.pin_set" if new_hash else "member.pin_reset", f"member:{member.number}",
              terminal.terminal_id)
    print(f"{'PIN set' if new_hash else 'PIN removed'} for {args.number}; wrong-PIN lockout cleared")
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


# ---------------------------------------------------------------------------------------- meetings


def _local(text: str, tz: Any, option: str = "--start") -> datetime:
    """A local date and time as the meetings options take it; ``ValueError`` names the option."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"{option}: cannot read {text!r} as a time: write YYYY-MM-DD HH:MM, e.g. 2030-06-01 09:00")


def _day(text: str, tz: Any, option: str) -> datetime:
    """A day for the report's --from/--to (local midnight); ``ValueError`` says the form it takes."""
    for fmt in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"{option}: cannot read {text!r} as a day: write YYYY-MM-DD, e.g. 2026-11-01")


def cmd_meetings(args: argparse.Namespace) -> int:
    """``meetings create|list|close``."""
    from sqlalchemy import select

    from core.meetings import MAX_MINUTES, MeetingError, close_meeting, create_meeting, upcoming
    from core.models import Meeting

    terminal = _terminal(args)
    tz = terminal.tz
    with terminal.db.session() as s:
        if args.action == "create":
            try:
                if not 1 <= args.minutes <= MAX_MINUTES:
                    raise MeetingError(f"--minutes {args.minutes}: a meeting lasts 1 to {MAX_MINUTES} minutes "
                                       f"({MAX_MINUTES // 60} hours); for a longer event create one meeting a day")
                start = _local(args.start, tz, "--start")
                end = _local(args.end, tz, "--end") if args.end else start + timedelta(minutes=args.minutes)
                roster = [r.strip() for r in args.roster.split(",") if r.strip()] if args.roster else None
                m = create_meeting(s, type=args.type, title_zh=args.title, title_en=args.title_en or "",
                                   branch_code=args.branch, starts_at=start, ends_at=end, place_zh=args.place or "",
                                   roster=roster, actor=_actor(args), now=terminal.now())
            except (MeetingError, ValueError) as exc:
                return _bad(str(exc))
            print(f"created meeting {m.id}: {m.type} {m.title_zh} {start:%Y-%m-%d %H:%M}–{end:%H:%M} "
                  f"({len(m.roster)} on the roster)")
            return 0
        if args.action == "close":
            meeting = s.get(Meeting, args.id) if args.id is not None else None
            if meeting is None:
                return _bad(f"no meeting {args.id}: `meetings list --all` shows every meeting's id")
            close_meeting(s, meeting, _actor(args))
            print(f"closed meeting {meeting.id}")
            return 0
        rows = (list(s.scalars(select(Meeting).order_by(Meeting.starts_at))) if args.all
                else upcoming(s, terminal.now(), limit=100))
        for m in rows:
            state = "closed" if m.closed else ""
            print(f"{m.id}\t{m.starts_at.astimezone(tz):%Y-%m-%d %H:%M}\t{m.type}\t{m.branch.code}\t{m.title_zh}\t{state}")
        if not rows:
            print("no meetings" if args.all else "no upcoming meetings (--all lists every meeting)")
    return 0


# ------------------------------------------------------------------------------------------ report


def cmd_report(args: argparse.Namespace) -> int:
    """Attendance per meeting and per branch, to CSV or XLSX."""
    from robot_assistant.face.reports import ReportError, build_report, export_csv, export_xlsx

    def refuse(message: str) -> int:
        print(f"error: {message}", file=sys.stderr)
        return 2

    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        return refuse(f"输出文件须为 .csv 或 .xlsx / --out must end in .csv or .xlsx (got {out.name!r})")
    if out is not None:
        folder = out.parent if str(out.parent) else Path(".")
        if not folder.is_dir():
            return refuse(f"--out: 文件夹 {folder} 不存在 / the folder {folder} does not exist: create it first or "
                          "name a file in an existing folder")
        if out.is_dir():
            return refuse(f"--out: {out} is a folder: name a .csv or .xlsx file")
    terminal = _terminal(args)
    tz = terminal.tz
    try:
        start = _day(args.date_from, tz, "--from") if args.date_from else None
        end = _day(args.date_to, tz, "--to") + timedelta(days=1) if args.date_to else None
    except ValueError as exc:
        return refuse(str(exc))
    try:
        with terminal.db.session() as s:
            report = build_report(s, tz, meeting_ids=args.meeting or None, branch_code=args.branch, start=start,
                                  end=end, now=terminal.now())
    except ReportError as exc:
        return refuse(str(exc))
    for m in report.meetings:
        print(f"{m.meeting_id}\t{m.starts_at}\t{m.branch_code}\t{m.meeting_type}\t{m.state_zh}\t应到 {m.expected}\t"
              f"实到 {m.present}\t迟到 {m.late}\t缺席 {m.absent}\t列席 {m.extra}\t出席率 {m.attendance_rate:.0%}")
    for b in report.branches:
        print(f"{b.branch_code}\t{b.branch_name}\t会议 {b.meetings}\t应到 {b.expected}\t实到 {b.present}\t"
              f"出席率 {b.attendance_rate:.1%}")
    if out is not None:
        try:
            written = [export_xlsx(report, out)] if out.suffix.lower() == ".xlsx" else export_csv(report, out)
        except OSError as exc:
            return _err(f"--out: cannot write {out} ({exc.strerror or exc})")
        for p in written:
            print(f"wrote {p}")
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

#!/usr/bin/env python3
"""智慧党建终端 — the one entry point.

    launcher.py [--config FILE] [COMMAND] [options]

With no command the kiosk starts. Every command reads the same configuration (the embedded
config.yaml, then --config FILE, then DANGJIAN__* environment variables); a configuration mistake
stops with exit code 2 and a ``file:line: key: problem`` message.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from core.config import ConfigError, load_config
from core.db import DatabaseError
from core.yamlfile import YamlFileError

EXIT_CONFIG = 2
log = logging.getLogger("launcher")


def cmd_doctor(args: argparse.Namespace) -> int:
    from core.doctor import format_table, kiosk_can_run, run_doctor, to_json
    from robot_assistant.doctor_checks import engine_checks

    config = load_config(args.config)
    checks = run_doctor(config, devices=not args.no_devices, engines=engine_checks)
    print(to_json(checks) if args.json else format_table(checks))
    can_run = kiosk_can_run(checks)
    if not args.json:
        print("\nThe kiosk can run." if can_run else "\nThe kiosk cannot run: fix the MISSING items marked above.")
    return 0 if can_run else 1


def cmd_init(args: argparse.Namespace) -> int:
    """Create the data folder, migrate the database and load the site folder (idempotent)."""
    from core.terminal import open_terminal

    config = load_config(args.config)
    if args.site:
        config.content.demo_site = Path(args.site).resolve()
    terminal, report = open_terminal(config)
    print(f"database: {terminal.db.engine.url.render_as_string(hide_password=True)} (up to date)")
    if report is None:
        print("no site folder configured (content.demo_site is empty)")
    elif report.loaded:
        print("site loaded: " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
    else:
        print("site already loaded earlier: nothing changed")
    return 0


def cmd_pin_hash(args: argparse.Namespace) -> int:
    """Print a scrypt hash of a PIN for kiosk.admin_pin_hash (the PIN itself is never stored)."""
    from core.secrets import hash_pin

    pin = args.pin if args.pin is not None else getpass.getpass("PIN (4-12 digits): ")
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_kiosk(args: argparse.Namespace) -> int:
    """Run the touch kiosk (the default command). With no display, say how to see it instead."""
    config = load_config(args.config)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and \
            os.environ.get("SDL_VIDEODRIVER") not in ("kmsdrm", "fbcon", "directfb", "dummy"):
        print("No display found (DISPLAY is not set). To see the kiosk on this machine, render its screens:\n"
              "  launcher.py screenshot kiosk --all --out data/screenshots\n"
              "or run it under a virtual display: xvfb-run -s '-screen 0 1920x1080x24' launcher.py kiosk",
              file=sys.stderr)
        return 1
    from kiosk.app import run_kiosk

    return run_kiosk(config, windowed=args.windowed)


def cmd_screenshot(args: argparse.Namespace) -> int:
    """Render screens headless to PNG files."""
    config = load_config(args.config)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"error: --size must look like 1920x1080, got {args.size!r}", file=sys.stderr)
        return 2
    if not (320 <= width <= 8192 and 320 <= height <= 8192):  # 99999x99999 ran pygame out of memory
        print(f"error: --size must be between 320x320 and 8192x8192 pixels, got {args.size!r}", file=sys.stderr)
        return 2
    if args.target == "hall":
        import vr_hall

        out = Path(args.out)
        if out.suffix != ".png":
            out = out / f"hall-{args.view.replace(':', '-')}-{width}x{height}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            print(vr_hall.render_view(config.hall.scene, args.view, (width, height), out, stereo=args.stereo,
                                      language=args.lang or config.site.language))
        except ValueError as exc:  # an unknown view, exhibit or tour stop: say which exist
            print(f"error: --view: {exc}", file=sys.stderr)
            return 2
        return 0
    from kiosk.app import screen_names, screenshot

    known = screen_names(config)
    if args.all:
        names = known
    elif args.screen:
        names = [args.screen]
    else:
        names = ["home"]
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"error: unknown screen {unknown[0]!r}; screens: {', '.join(known)}", file=sys.stderr)
        return 2
    out = Path(args.out)
    sizes = [(width, height)] if not args.all else [(width, height), (height, width)]
    written = []
    from tqdm import tqdm

    # --all renders ~40 screens (tens of seconds): a progress bar on stderr, the file names on stdout
    with tqdm(total=len(names) * len(sizes), desc="screens", unit="png", file=sys.stderr,
              disable=len(names) * len(sizes) < 4) as bar:
        for size in sizes:
            written += screenshot(config, names, size, out, lang=args.lang, progress=lambda _p: bar.update())
    for path in written:
        print(path)
    return 0


def cmd_hall(args: argparse.Namespace) -> int:
    """The VR exhibition hall on its own (the kiosk opens it from its 展厅 tile)."""
    config = load_config(args.config)
    import vr_hall

    if args.check_scene:
        return vr_hall.check_scene(args.check_scene)
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"error: --size must look like 1280x720, got {args.size!r}", file=sys.stderr)
        return 2
    return vr_hall.run_hall(config.hall.scene, goto=args.goto, windowed=not args.fullscreen,
                            size=(width, height), stereo=args.stereo)


def cmd_assistant(args: argparse.Namespace) -> int:
    """One exchange with the assistant: a typed question or a WAV recording."""
    from robot_assistant.cli import run

    return run(load_config(args.config), args)


def cmd_web(args: argparse.Namespace) -> int:
    """The members' web app (党员移动端, docs/mobile.md); nothing listens unless this command runs."""
    config = load_config(args.config)
    from web.server import serve

    try:
        return serve(config, host=args.host, port=args.port)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"error: cannot listen on {args.host or config.web.host}:{args.port or config.web.port}: {exc}",
              file=sys.stderr)
        return 1


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "kiosk": (cmd_kiosk, "run the full-screen touch kiosk (the default)"),
    "screenshot": (cmd_screenshot, "render kiosk screens or hall views headless to PNG files"),
    "hall": (cmd_hall, "walk the VR exhibition hall (Panda3D) on its own"),
    "assistant": (cmd_assistant, "ask the assistant once: --text \"...\" or --wav FILE"),
    "doctor": (cmd_doctor, "check dependencies, fonts, models, devices, database and content"),
    "init": (cmd_init, "create the data folder, migrate the database and load the site content"),
    "pin-hash": (cmd_pin_hash, "hash a PIN for kiosk.admin_pin_hash in the configuration"),
    "web": (cmd_web, "serve the members' web app for phones (log in, learning, QR meeting sign-in)"),
}


def _face_commands() -> None:
    """enroll, members, meetings and report live beside the face code; their module imports nothing heavy."""
    from robot_assistant import face_cli

    COMMANDS.update(face_cli.COMMANDS)
    from fleet import outbox_cli

    COMMANDS.update(outbox_cli.COMMANDS)
    from fleet import remote_cli

    COMMANDS.update(remote_cli.COMMANDS)
    from core import content_cli

    COMMANDS.update(content_cli.COMMANDS)


_face_commands()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="launcher.py", description="智慧党建终端: touch kiosk, VR exhibition hall and robot assistant.")
    parser.add_argument("--config", metavar="FILE", default=os.environ.get("DANGJIAN_CONFIG"),
                        help="site configuration over the embedded config.yaml (or $DANGJIAN_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == "doctor":
            p.add_argument("--json", action="store_true", help="machine-readable output")
            p.add_argument("--no-devices", action="store_true", help="skip camera/microphone/speaker probes")
        elif name == "init":
            p.add_argument("--site", metavar="FOLDER", help="load this site folder instead of content.demo_site")
        elif name == "kiosk":
            p.add_argument("--windowed", action="store_true", help="a 1280x720 window instead of full screen")
        elif name == "screenshot":
            p.add_argument("target", choices=["kiosk", "hall"], help="what to render")
            p.add_argument("--view", default="spawn", help="hall: spawn | exhibit:ID | tour:N | minimap | assistant[:VIEW] | loading")
            p.add_argument("--stereo", action="store_true", help="hall: side-by-side stereo")
            p.add_argument("--screen", metavar="NAME", help="the screen to render (default: home)")
            p.add_argument("--all", action="store_true", help="every screen, landscape and portrait")
            p.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT (default 1920x1080)")
            p.add_argument("--lang", choices=["zh", "en"], help="interface language")
            p.add_argument("--out", default="data/screenshots", help="a .png file, or a folder with --all")
        elif name == "hall":
            p.add_argument("--goto", metavar="ID", help="walk to this exhibit or room first")
            p.add_argument("--size", default="1280x720", help="window size WIDTHxHEIGHT")
            p.add_argument("--fullscreen", action="store_true", help="full screen instead of a window")
            p.add_argument("--stereo", action="store_true", help="side-by-side stereo (3D displays, headsets)")
            p.add_argument("--check-scene", metavar="FILE",
                           help="check a scene file and every exhibit model in it (triangles, textures, size, "
                                "problems); exit 2 when any cannot be loaded")
        elif name == "assistant":
            from robot_assistant.cli import add_arguments

            add_arguments(p)
        elif name in ("enroll", "members", "face-check", "meetings", "report"):
            from robot_assistant import face_cli

            face_cli.add_arguments(name, p)
        elif name in ("sync", "publish"):
            from fleet import outbox_cli

            outbox_cli.add_arguments(name, p)
        elif name == "remote":
            from fleet import remote_cli

            remote_cli.add_arguments(name, p)
        elif name == "content":
            from core import content_cli

            content_cli.add_arguments(name, p)
        elif name == "web":
            p.add_argument("--host", help="address to listen on (default web.host, 127.0.0.1)")
            p.add_argument("--port", type=int, help="port to listen on (default web.port, 8080)")
        elif name == "pin-hash":
            p.add_argument("pin", nargs="?", help="the PIN (asked for when omitted)")
    return parser


def quiet_third_party(verbose: bool = False) -> None:
    """Third-party noise off every command's output (#15): pygame's banner, the pkg_resources deprecation
    warning that importing jieba or pygame prints, jieba's dictionary log lines (jieba resets its logger to
    DEBUG on import, so a filter, not a level; -v keeps them). Panda3D's pipe list is off in
    vr_hall/engine.py, ALSA's probe errors in robot_assistant/audio.py."""
    import warnings

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # inherited by the children commands start
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    if not verbose:
        logging.getLogger("jieba").addFilter(lambda record: record.levelno >= logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_third_party(args.verbose)
    if not args.verbose:  # Alembic narrates every migration step and plugin; the commands say what matters
        logging.getLogger("alembic").setLevel(logging.WARNING)
    command = args.command or "kiosk"
    if command not in COMMANDS:
        parser.error(f"the {command} command is not available in this build")
    try:
        code = COMMANDS[command][0](args)
        sys.stdout.flush()  # inside the try: a reader that left raises here, not in Python's exit
        return code
    except BrokenPipeError:
        # `launcher.py meetings list | head`: the reader left. Python's documented recipe: point stdout at
        # devnull so the flush at exit does not raise again, and end quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ConfigError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return EXIT_CONFIG
    except YamlFileError as exc:
        for message in exc.messages:
            print(message, file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

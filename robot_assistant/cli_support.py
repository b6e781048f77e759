"""What the face and meetings command-line handlers share: the terminal, the audit actor, error lines.

Why a module of its own: ``face_cli`` (enroll, members, face-check) and ``meetings_cli`` (meetings,
report) both open the terminal the same way, name the same actor in the audit log and print failures
as one line with the same exit codes (2 for bad input, 1 for a runtime failure).
"""

from __future__ import annotations

import argparse
import getpass
import sys
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

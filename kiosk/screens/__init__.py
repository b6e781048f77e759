"""Every kiosk screen by name, for the home tiles, voice commands (OpenScreen) and the screenshot command.

Each module keeps a ``SCREENS`` dict of name → callable(ctx) → Screen; a module that is not part of this
build (its feature not built yet) simply is not listed here.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

MODULES = ("news", "meetings", "learning", "services", "dashboard", "assistant", "signin", "map")


def registry() -> dict[str, Callable]:
    screens: dict[str, Callable] = {}
    for name in MODULES:
        try:
            module = importlib.import_module(f"kiosk.screens.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kiosk.screens.{name}":
                raise
            continue
        screens.update(module.SCREENS)
    return screens

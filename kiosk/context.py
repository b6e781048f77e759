"""What every kiosk screen shares: the terminal (database, clock, bus), the theme, the language and the
current visitor.

Screens get a ``KioskContext`` instead of globals so a test or the screenshot command can build any
screen on its own. The visitor (a member who identified with number + PIN, a quiz in progress) is the
per-person state that the idle timeout clears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.terminal import Terminal
from kiosk.ui.theme import Theme

WEEKDAYS_ZH = "一二三四五六日"


@dataclass
class Visitor:
    """The person at the screen now; forgotten after the idle timeout."""

    member_number: str | None = None
    member_name: str | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def clear(self) -> None:
        self.member_number = self.member_name = None
        self.state.clear()


@dataclass
class KioskContext:
    terminal: Terminal
    theme: Theme
    lang: str = "zh"
    visitor: Visitor = field(default_factory=Visitor)
    clock: Callable[[], datetime] | None = None
    """Overrides the terminal's clock (screenshots and tests of a fixed moment)."""
    status: dict[str, str] = field(default_factory=dict)
    """Header states by kind: network, camera, microphone, content → ok | warn | bad | off."""
    last_sync: datetime | None = None
    position: Any = None
    """The last core.events.Position (BeiDou/GNSS), or None before the first."""
    actions: dict[str, Callable[[], Any]] = field(default_factory=dict)
    """Admin actions the app provides: sync, screenshot, restart, exit."""

    def t(self, zh: str, en: str | None = None) -> str:
        """The text in the current language (Chinese when there is no English)."""
        return en if self.lang == "en" and en else zh

    def now(self) -> datetime:
        return self.clock() if self.clock else self.terminal.now()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.terminal.db.session() as s:
            yield s

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.terminal.tz)

    def date_text(self, when: datetime, with_time: bool = False) -> str:
        d = self.local(when)
        if self.lang == "en":
            return d.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y")
        text = f"{d.year}年{d.month}月{d.day}日"
        return f"{text} {d:%H:%M}" if with_time else text

    def weekday_text(self, when: datetime) -> str:
        d = self.local(when)
        return d.strftime("%a") if self.lang == "en" else f"周{WEEKDAYS_ZH[d.weekday()]}"

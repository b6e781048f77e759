"""The running terminal's shared state: configuration, database, event bus and clock.

Every front end (kiosk, hall, assistant, command-line tools) starts from ``open_terminal`` so they all
agree on the data folder, the database and the time zone, and a fresh install shows the demo site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from core.config import Config
from core.db import Database
from core.demo import LoadReport, load_site
from core.events import EventBus
from core.models import utcnow


@dataclass
class Terminal:
    config: Config
    db: Database
    bus: EventBus = field(default_factory=EventBus)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.config.site.timezone)

    @property
    def terminal_id(self) -> str:
        return self.config.site.terminal_id

    def now(self) -> datetime:
        return utcnow()

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)


def open_terminal(config: Config, load_demo: bool = True) -> tuple[Terminal, LoadReport | None]:
    """Create the data folder, open and migrate the database, and load the demo site into an empty one."""
    config.site.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(config.database_url, echo=config.database.echo)
    terminal = Terminal(config, db)
    report = None
    if load_demo and config.content.demo_site is not None:
        with db.session() as session:
            report = load_site(session, config.content.demo_site, terminal.now(), terminal.tz, terminal.terminal_id)
    return terminal, report

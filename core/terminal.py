"""The running terminal's shared state: configuration, database, event bus and clock.

Every front end (kiosk, hall, assistant, command-line tools) starts from ``open_terminal`` so they all
agree on the data folder, the database and the time zone, and a fresh install shows the demo site.
"""

from __future__ import annotations

import logging
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from core.config import Config, ConfigError
from core.db import Database
from core.demo import LoadReport, load_site
from core.events import EventBus
from core.facecrypt import relocate_legacy_key
from core.models import utcnow

log = logging.getLogger(__name__)


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
    """Create the data folder, open and migrate the database, and load the demo site into an empty one.
    A data folder that cannot be made or written is a ConfigError naming site.data_dir (exit 2)."""
    ensure_data_dir(config.site.data_dir)
    moved = relocate_legacy_key(config)  # an older version's face key out of the data folder (#17)
    if moved:
        log.warning(moved)
    db = Database(config.database_url, echo=config.database.echo)
    terminal = Terminal(config, db)
    report = None
    if load_demo and config.content.demo_site is not None:
        with db.session() as session:
            report = load_site(session, config.content.demo_site, terminal.now(), terminal.tz, terminal.terminal_id)
    return terminal, report


def ensure_data_dir(folder: Path) -> None:
    """Make the data folder and prove it writable now, with a message an administrator can act on,
    rather than a traceback from the first file some worker writes there later. The folder holds the
    database and member data: it is created with mode 0700 and narrowed to it at every start (a folder
    this user does not own is left, and logged); whatever else must read it runs as the same user."""
    why = "a file, not a folder" if folder.exists() and not folder.is_dir() else ""
    if not why:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _narrow(folder)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
                pass
        except OSError as exc:
            why = exc.strerror or str(exc)
    if why:
        raise ConfigError([f"site.data_dir: {folder} cannot be the data folder ({why}): set site.data_dir or "
                           "DANGJIAN__SITE__DATA_DIR to a writable folder"])


def _narrow(folder: Path) -> None:
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        try:
            folder.chmod(0o700)
            log.warning("data folder %s was mode %04o (others could read it): now 0700", folder, mode)
        except OSError as exc:
            log.warning("data folder %s is mode %04o and cannot be narrowed: %s", folder, mode, exc)

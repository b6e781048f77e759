"""Opening the database: one engine per process, schema brought to the newest migration at start.

SQLite runs in WAL mode with ``synchronous=FULL`` so a committed sign-in survives a power cut, and with
foreign keys on. PostgreSQL needs nothing special. Both go through the same Alembic migrations.

The SQLite file holds members, attendance and (encrypted) face templates: it is created with mode 0600,
and on every start it and its ``-wal``/``-shm``/``-journal`` files are narrowed to 0600 (SQLite gives its
side files the main file's mode), so a file left world-readable by an older version or a copy is fixed.

A full disk is the one storage failure an unattended terminal meets in the field (logs, photos, a
neighbour's files). SQLite then rolls the transaction back and says "database or disk is full";
``Database.session`` turns that into ``StorageFullError``, whose message names the file in Chinese and
English, so a screen can say why nothing was saved instead of showing a driver error.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

log = logging.getLogger(__name__)


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says which and why."""


class StorageFullError(DatabaseError):
    """The disk holding the database is full: the transaction was rolled back, nothing was written.

    The message reads "中文 / English" (as the kiosk's messages do) and names the file, so the person at
    the terminal and the administrator both learn what to free.
    """

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"存储空间已满，未能保存：{path} / disk full, nothing saved: {path}")


#: SQLite's SQLITE_FULL and PostgreSQL's disk_full SQLSTATE.
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"


def is_storage_full(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error SQLAlchemy wraps in it) says the disk is full."""
    for err in (exc, getattr(exc, "orig", None), exc.__cause__):
        if err is None:
            continue
        if getattr(err, "sqlite_errorcode", None) == _SQLITE_FULL or getattr(err, "sqlstate", None) == _PG_DISK_FULL:
            return True
        if isinstance(err, OSError) and err.errno == errno.ENOSPC:
            return True
    return False


def storage_path(url: str) -> str:
    """The file of a SQLite URL, else the URL without its password: what a "disk full" message names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return str(Path(parsed.database).resolve())
    return parsed.render_as_string(hide_password=True)


def secure_sqlite_file(path: Path) -> list[str]:
    """Create the database file with mode 0600 when it is missing, and narrow it and its side files to 0600
    when they are wider; returns what was narrowed ("dangjian.db 0644 → 0600"). A file this user does not
    own is logged and left (the open that follows says whether it can be used)."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite accepts an empty file as new
    fixed = []
    for p in [path] + [path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES]:
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
            if mode & 0o077:
                p.chmod(mode & 0o600 or 0o600)
                fixed.append(f"{p.name} {mode:04o} → {stat.S_IMODE(p.stat().st_mode):04o}")
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("cannot narrow the permissions of %s: %s", p, exc)
    if fixed:
        log.warning("database files were readable by others; narrowed: %s", ", ".join(fixed))
    return fixed


def make_engine(url: str, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            secure_sqlite_file(Path(parsed.database))
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def alembic_config(engine: Engine) -> AlembicConfig:
    # Alembic is imported only to migrate: a process that opens a migrated database with migrate=False
    # (a helper process, a status command) starts about 0.1 s sooner.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    """The newest migration this version of the code has (what ``upgrade`` brings a database to)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration not yet applied (a no-op on an up-to-date database)."""
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


class Database:
    """The engine plus a session factory; ``session()`` commits on success, rolls back on error."""

    def __init__(self, url: str, echo: bool = False, migrate: bool = True):
        self.url = url
        try:
            self.engine = make_engine(url, echo)
            if migrate:
                upgrade(self.engine)
        except Exception as exc:  # driver errors vary: name the database and the cause
            safe = make_url(url).render_as_string(hide_password=True)
            raise DatabaseError(f"cannot open database {safe}: {exc}") from exc
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; a full disk raises StorageFullError."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException as exc:
                s.rollback()
                if isinstance(exc, Exception) and not isinstance(exc, StorageFullError) and is_storage_full(exc):
                    raise StorageFullError(storage_path(self.url)) from exc
                raise

    def dispose(self) -> None:
        self.engine.dispose()

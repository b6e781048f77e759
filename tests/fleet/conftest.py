"""Fleet fixtures: a local terminal database with a meeting to sign in to, a real mosquitto broker on
loopback, and a central PostgreSQL (the shared ``pg_url`` fixture). Missing mosquitto or PostgreSQL
skips here and fails in CI (``need``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.db import Database
from core.models import Branch, Meeting, Member
from tests.conftest import need
from tests.fleet.broker import Mosquitto, mosquitto_path

T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)


@pytest.fixture
def local_db(tmp_path: Path) -> Iterator[Database]:
    """The terminal's own SQLite database, migrated, with branch B01, members M0101-M0105 and a meeting."""
    from core.meetings import create_meeting

    db = Database(f"sqlite:///{tmp_path / 'terminal.db'}")
    with db.session() as s:
        branch = Branch(code="B01", name_zh="第一党支部")
        s.add(branch)
        s.add_all([Member(number=f"M01{i:02d}", name=f"党员{i}", branch=branch) for i in range(1, 6)])
        s.flush()
        create_meeting(s, type="支委会", title_zh="十一月支委会", branch_code="B01", starts_at=T0,
                       ends_at=T0 + timedelta(minutes=90), place_zh="三楼")
    yield db
    db.dispose()


def first_meeting(session) -> Meeting:
    from sqlalchemy import select

    return session.scalars(select(Meeting)).first()


@pytest.fixture
def broker_bin() -> str:
    path = mosquitto_path()
    need(path is not None, "mosquitto is not installed (Debian package mosquitto)")
    assert path is not None
    return path


@pytest.fixture
def broker(broker_bin: str, tmp_path: Path) -> Iterator[Mosquitto]:
    """A fresh mosquitto on 127.0.0.1 and a free port, anonymous, no TLS."""
    with Mosquitto(tmp_path / "broker") as b:
        yield b

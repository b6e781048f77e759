"""Fixtures for the members' web app: a demo site on a fresh database (SQLite, and PostgreSQL for every
test that takes ``site``), two members with PINs, a meeting open now on member M0101's roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

PIN = "246810"


@dataclass
class Site:
    config: object
    db: object
    meeting_id: int
    number: str
    other: str
    data_dir: Path
    meeting_uuid: str = ""


def make_site(tmp_path: Path, url: str | None = None, **web) -> Site:
    from core.config import load_config
    from core.meetings import create_meeting
    from core.models import Member, utcnow
    from core.secrets import MEMBER_PIN_MIN, hash_pin
    from core.terminal import open_terminal

    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "DANGJIAN__WEB__SECURE_COOKIES": "false"}
    if url:
        env["DANGJIAN__DATABASE__URL"] = url
    for key, value in web.items():
        env[f"DANGJIAN__WEB__{key.upper()}"] = str(value)
    config = load_config(environ=env)
    terminal, _ = open_terminal(config)
    now = utcnow()
    with terminal.db.session() as s:
        numbers = ["M0101", "M0102"]
        for m in s.scalars(select(Member).where(Member.number.in_(numbers))):
            m.pin_hash = hash_pin(PIN, MEMBER_PIN_MIN)
        branch = s.scalars(select(Member).where(Member.number == "M0101")).one().branch.code
        meeting = create_meeting(s, type="党小组会", title_zh="扫码签到测试会", title_en="QR sign-in test",
                                 branch_code=branch, starts_at=now - timedelta(minutes=2),
                                 ends_at=now + timedelta(hours=1), place_zh="党员活动室", roster=["M0101"])
        s.flush()
        meeting_id, meeting_uuid = meeting.id, meeting.uuid
    return Site(config, terminal.db, meeting_id, "M0101", "M0102", tmp_path / "data", meeting_uuid)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """The demo site on SQLite, and again on a fresh PostgreSQL database (skipped without
    DANGJIAN_TEST_PG_URL, a failure in CI), as the web app runs in a fleet."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    s = make_site(tmp_path, url)
    yield s
    s.db.dispose()


@pytest.fixture
def client(site: Site):
    from starlette.testclient import TestClient

    from web.app import create_app

    with TestClient(create_app(site.config, database=site.db), base_url="http://testserver") as c:
        yield c


def login(client, number: str, pin: str = PIN, follow: bool = False):
    import re

    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"csrf": csrf, "number": number, "pin": pin, "next": "/"},
                       follow_redirects=follow)


def csrf_of(html: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def now_utc() -> datetime:
    from core.models import utcnow

    return utcnow()

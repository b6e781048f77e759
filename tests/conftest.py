"""Shared fixtures: test data beside the clone, databases on SQLite and a live PostgreSQL.

Outside CI a missing ``../shared/testdata`` or PostgreSQL skips the tests that need it, with the reason;
in CI (CI=true) their absence is a failure, because CI always has both.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTDATA = ROOT.parent / "shared" / "testdata"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
# No test may depend on an environment override left in the caller's shell.
for _name in [n for n in os.environ if n.startswith("DANGJIAN__")]:
    del os.environ[_name]
# One embedding cache for the whole run (robot_assistant.qa.semantic.CACHE_ENV): every test that builds the
# assistant would otherwise embed the knowledge base again (about a minute with e5 on two cores).
os.environ["DANGJIAN_EMBEDDING_CACHE"] = tempfile.mkdtemp(prefix="dangjian-embeddings-")


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` here, fail in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def testdata() -> Path:
    need(TESTDATA.is_dir(), f"test data folder {TESTDATA} is absent (it lies beside the clone in CI)")
    return TESTDATA


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    base = os.environ.get("DANGJIAN_TEST_PG_URL")
    need(bool(base), "no PostgreSQL server: set DANGJIAN_TEST_PG_URL (bash setup.sh test starts one)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on a live PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def database(db_url: str):
    from core.db import Database

    db = Database(db_url)
    yield db
    db.dispose()


@pytest.fixture
def config_env(tmp_path: Path) -> dict[str, str]:
    """Environment overrides that send the data folder to a temporary place."""
    return {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the measured slow tests (tests/slow_tests.txt, see tests/tiers.py) so that
    ``pytest -m "not slow"`` is the quick tier."""
    from tests.tiers import is_slow, slow_ids

    listed = slow_ids()
    for item in items:
        if is_slow(item.nodeid, listed):
            item.add_marker(pytest.mark.slow)

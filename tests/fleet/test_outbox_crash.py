"""Replay after crashes: a sender process SIGKILLed mid-send, several times, still yields every record
exactly once on the central PostgreSQL, and the terminal's SQLite file stays sound."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from core.db import Database
from core.outbox import outbox_status
from fleet.outbox_sender import OutboxSender
from tests.conftest import ROOT
from tests.fleet.records import central_count, central_rows, fill, pending


def start_child(local_url: str, central_url: str, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fleet.sender_child", local_url, central_url, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc


def wait_for_line(proc: subprocess.Popen, word: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(word):
            return line
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"child never said {word}: {proc.stderr.read() if proc.stderr else ''}")


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.postgres
def test_sigkill_mid_send_then_replay_gives_no_duplicates(local_db, pg_url):
    n = 600
    uuids = fill(local_db, n)
    Database(pg_url).dispose()  # the central schema, as an administrator creates it once
    local_url = local_db.url

    # 1. Killed exactly between the central commit and the local mark: the worst moment.
    proc = start_child(local_url, pg_url, "--stall-after-commit")
    assert wait_for_line(proc, "COMMITTED").split()[1] == "50"
    kill(proc)
    central = Database(pg_url)
    assert central_count(central) == 50 and pending(local_db) == n
    replay = OutboxSender(local_db, central, batch_size=50).send_batch()  # restarted: the batch goes again
    assert (replay.inserted, replay.already) == (0, 50) and pending(local_db) == n - 50

    # 2-4. Killed at moments nobody chose, somewhere in the middle of sending.
    rng = random.Random(7)
    for _ in range(3):
        proc = start_child(local_url, pg_url)
        wait_for_line(proc, "READY")
        time.sleep(rng.uniform(0.0, 0.06))
        if proc.poll() is None:
            kill(proc)

    # Restarted: the sender replays from the last local mark.
    result = OutboxSender(local_db, central, batch_size=50).drain()
    assert result.error is None
    rows = central_rows(central)
    central.dispose()
    assert len(rows) == n and len({u for _, u, _ in rows}) == n and set(u for _, u, _ in rows) == set(uuids)
    with local_db.session() as s:
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        status = outbox_status(s)
    assert status["pending"] == 0 and status["sent_kept"] == n and status["failed"] == 0

"""A terminal SIGKILLed while it signs members in, 100 times: the SQLite file stays sound and every
sign-in the terminal reported as done is on disk with its outbox row.

The child (``signin_child.py``) prints a sign-in's uuid only after ``sign_in`` has committed, so a printed
uuid is one the member saw as "签到成功". The parent kills it at a random moment after it is running
(somewhere in a commit, between commits, in a write of the uuid), restarts it, and checks the file.

A kill can also leave a sign-in on disk that was never reported: SQLite had written the WAL frame and was
waiting in fsync when the process died, and the kernel keeps what was written (a power cut would not; that
is what ``synchronous=FULL`` is for). That is not a loss — the member was not yet told — and there can be
at most one such sign-in per kill.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from core.db import Database
from core.meetings import create_meeting
from core.models import Branch, Member
from tests.conftest import ROOT
from tests.faults.conftest import report
from tests.fleet.conftest import T0

KILLS = 100
MEETINGS, MEMBERS = 8, 500  # 4,000 (meeting, member) pairs: more than 100 short lives can sign in


def seed(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = Database(url)
    with db.session() as s:
        branch = Branch(code="B01", name_zh="第一党支部")
        s.add(branch)
        s.add_all([Member(number=f"M{i:05d}", name=f"党员{i}", branch=branch) for i in range(MEMBERS)])
        s.flush()
        for k in range(MEETINGS):
            start = T0 + timedelta(days=k)
            create_meeting(s, type="支部党员大会", title_zh=f"第{k + 1}次党员大会", branch_code="B01",
                           starts_at=start, ends_at=start + timedelta(hours=2), roster=[])
    db.dispose()
    return url


def check(path: Path, reported: set[str]) -> tuple[int, int]:
    """integrity_check, every reported uuid present with its outbox row, and record ⇔ row; returns
    (sign-ins on disk, distinct (meeting, member) pairs)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        records = {u for (u,) in conn.execute("SELECT uuid FROM attendance")}
        rows = [u for (u,) in conn.execute("SELECT record_uuid FROM outbox WHERE kind = 'attendance'")]
        pairs = conn.execute("SELECT COUNT(DISTINCT meeting_id || ':' || member_id) FROM attendance").fetchone()[0]
    finally:
        conn.close()
    assert len(rows) == len(set(rows)) and set(rows) == records, "a sign-in without its outbox row, or the reverse"
    missing = reported - records
    assert not missing, f"{len(missing)} sign-in(s) reported as committed are gone: {sorted(missing)[:3]}"
    return len(records), pairs


def test_sigkill_during_sign_ins_100_times(tmp_path: Path):
    path = tmp_path / "terminal.db"
    url = seed(path)
    rng = random.Random(20261126)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    reported: set[str] = set()
    starts, lives, unreported = [], [], 0
    began = time.monotonic()
    for kill in range(KILLS):
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "tests.faults.signin_child", url], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        try:
            ready = proc.stdout.readline()
            assert ready == b"READY\n", (ready, proc.stderr.read().decode()[-2000:])
            starts.append(time.monotonic() - t0)
            # Every other life first lets one sign-in through, so that a loaded machine (slow commits)
            # still kills terminals that have signed members in, not only ones still starting.
            first = proc.stdout.readline() if kill % 2 else b""
            time.sleep(rng.uniform(0.0, 0.06))  # a moment nobody chose: mid-commit, between commits, mid-print
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL, f"child {kill} ended by itself: {proc.stderr.read()[-2000:]}"
            tail = (first + proc.stdout.read()).decode()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
        lines = tail.split("\n")
        done = [u for u in lines[:-1] if u and u != "DONE"]  # the last piece has no newline: not reported
        lives.append(len(done))
        reported.update(done)
        on_disk, pairs = check(path, reported)
        assert on_disk == pairs
        unreported = on_disk - len(reported)
        # At most one commit per kill can be on disk without having been reported (killed before the print).
        assert 0 <= unreported <= kill + 1
    elapsed = time.monotonic() - began
    assert sum(1 for n in lives if n) >= KILLS // 4, f"too few children lived to sign anyone in: {lives}"
    report("sigkill_signin", kills=KILLS, seconds=round(elapsed, 1), reported=len(reported),
           on_disk=len(reported) + unreported, committed_not_reported=unreported, lost=0, duplicates=0,
           child_start_s_median=round(sorted(starts)[len(starts) // 2], 3),
           commits_per_life_median=sorted(lives)[len(lives) // 2], integrity="ok")

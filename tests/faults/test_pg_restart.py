"""The central PostgreSQL is stopped (cleanly, then as in a crash) while a terminal sends and keeps
signing people in: sign-ins go on locally, their records wait, and when the server is back the sender
reconnects by itself and every record arrives exactly once, in order.

Runs a private cluster (``pgcluster.py``): the shared test server must not be stopped under other tests.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.attendance import sign_in
from core.db import Database
from core.models import Branch, FleetAttendance, Member, OutboxEntry
from core.outbox import outbox_status
from fleet.outbox_sender import OutboxSender
from tests.conftest import need
from tests.faults.conftest import report
from tests.faults.pgcluster import PrivatePostgres, pg_bin
from tests.fleet.conftest import T0, first_meeting
from tests.fleet.records import fill, pending, wait_until

BACKOFF_MAX_S = 1.0


class Signer:
    """Signs members M1000… in to the fixture's meeting, one ``sign_in`` (one commit) at a time."""

    def __init__(self, db: Database, members: int) -> None:
        self.db = db
        with db.session() as s:
            branch = s.scalars(select(Branch)).first()
            added = [Member(number=f"M{1000 + i}", name=f"党员{i}", branch=branch) for i in range(members)]
            s.add_all(added)
            meeting = first_meeting(s)  # held: the session keeps objects only weakly, and a roster change
            meeting.roster.extend(added)  # on a collected Meeting cannot flush; a 支委会 takes no walk-ins (#17)
        self.next = 1000
        self.slowest = 0.0

    def sign(self, n: int) -> None:
        for _ in range(n):
            t = time.monotonic()
            with self.db.session() as s:
                member = s.scalars(select(Member).where(Member.number == f"M{self.next}")).one()
                assert sign_in(s, first_meeting(s), member, method="pin", terminal_id="kiosk-07",
                               now=T0 + timedelta(minutes=1)).created
            self.slowest = max(self.slowest, time.monotonic() - t)
            self.next += 1


def central_count(url: str) -> int:
    db = Database(url, migrate=False)
    try:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(FleetAttendance)) or 0
    finally:
        db.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_central_restart_fast_and_immediate(local_db):
    bin_dir = pg_bin()
    need(bin_dir is not None, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    pg = PrivatePostgres(bin_dir)
    sender = None
    figures: dict[str, dict] = {}
    try:
        pg.start()
        Database(pg.url).dispose()  # the administrator migrates the central database once
        signer = Signer(local_db, 400)
        sender = OutboxSender(local_db, pg.url, batch_size=50, interval_seconds=0.1, backoff_base_seconds=0.1,
                              backoff_max_seconds=BACKOFF_MAX_S)
        sender.start()
        signer.sign(50)
        assert wait_until(lambda: pending(local_db) == 0, 30), sender.status()

        for mode in ("fast", "immediate"):
            fill(local_db, 3000)  # a backlog, so that the server goes away in the middle of sending it
            before = central_count(pg.url)
            sender.wake()
            assert wait_until(lambda b=before: central_count(pg.url) >= b + 300, 30), sender.status()
            pg.stop(mode)
            down = time.monotonic()
            signer.slowest = 0.0
            signer.sign(100)  # the terminal goes on signing people in; their records wait
            assert wait_until(lambda: sender.failures >= 2, 15), sender.status()
            waiting = pending(local_db)
            assert waiting > 100, waiting
            time.sleep(max(0.0, down + 1.5 - time.monotonic()))
            pg.start()
            up = time.monotonic()
            assert wait_until(lambda: sender.failures == 0, 30), sender.status()
            reconnect = time.monotonic() - up
            assert wait_until(lambda: pending(local_db) == 0, 60), sender.status()
            drained = time.monotonic() - up
            figures[mode] = {"down_s": round(up - down, 2), "waiting_at_restart": waiting,
                             "reconnect_s": round(reconnect, 3), "drained_s": round(drained, 3),
                             "slowest_sign_in_while_down_s": round(signer.slowest, 4)}
            assert reconnect < BACKOFF_MAX_S * 1.25 + 2, f"{mode}: reconnected {reconnect:.2f} s after the restart"

        sender.stop()
        central = Database(pg.url, migrate=False)
        try:
            with central.session() as s:
                rows = s.execute(select(FleetAttendance.uuid, FleetAttendance.outbox_seq)
                                 .order_by(FleetAttendance.id)).all()
        finally:
            central.dispose()
    finally:
        if sender is not None:
            sender.close()
        pg.close()
    with local_db.session() as s:
        local = list(s.scalars(select(OutboxEntry.record_uuid).order_by(OutboxEntry.id)))
        status = outbox_status(s)
    uuids = [u for u, _ in rows]
    assert len(rows) == len(local) == 50 + 2 * (3000 + 100)
    assert len(set(uuids)) == len(uuids), "a record arrived twice"
    assert uuids == local, "records arrived out of order (or some are missing)"
    assert status["pending"] == 0 and status["failed"] == 0
    report("pg_restart", records=len(rows), duplicates=0, lost=0, backoff_max_s=BACKOFF_MAX_S, **figures)

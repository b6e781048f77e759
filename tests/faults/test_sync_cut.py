"""10,000 sign-ins and quiz results sent to the central PostgreSQL while the link is cut five times in the
middle of sending: in the middle of an INSERT, right after a COMMIT reached the server (the answer lost),
and at an unplanned moment. After recovery every record is there exactly once, in order.

Figures (recovery after the last cut, partial counts) go to $DANGJIAN_FAULT_REPORT when it is set.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.db import Database
from core.models import FleetAttendance, FleetQuizResult, OutboxEntry
from core.outbox import enqueue, outbox_status
from fleet.outbox_sender import OutboxSender
from tests.faults.conftest import report
from tests.faults.proxy import AckLossProxy
from tests.fleet.records import T0, fake_attendance, pending, wait_until

N = 10_000
QUIZ_EVERY = 5  # every fifth record is a quiz result, the rest sign-ins


def fake_quiz(i: int) -> dict:
    """A quiz result payload shaped as ``quiz_result_payload`` makes one."""
    return {"uuid": str(uuid.uuid4()), "terminal_id": "kiosk-07", "member_number": f"M{i:07d}", "mode": "exam",
            "started_at": (T0 + timedelta(seconds=i)).isoformat(),
            "finished_at": (T0 + timedelta(seconds=i + 90)).isoformat(), "score": i % 11, "total": 10,
            "points": 12, "answers": {"Q1": True, "Q2": [i % 4]}}


def fill_mixed(db: Database, n: int, per_transaction: int = 2500) -> dict[str, list[str]]:
    """``n`` outbox records in a few big transactions; the uuids of each kind in the order written."""
    order: dict[str, list[str]] = {"attendance": [], "quiz_result": []}
    for start in range(0, n, per_transaction):
        with db.session() as s:
            for i in range(start, min(n, start + per_transaction)):
                kind = "quiz_result" if i % QUIZ_EVERY == QUIZ_EVERY - 1 else "attendance"
                payload = fake_quiz(i) if kind == "quiz_result" else fake_attendance(i)
                enqueue(s, kind, payload)
                order[kind].append(payload["uuid"])
    return order


def central_counts(db: Database) -> int:
    with db.session() as s:
        return sum(s.scalar(select(func.count()).select_from(t)) or 0 for t in (FleetAttendance, FleetQuizResult))


def sent_locally(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.sent_at.is_not(None))) or 0


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_thousand_records_through_five_cuts(local_db, pg_url):
    order = fill_mixed(local_db, N)
    central = Database(pg_url)
    port = make_url(pg_url).port or 5432
    proxy = AckLossProxy(port)
    through_proxy = make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)
    sender = OutboxSender(local_db, through_proxy, batch_size=200, interval_seconds=0.2,
                          backoff_base_seconds=0.05, backoff_max_seconds=0.5)
    rng = random.Random(10_000)
    plan = ["statement", "commit", "statement", "anywhere", "statement"]
    step = N // (len(plan) + 1) - 200  # cuts spread over the whole send
    partial: list[int] = []
    unacknowledged = 0
    outage: list[float] = []
    began = time.monotonic()
    try:
        sender.start()
        for k, where in enumerate(plan, start=1):
            # Let the sender get going again (and a little further) before the next cut.
            progress = central_counts(central)
            assert wait_until(lambda p=progress: central_counts(central) >= p + step, 30), f"no progress before cut {k}"
            if where == "statement":
                proxy.cut_after(proxy.bytes_up + rng.randint(20_000, 120_000))  # inside a batch's INSERT
            elif where == "commit":
                proxy.cut_after_commit()
            else:
                time.sleep(rng.uniform(0.0, 0.05))
                proxy.cut()
            assert wait_until(lambda c=k: proxy.cuts == c, 30), f"cut {k} ({where}) never happened"
            cut_at = time.monotonic()
            assert wait_until(lambda: sender.failures >= 2, 10), "the sender did not notice the cut"
            partial.append(central_counts(central))
            if where == "commit":  # committed there, not marked here: the lost acknowledgement
                unacknowledged = partial[-1] - sent_locally(local_db)
            time.sleep(0.3)  # stays down a while: the sender backs off, retries, fails again
            restored = time.monotonic()
            outage.append(restored - cut_at)
            proxy.restore()
        # Recovery after the last cut: first batch through again, then everything.
        failures_then = sender.failures
        assert wait_until(lambda: sender.failures == 0, 30), sender.status()
        reconnect_s = time.monotonic() - restored
        assert failures_then > 0
        assert wait_until(lambda: pending(local_db) == 0, 60), sender.status()
        drained_s = time.monotonic() - restored
    finally:
        sender.stop()
        sender.close()
        proxy.close()
    total_s = time.monotonic() - began
    with central.session() as s:
        att = s.execute(select(FleetAttendance.uuid, FleetAttendance.outbox_seq).order_by(FleetAttendance.id)).all()
        quiz = s.execute(select(FleetQuizResult.uuid, FleetQuizResult.outbox_seq).order_by(FleetQuizResult.id)).all()
    central.dispose()
    with local_db.session() as s:
        status = outbox_status(s)
        local_ids = set(s.scalars(select(OutboxEntry.id)))

    assert all(0 < p < N for p in partial), partial  # every cut landed in the middle of the send
    assert proxy.commits_cut == 1 and unacknowledged > 0, "the COMMIT whose answer was lost was not replayed"
    got = len(att) + len(quiz)
    uuids = [u for u, _ in att] + [u for u, _ in quiz]
    assert got == N and len(set(uuids)) == N, (got, len(set(uuids)))  # none lost, none twice
    assert [u for u, _ in att] == order["attendance"] and [u for u, _ in quiz] == order["quiz_result"]  # in order
    seqs = [q for _, q in att], [q for _, q in quiz]
    assert all(s == sorted(s) for s in seqs) and set(seqs[0]) | set(seqs[1]) == local_ids
    assert status["sent_kept"] == N and status["pending"] == 0 and status["failed"] == 0
    assert drained_s < 30, f"recovery after the last cut took {drained_s:.1f} s"
    report("sync_cut_10k", records=N, central_rows=got, duplicates=N - len(set(uuids)), lost=N - got,
           cuts=len(plan), cut_kinds=plan, central_at_cuts=partial, unacknowledged_batch_rows=unacknowledged,
           outage_s=[round(o, 2) for o in outage], backoff_s="0.05 doubling to 0.5",
           reconnect_after_last_cut_s=round(reconnect_s, 3), drained_after_last_cut_s=round(drained_s, 3),
           total_s=round(total_s, 1), records_per_s=round(N / total_s))

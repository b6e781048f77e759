"""The outbox: written with the record, sent in order, once, through network cuts and crashes."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from core.attendance import sign_in
from core.db import Database
from core.models import (
    Attendance,
    AuditEntry,
    ContentItem,
    FleetAttendance,
    FleetQuizResult,
    Member,
    OutboxEntry,
    QuizQuestion,
)
from core.outbox import enqueue, outbox_status, prune
from core.quiz import Quiz, award_reading
from fleet.outbox_cli import add_arguments, cmd_sync
from fleet.outbox_sender import OutboxSender, central_url
from tests.fleet.conftest import T0, first_meeting
from tests.fleet.proxy import TcpProxy
from tests.fleet.records import central_count, central_rows, fake_attendance, fill, pending, wait_until


def member(session, number: str) -> Member:
    return session.scalars(select(Member).where(Member.number == number)).one()


def outbox(db: Database) -> list[OutboxEntry]:
    with db.session() as s:
        return list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


# ------------------------------------------------------------------------------------------ writing


def test_sign_in_and_results_write_their_outbox_row_in_the_same_commit(local_db):
    with local_db.session() as s:
        meeting, m1 = first_meeting(s), member(s, "M0101")
        first = sign_in(s, meeting, m1, method="face", terminal_id="kiosk-01", now=T0 + timedelta(minutes=7),
                        match_distance=0.3, liveness="blink")
        again = sign_in(s, meeting, m1, method="pin", terminal_id="kiosk-01", now=T0 + timedelta(minutes=8))
        assert first.created and not again.created
        q = QuizQuestion(code="Q1", kind="truefalse", question_zh="对吗？", answer=[True])
        s.add(q)
        s.flush()
        quiz = Quiz([q], "exam", T0)
        quiz.answer(q, True)
        result = quiz.save(s, m1, T0 + timedelta(minutes=3), "kiosk-01")
        article = ContentItem(kind="article", source="demo", guid="a1", title_zh="学习", points=5, published_at=T0)
        s.add(article)
        s.flush()
        assert award_reading(s, m1, article, T0, "kiosk-01") == 5
        uuids = {first.record.uuid, result.uuid}
    rows = outbox(local_db)
    assert [r.kind for r in rows] == ["attendance", "quiz_result", "quiz_result"]  # the repeat sign-in adds none
    assert {r.record_uuid for r in rows} >= uuids
    att = rows[0].payload
    assert att["member_number"] == "M0101" and att["branch_code"] == "B01" and att["late"] is True
    assert att["meeting_type"] == "支委会" and att["match_distance"] == 0.3 and att["signed_at"].endswith("+00:00")
    assert rows[1].payload["points"] == 12 and rows[1].payload["answers"] == {"Q1": True}
    assert rows[2].payload["mode"] == "reading" and rows[2].payload["answers"] == {"article": "a1"}


def test_a_rolled_back_record_leaves_no_outbox_row(local_db):
    with pytest.raises(RuntimeError), local_db.session() as s:
        m = member(s, "M0102")
        record = Attendance(meeting_id=first_meeting(s).id, member_id=m.id, signed_at=T0, method="pin",
                            terminal_id="kiosk-01", uuid="00000000-0000-4000-8000-000000000000")
        s.add(record)
        enqueue(s, "attendance", fake_attendance(1) | {"uuid": record.uuid})
        raise RuntimeError("power cut before the commit")
    assert outbox(local_db) == []
    with local_db.session() as s:
        assert s.scalars(select(Attendance)).all() == []
    with pytest.raises(ValueError, match="unknown outbox kind"), local_db.session() as s:
        enqueue(s, "photo", {"uuid": "x"})


# ------------------------------------------------------------------------------------------ sending


def test_send_is_idempotent_across_a_crash_after_the_central_commit(local_db, db_url):
    """Central on SQLite and on PostgreSQL: a crash between the central commit and the local mark means
    the batch goes again, and the central side keeps one copy."""
    uuids = fill(local_db, 30)
    with local_db.session() as s:
        q = Quiz([], "practice", T0)
        q.save(s, member(s, "M0101"), T0, "kiosk-01")
    central = Database(db_url)
    try:
        sender = OutboxSender(local_db, central, batch_size=25)

        def crash(ids: list[int]) -> None:
            raise SystemExit("killed after the central commit")

        sender.after_central_commit = crash
        with pytest.raises(SystemExit):
            sender.send_batch()
        assert central_count(central) == 25 and pending(local_db) == 31  # committed there, not marked here
        sender = OutboxSender(local_db, central, batch_size=25)
        first, second, third = sender.send_batch(), sender.send_batch(), sender.send_batch()
        assert (first.inserted, first.already) == (0, 25)
        assert (second.inserted, second.already, second.selected) == (6, 0, 6)
        assert third.selected == 0 and pending(local_db) == 0
        rows = central_rows(central)
        assert [u for _, u, _ in rows] == uuids and [s for _, _, s in rows] == sorted(s for _, _, s in rows)
        with central.session() as s:
            quiz = s.scalars(select(FleetQuizResult)).one()
            assert quiz.member_number == "M0101" and quiz.mode == "practice" and quiz.terminal_id == "kiosk-01"
        with local_db.session() as s:
            assert outbox_status(s)["sent_kept"] == 31
    finally:
        central.dispose()


def test_a_malformed_row_is_set_aside_and_does_not_block_the_rest(local_db, db_url):
    fill(local_db, 3)
    with local_db.session() as s:
        enqueue(s, "attendance", fake_attendance(9) | {"branch_code": "B" * 40})  # longer than the column
        enqueue(s, "attendance", fake_attendance(10) | {"signed_at": "yesterday"})
    fill(local_db, 2)
    central = Database(db_url)
    try:
        result = OutboxSender(local_db, central).send_batch()
        assert (result.inserted, result.failed, result.error) == (5, 2, None)
        assert central_count(central) == 5 and pending(local_db) == 0
        with local_db.session() as s:
            status = outbox_status(s)
            assert status["failed"] == 2 and "signed_at" in status["last_failed_error"]
            assert s.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.dead_letter")).one()
    finally:
        central.dispose()


@pytest.mark.postgres
def test_a_row_the_server_refuses_is_found_row_by_row(local_db, pg_url):
    """A value our checks let through but PostgreSQL refuses (a NUL character) costs only that row."""
    fill(local_db, 2)
    with local_db.session() as s:
        enqueue(s, "attendance", fake_attendance(5) | {"member_number": "M\x00"})
    fill(local_db, 2)
    central = Database(pg_url)
    try:
        result = OutboxSender(local_db, central).send_batch()
        assert (result.inserted, result.failed, result.error) == (4, 1, None)
        assert pending(local_db) == 0 and central_count(central) == 4
    finally:
        central.dispose()


def test_an_unreachable_central_database_is_retried_with_backoff(local_db):
    fill(local_db, 3)
    sender = OutboxSender(local_db, "postgresql+psycopg://u:pw@127.0.0.1:9/nowhere", backoff_base_seconds=2,
                          backoff_max_seconds=5, rng=lambda: 0.5)
    assert "connect_timeout=10" in sender._central_url and "tcp_user_timeout" in sender._central_url
    delays = []
    for _ in range(4):
        result = sender.send_batch()
        assert result.error and result.selected == 3
        delays.append(sender.retry_delay())
    assert delays == [2, 4, 5, 5]
    with local_db.session() as s:
        status = outbox_status(s)
    assert status["pending"] == 3 and status["head_attempts"] == 4 and "pw" not in status["last_error"]
    assert "127.0.0.1:9" in status["last_error"]


def test_central_url_keeps_what_the_administrator_set():
    url = central_url("postgresql+psycopg://u:p@db:5432/x?connect_timeout=3")
    assert make_url(url).query["connect_timeout"] == "3" and make_url(url).query["keepalives"] == "1"
    assert central_url("sqlite:///c.db") == "sqlite:///c.db"


def test_prune_keeps_unsent_and_recent_rows(local_db):
    fill(local_db, 4)
    with local_db.session() as s:
        rows = s.scalars(select(OutboxEntry).order_by(OutboxEntry.id)).all()
        rows[0].sent_at = T0 - timedelta(days=40)
        rows[1].sent_at = T0 - timedelta(days=2)
    with local_db.session() as s:
        assert prune(s, keep_days=30, now=T0) == 1
    assert len(outbox(local_db)) == 3


@pytest.mark.postgres
def test_network_cuts_mid_sync_lose_nothing_and_duplicate_nothing(local_db, pg_url):
    """2000 sign-ins sent while the link to PostgreSQL is cut three times in the middle of statements;
    after recovery every record is there exactly once, in order."""
    n = 2000
    uuids = fill(local_db, n)
    central = Database(pg_url)
    proxy = TcpProxy(make_url(pg_url).port or 5432)
    through_proxy = make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)
    sender = OutboxSender(local_db, through_proxy, batch_size=100, interval_seconds=0.2,
                          backoff_base_seconds=0.05, backoff_max_seconds=0.3)
    partial = []
    try:
        sender.start()
        for cut in range(1, 4):
            proxy.cut_after(proxy.bytes_up + 250_000)  # ~a quarter of the traffic
            assert wait_until(lambda c=cut: proxy.cuts == c, 30), f"cut {cut} never happened"
            partial.append(central_count(central))
            assert wait_until(lambda: sender.failures >= 1, 10), "the sender did not notice the cut"
            proxy.restore()
        assert wait_until(lambda: pending(local_db) == 0, 60), sender.status()
    finally:
        sender.stop()
        sender.close()
        proxy.close()
    rows = central_rows(central)
    central.dispose()
    assert all(0 < p < n for p in partial), partial  # each cut landed mid-way
    assert len(rows) == n and len({u for _, u, _ in rows}) == n and [u for _, u, _ in rows] == uuids
    with local_db.session() as s:
        status = outbox_status(s)
    assert status["sent_kept"] == n and status["failed"] == 0


# ------------------------------------------------------------------------------------------ command


def sync_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    add_arguments("sync", parser)
    return parser.parse_args(list(argv))


def test_sync_status_and_once(tmp_path, monkeypatch, capsys, sqlite_url):
    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DANGJIAN__CONTENT__DEMO_SITE", "")
    terminal_db = Database(f"sqlite:///{tmp_path / 'data' / 'dangjian.db'}")
    fill(terminal_db, 3)
    terminal_db.dispose()

    assert cmd_sync(sync_args("--status")) == 0
    out = capsys.readouterr().out
    assert "central database: not configured" in out and "pending: 3 (attendance 3)" in out

    assert cmd_sync(sync_args("--once", "--central", "postgresql+psycopg://u:secret@127.0.0.1:9/x")) == 1
    captured = capsys.readouterr()
    assert "stopped:" in captured.err and "secret" not in captured.out + captured.err
    assert "tried 1 time(s)" in captured.out and "last error:" in captured.out

    assert cmd_sync(sync_args("--once", "--central", sqlite_url, "--json")) == 0
    status = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert status["pending"] == 0 and status["sent_kept"] == 3
    central = Database(sqlite_url)
    with central.session() as s:
        assert len(s.scalars(select(FleetAttendance)).all()) == 3
    central.dispose()


def test_outbox_payloads_match_the_real_records(local_db):
    with local_db.session() as s:
        result = sign_in(s, first_meeting(s), member(s, "M0103"), method="pin", terminal_id="kiosk-09",
                         now=T0 + timedelta(minutes=1))
        record_uuid = result.record.uuid
        anon = Quiz([], "practice", T0).save(s, None, T0, "kiosk-09")
    rows = {r.record_uuid: r for r in outbox(local_db)}
    assert rows[record_uuid].payload["late"] is False and rows[record_uuid].payload["terminal_id"] == "kiosk-09"
    assert rows[anon.uuid].payload["member_number"] is None and rows[anon.uuid].payload["points"] == 0

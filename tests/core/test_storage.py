"""Storage on SQLite and on a live PostgreSQL: migrations, sign-in rules, content visibility, audit."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from core import content
from core.attendance import SignInError, attendance_summary, sign_in
from core.audit import recent
from core.db import Database, DatabaseError
from core.meetings import MeetingError, close_meeting, create_meeting, current_meetings
from core.models import Attendance, AuditEntry, Base, Branch, ContentItem, Meeting, Member

T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # 14:30 in Asia/Shanghai


def seed(session) -> None:
    b1 = Branch(code="B01", name_zh="第一党支部")
    b2 = Branch(code="B02", name_zh="第二党支部")
    session.add_all([b1, b2])
    session.add_all([Member(number=f"M01{i:02d}", name=f"党员{i}", branch=b1) for i in range(1, 6)])
    session.add(Member(number="M0201", name="外支部", branch=b2))
    session.flush()


def meeting(session, starts=T0, minutes=90, **kw):
    return create_meeting(session, type=kw.pop("type", "支委会"), title_zh="十一月支委会", branch_code="B01",
                          starts_at=starts, ends_at=starts + timedelta(minutes=minutes), place_zh="三楼", **kw)


def member(session, number):
    return session.scalars(select(Member).where(Member.number == number)).one()


def test_migrations_create_exactly_the_models(database):
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0004"
    assert set(inspect(database.engine).get_table_names()) >= {
        "branches", "members", "meetings", "meeting_roster", "attendance", "content_items", "quiz_questions",
        "quiz_results", "audit_log", "settings"}


def test_reopening_is_a_no_op(db_url):
    Database(db_url).dispose()
    Database(db_url).dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url):
    db = Database(sqlite_url)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    db.dispose()


def test_unreachable_database_is_a_clear_error():
    with pytest.raises(DatabaseError, match=r"cannot open database postgresql\+psycopg://u:\*\*\*@127.0.0.1:9/x"):
        Database("postgresql+psycopg://u:secret@127.0.0.1:9/x")


def test_times_come_back_aware_utc(database):
    with database.session() as s:
        seed(s)
        mid = meeting(s, starts=datetime(2026, 11, 26, 14, 30, tzinfo=UTC).astimezone()).id
    with database.session() as s:
        got = s.get(Meeting, mid).starts_at
        assert got.tzinfo is not None and got == datetime(2026, 11, 26, 14, 30, tzinfo=UTC)


def test_sign_in_is_committed_idempotent_and_audited(database):
    with database.session() as s:
        seed(s)
        mt = meeting(s)
        s.commit()
        first = sign_in(s, mt, member(s, "M0101"), method="face", terminal_id="k1", now=T0 - timedelta(minutes=3),
                        match_distance=0.31, liveness="blink")
        # committed before returning: another connection sees it at once
        with database.engine.connect() as other:
            assert other.execute(select(func.count()).select_from(Attendance)).scalar() == 1
        again = sign_in(s, mt, member(s, "M0101"), method="pin", terminal_id="k2", now=T0 + timedelta(minutes=20))
        assert first.created and not again.created and again.record.id == first.record.id
        assert again.record.method == "face" and not again.late
        late = sign_in(s, mt, member(s, "M0102"), method="pin", terminal_id="k1", now=T0 + timedelta(minutes=6))
        assert late.late
        assert attendance_summary(s, mt) == {"expected": 5, "present": 2, "late": 1, "absent": 3, "walk_ins": 0}
        assert [a.action for a in recent(s, "attendance.sign_in")] == ["attendance.sign_in"] * 2


def test_sign_in_outside_the_window_needs_an_admin(database):
    with database.session() as s:
        seed(s)
        mt = meeting(s)
        s.commit()
        with pytest.raises(SignInError, match="不在会议签到时间内"):
            sign_in(s, mt, member(s, "M0101"), method="pin", terminal_id="k1", now=T0 + timedelta(hours=3))
        with pytest.raises(SignInError, match="不在会议签到时间内"):
            sign_in(s, mt, member(s, "M0101"), method="pin", terminal_id="k1", now=T0 - timedelta(hours=1))
        done = sign_in(s, mt, member(s, "M0101"), method="admin", terminal_id="k1", now=T0 + timedelta(hours=3),
                       admin="admin:zhang")
        assert done.created and done.late
        entry = recent(s, "attendance.backfill")[0]
        assert entry.actor == "admin:zhang" and entry.detail["member"] == "M0101"
        close_meeting(s, mt, "admin:zhang")
        s.commit()
        with pytest.raises(SignInError):
            sign_in(s, mt, member(s, "M0102"), method="face", terminal_id="k1", now=T0)


def test_two_terminals_racing_sign_in_once(database):
    with database.session() as s:
        seed(s)
        mid = meeting(s).id
    results, errors = [], []

    def terminal(tid: str) -> None:
        try:
            with database.sessions() as s:
                mt = s.get(Meeting, mid)
                results.append(sign_in(s, mt, member(s, "M0103"), method="face", terminal_id=tid, now=T0).created)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=terminal, args=(f"k{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results) == [False, False, False, True]
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 1


def test_meeting_validation(database):
    with database.session() as s:
        seed(s)
        with pytest.raises(MeetingError, match="unknown meeting type"):
            meeting(s, type="茶话会")
        with pytest.raises(MeetingError, match="end after it starts"):
            meeting(s, minutes=0)
        with pytest.raises(MeetingError, match="unknown member numbers on the roster: M9999"):
            meeting(s, roster=["M0101", "M9999"])
        joint = meeting(s, type="党课", roster=["M0101", "M0201"])
        assert [m.number for m in joint.roster] == ["M0101", "M0201"]


def test_current_meeting_prefers_this_place(database):
    with database.session() as s:
        seed(s)
        a = meeting(s)
        b = create_meeting(s, type="党小组会", title_zh="党小组会", branch_code="B01", starts_at=T0 - timedelta(minutes=10),
                           ends_at=T0 + timedelta(hours=1), place_zh="一楼")
        meeting(s, starts=T0 + timedelta(hours=5))  # later today: not current
        assert [m.id for m in current_meetings(s, T0)] == [a.id, b.id]
        assert [m.id for m in current_meetings(s, T0, place_zh="一楼")] == [b.id, a.id]
        assert current_meetings(s, T0 - timedelta(minutes=29))[0].id == a.id  # opens 30 min early
        assert [m.id for m in current_meetings(s, T0 - timedelta(minutes=45))] == []


def test_only_published_unexpired_content_is_visible(database):
    def item(guid, **kw):
        return ContentItem(kind="notice", source="t", guid=guid, title_zh=guid,
                           published_at=kw.pop("published_at", T0 - timedelta(days=1)), **kw)

    with database.session() as s:
        s.add_all([
            item("draft", review_state="draft"),
            item("branch", review_state="branch_approved"),
            item("old", review_state="published", published_at=T0 - timedelta(days=5)),
            item("pinned", review_state="published", pinned=True, published_at=T0 - timedelta(days=9)),
            item("expired", review_state="published", expires_at=T0 - timedelta(hours=1)),
            item("future", review_state="published", published_at=T0 + timedelta(days=1)),
            item("new", review_state="published"),
            item("urgent", review_state="published", urgent=True, expires_at=T0 + timedelta(hours=2)),
        ])
    with database.session() as s:
        assert [c.guid for c in content.visible(s, "notice", T0)] == ["pinned", "urgent", "new", "old"]  # same time: newest row first
        assert content.active_urgent(s, T0).guid == "urgent"
        assert content.active_urgent(s, T0 + timedelta(hours=3)) is None
        content.active_urgent(s, T0).cleared_at = T0
    with database.session() as s:
        assert content.active_urgent(s, T0) is None


def test_audit_log_keeps_structured_detail(database):
    from core.audit import audit

    with database.session() as s:
        audit(s, "admin:li", "kiosk.unlock", "kiosk", "k1", ok=False, attempts=3)
    with database.session() as s:
        entry = s.scalars(select(AuditEntry)).one()
        assert entry.detail == {"ok": False, "attempts": 3} and entry.at.tzinfo is not None

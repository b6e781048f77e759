"""Quiz grading, points and leaderboard; 三会一课 completion colours on the demo site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import quiz
from core.dashboard import branch_figures
from core.demo import load_site
from core.meetings import create_meeting
from core.models import Branch, ContentItem, Member, QuizQuestion
from tests.conftest import ROOT

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


@pytest.fixture
def demo(database):
    with database.session() as s:
        load_site(s, ROOT / "content" / "demo", NOW, TZ)
    return database


def question(kind, answer, options=3):
    return QuizQuestion(code="x", kind=kind, question_zh="?", options_zh=["a"] * options, answer=answer)


def test_grading_rules():
    assert quiz.is_correct(question("single", [2]), [2])
    assert not quiz.is_correct(question("single", [2]), [1])
    assert quiz.is_correct(question("multi", [0, 2]), [2, 0])
    assert not quiz.is_correct(question("multi", [0, 2]), [0])          # partly right is wrong
    assert not quiz.is_correct(question("multi", [0, 2]), [0, 1, 2])
    assert quiz.is_correct(question("truefalse", [False], 0), False)
    assert not quiz.is_correct(question("truefalse", [False], 0), [0])
    assert not quiz.is_correct(question("single", [0]), None)


def test_exam_points_history_and_leaderboard(demo):
    with demo.session() as s:
        qs = quiz.pick_questions(s, 10, seed=7)
        assert len({q.code for q in qs}) == 10
        me = s.scalars(select(Member).where(Member.number == "M0203")).one()
        other = s.scalars(select(Member).where(Member.number == "M0101")).one()
        exam = quiz.Quiz(qs, "exam", NOW, time_limit=timedelta(minutes=10))
        for q in qs:
            exam.answer(q, q.answer[0] if q.kind == "truefalse" else list(q.answer))
        assert exam.score == 10 and exam.passed() and exam.points == 30
        assert exam.remaining(NOW + timedelta(minutes=4)) == timedelta(minutes=6)
        assert exam.timed_out(NOW + timedelta(minutes=11))
        exam.save(s, me, NOW + timedelta(minutes=5), "k1")
        practice = quiz.Quiz(qs[:4], "practice", NOW)
        practice.answer(qs[0], [99])
        assert practice.score == 0 and practice.points == 0
        practice.save(s, other, NOW, "k1")
        article = s.scalars(select(ContentItem).where(ContentItem.kind == "article")).first()
        assert quiz.award_reading(s, other, article, NOW, "k1") == article.points > 0
        assert quiz.award_reading(s, other, article, NOW, "k1") == 0  # once per member
        board = quiz.leaderboard(s)
        assert [(r.rank, r.number, r.points) for r in board] == [(1, "M0203", 30), (2, "M0101", article.points)]
        assert sorted(r.mode for r in quiz.history(s, other)) == ["practice", "reading"]


def test_dashboard_colours_follow_the_meetings_held(demo):
    with demo.session() as s:
        figures = {f.code: f for f in branch_figures(s, NOW, TZ)}
        assert set(figures) == {"B01", "B02", "B03", "B04"}
        for f in figures.values():
            assert f.status in ("green", "amber", "red")
            assert 0.5 < f.attendance_rate <= 1.0 and f.members > 0
            assert {t.type for t in f.types} == {"支部党员大会", "支委会", "党小组会", "党课"}
        # the demo's B04 (retirees) holds the fewest meetings: it is the worst branch
        assert figures["B04"].completion == min(f.completion for f in figures.values())
        assert figures["B04"].status == "red"


def test_a_new_site_without_history_is_not_red(database):
    with database.session() as s:
        s.add(Branch(code="B01", name_zh="新支部"))
        s.flush()
        s.add(Member(number="M1", name="甲", branch_id=s.scalars(select(Branch.id)).one()))
        s.flush()
        create_meeting(s, type="支委会", title_zh="首次支委会", branch_code="B01", starts_at=NOW - timedelta(days=1),
                       ends_at=NOW - timedelta(days=1) + timedelta(hours=1))
        (fig,) = branch_figures(s, NOW, TZ)
        assert all(t.required == 0 for t in fig.types) and fig.status == "green"


def test_report_and_dashboard_agree_on_the_demo_with_future_meetings_and_a_walk_in(demo):
    """One definition of present/absent (core.attendance): the report's branch rates equal the dashboard's,
    meetings that have not started count nothing, and a walk-in (列席) is in neither rate."""
    from core.attendance import sign_in
    from robot_assistant.face.reports import build_report

    with demo.session() as s:
        create_meeting(s, type="党课", title_zh="下月党课", branch_code="B01", starts_at=NOW + timedelta(days=20),
                       ends_at=NOW + timedelta(days=20, hours=1))
        open_now = create_meeting(s, type="党课", title_zh="正在进行的党课", branch_code="B01",
                                  starts_at=NOW - timedelta(minutes=10), ends_at=NOW + timedelta(hours=1))
        s.commit()
        guest = s.scalars(select(Member).where(Member.number == "M0201")).one()  # another branch's member
        assert sign_in(s, open_now, guest, method="pin", terminal_id="k1", now=NOW).created
        figures = {f.code: f for f in branch_figures(s, NOW, TZ)}
        report = build_report(s, TZ, now=NOW)
    branches = {b.branch_code: b for b in report.branches}
    assert set(branches) == set(figures)
    for code, f in figures.items():
        b = branches[code]
        assert (b.expected, b.present) == (f.expected, f.present), code
        assert b.attendance_rate == pytest.approx(f.attendance_rate, abs=1e-4), code
    upcoming = [m for m in report.meetings if m.state == "upcoming"]
    assert upcoming and all(m.absent == 0 for m in upcoming)
    assert all(d.status == "upcoming" for d in report.details if d.meeting_id in {m.meeting_id for m in upcoming})
    mine = next(m for m in report.meetings if m.meeting_id == open_now.id)
    assert (mine.state, mine.present, mine.extra) == ("open", 0, 1)


def test_dashboard_services_the_screens_read(demo):
    """The dashboard's month figures and a branch's meeting list, and the directory, come from core."""
    from core import directory
    from core.dashboard import branch_meetings, month_meetings
    from core.models import Meeting

    with demo.session() as s:
        local = NOW.astimezone(TZ)
        meetings = list(s.scalars(select(Meeting)))
        this_month = [m for m in meetings if (m.starts_at.astimezone(TZ).year, m.starts_at.astimezone(TZ).month)
                      == (local.year, local.month)]
        count, held = month_meetings(s, NOW, TZ)
        assert count == len(this_month) > 0
        assert held == sum(1 for m in this_month if m.closed or m.ends_at.replace(tzinfo=UTC) <= NOW) < count
        b01 = branch_meetings(s, "B01")
        assert b01 and [m.starts_at for m in b01] == sorted((m.starts_at for m in b01), reverse=True)
        assert all(m.branch.code == "B01" for m in b01)
        assert branch_meetings(s, "B99") is None
        codes = [b.code for b in directory.branches(s)]
        assert codes == sorted(codes) and "B01" in codes
        active = directory.active_members(s)
        assert active and all(m.active for m in active)
        assert [m.number for m in active] == sorted(m.number for m in active)

"""The small core queries the kiosk's learning screens call instead of writing SQL themselves (#18), on a
real database (SQLite and PostgreSQL): who may sign in to learn, which articles a member has read for
points, and every article's title for the history page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.content import articles_by_guid, visible
from core.members import first_active
from core.models import Branch, ContentItem, Member, QuizResult
from core.quiz import articles_read, award_reading

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _branch(s) -> Branch:
    branch = Branch(code="B01", name_zh="第一党支部")
    s.add(branch)
    s.flush()
    return branch


def _article(guid: str, title: str, state: str = "published", points: int = 3, **kw) -> ContentItem:
    return ContentItem(kind="article", source="test", guid=guid, title_zh=title, title_en=f"{title} (en)",
                       body="正文" * 50, review_state=state, points=points, published_at=NOW - timedelta(days=1),
                       **kw)


def test_first_active_takes_the_first_spelling_that_names_an_active_member(database):
    with database.session() as s:
        branch = _branch(s)
        s.add_all([Member(number="0101", name="王芳", branch_id=branch.id),
                   Member(number="M0101", name="李强", branch_id=branch.id),
                   Member(number="M0202", name="赵敏", branch_id=branch.id, active=False),
                   Member(number="0202", name="孙杰", branch_id=branch.id)])
    with database.session() as s:
        assert first_active(s, ["M0101", "0101"]).name == "李强"
        assert first_active(s, ["0101", "M0101"]).name == "王芳"  # the order given decides, not the table's
        assert first_active(s, ["M0202", "0202"]).name == "孙杰"  # an inactive member is passed over
        assert first_active(s, ["M0202"]) is None
        assert first_active(s, ["M0999", ""]) is None
        assert first_active(s, []) is None


def test_articles_read_lists_only_this_members_reading_points(database):
    with database.session() as s:
        branch = _branch(s)
        li = Member(number="M0101", name="李强", branch_id=branch.id)
        wang = Member(number="M0102", name="王芳", branch_id=branch.id)
        s.add_all([li, wang, _article("a1", "文章一"), _article("a2", "文章二"), _article("a3", "文章三")])
        s.flush()
        assert articles_read(s, li) == set() and articles_read(s, None) == set()
        s.add(QuizResult(member_id=li.id, mode="practice", started_at=NOW, finished_at=NOW, score=5, total=10,
                         points=5, answers={"Q1": [0]}))
        s.commit()
    with database.session() as s:
        li, wang = first_active(s, ["M0101"]), first_active(s, ["M0102"])
        a1, a2 = (s.query(ContentItem).filter_by(guid=g).one() for g in ("a1", "a2"))
        assert award_reading(s, li, a1, NOW, "T1") == 3
        assert award_reading(s, wang, a2, NOW, "T1") == 3
    with database.session() as s:
        li, wang = first_active(s, ["M0101"]), first_active(s, ["M0102"])
        assert articles_read(s, li) == {"a1"}  # the practice result is not a reading
        assert articles_read(s, wang) == {"a2"}
        a1 = s.query(ContentItem).filter_by(guid="a1").one()
        assert award_reading(s, li, a1, NOW, "T1") == 0  # once per member: it reads the same rows
        assert articles_read(s, li) == {"a1"}


def test_articles_by_guid_keeps_articles_that_left_the_list(database):
    with database.session() as s:
        s.add_all([_article("a1", "现行文章"), _article("a2", "未发布", state="draft"),
                   _article("a3", "已过期", expires_at=NOW - timedelta(hours=1)),
                   ContentItem(kind="notice", source="test", guid="n1", title_zh="通知", review_state="published",
                               published_at=NOW - timedelta(days=1))])
    with database.session() as s:
        titles = {guid: a.title_zh for guid, a in articles_by_guid(s).items()}
        assert titles == {"a1": "现行文章", "a2": "未发布", "a3": "已过期"}  # no notice
        assert [a.guid for a in visible(s, "article", NOW)] == ["a1"]  # what the list shows, for contrast
        assert articles_by_guid(s)["a2"].title_en == "未发布 (en)"

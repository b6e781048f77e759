"""core.directory on a real database (SQLite and PostgreSQL): the look-ups the kiosk's screens make
instead of writing SQL (the map's branch secretaries, the contacts' branches and members)."""

from __future__ import annotations

from core import directory
from core.models import Branch, Member


def _site(session) -> None:
    b1 = Branch(code="B02", name_zh="第二党支部", secretary_number="M0201")
    b2 = Branch(code="B01", name_zh="第一党支部", secretary_number="M0199")  # a secretary not on the books
    session.add_all([b1, b2])
    session.flush()
    session.add_all([Member(number="M0201", name="孙海涛", branch_id=b1.id),
                     Member(number="M0202", name="王丽", branch_id=b1.id),
                     Member(number="M0101", name="李强", branch_id=b2.id, active=False)])


def test_member_names_by_number(database):
    with database.session() as s:
        _site(s)
    with database.session() as s:
        assert directory.member_names(s, ["M0201", "M0199", "M0101", "M0201"]) == {"M0201": "孙海涛",
                                                                                    "M0101": "李强"}
        assert directory.member_names(s, []) == {}
        assert directory.member_names(s, iter(["M0202"])) == {"M0202": "王丽"}
        secretaries = directory.member_names(s, [b.secretary_number for b in directory.branches(s)])
        assert secretaries == {"M0201": "孙海涛"}


def test_branches_and_active_members_in_order(database):
    with database.session() as s:
        _site(s)
    with database.session() as s:
        assert [b.code for b in directory.branches(s)] == ["B01", "B02"]
        assert [m.number for m in directory.active_members(s)] == ["M0201", "M0202"]

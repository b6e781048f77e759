"""The site's directory (通讯录): branches and the active members, for contacts and look-ups by number.

Why a service: screens ask core for people and branches instead of writing queries, so what "active"
means and the order they are listed in are decided once.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Branch, Member


def branches(session: Session) -> list[Branch]:
    """Every branch, by code."""
    return list(session.scalars(select(Branch).order_by(Branch.code)))


def active_members(session: Session) -> list[Member]:
    """Members still on the books (not moved away or deleted), by member number."""
    return list(session.scalars(select(Member).where(Member.active).order_by(Member.number)))


def member_names(session: Session, numbers: Iterable[str]) -> dict[str, str]:
    """Member number → name for these numbers (unknown numbers are left out): who a branch's secretary
    is, named on the map's branch card."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    return dict(session.execute(select(Member.number, Member.name).where(Member.number.in_(wanted))).all())

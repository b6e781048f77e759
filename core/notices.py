"""Read state of notices per member, and one published item by id (the members' web app, #20).

Why in ``settings``: one small row per member (``notices-read:<number>``, the ids read, newest kept)
needs no new table or migration, and the kiosk, which has no per-member reading, never looks at it.
Only published, unexpired items are ever returned: the same review states as the kiosk's lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.content import visible
from core.models import ContentItem, Member, Setting

if TYPE_CHECKING:
    from core.members import MemberView

#: Read ids kept per member; older ones fall off (a notice that old is long expired or far down).
KEEP_READ = 500


def _key(member: Member | MemberView) -> str:
    return f"notices-read:{member.number}"[:64]


def read_ids(session: Session, member: Member | MemberView) -> set[int]:
    row = session.get(Setting, _key(member))
    if row is None or not isinstance(row.value, dict):
        return set()
    return {int(i) for i in row.value.get("ids", []) if isinstance(i, int)}


def mark_read(session: Session, member: Member | MemberView, item_id: int) -> None:
    """Remember that ``member`` opened notice ``item_id`` (the caller commits)."""
    row = session.get(Setting, _key(member))
    ids = [i for i in (row.value.get("ids", []) if row is not None and isinstance(row.value, dict) else [])
           if isinstance(i, int) and i != item_id]
    ids = ([item_id] + ids)[:KEEP_READ]
    if row is None:
        session.add(Setting(key=_key(member), value={"ids": ids}))
    else:
        row.value = {"ids": ids}


@dataclass(frozen=True)
class Headline:
    """One row of a list page: what it shows of a published item, without its body (lists are read by
    every member of a branch and kept for a few seconds, so they hold nothing bound to a session)."""

    id: int
    title_zh: str
    title_en: str
    published_at: datetime
    urgent: bool
    pinned: bool
    points: int


def headlines(session: Session, kind: str, now: datetime, branch_code: str | None = None,
              limit: int = 100) -> list[Headline]:
    """Published, unexpired items of ``kind`` (``core.content.visible``'s rule and order): for the whole
    organisation, plus the branch's own when ``branch_code`` is given."""
    return [Headline(c.id, c.title_zh, c.title_en or "", c.published_at, bool(c.urgent), bool(c.pinned),
                     int(c.points or 0))
            for c in visible(session, kind, now, limit=limit, branch_code=branch_code)]


def unread(items: list[Headline], seen: set[int]) -> list[Headline]:
    """The notices among ``items`` not yet opened (``seen``: ``read_ids``)."""
    return [n for n in items if n.id not in seen]


def published_item(session: Session, item_id: int, kind: str, now: datetime) -> ContentItem | None:
    """Item ``item_id`` if it is of ``kind``, published, already out and not expired; else None (a draft
    or rejected item's id answers exactly like one that does not exist)."""
    return session.scalars(select(ContentItem).where(
        ContentItem.id == item_id, ContentItem.kind == kind, ContentItem.review_state == "published",
        ContentItem.published_at <= now,
        or_(ContentItem.expires_at.is_(None), ContentItem.expires_at > now))).first()

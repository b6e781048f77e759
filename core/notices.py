"""Read state of notices per member, and one published item by id (the members' web app, #20).

Why in ``settings``: one small row per member (``notices-read:<number>``, the ids read, newest kept)
needs no new table or migration, and the kiosk, which has no per-member reading, never looks at it.
Only published, unexpired items are ever returned: the same review states as the kiosk's lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.content import visible
from core.models import ContentItem, Member, Setting

#: Read ids kept per member; older ones fall off (a notice that old is long expired or far down).
KEEP_READ = 500


def _key(member: Member) -> str:
    return f"notices-read:{member.number}"[:64]


def read_ids(session: Session, member: Member) -> set[int]:
    row = session.get(Setting, _key(member))
    if row is None or not isinstance(row.value, dict):
        return set()
    return {int(i) for i in row.value.get("ids", []) if isinstance(i, int)}


def mark_read(session: Session, member: Member, item_id: int) -> None:
    """Remember that ``member`` opened notice ``item_id`` (the caller commits)."""
    row = session.get(Setting, _key(member))
    ids = [i for i in (row.value.get("ids", []) if row is not None and isinstance(row.value, dict) else [])
           if isinstance(i, int) and i != item_id]
    ids = ([item_id] + ids)[:KEEP_READ]
    if row is None:
        session.add(Setting(key=_key(member), value={"ids": ids}))
    else:
        row.value = {"ids": ids}


def notices_for(session: Session, member: Member, now: datetime, limit: int = 100) -> list[ContentItem]:
    """Published, unexpired notices for the whole organisation and the member's branch."""
    return visible(session, "notice", now, limit=limit, branch_code=member.branch.code if member.branch else None)


def unread(session: Session, member: Member, now: datetime, limit: int = 100) -> list[ContentItem]:
    seen = read_ids(session, member)
    return [n for n in notices_for(session, member, now, limit) if n.id not in seen]


def published_item(session: Session, item_id: int, kind: str, now: datetime) -> ContentItem | None:
    """Item ``item_id`` if it is of ``kind``, published, already out and not expired; else None (a draft
    or rejected item's id answers exactly like one that does not exist)."""
    return session.scalars(select(ContentItem).where(
        ContentItem.id == item_id, ContentItem.kind == kind, ContentItem.review_state == "published",
        ContentItem.published_at <= now,
        or_(ContentItem.expires_at.is_(None), ContentItem.expires_at > now))).first()

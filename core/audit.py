"""The audit log: every enrolment, erasure, sign-in, admin action and rejected input leaves a row.

Written in the caller's session so the audit row commits (or rolls back) together with what it records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import AuditEntry, utcnow


def audit(session: Session, actor: str, action: str, target: str = "", terminal_id: str = "",
          **detail: Any) -> AuditEntry:
    entry = AuditEntry(at=utcnow(), actor=actor, action=action, target=target, terminal_id=terminal_id,
                       detail=detail)
    session.add(entry)
    return entry


def recent(session: Session, action: str | None = None, limit: int = 100) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))

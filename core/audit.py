"""The audit log: every enrolment, erasure, sign-in, admin action and rejected input leaves a row.

Written in the caller's session so the audit row commits (or rolls back) together with what it records.
"""

from __future__ import annotations

import threading
import time
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


class AuditBudget:
    """At most ``per_minute`` audit rows a minute for one kind of refusal; the rest are counted and the
    count is written with the next row that fits (``suppressed_before``).

    Why: a flood of forged push messages or remote commands must be visible in the log without filling
    the terminal's disk with it.
    """

    def __init__(self, per_minute: int = 30, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._lock = threading.Lock()
        self._start, self._written, self._suppressed = clock(), 0, 0

    def take(self) -> int | None:
        """None when over budget (counted); else the number suppressed since the last row written."""
        with self._lock:
            now = self.clock()
            if now - self._start >= 60:
                self._start, self._written = now, 0
            if self._written >= self.per_minute:
                self._suppressed += 1
                return None
            self._written += 1
            suppressed, self._suppressed = self._suppressed, 0
            return suppressed

"""The outbox's domain half: sign-ins and quiz results are queued for the central server in their own
transaction.

Why an outbox: the terminal is offline first — a sign-in is committed to the local SQLite file before it
is shown, whatever the network does. ``enqueue`` adds an ``outbox`` row *in the same transaction* as the
record, so there is never a record without its row nor a row without its record. Copying the rows to the
central PostgreSQL is the fleet's job (``fleet.outbox_sender.OutboxSender``); this module only knows the
rows, their payloads, their status and pruning, so the domain never imports the fleet.

Payloads use natural keys (meeting uuid, member number, branch code), never local ids, because every
terminal numbers its rows itself. The central schema comes from the same migrations (``fleet_*`` tables).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.models import (
    OUTBOX_KINDS,
    Attendance,
    Meeting,
    Member,
    OutboxEntry,
    QuizResult,
    utcnow,
)

log = logging.getLogger(__name__)


class PayloadError(ValueError):
    """A payload that cannot become a central row (missing field, wrong type)."""


# -------------------------------------------------------------------------------------------- writing


def enqueue(session: Session, kind: str, payload: dict[str, Any]) -> OutboxEntry:
    """Add an outbox row for a record in the caller's transaction (nothing is committed here).

    ``payload`` must be JSON data with the record's ``uuid``; use ``attendance_payload`` or
    ``quiz_result_payload`` to build it.
    """
    if kind not in OUTBOX_KINDS:
        raise ValueError(f"unknown outbox kind {kind!r} (one of {', '.join(OUTBOX_KINDS)})")
    uuid = payload.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise ValueError("an outbox payload needs the record's uuid")
    entry = OutboxEntry(kind=kind, record_uuid=uuid, payload=payload, created_at=utcnow(), attempts=0)
    session.add(entry)
    return entry


def attendance_payload(record: Attendance, meeting: Meeting, member: Member) -> dict[str, Any]:
    """A sign-in as the central database wants it: natural keys, ISO times."""
    return {"uuid": record.uuid, "terminal_id": record.terminal_id, "meeting_uuid": meeting.uuid,
            "meeting_type": meeting.type, "meeting_starts_at": meeting.starts_at.isoformat(),
            "branch_code": meeting.branch.code, "member_number": member.number,
            "signed_at": record.signed_at.isoformat(), "method": record.method, "late": bool(record.late),
            "match_distance": record.match_distance, "liveness": record.liveness}


def quiz_result_payload(result: QuizResult, member: Member | None) -> dict[str, Any]:
    """A quiz, exam or reading result (``member`` None for an anonymous visitor)."""
    return {"uuid": result.uuid, "terminal_id": result.terminal_id,
            "member_number": member.number if member else None, "mode": result.mode,
            "started_at": result.started_at.isoformat(), "finished_at": result.finished_at.isoformat(),
            "score": int(result.score), "total": int(result.total), "points": int(result.points or 0),
            "answers": dict(result.answers or {})}


# ------------------------------------------------------------------------------------ central rows


def outbox_status(session: Session) -> dict[str, Any]:
    """What is waiting, from the local database only (works offline): counts, ages, the last error."""
    pending = (OutboxEntry.sent_at.is_(None)) & (OutboxEntry.failed_at.is_(None))
    by_kind = dict(session.execute(select(OutboxEntry.kind, func.count()).where(pending)
                                   .group_by(OutboxEntry.kind)).all())
    head = session.scalars(select(OutboxEntry).where(pending).order_by(OutboxEntry.id).limit(1)).first()
    failed = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.failed_at.is_not(None)))
    sent = session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.sent_at.is_not(None)))
    last_sent = session.scalar(select(func.max(OutboxEntry.sent_at)))
    last_failed = session.scalars(select(OutboxEntry).where(OutboxEntry.failed_at.is_not(None))
                                  .order_by(OutboxEntry.id.desc()).limit(1)).first()
    return {
        "pending": sum(by_kind.values()),
        "pending_by_kind": {k: by_kind.get(k, 0) for k in OUTBOX_KINDS},
        "oldest_pending": head.created_at.isoformat() if head else None,
        "head_attempts": head.attempts if head else 0,
        "last_attempt": head.last_attempt_at.isoformat() if head and head.last_attempt_at else None,
        "last_error": head.last_error if head else None,
        "failed": int(failed or 0),
        "last_failed_error": last_failed.last_error if last_failed else None,
        "sent_kept": int(sent or 0),
        "last_sent": last_sent.isoformat() if last_sent else None,
    }


def prune(session: Session, keep_days: float, now: datetime | None = None) -> int:
    """Delete rows sent more than ``keep_days`` ago (the central copy is the record now)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(OutboxEntry).where(OutboxEntry.sent_at.is_not(None),
                                                       OutboxEntry.sent_at < cutoff))
    return int(result.rowcount or 0)


# --------------------------------------------------------------------------------------------- sender

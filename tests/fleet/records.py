"""Synthetic outbox records in bulk (a day of sign-ins across a big site) and central-side counters, for
the fleet tests and the benchmark."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from core.db import Database
from core.models import FleetAttendance, OutboxEntry
from core.outbox import enqueue

T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)
MEETING_UUID = "5b0c1a4e-0000-4000-8000-000000000001"


def fake_attendance(i: int, terminal_id: str = "kiosk-07") -> dict[str, Any]:
    """A sign-in payload shaped exactly as ``attendance_payload`` makes one."""
    return {"uuid": str(uuid.uuid4()), "terminal_id": terminal_id, "meeting_uuid": MEETING_UUID,
            "meeting_type": "支部党员大会", "meeting_starts_at": T0.isoformat(), "branch_code": "B01",
            "member_number": f"M{i:07d}", "signed_at": (T0 + timedelta(seconds=i)).isoformat(),
            "method": "face", "late": i % 7 == 0, "match_distance": 0.31, "liveness": "blink"}


def fill(db: Database, n: int, terminal_id: str = "kiosk-07") -> list[str]:
    """Enqueue ``n`` sign-ins in one transaction; returns their uuids in order."""
    uuids = []
    with db.session() as s:
        for i in range(n):
            payload = fake_attendance(i, terminal_id)
            enqueue(s, "attendance", payload)
            uuids.append(payload["uuid"])
    return uuids


def pending(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.sent_at.is_(None), OutboxEntry.failed_at.is_(None))) or 0


def central_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(FleetAttendance)) or 0


def central_rows(db: Database) -> list[tuple[int, str, int]]:
    """(central id, uuid, outbox_seq) in the order the central database stored them."""
    with db.session() as s:
        return [tuple(r) for r in s.execute(select(FleetAttendance.id, FleetAttendance.uuid,
                                                   FleetAttendance.outbox_seq).order_by(FleetAttendance.id))]


def wait_until(condition: Callable[[], Any], timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())

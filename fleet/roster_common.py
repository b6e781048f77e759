"""What the roster log holds: its rows' payloads and digests, and the errors both sides share.

See ``fleet.roster_sync`` for how the log works."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from core.db import DatabaseError
from core.models import (
    Branch,
    FleetRosterChange,
    Meeting,
    Member,
)
from fleet.signing import SIG_FIELD

log = logging.getLogger(__name__)


TABLE = FleetRosterChange.__table__
ACTOR = "roster-sync"
CURSOR_KEY = "roster_sync"
LOG_KEY = "roster_sync_log"
KEEP_SKIPPED = 20
MAX_TEMPLATES = 100
ENCODING_BYTES = 128 * 4
DELETED_DIGEST = "deleted"


class RowSkip(ValueError):
    """This row cannot be applied here; the reason is recorded and the cursor moves past it.

    ``policy`` marks a row ignored on purpose (face rows on a terminal with face sign-in off): counted
    apart, not reported as a problem."""

    def __init__(self, reason: str, policy: bool = False):
        super().__init__(reason)
        self.policy = policy


class CentralUnavailable(RuntimeError):
    """The central database failed while a batch was being applied (the batch is retried)."""


class _CursorMoved(Exception):
    """Another pull moved the cursor since this batch was fetched: fetch again."""


_TRANSIENT = (OperationalError, InterfaceError, DatabaseError, CentralUnavailable, OSError, TimeoutError)


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


# ====================================================================================== publishing


def branch_payload(b: Branch) -> dict[str, Any]:
    return {"code": b.code, "name_zh": b.name_zh, "name_en": b.name_en or "",
            "secretary_number": b.secretary_number, "phone": b.phone or "", "place_zh": b.place_zh or "",
            "lat": b.lat, "lon": b.lon}


def member_payload(m: Member) -> dict[str, Any]:
    return {"number": m.number, "name": m.name, "name_en": m.name_en or "", "branch_code": m.branch.code,
            "gender": m.gender or "", "role": m.role or "", "status": m.status or "",
            "category": m.category or "", "group_name": m.group_name or "",
            "joined_on": m.joined_on.isoformat() if m.joined_on else None, "phone": m.phone or "",
            "pin_hash": m.pin_hash, "active": bool(m.active)}


def meeting_payload(mt: Meeting) -> dict[str, Any]:
    return {"uuid": mt.uuid, "type": mt.type, "title_zh": mt.title_zh, "title_en": mt.title_en or "",
            "branch_code": mt.branch.code, "place_zh": mt.place_zh or "", "starts_at": mt.starts_at.isoformat(),
            "ends_at": mt.ends_at.isoformat(), "closed": bool(mt.closed),
            "roster": sorted(m.number for m in mt.roster)}

def signed_body(revision: int, kind: str, key: str, deleted: bool, payload: dict[str, Any]) -> dict[str, Any]:
    """What a roster row's Ed25519 signature covers: the payload *and* its place in the log, so a row
    copied to another key or replayed later at a new revision (an erased face brought back) fails."""
    return {"revision": int(revision), "kind": kind, "key": key, "deleted": bool(deleted),
            "payload": {k: v for k, v in payload.items() if k != SIG_FIELD}}

"""The terminal's roster bookkeeping: what a pull did, and the cursor and pull log in ``settings``.

Why apart from the applying: ``sync --status`` and the admin screen read the cursor and the last pulls
from the local database alone (offline too), and the puller writes them in each batch's own transaction;
neither needs the row-applying code. See ``fleet.roster_sync`` for how the log works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.models import ROSTER_KINDS, Setting
from fleet.roster_common import CURSOR_KEY, LOG_KEY


@dataclass
class PullResult:
    """What a pull did. ``applied`` counts upserts per kind, ``deleted`` deletions applied."""

    rows: int = 0
    batches: int = 0
    applied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    skipped: int = 0
    ignored: int = 0
    """Face rows on a terminal with face sign-in off (erasures are still applied)."""
    reasons: list[str] = field(default_factory=list)
    """``rev N kind key: reason`` of each skipped row."""
    notes: list[str] = field(default_factory=list)
    """Applied with a remark: a roster member the log lacks, a deletion turned into "inactive"/"closed"."""
    cursor: int = 0
    error: str | None = None
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(self.applied.values()) or any(self.deleted.values())

    def merge(self, other: PullResult) -> None:
        self.rows += other.rows
        self.batches += other.batches
        for k in ROSTER_KINDS:
            self.applied[k] += other.applied[k]
            self.deleted[k] += other.deleted[k]
        self.skipped += other.skipped
        self.ignored += other.ignored
        self.reasons += other.reasons
        self.notes += other.notes
        self.cursor = max(self.cursor, other.cursor)
        if other.error:
            self.error = other.error
            self.errors.append(other.error)

    def summary(self) -> str:
        applied = ", ".join(f"{k} {n}" for k, n in self.applied.items() if n) or "nothing"
        line = f"roster: {self.rows} change(s) in {self.batches} batch(es); applied {applied}"
        deleted = ", ".join(f"{k} {n}" for k, n in self.deleted.items() if n)
        if deleted:
            line += f"; deleted {deleted}"
        if self.skipped:
            line += f"; skipped {self.skipped}"
        if self.ignored:
            line += f"; {self.ignored} face row(s) ignored (face sign-in is off)"
        return line + f"; at revision {self.cursor}"


def _setting(session: Session, key: str) -> dict[str, Any]:
    row = session.get(Setting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def _put(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def roster_status(session: Session) -> dict[str, Any]:
    """The cursor and the last pulls, from the local database only (works offline)."""
    cursor, info = _setting(session, CURSOR_KEY), _setting(session, LOG_KEY)
    return {"revision": int(cursor.get("revision", 0)), "applied_at": cursor.get("at"),
            "last_pull_at": info.get("last_pull_at"), "last_success_at": info.get("last_success_at"),
            "last_error": info.get("last_error"), "last_error_at": info.get("last_error_at"),
            "skipped_total": int(info.get("skipped_total", 0)), "skipped_recent": list(info.get("skipped", []))}


def _set_roster_cursor(session: Session, revision: int, when: datetime) -> None:
    _put(session, CURSOR_KEY, {"revision": int(revision), "at": when.isoformat()})

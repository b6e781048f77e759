"""Signing members in to meetings.

The rule that matters most: a sign-in is committed before anyone is told it happened. ``sign_in``
commits in its own transaction and only then returns, so a screen that shows "签到成功" is showing a row
that is on disk. It is idempotent — a second sign-in by the same member returns the first record — and
the database's unique constraint keeps it so even when two terminals race. When the disk is full the
commit fails as a whole (record, audit and outbox row together) and ``sign_in`` raises
``SignInStorageFullError``: a ``SignInError``, so every screen that shows a refused sign-in already shows
this one, and a ``StorageFullError`` for code that handles storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit import audit
from core.db import StorageFullError, is_storage_full, storage_path
from core.meetings import OPEN_EARLY
from core.models import SIGN_IN_METHODS, Attendance, Meeting, Member, new_uuid
from core.outbox import attendance_payload, enqueue

#: Signing in later than this after the start counts as late (迟到).
LATE_AFTER = timedelta(minutes=5)


class SignInError(ValueError):
    """A sign-in that is refused; the message can be shown to the member."""


class SignInStorageFullError(SignInError, StorageFullError):
    """The terminal's disk is full: the sign-in was not saved (nothing of it was written)."""

    def __init__(self, path: str):
        self.path = path
        Exception.__init__(self, f"存储空间已满，签到未保存，请联系管理员（{path}） / "
                                 f"disk full: the sign-in was not saved, please call an administrator ({path})")


@dataclass(frozen=True)
class SignInResult:
    record: Attendance
    created: bool
    """False when the member had already signed in (the first record is returned)."""

    @property
    def late(self) -> bool:
        return self.record.late


def sign_in(session: Session, meeting: Meeting, member: Member, *, method: str, terminal_id: str,
            now: datetime, match_distance: float | None = None, liveness: str | None = None,
            admin: str | None = None) -> SignInResult:
    """Record ``member`` at ``meeting`` and commit. Outside the meeting's window only an ``admin`` may
    record (a back-fill, audited)."""
    if method not in SIGN_IN_METHODS:
        raise SignInError(f"unknown sign-in method {method!r}")
    if not member.active:
        raise SignInError("该党员账号已停用 / this member is inactive")
    existing = _existing(session, meeting, member)
    if existing is not None:
        return SignInResult(existing, created=False)
    in_window = meeting.starts_at - OPEN_EARLY <= now <= meeting.ends_at and not meeting.closed
    if not in_window and admin is None:
        raise SignInError("不在会议签到时间内 / the meeting is not open for sign-in")
    record = Attendance(uuid=new_uuid(), meeting_id=meeting.id, member_id=member.id, signed_at=now,
                        method=method, terminal_id=terminal_id, late=now > meeting.starts_at + LATE_AFTER,
                        match_distance=match_distance, liveness=liveness)
    session.add(record)
    actor = admin or f"member:{member.number}"
    audit(session, actor, "attendance.backfill" if not in_window else "attendance.sign_in",
          f"meeting:{meeting.id}", terminal_id, member=member.number, method=method)
    try:
        enqueue(session, "attendance", attendance_payload(record, meeting, member))  # same transaction
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _existing(session, meeting, member)
        if existing is None:
            raise
        return SignInResult(existing, created=False)
    except SQLAlchemyError as exc:
        session.rollback()
        if is_storage_full(exc):
            raise SignInStorageFullError(_where(session)) from exc
        raise
    return SignInResult(record, created=True)


def _where(session: Session) -> str:
    """The database file the session writes to (for the message)."""
    return storage_path(session.get_bind().url.render_as_string(hide_password=False))


def _existing(session: Session, meeting: Meeting, member: Member) -> Attendance | None:
    return session.scalars(select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.member_id == member.id)).first()


def attendance_summary(session: Session, meeting: Meeting) -> dict[str, int]:
    """Counts for a meeting: expected (roster), present, late, absent."""
    present = list(session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))
    expected = len(meeting.roster)
    late = sum(1 for a in present if a.late)
    return {"expected": expected, "present": len(present), "late": late,
            "absent": max(expected - len(present), 0)}

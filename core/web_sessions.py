"""Login sessions of the members' web app (#20), kept server-side so logging out ends them.

The browser holds a random token (in a signed, HttpOnly cookie); the database holds only its SHA-256
under ``settings`` (``websess:<hash>``) with the member and the expiry, so a copied database does not
yield usable cookies, and a logout, an expiry or a deactivated member ends the session at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Member, Setting

PREFIX = "websess:"


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()[:48]


def create(session: Session, member: Member, now: datetime, lifetime: timedelta) -> str:
    """A new session token for ``member`` (the caller commits)."""
    token = secrets.token_urlsafe(32)
    session.add(Setting(key=_key(token), value={"member_id": member.id,
                                                "expires": (now + lifetime).isoformat()}))
    return token


def lookup(session: Session, token: str | None, now: datetime) -> tuple[int, datetime] | None:
    """(member id, expiry) of a live session, or None (unknown, expired or damaged)."""
    if not token or len(token) > 100:
        return None
    row = session.get(Setting, _key(token))
    if row is None or not isinstance(row.value, dict):
        return None
    try:
        expires = datetime.fromisoformat(row.value["expires"])
        if expires <= now:
            return None
        return int(row.value["member_id"]), expires
    except (KeyError, TypeError, ValueError):
        return None


def member_id(session: Session, token: str | None, now: datetime) -> int | None:
    """The member a live session belongs to, or None (unknown, expired or damaged)."""
    found = lookup(session, token, now)
    return found[0] if found else None


def end(session: Session, token: str | None) -> None:
    if token:
        row = session.get(Setting, _key(token))
        if row is not None:
            session.delete(row)


def prune(session: Session, now: datetime) -> int:
    """Delete expired sessions; returns how many."""
    gone = 0
    for row in session.scalars(select(Setting).where(Setting.key.like(PREFIX + "%"))):
        try:
            expired = datetime.fromisoformat(row.value["expires"]) <= now
        except (KeyError, TypeError, ValueError, AttributeError):
            expired = True
        if expired:
            session.delete(row)
            gone += 1
    return gone

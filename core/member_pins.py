"""Giving a member the PIN for sign-in by number (the kiosk's 设置党员 PIN panel), and taking it away
(``launcher.py members reset-pin``).

Why a service: what a member's PIN may be, how it is kept (a scrypt hash, never the digits), that the
number's wrong-PIN lockout is lifted and that the change is audited are decided here once, so the
kiosk's admin screen only asks and shows — it writes nothing to the database itself.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.audit import audit
from core.members import by_number
from core.models import Member
from core.secrets import MEMBER_PIN, MEMBER_PIN_MIN, Lockout, PinError, check_pin_format, hash_pin

#: What an administrator's audit entry says was done.
PIN_SET = "member.pin_set"
PIN_RESET = "member.pin_reset"


def check_new_pin(digits: str) -> str:
    """The PIN as it will be kept (full-width digits made ASCII) if a member may have it: 6-12 digits, not
    one digit repeated (111111) nor a run up or down (123456, 987654). Raises :class:`PinError` with a
    "中文 / English" message otherwise."""
    pin = check_pin_format(digits, MEMBER_PIN_MIN)
    if len(set(pin)) == 1 or pin in "01234567890" or pin in "09876543210":
        raise PinError("PIN 过于简单（如 111111、123456） / too easy to guess (like 111111 or 123456)")
    return pin


def set_member_pin(session: Session, number: str, pin: str, *, actor: str, terminal_id: str) -> Member | None:
    """Give member ``number`` this PIN (checked with :func:`check_new_pin`, kept as a hash), clear the
    number's wrong-PIN lockout and audit ``member.pin_set`` naming ``actor``; None when no member has
    the number (nothing is changed)."""
    member = by_number(session, number)
    if member is None:
        return None
    member.pin_hash = hash_pin(check_new_pin(pin), MEMBER_PIN_MIN)
    Lockout(f"pin:{member.number}", MEMBER_PIN).clear(session)
    audit(session, actor, PIN_SET, f"member:{member.number}", terminal_id)
    return member


def reset_member_pin(session: Session, number: str, *, actor: str, terminal_id: str) -> Member | None:
    """Remove member ``number``'s PIN (the member then signs in by face, or by a new PIN set later), clear
    the number's wrong-PIN lockout and audit ``member.pin_reset`` naming ``actor``; None when no member
    has the number (nothing is changed)."""
    member = by_number(session, number)
    if member is None:
        return None
    member.pin_hash = None
    Lockout(f"pin:{member.number}", MEMBER_PIN).clear(session)
    audit(session, actor, PIN_RESET, f"member:{member.number}", terminal_id)
    return member

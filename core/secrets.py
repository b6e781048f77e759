"""PIN hashing with scrypt (hashlib), for member PINs and the administrator PIN.

Stored as ``scrypt$n$r$p$salt_b64$hash_b64`` so the cost can rise later without breaking old hashes.
Comparison is constant-time.

Digits: only ASCII 0-9 can be typed on the kiosk keypad, so a PIN is ASCII digits everywhere. Full-width
digits (０-９, what a Chinese input method types) are normalised to ASCII by ``normalise_pin`` — for
``pin-hash``, ``members set-pin`` and the checks alike — so a hash made from "１２３４５６" opens with
123456 on the keypad. Any other character (letters, "²", Arabic-Indic digits: ``str.isdigit`` accepts
those) is refused with a message, because a PIN nobody can type is a lock without a key.

Lockouts (below, with the PINs they guard): persisted, escalating, for everything a PIN opens (member
sign-in, the admin panel).

Why persisted: a lockout held in memory is forgotten by a restart — and the kiosk restarts on a watchdog,
a power cut or the admin panel's own button — so the right PIN used to work 78 s into a 5-minute lockout.
The state lives in the ``settings`` table (one row per key, ``lockout:<key>``), written in the caller's
session: the failure, its audit row and the new lock commit together.

Why escalating: with a fixed "5 tries then 5 minutes" a patient guesser gets 1,440 tries a day. Here the
first ``free_tries`` failures cost nothing, then each further failure locks for ``base`` doubled each time
(1, 2, 4 … minutes), up to ``cap``. A try while locked is refused without looking at the PIN and does not
count. A right PIN clears the key's failures.

Why keyed by the number typed and not by the member: an unknown number must behave exactly like a known
one (same messages, same lock), or the lockout itself tells a visitor which numbers exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.models import Setting

_N, _R, _P = 2**14, 8, 1

#: Member PINs guard attendance records and learning points: at least 6 digits (1,000,000 choices,
#: with the escalating lockout of core.secrets a guesser gets a few dozen tries a day).
MEMBER_PIN_MIN = 6
ADMIN_PIN_MIN = 4
PIN_MAX = 12

_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class PinError(ValueError):
    """A PIN that cannot be used; the message says why (bilingual, shown to the administrator)."""


def normalise_pin(pin: str) -> str:
    """Full-width digits to ASCII, surrounding blanks dropped; anything but 0-9 left for the caller to refuse."""
    return (pin or "").strip().translate(_FULL_WIDTH)


def check_pin_format(pin: str, min_length: int = ADMIN_PIN_MIN) -> str:
    """The normalised PIN, or ``PinError`` saying what is wrong with it."""
    value = normalise_pin(pin)
    if not _ASCII_DIGITS.fullmatch(value):
        raise PinError("PIN 只能由数字 0-9 组成 / a PIN is digits 0-9 only (the keypad has no other keys)")
    if not min_length <= len(value) <= PIN_MAX:
        raise PinError(f"PIN 须为 {min_length} 到 {PIN_MAX} 位数字 / a PIN is {min_length} to {PIN_MAX} digits")
    return value


def hash_pin(pin: str, min_length: int = ADMIN_PIN_MIN) -> str:
    value = check_pin_format(pin, min_length)
    salt = os.urandom(16)
    digest = hashlib.scrypt(value.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    """True when ``pin`` matches ``stored``; False for a malformed or missing hash (never raises)."""
    pin = normalise_pin(pin) if isinstance(pin, str) else ""
    if not stored or not pin or not _ASCII_DIGITS.fullmatch(pin):
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# ------------------------------------------------------------------------------------- lockouts
@dataclass(frozen=True)
class Policy:
    free_tries: int
    """Failures allowed before the first lock."""
    base: timedelta
    """The first lock; each further failure doubles it."""
    cap: timedelta
    forget_after: timedelta | None = None
    """Failures older than this (since the last one) are forgotten; None: only a right PIN clears them."""


#: One member number: 5 free tries, then 1, 2, 4 … minutes, at most a day (20 wrong PINs take days).
MEMBER_PIN = Policy(5, timedelta(minutes=1), timedelta(hours=24))
#: All member PINs typed at one terminal (guessing one PIN across many numbers): 20 failures an hour.
TERMINAL_PIN = Policy(20, timedelta(minutes=5), timedelta(hours=1), forget_after=timedelta(hours=1))
#: The administrator PIN: 5 free tries, then 5, 10, 20 … minutes, at most a day.
ADMIN_PIN = Policy(5, timedelta(minutes=5), timedelta(hours=24))


@dataclass(frozen=True)
class LockState:
    failures: int
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def tries_left(self, policy: Policy) -> int:
        """Tries before the next failure locks (0: the next wrong PIN locks)."""
        return max(policy.free_tries - self.failures - 1, 0)


def minutes_left(until: datetime, now: datetime) -> int:
    """Whole minutes to show for a lock (rounded up, at least 1)."""
    return max(1, int((until - now).total_seconds() + 59) // 60)


def _setting_key(key: str) -> str:
    raw = f"lockout:{key}"
    return raw if len(raw) <= 64 else "lockout:" + hashlib.sha256(key.encode()).hexdigest()[:48]


class Lockout:
    """The failures and lock of one key (``pin:M0101``, ``pin-terminal:T1``, ``admin:T1``)."""

    def __init__(self, key: str, policy: Policy) -> None:
        self.key, self.policy = key, policy
        self.setting_key = _setting_key(key)

    def state(self, session: Session, now: datetime) -> LockState:
        row = session.get(Setting, self.setting_key)
        if row is None or not isinstance(row.value, dict):
            return LockState(0, None)
        v = row.value
        try:
            failures = int(v.get("failures", 0))
            last = datetime.fromisoformat(v["last"]) if v.get("last") else None
            until = datetime.fromisoformat(v["until"]) if v.get("until") else None
        except (TypeError, ValueError):  # a damaged row locks nothing out, and is rewritten on the next try
            return LockState(0, None)
        forget = self.policy.forget_after
        if forget is not None and last is not None and now - last > forget and not (until and now < until):
            return LockState(0, None)
        return LockState(failures, until)

    def fail(self, session: Session, now: datetime) -> LockState:
        """Count one wrong PIN (not called while locked); returns the new state, lock included."""
        failures = self.state(session, now).failures + 1
        until = None
        over = failures - self.policy.free_tries
        if over >= 0:
            until = now + min(self.policy.base * (2 ** min(over, 30)), self.policy.cap)
        self._write(session, {"failures": failures, "last": now.isoformat(),
                              "until": until.isoformat() if until else None})
        return LockState(failures, until)

    def clear(self, session: Session) -> None:
        row = session.get(Setting, self.setting_key)
        if row is not None:
            session.delete(row)

    def _write(self, session: Session, value: dict) -> None:
        row = session.get(Setting, self.setting_key)
        if row is None:
            session.add(Setting(key=self.setting_key, value=value))
        else:
            row.value = value  # a new dict: the JSON column sees the change


# ------------------------------------------------------------------------------------ member PINs

@dataclass(frozen=True)
class PinCheck:
    """The outcome of one member PIN try. ``member`` is set only when the PIN was right: a screen has
    no name to show before that."""

    ok: bool
    outcome: str
    """ok | wrong | lockout (this failure locked) | locked (refused without checking)"""
    member: object | None = None
    locked_until: datetime | None = None
    tries_left: int = 0

    def message(self, now: datetime) -> tuple[str, str]:
        """(中文, English) for the person at the keypad; the same for unknown numbers, members without a
        PIN and wrong PINs, so the screen tells nobody which numbers exist."""
        if self.ok:
            return "PIN 正确", "PIN accepted"
        if self.locked_until is not None and self.outcome in ("locked", "lockout"):
            m = minutes_left(self.locked_until, now)
            return (f"PIN 错误次数过多，请 {m} 分钟后再试，或请管理员确认签到",
                    f"Too many wrong PINs: try again in {m} min, or ask an administrator")
        return (f"党员编号或 PIN 不正确，还可以再试 {self.tries_left} 次（未设置 PIN 的党员请联系管理员）",
                f"Wrong member number or PIN; {self.tries_left} tries left (no PIN yet? ask an administrator)")


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to check against when there is no member or no PIN: the same scrypt time either way."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_pin("000000000000")
    return _dummy_hash


def member_lockouts(number: str, terminal_id: str) -> tuple[Lockout, Lockout]:
    return Lockout(f"pin:{number}", MEMBER_PIN), Lockout(f"pin-terminal:{terminal_id}", TERMINAL_PIN)


def check_member_pin(session: Session, number: str, member, pin: str, *, terminal_id: str, now: datetime,
                     purpose: str, lock_terminal: bool = True) -> PinCheck:
    """Check ``pin`` for the member number typed (``member``: the active member found for it, or None).

    Every failure and every refused try is audited (``pin.failed`` / ``pin.locked``) in ``session``
    together with the lockout it changes; the caller commits. A right PIN clears the number's failures
    and is audited by what it then does (a sign-in, a login). ``lock_terminal`` False leaves the
    terminal's lockout out (neither checked nor counted): the web app's "terminal" is a client address,
    and one address may be a whole company behind NAT, so it rate-limits addresses instead of locking
    them; the member number's lockout applies all the same.
    """
    from core.audit import audit

    mine, terminal = member_lockouts(number, terminal_id)
    states = [mine.state(session, now)] + ([terminal.state(session, now)] if lock_terminal else [])
    locked = [s.locked_until for s in states if s.locked(now)]
    if locked:
        until = max(locked)
        audit(session, f"member:{number}"[:100], "pin.locked", purpose, terminal_id, until=until.isoformat(),
              scope="member" if states[0].locked(now) else "terminal")
        return PinCheck(False, "locked", locked_until=until)
    usable = member is not None and getattr(member, "active", False) and bool(member.pin_hash)
    right = verify_pin(pin, member.pin_hash if usable else _dummy())
    if usable and right:
        mine.clear(session)
        return PinCheck(True, "ok", member=member)
    reason = "wrong" if usable else ("no_pin" if member is not None else "unknown_number")
    after = mine.fail(session, now)
    t_after = terminal.fail(session, now) if lock_terminal else None
    until = max((u for u in (after.locked_until, t_after and t_after.locked_until) if u is not None), default=None)
    outcome = "lockout" if until is not None else "wrong"
    audit(session, f"member:{number}"[:100], "pin.failed", purpose, terminal_id, reason=reason,
          failures=after.failures, terminal_failures=t_after.failures if t_after else None,
          locked_until=until.isoformat() if until else None)
    return PinCheck(False, outcome, locked_until=until, tries_left=after.tries_left(MEMBER_PIN) + 1
                    if until is None else 0)

"""The administrator lock: a PIN checked against a scrypt hash from the configuration, with a lockout.

Why here and not in a screen: the rule (5 wrong PINs lock the panel for 5 minutes, then 10, 20 … at most a
day; every attempt is audited) must hold whatever screen asks, and be testable without drawing anything.
Why the lockout is in the database (``core.secrets``): one kept in memory was forgotten by a restart, and a
restart is one corner-hold and a watchdog away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.audit import audit
from core.secrets import ADMIN_PIN, Lockout, minutes_left, verify_pin
from core.terminal import Terminal

MAX_FAILURES = ADMIN_PIN.free_tries
LOCKOUT = ADMIN_PIN.base


@dataclass
class UnlockResult:
    ok: bool
    message_zh: str
    message_en: str


class AdminLock:
    def __init__(self, terminal: Terminal, pin_hash: str | None) -> None:
        self.terminal = terminal
        self.pin_hash = pin_hash
        self.lockout = Lockout(f"admin:{terminal.terminal_id}", ADMIN_PIN)

    def locked_until(self, now: datetime) -> datetime | None:
        with self.terminal.db.session() as s:
            state = self.lockout.state(s, now)
        return state.locked_until if state.locked(now) else None

    def try_unlock(self, pin: str, now: datetime) -> UnlockResult:
        """Check one PIN; the lockout change and the audit row commit together."""
        with self.terminal.db.session() as s:
            if self.pin_hash is None:
                return self._record(s, False, "未设置管理员密码（kiosk.admin_pin_hash）",
                                    "No admin PIN configured (kiosk.admin_pin_hash)", "not-configured")
            state = self.lockout.state(s, now)
            if state.locked(now):
                minutes = minutes_left(state.locked_until, now)
                return self._record(s, False, f"错误次数过多，请 {minutes} 分钟后再试",
                                    f"Too many wrong PINs: try again in {minutes} min", "locked")
            if verify_pin(pin, self.pin_hash):
                self.lockout.clear(s)
                return self._record(s, True, "已解锁", "Unlocked", "ok")
            after = self.lockout.fail(s, now)
            if after.locked_until is not None:
                minutes = minutes_left(after.locked_until, now)
                return self._record(s, False, f"错误次数过多，已锁定 {minutes} 分钟",
                                    f"Too many wrong PINs: locked for {minutes} min", "lockout",
                                    failures=after.failures)
            left = after.tries_left(ADMIN_PIN) + 1
            return self._record(s, False, f"密码错误，还可尝试 {left} 次", f"Wrong PIN: {left} tries left", "wrong",
                                failures=after.failures)

    def _record(self, s, ok: bool, zh: str, en: str, outcome: str, **detail) -> UnlockResult:
        audit(s, "admin", "kiosk.unlock", "admin-panel", self.terminal.terminal_id, ok=ok, outcome=outcome, **detail)
        return UnlockResult(ok, zh, en)

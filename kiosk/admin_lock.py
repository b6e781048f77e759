"""The administrator lock: a PIN checked against a scrypt hash from the configuration, with a lockout.

Why here and not in a screen: the rule (5 wrong PINs lock the panel for 5 minutes; every attempt is
audited) must hold whatever screen asks, and be testable without drawing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import audit
from core.secrets import verify_pin
from core.terminal import Terminal

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)


@dataclass
class UnlockResult:
    ok: bool
    message_zh: str
    message_en: str


class AdminLock:
    def __init__(self, terminal: Terminal, pin_hash: str | None) -> None:
        self.terminal = terminal
        self.pin_hash = pin_hash
        self.failures = 0
        self.locked_until: datetime | None = None

    def try_unlock(self, pin: str, now: datetime) -> UnlockResult:
        if self.pin_hash is None:
            return self._record(now, False, "未设置管理员密码（kiosk.admin_pin_hash）",
                                "No admin PIN configured (kiosk.admin_pin_hash)", "not-configured")
        if self.locked_until is not None and now < self.locked_until:
            minutes = int((self.locked_until - now).total_seconds() // 60) + 1
            return self._record(now, False, f"错误次数过多，请 {minutes} 分钟后再试",
                                f"Too many wrong PINs: try again in {minutes} min", "locked")
        if verify_pin(pin, self.pin_hash):
            self.failures, self.locked_until = 0, None
            return self._record(now, True, "已解锁", "Unlocked", "ok")
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures, self.locked_until = 0, now + LOCKOUT
            return self._record(now, False, "错误次数过多，已锁定 5 分钟", "Too many wrong PINs: locked for 5 min",
                                "lockout")
        left = MAX_FAILURES - self.failures
        return self._record(now, False, f"密码错误，还可尝试 {left} 次", f"Wrong PIN: {left} tries left", "wrong")

    def _record(self, now: datetime, ok: bool, zh: str, en: str, outcome: str) -> UnlockResult:
        with self.terminal.db.session() as s:
            audit(s, "admin", "kiosk.unlock", "admin-panel", self.terminal.terminal_id, ok=ok, outcome=outcome)
        return UnlockResult(ok, zh, en)

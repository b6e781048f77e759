"""Reading the fields of a JSON payload that crossed the central database, strictly.

Why one reader: payloads come from another machine (a terminal's outbox rows going up, the roster log
coming down), so every field is checked for type and size before it reaches a column — a string too long
for its column, a zoneless time or a ``true`` where a number belongs must be refused as *this row's*
fault with a reason a person can act on, not fail the whole batch in the driver. The outbox and the
roster puller refuse with different exceptions (``core.outbox.PayloadError``, ``fleet.roster_common.RowSkip``),
so a ``PayloadFields`` is made once per side with its own ``error`` and message prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any


class PayloadFields:
    """Field readers that raise ``error(prefix + reason)`` for a value of the wrong type or size."""

    def __init__(self, error: Callable[[str], Exception], prefix: str = "") -> None:
        self.error = error
        self.prefix = prefix

    def _fail(self, reason: str) -> Exception:
        return self.error(self.prefix + reason)

    def text(self, p: dict, key: str, limit: int, *, optional: bool = False, empty: bool = False) -> Any:
        """Text of 1-``limit`` characters (``empty``: 0-``limit``, a missing key reads ""); ``optional``:
        a missing key or ``null`` reads None."""
        value = p.get(key)
        if value is None and (optional or empty):
            return None if optional else ""
        if not isinstance(value, str) or len(value) > limit or (not value and not empty):
            size = f"up to {limit}" if empty else f"1-{limit}"
            raise self._fail(f"{key}: text of {size} characters expected, got {str(value)[:40]!r}")
        return value

    def when(self, p: dict, key: str) -> datetime:
        """An ISO time with its UTC offset (a zoneless time is ambiguous across terminals' zones)."""
        try:
            value = datetime.fromisoformat(p[key])
        except (KeyError, TypeError, ValueError):
            raise self._fail(f"{key}: an ISO time expected, got {str(p.get(key))[:40]!r}") from None
        if value.tzinfo is None:
            raise self._fail(f"{key}: a time with its UTC offset expected")
        return value

    def flag(self, p: dict, key: str) -> bool:
        value = p.get(key)
        if not isinstance(value, bool):
            raise self._fail(f"{key}: true or false expected")
        return value

    def number(self, p: dict, key: str) -> float | None:
        """A number (not a boolean, which JSON would let through as 0/1), or None when missing."""
        value = p.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise self._fail(f"{key}: a number expected")
        return None if value is None else float(value)

    def integer(self, p: dict, key: str) -> int:
        """An integer that fits a 32-bit column."""
        value = p.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**31 - 1:
            raise self._fail(f"{key}: an integer expected, got {str(value)[:40]!r}")
        return value

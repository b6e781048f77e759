"""Party-dues calculator (党费计算) on the official bands.

Monthly dues are a percentage of after-tax monthly pay, by band, each band including its upper bound:
≤3000 元 0.5%; 3000–5000 元 1%; 5000–10000 元 1.5%; above 10000 元 2%. Retirees: ≤5000 元 0.5%, above 1%.
Students, the unemployed and members on subsistence allowances pay 0.2 元 a month. Amounts are
Decimal and rounded half-up to the fen, because money must not drift in binary floating point.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

Category = Literal["在职", "退休", "学生", "无业"]
FIXED_MONTHLY = Decimal("0.20")
_FEN = Decimal("0.01")

#: (upper bound inclusive, rate); None = no upper bound.
EMPLOYED_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(3000), Decimal("0.005")),
    (Decimal(5000), Decimal("0.01")),
    (Decimal(10000), Decimal("0.015")),
    (None, Decimal("0.02")),
)
RETIRED_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal(5000), Decimal("0.005")),
    (None, Decimal("0.01")),
)


class DuesError(ValueError):
    """Input the calculator cannot use; the message is shown on screen (zh / en)."""


@dataclass(frozen=True)
class Dues:
    monthly: Decimal
    rate: Decimal | None
    """None for the fixed 0.2 元 a month."""
    band_zh: str
    band_en: str

    @property
    def yearly(self) -> Decimal:
        return (self.monthly * 12).quantize(_FEN, ROUND_HALF_UP)

    @property
    def percent(self) -> str:
        return "" if self.rate is None else f"{(self.rate * 100).normalize():f}%"


def parse_amount(text: str) -> Decimal:
    """Parse a pay amount typed on the keypad ("8500", "8500.5")."""
    try:
        value = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise DuesError(f"请输入金额 / enter an amount (got {text!r})") from None
    if not value.is_finite() or value < 0:
        raise DuesError("金额不能为负 / the amount cannot be negative")
    if value > Decimal("10000000"):
        raise DuesError("金额过大，请核对 / the amount is too large, please check")
    return value


def monthly_dues(pay: Decimal | str | float, category: Category = "在职") -> Dues:
    """Dues for one month of after-tax ``pay`` (元) for a member of ``category``."""
    if category in ("学生", "无业"):
        return Dues(FIXED_MONTHLY, None, "学生、无固定收入等：每月0.2元", "Students / no fixed income: 0.20 a month")
    amount = parse_amount(str(pay)) if not isinstance(pay, Decimal) else pay
    if amount < 0:
        raise DuesError("金额不能为负 / the amount cannot be negative")
    bands = RETIRED_BANDS if category == "退休" else EMPLOYED_BANDS
    lower = Decimal(0)
    for upper, rate in bands:
        if upper is None or amount <= upper:
            monthly = (amount * rate).quantize(_FEN, ROUND_HALF_UP)
            who = "离退休" if category == "退休" else "在职"
            if upper is None:
                zh, en = f"{who}：{lower:.0f}元以上", f"{'Retired' if who == '离退休' else 'Employed'}: above {lower:.0f}"
            else:
                zh = f"{who}：{lower:.0f}元以上至{upper:.0f}元（含）" if lower else f"{who}：{upper:.0f}元及以下"
                en = (f"above {lower:.0f} up to {upper:.0f}" if lower else f"{upper:.0f} or less")
                en = f"{'Retired' if who == '离退休' else 'Employed'}: {en}"
            return Dues(monthly, rate, zh, en)
        lower = upper
    raise AssertionError("unreachable: the last band has no upper bound")

"""Party dues on the official bands, at and around every boundary."""

from decimal import Decimal

import pytest

from core.dues import DuesError, monthly_dues, parse_amount


@pytest.mark.parametrize("pay, category, monthly, percent", [
    ("0", "在职", "0.00", "0.5%"),
    ("2999.99", "在职", "15.00", "0.5%"),
    ("3000", "在职", "15.00", "0.5%"),       # each band includes its upper bound
    ("3000.01", "在职", "30.00", "1%"),
    ("5000", "在职", "50.00", "1%"),
    ("5000.01", "在职", "75.00", "1.5%"),
    ("8500", "在职", "127.50", "1.5%"),
    ("10000", "在职", "150.00", "1.5%"),
    ("10000.01", "在职", "200.00", "2%"),
    ("23456.78", "在职", "469.14", "2%"),
    ("5000", "退休", "25.00", "0.5%"),
    ("5000.01", "退休", "50.00", "1%"),
    ("12000", "退休", "120.00", "1%"),
])
def test_bands(pay, category, monthly, percent):
    dues = monthly_dues(pay, category)
    assert dues.monthly == Decimal(monthly) and dues.percent == percent
    assert dues.yearly == (Decimal(monthly) * 12).quantize(Decimal("0.01"))


@pytest.mark.parametrize("category", ["学生", "无业"])
def test_fixed_amount(category):
    dues = monthly_dues("99999", category)
    assert dues.monthly == Decimal("0.20") and dues.rate is None and dues.yearly == Decimal("2.40")


def test_band_labels():
    assert monthly_dues("4000").band_zh == "在职：3000元以上至5000元（含）"
    assert monthly_dues("2000").band_en == "Employed: 3000 or less"
    assert monthly_dues("20000", "退休").band_zh == "离退休：5000元以上"


@pytest.mark.parametrize("text", ["", "abc", "-5", "1e99", "NaN", "12,34.5.6"])
def test_bad_input_is_a_clear_error(text):
    with pytest.raises(DuesError):
        parse_amount(text)

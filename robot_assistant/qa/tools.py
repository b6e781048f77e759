"""Answers computed from the site's data, not looked up: party dues for an income stated in the question.

Why: "我每月税后工资4500元，党费交多少？" deserves 45.00 元, not a recitation of the bands (the knowledge
base can only recite). The figure comes from ``core.dues`` — the same calculator as the kiosk's 党费计算
screen — and the answer says so and names the rule it applies, so a visitor can check it.

Amounts are read in Arabic or Chinese numerals (4500, 两千, 一万二, 八千五, 1.2万, 4.5k) and English
number words; the category from 退休/retired, 学生/student, 无业/unemployed (else 在职). Dues are based on
after-tax income: a question that says 税前/before tax gets the rule and the amount "if that were after tax".
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal

from core.dues import Category, DuesError, monthly_dues

DUES_SOURCE = "《关于中国共产党党费收缴、使用和管理的规定》（中组部，2008年）"
DUES_SOURCE_EN = "the CPC rules on collecting, using and managing Party dues (Organisation Department, 2008)"
_ASKS_DUES = re.compile(r"党费|交多少|缴多少|dues|membership fee", re.IGNORECASE)
_PRE_TAX = re.compile(r"税前|before tax|pre-tax|gross", re.IGNORECASE)
_AMOUNT = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*(万|千|k\b|thousand\b)?\s*(元|块|rmb|yuan|¥)?", re.IGNORECASE)
_NOT_MONEY_AFTER = re.compile(r"\s*(岁|年|月份|号|日|%|％|个|次|人|years?|months?)", re.IGNORECASE)
#: An amount that bounds a band is not an income: "五千以上的交多少" asks the rule for the band above 5,000,
#: and working out 5,000's dues would answer a question nobody asked (the reviewed rule answers it).
_BAND_AFTER = re.compile(r"\s*(?:及|或|含)?\s*(以上|以下|以内|之上|之下|上下限|封顶)|\s*(?:至|到|~|-|–|to\b)\s*\d",
                         re.IGNORECASE)
_BAND_BEFORE = re.compile(r"(超过|超出|高于|低于|不到|不满|不足|少于|多于|大于|小于|above|below|over|under|more than|"
                          r"less than|up to|between|from)\s*$|\d\s*(?:万|千|k)?\s*(?:元|块|yuan)?\s*(?:至|到|~|-|–|to)\s*$",
                          re.IGNORECASE)
_SCALE = {"万": 10_000, "千": 1_000, "k": 1_000, "thousand": 1_000}
_CATEGORIES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    ("退休", re.compile(r"退休|离休|退了休|养老金|retire|pension", re.IGNORECASE)),
    ("学生", re.compile(r"学生|在读|研究生|大学生|student", re.IGNORECASE)),
    ("无业", re.compile(r"无业|失业|没工作|没有工作|无固定收入|unemployed|no income|no job", re.IGNORECASE)),
)
_WHO = {"在职": ("在职党员", "an employed member"), "退休": ("离退休党员", "a retired member"),
        "学生": ("学生党员", "a student member"), "无业": ("无固定收入的党员", "a member without fixed income")}


@dataclass(frozen=True)
class DuesQuestion:
    pay: Decimal | None
    """The stated monthly income (None for a fixed-rate category with no amount)."""
    category: Category
    pre_tax: bool


_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]+")


def _cn_run(run: str) -> str:
    """One run of Chinese numerals as digits: the longest prefix cn2an reads, then the rest the same way
    ("三千八一个月" is 三千八 + 一个月: cn2an refuses the run as a whole)."""
    import cn2an

    for end in range(len(run), 0, -1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = cn2an.cn2an(run[:end], "smart")
        except Exception:  # not a number cn2an reads: try a shorter prefix
            continue
        head = f"{value:g}" if isinstance(value, float) else str(value)
        return head + (" " + _cn_run(run[end:]) if end < len(run) else "")
    return run


def _digits(text: str) -> str:
    """Chinese numerals and English number words as digits (八千五 → 8500, two thousand → 2000)."""
    import cn2an
    from text_to_num import alpha2digit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(Exception):
            text = cn2an.transform(text, "cn2an")
    # what it left (it passes over a run it cannot read whole, such as 三千八一个月): run by run
    text = _CN_RUN.sub(lambda m: _cn_run(m.group(0)), text)
    with contextlib.suppress(Exception):  # the digits written as digits still count
        text = alpha2digit(text, "en")
    return text


def stated_income(text: str) -> Decimal | None:
    """The largest money amount in ``text`` (a year, an age, a count or a band's edge is not money), or None."""
    best: Decimal | None = None
    digits = _digits(text)
    for m in _AMOUNT.finditer(digits):
        unit, currency = m.group(2), m.group(3)
        if not unit and not currency and _NOT_MONEY_AFTER.match(digits, m.end()):
            continue
        if _BAND_AFTER.match(digits, m.end()) or _BAND_BEFORE.search(digits[: m.start()]):
            continue
        value = Decimal(m.group(1).replace(",", "")) * _SCALE.get((unit or "").lower(), 1)
        if value >= 100 and (best is None or value > best):
            best = value
    return best


def parse_dues_question(text: str) -> DuesQuestion | None:
    """A dues question that states an income, else None."""
    if not _ASKS_DUES.search(text):
        return None
    category: Category = next((c for c, pattern in _CATEGORIES if pattern.search(text)), "在职")
    pay = stated_income(text)
    if pay is None:  # no figure to work out: the knowledge base's reviewed answer states the rule
        return None
    return DuesQuestion(pay, category, bool(_PRE_TAX.search(text)))


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def answer_dues(q: DuesQuestion, language: str) -> tuple[str, Decimal]:
    """The spoken answer and the monthly amount."""
    try:
        dues = monthly_dues(q.pay if q.pay is not None else Decimal(0), q.category)
    except DuesError as exc:
        raise ValueError(str(exc)) from None
    who_zh, who_en = _WHO[q.category]
    if dues.rate is None:
        zh = f"{who_zh}每月交纳党费{money(dues.monthly)}元（固定标准）。依据：{DUES_SOURCE}。"
        en = (f"As {who_en}, you pay a fixed {money(dues.monthly)} yuan a month in Party dues, "
              f"under {DUES_SOURCE_EN}.")
        return (zh if language == "zh" else en), dues.monthly
    pay = f"{(q.pay or Decimal(0)).normalize():f}"  # 4500, 8500.5: as said
    if q.pre_tax:
        zh = (f"党费以税后月收入为基数计算，请先扣除个人所得税和个人缴纳的社保、公积金。如果{who_zh}税后月收入是{pay}元，"
              f"每月应交党费{money(dues.monthly)}元（{dues.percent}，{dues.band_zh}）。依据：{DUES_SOURCE}。")
        en = (f"Dues are based on monthly income after tax and social insurance. If {who_en}'s after-tax income "
              f"were {pay} yuan, the dues would be {money(dues.monthly)} yuan a month ({dues.percent}, "
              f"{dues.band_en}), under {DUES_SOURCE_EN}.")
    else:
        zh = (f"按{who_zh}税后月收入{pay}元计算，每月应交党费{money(dues.monthly)}元（{dues.percent}，{dues.band_zh}）。"
              f"依据：{DUES_SOURCE}，由终端的党费计算器算出。")
        en = (f"For {who_en} with an after-tax monthly income of {pay} yuan, the dues are {money(dues.monthly)} "
              f"yuan a month ({dues.percent}, {dues.band_en}), worked out by this terminal's dues calculator under "
              f"{DUES_SOURCE_EN}.")
    return (zh if language == "zh" else en), dues.monthly

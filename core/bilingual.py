"""Checks of a zh/en text pair: the same numbers and dates, the glossary's English for each term.

Why: the English of an answer is written after the Chinese and drifts from it (a year changed in one
language only, a formulation left out, "vanguard post" in one answer and "pioneer post" in the next).
A reviewer cannot hold 200 pairs in their head; these checks point at the pairs to read again.

Numbers: Chinese numerals are turned into digits by cn2an, English number words by text2num and month
names by a table; then every number of 10 or more, or with a decimal point (years, dates, counts,
percentages), must appear on both sides. Smaller whole numbers are not compared: "三个展区" is often
"the three rooms" and text2num leaves small number words alone on purpose (as in "one of them").
Glossary terms are masked first, so the 三 and 一 of 三会一课 are not counted as numbers.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.yamlfile import load_model

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
_MONTH_RE = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r")\b")  # "may" the verb stays
_NUMBER_RE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_ZH_SCALE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*余?\s*(万亿|亿|万)")
_ZH_SCALES = {"万": 10_000, "亿": 100_000_000, "万亿": 1_000_000_000_000}
_ZH_VAGUE_RE = re.compile(r"[几数][十百千万]+")  # 几十年 "decades", 数百 "hundreds": no number to compare
_EN_SCALE_RE = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s+(thousand|million|billion|trillion)\b", re.IGNORECASE)
_EN_VAGUE_RE = re.compile(r"\b(?:tens|hundreds|thousands|millions|billions)\b(?:\s+of\s+(?:thousands|millions))?",
                          re.IGNORECASE)  # "thousands of years" (千百年): no number to compare
_EN_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: list[str] = Field(min_length=1)
    """Accepted English renderings, the preferred one first (matched case-insensitively)."""
    avoid: list[str] = []
    """Renderings that must not appear in English text."""


class Glossary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: list[Term] = []


def load_glossary(path: Path) -> Glossary:
    """Read a glossary file; YamlFileError names file:line:key when it is wrong."""
    return load_model(path, Glossary)


def _mask(text: str, phrases: Iterable[str], ignore_case: bool) -> str:
    for phrase in sorted(phrases, key=len, reverse=True):
        text = re.sub(re.escape(phrase), " ", text, flags=re.IGNORECASE if ignore_case else 0)
    return text


def _scaled(value: str, factor: float) -> str:
    """'98.99' × 1e6 → '98990000' (rounded: 12.8万 must equal 128,000 exactly)."""
    return f"{round(float(value.replace(',', '')) * factor, 6):.6f}".rstrip("0").rstrip(".")


def _significant(text: str) -> set[str]:
    out = set()
    for raw in _NUMBER_RE.findall(text):
        value = float(raw.replace(",", ""))
        if value >= 10 or not value.is_integer():
            out.add(f"{int(value)}" if value.is_integer() else f"{value:g}")
    return out


@lru_cache(maxsize=4096)
def _cn2an(text: str) -> str:
    import cn2an

    try:
        with warnings.catch_warnings():  # it warns about fragments such as a lone 百 it leaves as they are
            warnings.simplefilter("ignore")
            return cn2an.transform(text, "cn2an")
    except Exception:  # cn2an gives up on a few odd strings: compare the digits written as digits
        return text


def numbers_zh(text: str, terms: Iterable[str] = ()) -> set[str]:
    """The significant numbers of a Chinese text (二万五千里 → 25000, 百分之零点五 → 0.5)."""
    text = _cn2an(_ZH_VAGUE_RE.sub(" ", _mask(text, terms, ignore_case=False)))
    text = _ZH_SCALE_RE.sub(lambda m: _scaled(m.group(1), _ZH_SCALES[m.group(2)]), text)
    return _significant(text)


def numbers_en(text: str, terms: Iterable[str] = ()) -> set[str]:
    """The significant numbers of an English text (thirty → 30, October → 10, 25,000 → 25000)."""
    from text_to_num import alpha2digit

    text = _EN_VAGUE_RE.sub(" ", _mask(text, terms, ignore_case=True))
    text = _MONTH_RE.sub(lambda m: f" {MONTHS.index(m.group(1).lower()) + 1} ", text)
    text = _EN_SCALE_RE.sub(lambda m: _scaled(m.group(1), _EN_SCALES[m.group(2).lower()]), text)
    with contextlib.suppress(Exception):  # same as above: the digits written as digits still count
        text = alpha2digit(text, "en")
    return _significant(text)


def number_mismatch(zh: str, en: str, glossary: Glossary | None = None) -> tuple[set[str], set[str]]:
    """(numbers only in the zh text, numbers only in the en text); two empty sets when they agree or the
    English is empty."""
    if not zh.strip() or not en.strip():
        return set(), set()
    terms = glossary.terms if glossary else []
    a = numbers_zh(zh, [t.zh for t in terms if t.zh in zh])
    b = numbers_en(en, [r for t in terms if t.zh in zh for r in t.en])
    return a - b, b - a


def missing_terms(zh: str, en: str, glossary: Glossary) -> list[Term]:
    """Terms the zh text uses whose English rendering the en text lacks (nothing when en is empty)."""
    if not en.strip():
        return []
    low = en.lower()
    return [t for t in glossary.terms if t.zh in zh and not any(r.lower() in low for r in t.en)]


def avoided_terms(en: str, glossary: Glossary) -> list[tuple[Term, str]]:
    """(term, the off-glossary rendering) for each ``avoid`` rendering the English text uses."""
    return [(t, a) for t in glossary.terms for a in t.avoid
            if re.search(r"\b" + re.escape(a) + r"\b", en, flags=re.IGNORECASE)]

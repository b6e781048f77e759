"""Text helpers shared by retrieval and intent parsing: normalisation and the question's language.

Why by characters: the assistant answers in the language it was asked in, and an ASR transcript or a typed
question carries no language tag we can trust. Chinese questions often hold an English acronym (VR展厅,
GPS, PIN码) and English questions sometimes a Chinese term ("What is 三会一课?"), so a single CJK
character must not decide it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["zh", "en"]

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")
CJK_RUN = re.compile(f"[{CJK}]+")
LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?", re.IGNORECASE)
#: Letters, digits and CJK runs: what survives punctuation removal.
WORD_OR_CJK = re.compile(f"[{CJK}]+|[a-z0-9]+(?:'[a-z]+)?", re.IGNORECASE)


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII), lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(text.split())


def is_cjk(char: str) -> bool:
    return bool(CJK_CHAR.fullmatch(char))


def detect_language(text: str) -> Language:
    """``en`` when the sentence is built from English words, else ``zh``.

    English: at least two Latin words, and either the text starts with one or they outnumber half the
    CJK characters. "What is 三会一课?" → en; "VR展厅几点开门" and "北斗和GPS哪个准" → zh. Text with
    neither script (digits, punctuation) counts as Chinese, the site's main language.
    """
    text = normalize(text)
    latin = LATIN_WORD.findall(text)
    cjk = len(CJK_CHAR.findall(text))
    if not latin:
        return "zh"
    if cjk == 0:
        return "en"
    starts_latin = bool(LATIN_WORD.match(text.lstrip(" \"'“‘(")))
    if len(latin) >= 2 and (starts_latin or len(latin) * 2 >= cjk):
        return "en"
    return "zh"


def phrasing_key(text: str) -> str:
    """``text`` as a phrasing is compared for an exact match: normalised, punctuation and spacing dropped
    ("什么是三会一课？" and "什么是三会一课" are one key)."""
    return " ".join(WORD_OR_CJK.findall(normalize(text)))

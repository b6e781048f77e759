"""Pinyin keys that make matching tolerant of speech-recognition errors.

Why: an ASR engine that mishears Chinese almost always writes a homophone or a near-homophone — 北豆 for
北斗, 遵一 for 遵义, 党飞 for 党费, 四词 for 誓词 — so two texts that sound alike should compare equal.
Each Chinese character becomes its toneless pinyin, folded by the common confusions of Mandarin
speakers and recognisers (zh/z, ch/c, sh/s, n/l, -ng/-n). Characters are read one at a time, not as
phrases, so both sides of a comparison always get the same reading of a polyphonic character.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from robot_assistant.qa.text import CJK, normalize

_UNIT = re.compile(f"[{CJK}]|[a-z]+|[0-9]+")
_FOLD_INITIAL = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FOLD_FINAL = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"), ("ong", "on"))


def fold(syllable: str, finals: bool = True) -> str:
    """Fold a toneless syllable by the usual confusions: shi→si, neng→len, and with ``finals`` also
    xing→xin, huang→huan. Initials alone (``finals=False``) is the stricter key."""
    for a, b in _FOLD_INITIAL:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    if not finals:
        return syllable
    for a, b in _FOLD_FINAL:
        if syllable.endswith(a):
            return syllable[: -len(a)] + b
    return syllable


@lru_cache(maxsize=65536)
def syllable(char: str) -> str:
    """The toneless pinyin of one CJK character in its most common reading (the character itself if unknown)."""
    from pypinyin import lazy_pinyin

    read = lazy_pinyin(char, errors=lambda x: [x])
    out = read[0] if read else char
    return out if out.isascii() and out.isalpha() else char


@lru_cache(maxsize=65536)
def char_key(char: str) -> str:
    """The fully folded pinyin of one CJK character: the loose key, for soft matching."""
    return fold(syllable(char))


@lru_cache(maxsize=65536)
def strict_key(char: str) -> str:
    """Pinyin with only zh/z, ch/c, sh/s, n/l folded: the key for replacing a word by a sound-alike."""
    return fold(syllable(char), finals=False)


class Unit(NamedTuple):
    """One sound unit of a text: a CJK character (key = folded pinyin) or a Latin word / number."""

    key: str
    start: int
    end: int


def units(text: str) -> list[Unit]:
    """Sound units of ``normalize(text)``; spans index into the normalised text. Punctuation is dropped."""
    text = normalize(text)
    out = []
    for m in _UNIT.finditer(text):
        tok = m.group()
        out.append(Unit(char_key(tok) if len(tok) == 1 and not tok.isascii() else tok, m.start(), m.end()))
    return out


def keys(text: str) -> tuple[str, ...]:
    """Just the keys: "遵一会议" and "遵义会议" both give ('zun', 'yi', 'hui', 'yi')."""
    return tuple(u.key for u in units(text))


def find(haystack: list[Unit] | tuple[str, ...], needle: tuple[str, ...]) -> list[int]:
    """Indices where ``needle`` (keys) occurs in ``haystack`` (units or keys)."""
    hay = [u.key if isinstance(u, Unit) else u for u in haystack]
    n = len(needle)
    if n == 0:
        return []
    return [i for i in range(len(hay) - n + 1) if tuple(hay[i : i + n]) == needle]

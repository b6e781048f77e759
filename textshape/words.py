"""Where a line may break inside text written without spaces between words: Thai, Lao, Khmer, Myanmar.

Why: the line breaker (:mod:`textshape.wrap`) breaks Latin text at spaces and Chinese between any two
characters. A Thai feed title has spaces only between phrases, so a phrase wider than a line was cut at
an arbitrary letter (after a leading vowel, inside a word). Thai needs a dictionary to find its words:
pythainlp's ``newmm`` (maximal matching over its 62,000-word list, constrained to Thai character
clusters) — a well-kept pure-Python library, so no ICU build is needed.

Building pythainlp's dictionary trie costs 1.5-4 s of CPU on this hardware, too long for a frame, so it is
built on a daemon thread the first time Thai text is broken (:func:`prepare`; :func:`wait_ready` for
tests and benchmarks). Until it is ready, and for Lao, Khmer and Myanmar (no dictionary installed), a
line may break only between clusters: never before a combining mark or a following vowel, never after a
leading vowel or a virama/coeng. That is always a legal place, just not always between words.

Pure functions of the text; nothing here imports a renderer.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

#: Scripts written without spaces between words (UAX #14 class SA): Thai, Lao, Myanmar, Khmer, New Tai
#: Lue, Tai Tham, Tai Viet, Myanmar extensions.
NO_SPACE = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u1980-\u19df\u1a20-\u1aaf"
                      "\uaa60-\uaadf\ua9e0-\ua9ff]")
_THAI = re.compile("[\u0e00-\u0e7f]+")
_SPAN = re.compile("([\u0e00-\u0e7f]+|[\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u1980-\u19df\u1a20-\u1aaf"
                   "\uaa60-\uaadf\ua9e0-\ua9ff]+)")

#: Thai and Lao vowels written before the consonant they follow in speech: no break after them.
_LEADING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44\u0ec0\u0ec1\u0ec2\u0ec3\u0ec4")
#: Letters that are not marks but only ever follow their syllable (sara a, sara aa, sara am, lakkhangyao,
#: maiyamok; their Lao counterparts): no break before them.
_FOLLOWING = frozenset("\u0e30\u0e32\u0e33\u0e45\u0e46\u0eb0\u0eb2\u0eb3\u0ec6")
#: Signs that join the next consonant to this one (Khmer coeng, Myanmar virama, Tai Tham sakot).
_JOINERS = frozenset("\u17d2\u1039\u1a60")
#: Signs that make the letter before them a syllable's final consonant (Myanmar asat, Thai phinthu,
#: Khmer viriam): no break before that letter.
_KILLERS = frozenset("\u103a\u0e3a\u17cc\u17d1")

#: Dictionary segmentation works on windows of this many characters, so one very long run (a body with no
#: spaces) is split a window at a time instead of in one call.
WINDOW = 400
_MARGIN = 60

_lock = threading.Lock()
_trie: Any = None
_segment: Any = None
_loader: threading.Thread | None = None
_failed = False


def has_no_space_script(text: str) -> bool:
    """True when ``text`` holds Thai, Lao, Khmer or Myanmar (a regex search)."""
    return NO_SPACE.search(text) is not None


def _load() -> None:
    global _trie, _segment, _failed
    if "PYTHAINLP_READ_MODE" not in os.environ:  # (its deprecated name; setting both is an error)
        # the dictionary ships in the wheel: no ~/pythainlp-data folder, no corpus download (offline kiosk)
        os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    try:
        from pythainlp.tokenize import newmm, word_dict_trie

        trie = word_dict_trie()
        with _lock:
            _trie, _segment = trie, newmm.segment
    except Exception as exc:  # a broken install must not take text drawing down with it
        _failed = True
        log.warning("Thai word breaking unavailable (%s: %s): Thai lines break between letter clusters",
                    type(exc).__name__, exc)


def prepare() -> None:
    """Start building the Thai dictionary on a daemon thread (once; returns at once)."""
    global _loader
    with _lock:
        if _loader is None:
            _loader = threading.Thread(target=_load, name="thai-dictionary", daemon=True)
            _loader.start()


def wait_ready(timeout: float | None = None) -> bool:
    """Start :func:`prepare` if needed and wait for the dictionary; True when Thai is broken by words."""
    prepare()
    assert _loader is not None
    _loader.join(timeout)
    return _trie is not None


def ready() -> bool:
    """True once Thai text is broken between dictionary words."""
    return _trie is not None


def pieces(run: str) -> Iterator[str]:
    """``run`` (no whitespace) cut where a line may break; the pieces join back to ``run``.

    Breaks only inside spans of a no-space script; other text next to such a span (Latin, digits,
    brackets) stays glued to the word beside it, as UAX #14 keeps SA next to letters.
    """
    parts = _SPAN.split(run)
    carry = ""
    for k, part in enumerate(parts):
        if not part:
            continue
        if k % 2 == 0:  # not a no-space script: glued to what comes before and after
            carry += part
            continue
        words = _words(part)
        first = next(words)
        carry += first
        for word in words:
            yield carry
            carry = word
    if carry:
        yield carry


def _words(span: str) -> Iterator[str]:
    """The words (or clusters) of a span in one no-space script; never empty."""
    if _THAI.fullmatch(span):
        if _trie is None and not _failed:
            prepare()
        if _trie is not None:
            yield from _thai_words(span)
            return
    yield from clusters(span)


def _thai_words(span: str) -> Iterator[str]:
    if len(span) <= WINDOW:
        yield from _thai_cached(span)
        return
    at = 0
    while at < len(span):
        window = span[at:at + WINDOW]
        words = _segment(window, _trie)
        if at + WINDOW >= len(span):
            yield from words
            return
        # the end of a window may cut a word, and newmm then cuts the text before it differently: keep
        # only the words that end a margin before the cut; the rest is segmented again with what follows
        keep, end = [], 0
        for word in words:
            if keep and end + len(word) > WINDOW - _MARGIN:
                break
            keep.append(word)
            end += len(word)
        yield from keep
        at += end


@lru_cache(maxsize=4096)
def _thai_cached(span: str) -> tuple[str, ...]:
    return tuple(_segment(span, _trie)) or (span,)


def clusters(span: str) -> Iterator[str]:
    """``span`` cut between clusters only (see the module docstring); never empty for a non-empty span."""
    cur = ""
    for i, ch in enumerate(span):
        nxt = span[i + 1] if i + 1 < len(span) else ""
        if cur and not (unicodedata.category(ch)[0] == "M" or ch in _FOLLOWING or cur[-1] in _LEADING
                        or cur[-1] in _JOINERS or nxt in _KILLERS):
            yield cur
            cur = ch
        else:
            cur += ch
    if cur:
        yield cur

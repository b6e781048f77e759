"""Right-to-left text (Arabic, Hebrew) for a renderer that neither reorders nor shapes.

Why: pygame.freetype draws characters left to right in storage order, one glyph each, so an Arabic feed
title came out reversed and as unjoined letters — not boxes any more (the fallback chain draws them), but
not readable either. Two small steps make it readable, with no new dependency:

- **shaping**: each Arabic letter is replaced by its contextual presentation form (isolated, initial,
  medial, final; U+FB50–U+FEFC, which DejaVu Sans and Noto Sans Arabic have), lam + alef by their
  ligature. The forms are found from the Unicode character names, so no table is kept here;
- **reordering** for a left-to-right paragraph (the kiosk's Chinese and English): every run that starts
  and ends with a right-to-left letter (with spaces, punctuation and numbers between) is reversed, numbers
  inside it keeping their own order — what the Unicode bidi algorithm gives for embedded RTL phrases.

- a **right-to-left paragraph** (its first strong letter Arabic or Hebrew, Unicode rule P2) is laid out
  from the right edge (:func:`textshape.wrap.layout_paragraph`, the kiosk's article view), each line
  marked with a leading RLM (U+200F): its whole line is then reversed and only left-to-right runs inside
  it (a Latin name) keep their order.

Applied after line breaking, to each line as it is measured and drawn (``kiosk.ui.drawing``), so breaking
works on the logical text. Not done: mirrored brackets, Nastaliq or marks positioned by GPOS.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u200f]")
#: Right-to-left mark: a line that starts with it is drawn as part of a right-to-left paragraph.
RLM = "\u200f"
_FORM_NAME = re.compile(r"ARABIC (LETTER|LIGATURE) (.+) (ISOLATED|FINAL|INITIAL|MEDIAL) FORM$")
_STRONG_RTL = frozenset(("R", "AL"))
_IN_RTL_RUN = frozenset(("R", "AL", "NSM", "WS", "ON", "CS", "ES", "ET", "EN", "AN", "BN"))
_DIGITS = frozenset(("EN", "AN"))
_IN_LTR_RUN = frozenset(("L", "NSM", "WS", "ON", "CS", "ES", "ET", "EN", "AN", "BN"))


def _build() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    forms: dict[str, dict[str, str]] = {}
    ligatures: dict[tuple[str, str], dict[str, str]] = {}
    for cp in list(range(0xFB50, 0xFC00)) + list(range(0xFE70, 0xFEFD)):
        match = _FORM_NAME.match(unicodedata.name(chr(cp), ""))
        if not match:
            continue
        kind, base_name, form = match.groups()
        if kind == "LETTER":
            try:
                base = unicodedata.lookup("ARABIC LETTER " + base_name)
            except KeyError:
                continue
            forms.setdefault(base, {}).setdefault(form, chr(cp))
        elif base_name.startswith("LAM WITH ALEF"):
            try:
                alef = unicodedata.lookup("ARABIC LETTER " + base_name[len("LAM WITH "):])
            except KeyError:
                continue
            ligatures.setdefault(("\u0644", alef), {}).setdefault(form, chr(cp))
    return forms, ligatures


_FORMS, _LIGATURES = _build()


def has_rtl(text: str) -> bool:
    """True when ``text`` holds Hebrew or Arabic (a regex search: cheap enough for every measured line)."""
    return _RTL.search(text) is not None


def is_rtl_paragraph(text: str) -> bool:
    """True when the first strong letter of ``text`` is right-to-left (Unicode P2/P3): the paragraph is
    laid out from the right edge."""
    if not has_rtl(text):
        return False
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return False
        if kind in _STRONG_RTL:
            return True
    return False


def _dual(ch: str) -> bool:
    """Joins on both sides (has an initial form), e.g. beh; alef, dal, reh, waw join only to the right."""
    forms = _FORMS.get(ch)
    return forms is not None and "INITIAL" in forms


def _joins(ch: str) -> bool:
    forms = _FORMS.get(ch)
    return forms is not None and ("FINAL" in forms or "INITIAL" in forms)


def _neighbour(text: str, i: int, step: int) -> str | None:
    """The nearest character before/after ``i`` that is not a transparent mark (harakat do not break joins)."""
    i += step
    while 0 <= i < len(text):
        if unicodedata.category(text[i]) != "Mn":
            return text[i]
        i += step
    return None


def shape(text: str) -> str:
    """Arabic letters replaced by their contextual presentation forms (logical order kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in _FORMS:
            out.append(ch)
            i += 1
            continue
        prev = _neighbour(text, i, -1)
        joins_prev = prev is not None and _dual(prev)
        nxt = _neighbour(text, i, 1)
        ligature = _LIGATURES.get((ch, nxt)) if nxt is not None else None
        if ligature and i + 1 < n and text[i + 1] == nxt:
            out.append(ligature.get("FINAL" if joins_prev else "ISOLATED") or ligature.get("ISOLATED", ch + nxt))
            i += 2
            continue
        joins_next = nxt is not None and _dual(ch) and _joins(nxt)
        form = ("MEDIAL" if joins_prev and joins_next else "FINAL" if joins_prev and _joins(ch)
                else "INITIAL" if joins_next else "ISOLATED")
        forms = _FORMS[ch]
        out.append(forms.get(form) or forms.get("ISOLATED") or ch)
        i += 1
    return "".join(out)


def _reverse_run(run: str) -> str:
    """Reverse a right-to-left run, keeping each letter's marks after it and numbers in their own order."""
    return "".join(reversed(_units(run)))


def _units(run: str) -> list[str]:
    """``run`` cut into what reversing must keep whole: a letter with its marks, a number."""
    tokens: list[str] = []
    i, n = 0, len(run)
    while i < n:
        j = i + 1
        if unicodedata.bidirectional(run[i]) in _DIGITS:
            while j < n and (unicodedata.bidirectional(run[j]) in _DIGITS
                             or (run[j] in ".,:" and j + 1 < n and unicodedata.bidirectional(run[j + 1]) in _DIGITS)):
                j += 1
        else:
            while j < n and unicodedata.category(run[j]) in ("Mn", "Me"):
                j += 1
        tokens.append(run[i:j])
        i = j
    return tokens


@lru_cache(maxsize=4096)
def visual(text: str) -> str:
    """``text`` (one line, logical order) as a left-to-right renderer must draw it: shaped, RTL runs reversed.

    A line that starts with :data:`RLM` belongs to a right-to-left paragraph: the mark is dropped, the
    whole line reversed and its left-to-right runs (with the numbers and spaces inside them) put back in
    their own order."""
    if not has_rtl(text):
        return text
    if text.startswith(RLM):
        return _visual_rtl(text[1:])
    shaped = shape(text)
    classes = [unicodedata.bidirectional(c) for c in shaped]
    out: list[str] = []
    i, n = 0, len(shaped)
    while i < n:
        if classes[i] not in _STRONG_RTL:
            out.append(shaped[i])
            i += 1
            continue
        j, last = i, i
        while j < n and classes[j] in _IN_RTL_RUN:
            if classes[j] in _STRONG_RTL:
                last = j
            j += 1
        end = last + 1
        while end < n and classes[end] == "NSM":  # marks on the last letter
            end += 1
        out.append(_reverse_run(shaped[i:end]))
        i = end
    return "".join(out)


def _visual_rtl(text: str) -> str:
    """A line of a right-to-left paragraph: every left-to-right run (from a Latin letter to the last Latin
    letter or number after it, rule W7) is one unit in its own order; the units are drawn right to left."""
    shaped = shape(text)
    classes = [unicodedata.bidirectional(c) for c in shaped]
    units: list[str] = []
    i, n, start = 0, len(shaped), 0
    while i < n:
        if classes[i] != "L":
            i += 1
            continue
        units.extend(_units(shaped[start:i]))
        j, last = i, i
        while j < n and classes[j] in _IN_LTR_RUN:
            if classes[j] in ("L", "EN"):
                last = j
            j += 1
        end = last + 1
        while end < n and classes[end] == "NSM":
            end += 1
        units.append(shaped[i:end])
        i = start = end
    units.extend(_units(shaped[start:]))
    return "".join(reversed(units))

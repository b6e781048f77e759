"""Which font face draws each character of a line: the fallback rule the kiosk and the hall share.

Why: each front end has one Chinese font, which has no Thai, Arabic, Hebrew, Devanagari and lacks some
symbols; drawn with it alone those characters are boxes. Both front ends keep the same ordered list of
installed fallback faces (:func:`core.fonts.fallback_fonts`) and cut a line into runs, each drawn by the
first face that has its characters. The rule lives here, free of any renderer: the caller says which
characters the primary face lacks and which fallback face has a character (pygame.freetype metrics in
the kiosk, ``TextNode.hasExactCharacter`` in the hall).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Container

#: Face index of the primary font in :func:`faces`.
PRIMARY = -1
#: A character no installed face has: drawn by the primary face (as the box it is).
NOBODY = -2


def is_mark(char: str) -> bool:
    """A combining mark (a Thai vowel or tone mark, Arabic harakat, an accent)."""
    return unicodedata.category(char).startswith("M")


def invisible(char: str) -> bool:
    """Spaces, controls and format characters (ZWJ, bidi marks): no glyph expected, nothing to report."""
    return unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def faces(text: str, missing: Container[str], face_for: Callable[[str], int],
          has: Callable[[int, str], bool]) -> list[int]:
    """The face that draws each character of ``text``: :data:`PRIMARY` for characters not in ``missing``;
    else ``face_for(char)`` (a fallback index, or a negative number when no face has it: :data:`NOBODY`).

    A combining mark or space after a fallback run stays in that run when its face has it
    (``has(face, char)``), so a Thai syllable's vowel and tone marks are drawn by the face that drew
    its consonant, on one baseline with it.
    """
    out: list[int] = []
    for ch in text:
        if ch in missing:
            found = face_for(ch)
            out.append(found if found >= 0 else NOBODY)
        elif out and out[-1] >= 0 and (ch.isspace() or is_mark(ch)) and has(out[-1], ch):
            out.append(out[-1])
        else:
            out.append(PRIMARY)
    return out


def runs(text: str, which: list[int]) -> list[tuple[int, str]]:
    """``text`` cut where :func:`faces`' answer changes: (face, piece) pairs in order."""
    out: list[tuple[int, str]] = []
    start = 0
    for j in range(1, len(text) + 1):
        if j == len(text) or which[j] != which[start]:
            out.append((which[start], text[start:j]))
            start = j
    return out

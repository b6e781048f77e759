"""Line breaking for mixed Chinese and English text, by pixel width, following 禁则 (kinsoku) rules.

Pure functions: the caller passes ``measure(text) -> int`` (pixel width of a string), so the rules are
tested without a display and the same code serves pygame fonts, Panda3D text or a fake monospace.

Rules applied:

- a line never starts with closing punctuation (，。、；：？！）】》」』”’…— …): it is kept with the
  character before it, which moves to the next line with it (追い出し);
- a line never ends with opening punctuation (（【《「『“‘ …): it moves to the next line with the
  character after it;
- a break may fall between any two Chinese characters, at spaces, and between Chinese and Latin text;
  a Latin word is never split unless it alone is wider than a line;
- Thai (and Lao, Khmer, Myanmar), written without spaces between words, breaks between its words
  (:mod:`textshape.words`); a word wider than a line is split between letter clusters, never before a
  combining mark;
- spaces at the edges of a wrapped line are dropped; ``\\n`` always starts a new line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from textshape.bidi import RLM, is_rtl_paragraph
from textshape.words import clusters, has_no_space_script, pieces

Measure = Callable[[str], int]

#: May not start a line.
CLOSING = frozenset(
    "，。、；：？！）】》」』〕〉〗〙〛｝］”’…‥—～·・ーぁぃぅぇぉっゃゅょ々"
    ",.;:?!)]}%％‰℃°"
)
#: May not end a line.
OPENING = frozenset("（【《「『〔〈〖〘〚｛［“‘([{￥$£€#")
#: Trimmed before an ellipsis so "……，…" does not happen.
_TRAILING_BEFORE_ELLIPSIS = "，、；：,;: 　"
ELLIPSIS = "…"


def is_cjk(char: str) -> bool:
    """True for characters that may be broken between individually (ideographs, kana, full-width)."""
    code = ord(char)
    if (
        0x2E80 <= code <= 0x9FFF  # radicals, CJK symbols & punctuation, kana, unified ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= code <= 0xFFEF  # half/full-width forms
        or 0x20000 <= code <= 0x3FFFF  # extension planes
    ):
        return True
    return unicodedata.east_asian_width(char) in ("W", "F")


@dataclass
class _Cluster:
    text: str
    space: bool = False


def _raw_clusters(text: str) -> Iterator[_Cluster]:
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            yield _Cluster(text[i:j], space=True)
            i = j
        elif is_cjk(c) or c in CLOSING or c in OPENING:
            yield _Cluster(c)
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and not is_cjk(text[j]):
                j += 1
            word = text[i:j]  # a Latin word, with any ASCII punctuation inside it
            if has_no_space_script(word):  # Thai: a phrase of several words, broken between them
                for piece in pieces(word):
                    yield _Cluster(piece)
            else:
                yield _Cluster(word)
            i = j


def _iter_clusters(text: str) -> Iterator[_Cluster]:
    """Unbreakable clusters, lazily (a break is allowed only between two clusters).

    Glue: closing punctuation joins the cluster before it; opening joins the cluster after it. A
    generator so that laying out the first lines of a long paragraph does not split all of it first.
    """
    prev: _Cluster | None = None
    for cl in _raw_clusters(text):
        if prev is not None and not cl.space and not prev.space and (cl.text[0] in CLOSING
                                                                      or prev.text[-1] in OPENING):
            prev.text += cl.text
            continue
        if prev is not None:
            yield prev
        prev = cl
    if prev is not None:
        yield prev


def _clusters(text: str) -> list[_Cluster]:
    """Split into unbreakable clusters; a break is allowed only between two clusters."""
    return list(_iter_clusters(text))


def _split_long(word: str, width: int, measure: Measure) -> list[str]:
    """Break one cluster wider than a line into pieces that fit, one letter cluster at a time: never
    before closing punctuation, nor before a combining mark (a Thai vowel or tone mark, an accent) or
    after a Thai leading vowel, which would otherwise be left on a line without its letter."""
    out: list[str] = []
    cur = ""
    for unit in clusters(word):
        if cur and measure(cur + unit) > width and unit[0] not in CLOSING:
            out.append(cur)
            cur = unit
        else:
            cur += unit
    if cur:
        out.append(cur)
    return out


def iter_paragraph_lines(text: str, width: int, measure: Measure) -> Iterator[str]:
    """The lines of one paragraph (no ``\\n`` inside), one at a time, as :func:`wrap_text` breaks them.

    A generator so a long article can be laid out a few lines per frame (``kiosk.document``): wrapping
    measures every candidate line, and 20,000 characters in one go blocked a frame for 70-270 ms.
    """
    cur = ""
    pending_space = ""
    for cl in _iter_clusters(text):
        if cl.space:
            if cur:
                pending_space += cl.text
            continue
        candidate = cur + pending_space + cl.text
        pending_space = ""
        if cur and measure(candidate) <= width:
            cur = candidate
            continue
        if cur:
            yield cur
            cur = ""
        if measure(cl.text) <= width:
            cur = cl.text
        else:
            pieces = _split_long(cl.text, width, measure)
            yield from pieces[:-1]
            cur = pieces[-1]
    yield cur


def _wrap_paragraph(text: str, width: int, measure: Measure) -> list[str]:
    return list(iter_paragraph_lines(text, width, measure))


def ellipsize(text: str, width: int, measure: Measure, ellipsis: str = ELLIPSIS, *, force: bool = False) -> str:
    """Return ``text`` if it fits in ``width``, else its longest prefix that fits followed by ``ellipsis``.

    With ``force`` the ellipsis is added even when the text fits (used for the last visible line of a
    truncated paragraph).
    """
    if not force and measure(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix whose "prefix…" fits
        mid = (lo + hi + 1) // 2
        if measure(text[:mid].rstrip(_TRAILING_BEFORE_ELLIPSIS) + ellipsis) <= width:
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    if 0 < cut < len(text) and _in_word(text, cut):
        # English: end at a word boundary ("Party commit…" reads as a typo); one long word is still cut
        space = text.rfind(" ", 0, cut)
        if space > 0:
            cut = space
    elif 0 < cut < len(text) and has_no_space_script(text[cut - 1:cut + 1]):
        cut = _word_start(text, cut)
    prefix = text[:cut].rstrip(_TRAILING_BEFORE_ELLIPSIS)
    while prefix and prefix[-1] in OPENING:
        prefix = prefix[:-1]
    return prefix + ellipsis


def _word_start(text: str, i: int) -> int:
    """The last place at or before ``i`` where a line may break in Thai (or Lao, Khmer, Myanmar) text: a
    word boundary, else a cluster boundary, so a title is never cut inside a word or after a letter that
    a vowel or tone mark still belongs to."""
    start = max(text.rfind(" ", 0, i), text.rfind("\u3000", 0, i)) + 1
    end = len(text) if (space := text.find(" ", i)) < 0 else space
    at, best = start, start
    for piece in pieces(text[start:end]):
        if at + len(piece) > i:
            break
        at += len(piece)
        best = at
    if best > start:
        return best
    at = start
    for unit in clusters(text[start:end]):
        if at + len(unit) > i:
            break
        at += len(unit)
    return at if at > start else i


def _in_word(text: str, i: int) -> bool:
    """True when position ``i`` splits a run of Latin letters or digits (Chinese may break anywhere)."""
    a, b = text[i - 1], text[i]
    return a.isascii() and b.isascii() and a.isalnum() and b.isalnum()


def wrap_text(text: str, width: int, measure: Measure, max_lines: int | None = None) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels (see module rules).

    With ``max_lines`` the result has at most that many lines and, when text was cut, the last one
    ends with an ellipsis. A line is wider than ``width`` only when a single glued cluster
    (e.g. one character plus its closing punctuation) cannot be narrower.
    """
    return [line for line, _rtl in _lines(text, width, measure, max_lines)]


def _lines(text: str, width: int, measure: Measure, max_lines: int | None) -> list[tuple[str, bool]]:
    """:func:`wrap_text`'s lines, each with whether its paragraph is right-to-left."""
    width = max(1, int(width))
    lines: list[tuple[str, bool]] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        rtl = is_rtl_paragraph(paragraph)
        lines.extend((line, rtl) for line in _wrap_paragraph(paragraph, width, measure))
        if max_lines is not None and len(lines) > max_lines:
            break
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        if kept:
            kept[-1] = (ellipsize(kept[-1][0], width, measure, force=True), kept[-1][1])
        return kept
    return lines


@dataclass(frozen=True)
class PositionedLine:
    """One laid-out line: ``x``/``y`` are the top-left of its line box, relative to the caller's origin."""

    text: str
    x: int
    y: int
    width: int


def layout_paragraph(
    text: str,
    width: int,
    measure: Measure,
    line_height: int,
    *,
    align: str = "left",
    max_lines: int | None = None,
    origin: tuple[int, int] = (0, 0),
) -> list[PositionedLine]:
    """Wrap ``text`` and position each line in a box ``width`` wide starting at ``origin``.

    ``align`` is ``"left"``, ``"center"`` or ``"right"``; ``"left"`` means the paragraph's start, so a
    right-to-left paragraph (Arabic, Hebrew) is set from the right edge, its lines starting with
    :data:`textshape.bidi.RLM` so the renderer orders them right to left (:func:`textshape.bidi.visual`).
    Blank lines (from ``\\n\\n``) keep their vertical space. The total height is
    ``len(result) * line_height``.
    """
    if align not in ("left", "center", "right"):
        raise ValueError(f"align must be left, center or right, not {align!r}")
    ox, oy = origin
    out: list[PositionedLine] = []
    for i, (text_line, rtl) in enumerate(_lines(text, width, measure, max_lines)):
        line = RLM + text_line if rtl and text_line else text_line
        w = measure(line) if line else 0
        if align == "center":
            x = ox + (width - w) // 2
        elif align == "right" or rtl:
            x = ox + width - w
        else:
            x = ox
        out.append(PositionedLine(line, x, oy + i * line_height, w))
    return out


def text_height(text: str, width: int, measure: Measure, line_height: int, max_lines: int | None = None) -> int:
    """Height in pixels that :func:`layout_paragraph` would use for ``text``."""
    return len(wrap_text(text, width, measure, max_lines)) * line_height

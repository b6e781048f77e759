"""One place that finds a font able to draw Simplified Chinese, and caches sized fonts.

No font that ships with pygame has CJK glyphs, so every piece of text in the kiosk goes through
:func:`find_cjk_font`. Collections (``.ttc``) hold several faces: in ``NotoSansCJK-Regular.ttc`` face 0 is
Japanese and Simplified Chinese is face 2, so a candidate is always a ``(path, face_index)`` pair.
"""

from __future__ import annotations

import glob
import importlib.util
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pygame.freetype

from core.fonts import SYSTEM_CJK_FONTS, fallback_fonts
from textshape import fallback

log = logging.getLogger(__name__)

FontCandidate = tuple[str, int]

#: Tried after any configured candidates, in this order: the one list the doctor and the hall use too
#: (core.fonts holds paths only; this module also checks that the face really draws Chinese).
DEFAULT_CANDIDATES: tuple[FontCandidate, ...] = SYSTEM_CJK_FONTS

#: Characters a usable face must have: common 党建 vocabulary and full-width punctuation.
PROBE_TEXT = "党建中国共产党，。"

#: Python packages that may ship Noto Sans SC files (PyPI ``pylopdf-fonts-zh-cn``).
_FONT_PACKAGES = ("pylopdf_fonts_zh_cn", "pylopdf_fonts_zh_CN")


class FontNotFound(RuntimeError):
    """No candidate font could draw Simplified Chinese; the message lists every path tried and why."""


def _packaged_candidates() -> list[FontCandidate]:
    """Noto Sans SC files from an installed font package, if any (found without importing it)."""
    found: list[FontCandidate] = []
    for name in _FONT_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for folder in spec.submodule_search_locations:
            for pattern in ("**/NotoSansSC*Regular*.[ot]tf", "**/NotoSansSC*.[ot]tf"):
                for path in sorted(glob.glob(os.path.join(folder, pattern), recursive=True)):
                    if (path, 0) not in found:
                        found.append((path, 0))
    return found


def _ensure_freetype() -> None:
    if not pygame.freetype.get_init():
        pygame.freetype.init()


def has_glyphs(font: pygame.freetype.Font, text: str) -> bool:
    """True when ``font`` has a real glyph (not .notdef tofu) for every non-space character of ``text``.

    ``Font.get_metrics`` returns ``None`` for a character the face lacks; that is the same test a
    renderer would fail by drawing an empty box.
    """
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return True
    metrics = font.get_metrics("".join(chars))
    return len(metrics) == len(chars) and all(m is not None for m in metrics)


def missing_glyphs(font: pygame.freetype.Font, text: str) -> str:
    """The characters of ``text`` that ``font`` would draw as tofu (useful in assertion messages)."""
    chars = [c for c in dict.fromkeys(text) if not c.isspace()]
    metrics = font.get_metrics("".join(chars)) if chars else []
    return "".join(c for c, m in zip(chars, metrics, strict=False) if m is None)


def _check_candidate(path: str, index: int) -> str | None:
    """Return None when the face at ``path``/``index`` draws Chinese, else the reason it does not."""
    if not Path(path).is_file():
        return "no such file"
    try:
        font = pygame.freetype.Font(path, 16, font_index=index)
    except (OSError, pygame.error, IndexError, ValueError) as exc:
        return f"cannot open face {index}: {exc}"
    missing = missing_glyphs(font, PROBE_TEXT)
    if missing:
        return f"face {index} ({font.name}) lacks {missing!r}"
    return None


def find_cjk_font(candidates: Iterable[FontCandidate] | None = None) -> FontCandidate:
    """Return the first ``(path, face_index)`` that can draw Simplified Chinese.

    Configured ``candidates`` are tried first, then :data:`DEFAULT_CANDIDATES` and any installed
    Noto Sans SC font package. Raises :class:`FontNotFound` naming every candidate and its failure,
    so an installer can tell the administrator exactly which package to add.
    """
    _ensure_freetype()
    ordered: list[FontCandidate] = []
    for item in [*(candidates or ()), *DEFAULT_CANDIDATES, *_packaged_candidates()]:
        pair = (str(item[0]), int(item[1]))
        if pair not in ordered:
            ordered.append(pair)
    tried: list[str] = []
    for path, index in ordered:
        reason = _check_candidate(path, index)
        if reason is None:
            return path, index
        tried.append(f"  {path} [face {index}]: {reason}")
    raise FontNotFound(
        "No font that can draw Simplified Chinese was found. Tried:\n"
        + "\n".join(tried)
        + "\nInstall the Debian package fonts-wqy-microhei (or fonts-noto-cjk), or set a font path "
        "in the configuration."
    )


class ChainFont(pygame.freetype.Font):
    """A sized font that also knows its fallback chain (``chain``), so the drawing helpers can hand the
    characters this face lacks to the first fallback face that has them. It is a real
    ``pygame.freetype.Font``: code that renders with it directly still works (without the fallback)."""

    chain: FallbackChain | None = None


#: One piece of a line drawn with one face: (font, text, advance width in pixels as a float).
Run = tuple[pygame.freetype.Font, str, float]


class FallbackChain:
    """Per-character font fallback for one primary face.

    Why: the kiosk's one Chinese font has no Thai, Arabic, Hebrew, Devanagari or many symbols, so a feed
    title in those scripts was drawn as boxes, and since a box is wider than the half em it was measured
    as, a summary ran under the date column. Which face draws a character is decided once per character
    (cached: the coverage of a face does not depend on its size) by asking each face in turn for the
    glyph's metrics; a line is then drawn as runs, each with its own face at the same pixel size, on one
    baseline, and measured the same way so wrapping and ellipsis agree with what is drawn. A character
    no installed face has stays with the primary face (a box) and is logged once.

    pygame.freetype has no HarfBuzz: Arabic is shaped and ordered before a line reaches the chain
    (textshape.bidi, in kiosk.ui.drawing); the run rule itself is textshape.fallback, which the hall shares.
    """

    def __init__(self, candidates: Sequence[FontCandidate]) -> None:
        self.candidates: list[FontCandidate] = [(str(p), int(i)) for p, i in candidates]
        self._probes: dict[int, pygame.freetype.Font | None] = {}
        self._where: dict[str, int] = {}  # character -> index into candidates, -1 for none
        self._sized: dict[tuple[int, int, bool], pygame.freetype.Font] = {}
        self._logged: set[str] = set()
        self._ok: set[str] = set()  # characters the primary face draws
        self._missing: set[str] = set()  # characters it lacks (or draws blank)

    def _probe(self, i: int) -> pygame.freetype.Font | None:
        if i not in self._probes:
            path, index = self.candidates[i]
            try:
                self._probes[i] = pygame.freetype.Font(path, 16, font_index=index)
            except (OSError, pygame.error, IndexError, ValueError) as exc:
                log.warning("fallback font %s [face %d] cannot be opened: %s", path, index, exc)
                self._probes[i] = None
        return self._probes[i]

    def face_for(self, char: str) -> int:
        """Index of the first candidate with a glyph for ``char`` (which the primary lacks), -1 for none."""
        where = self._where.get(char)
        if where is None:
            where = -1
            for i in range(len(self.candidates)):
                probe = self._probe(i)
                m = probe.get_metrics(char)[0] if probe is not None else None
                if m is not None and not (m[0] == m[1] == m[2] == m[3] == 0):
                    where = i
                    break
            self._where[char] = where
            if where < 0 and char not in self._logged and not _invisible(char):
                self._logged.add(char)
                log.warning("no installed font has U+%04X %r: drawn as a box (install fonts-noto-core or "
                            "a font for its script)", ord(char), char)
        return where

    def _has(self, i: int, char: str) -> bool:
        probe = self._probe(i)
        return probe is not None and probe.get_metrics(char)[0] is not None

    def sized(self, i: int, primary: pygame.freetype.Font) -> pygame.freetype.Font:
        """Candidate ``i`` at the pixel size and weight of ``primary``, set up like it (baseline origin)."""
        size = primary.size if isinstance(primary.size, (int, float)) else primary.size[0]
        key = (i, int(size), bool(primary.strong))
        font = self._sized.get(key)
        if font is None:
            path, index = self.candidates[i]
            font = pygame.freetype.Font(path, key[1], font_index=index)
            font.strong = key[2]
            font.origin, font.pad, font.kerning = True, False, False
            self._sized[key] = font
        return font

    def covers(self, primary: pygame.freetype.Font, text: str) -> bool:
        """True when the primary face draws every character of ``text`` itself.

        Two set operations in C for text seen before, so the common case stays as cheap as before the
        chain existed; each new character is classified once. A glyph with an advance but no ink (WenQuanYi
        has an empty ℃) counts as missing, unless it is a space or format character.
        """
        chars = set(text)
        if chars <= self._ok:
            return True
        for ch in chars - self._ok - self._missing:
            m = primary.get_metrics(ch)[0]
            blank = m is not None and m[0] == m[1] == m[2] == m[3] == 0 and not _invisible(ch)
            (self._missing if m is None or blank else self._ok).add(ch)
        return not (chars & self._missing)

    def runs(self, primary: pygame.freetype.Font, text: str) -> list[Run]:
        """Split ``text`` into runs by the face that draws them (call :meth:`covers` first).

        A combining mark or space stays in the run before it when the run's face has it, so a Thai
        syllable's vowel and tone marks are drawn by the face that drew its consonant.
        """
        self.covers(primary, text)
        out: list[Run] = []
        for face, piece in fallback.runs(text, fallback.faces(text, self._missing, self.face_for, self._has)):
            font = self.sized(face, primary) if face >= 0 else primary
            width = sum(m[4] if m is not None else notdef_advance(font) for m in font.get_metrics(piece))
            if out and out[-1][0] is font:
                out[-1] = (font, out[-1][1] + piece, out[-1][2] + width)
            else:
                out.append((font, piece, width))
        return out


_invisible = fallback.invisible


_notdef: dict[int, float] = {}


def notdef_advance(font: pygame.freetype.Font) -> float:
    """Advance of the box a face draws for a character it lacks (an em in WenQuanYi, not the half em
    ``get_metrics``-based code used to assume), measured once per font object."""
    adv = _notdef.get(id(font))
    if adv is None:
        probe = "\U000F0000"  # a private-use plane character no face here has
        adv = float(font.get_rect(probe * 2).w - font.get_rect(probe).w) if font.get_metrics(probe)[0] is None \
            else float(font.size if isinstance(font.size, (int, float)) else font.size[0]) / 2
        if adv <= 0:
            adv = float(font.size if isinstance(font.size, (int, float)) else font.size[0]) / 2
        _notdef[id(font)] = adv
    return adv


class Fonts:
    """Cache of ``pygame.freetype.Font`` objects by (size, bold), all from one resolved face.

    Every font has ``origin = True`` so ``render_to`` positions text by its baseline: lines of mixed
    Chinese and Latin text then sit on the same baseline. Bold is synthesised (``strong``) unless a
    separate bold face is given, since WenQuanYi Micro Hei has no bold face.
    """

    def __init__(self, path: str, index: int = 0, *, bold: FontCandidate | None = None,
                 fallbacks: Sequence[FontCandidate] | None = None) -> None:
        _ensure_freetype()
        self.path = path
        self.index = index
        self.bold_face = bold
        self._cache: dict[tuple[int, bool], pygame.freetype.Font] = {}
        #: Faces for characters this face lacks (default: every installed fallback, see core.fonts).
        self.chain = FallbackChain(fallback_fonts((path, index)) if fallbacks is None else fallbacks)
        self._bold_chain = FallbackChain(fallback_fonts(bold) if fallbacks is None else fallbacks) \
            if bold is not None else self.chain

    @classmethod
    def default(cls, candidates: Sequence[FontCandidate] | None = None) -> Fonts:
        """Fonts from the first usable candidate (see :func:`find_cjk_font`)."""
        path, index = find_cjk_font(candidates)
        return cls(path, index)

    def get(self, size: int, bold: bool = False) -> pygame.freetype.Font:
        """A font at ``size`` pixels; cached, so calling it every frame is cheap."""
        key = (max(1, int(size)), bool(bold))
        font = self._cache.get(key)
        if font is None:
            if bold and self.bold_face is not None:
                font = ChainFont(self.bold_face[0], key[0], font_index=self.bold_face[1])
                font.chain = self._bold_chain
            else:
                font = ChainFont(self.path, key[0], font_index=self.index)
                font.strong = key[1]
                font.chain = self.chain
            font.origin = True
            font.pad = False
            font.kerning = False
            self._cache[key] = font
        return font

    def __repr__(self) -> str:
        return f"Fonts({self.path!r}, {self.index})"

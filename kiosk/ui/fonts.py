"""One place that finds a font able to draw Simplified Chinese, and caches sized fonts.

No font that ships with pygame has CJK glyphs, so every piece of text in the kiosk goes through
:func:`find_cjk_font`. Collections (``.ttc``) hold several faces: in ``NotoSansCJK-Regular.ttc`` face 0 is
Japanese and Simplified Chinese is face 2, so a candidate is always a ``(path, face_index)`` pair.
"""

from __future__ import annotations

import glob
import importlib.util
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pygame.freetype

from core.fonts import SYSTEM_CJK_FONTS

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


class Fonts:
    """Cache of ``pygame.freetype.Font`` objects by (size, bold), all from one resolved face.

    Every font has ``origin = True`` so ``render_to`` positions text by its baseline: lines of mixed
    Chinese and Latin text then sit on the same baseline. Bold is synthesised (``strong``) unless a
    separate bold face is given, since WenQuanYi Micro Hei has no bold face.
    """

    def __init__(self, path: str, index: int = 0, *, bold: FontCandidate | None = None) -> None:
        _ensure_freetype()
        self.path = path
        self.index = index
        self.bold_face = bold
        self._cache: dict[tuple[int, bool], pygame.freetype.Font] = {}

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
                font = pygame.freetype.Font(self.bold_face[0], key[0], font_index=self.bold_face[1])
            else:
                font = pygame.freetype.Font(self.path, key[0], font_index=self.index)
                font.strong = key[1]
            font.origin = True
            font.pad = False
            font.kerning = False
            self._cache[key] = font
        return font

    def __repr__(self) -> str:
        return f"Fonts({self.path!r}, {self.index})"

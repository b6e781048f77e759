"""Text for the hall: one DynamicTextFont for the 3D boards and the 2D overlays, with a fallback chain.

No default Panda3D font has CJK glyphs (they would render as empty boxes), and in Noto Sans CJK's
.ttc the Simplified Chinese face is 2, so the font comes from :func:`core.fonts.find_cjk_font`.
One font object is shared: its glyph pages are textures, and text that shares a page merges into
one Geom when a room is flattened; large pages keep a whole hall's characters on one or two.

Characters that font lacks (Thai, Arabic, Hebrew, Devanagari in an exhibit's text, ℃ which WenQuanYi
draws blank) are drawn by the first installed face that has them — the kiosk's chain
(:func:`core.fonts.fallback_fonts`, rule in :mod:`textshape.fallback`). Panda3D draws several fonts in
one TextNode through named TextProperties: a fallback run is written ``\\1zhdj-fb<N>\\1…\\2`` in the text
the TextNode gets (:func:`shown`), and measured with that face, so wrapping agrees with the drawing.
Right-to-left runs are shaped and reordered per line (:mod:`textshape.bidi`); line breaking is
:mod:`textshape.wrap` (禁则 rules, Thai between words). Nothing here imports the kiosk.
"""

from __future__ import annotations

from pathlib import Path

from panda3d.core import (
    DynamicTextFont,
    Filename,
    NodePath,
    SamplerState,
    TextNode,
    TextProperties,
    TextPropertiesManager,
)

from core.fonts import fallback_fonts, find_cjk_font
from textshape import fallback, words
from textshape.bidi import has_rtl, visual
from textshape.words import has_no_space_script
from textshape.wrap import wrap_text

_FONTS: dict[tuple[str, int], DynamicTextFont] = {}
#: Texels between glyphs on a page. Panda3D's default of 2 let a neighbour's edge bleed into a glyph
#: once text is minified (mipmaps): asking the font for a character it lacks puts its box on the page,
#: and a thin bar showed beside "Party" in a panel subtitle.
TEXTURE_MARGIN = 4
#: Longest wait for the Thai dictionary the first time Thai text is wrapped (textshape.words).
THAI_WAIT_S = 10.0
#: The markers Panda3D reads as "use these properties" (not characters to look up).
_MARKUP = "\1\2\3"


def load_cjk_font(configured: list[Path] | None = None) -> DynamicTextFont:
    """The shared CJK font (cached per file and face)."""
    path, index = find_cjk_font(configured)
    key = (str(path), index)
    font = _FONTS.get(key)
    if font is None:
        font = DynamicTextFont(Filename.fromOsSpecific(str(path)), index)
        if not font.isValid():
            raise RuntimeError(f"Panda3D could not read the font {path} (face {index})")
        font.setPixelsPerUnit(64)
        font.setPageSize(2048, 1024)
        font.setTextureMargin(TEXTURE_MARGIN)
        font.setMinfilter(SamplerState.FT_linear_mipmap_linear)
        font.setMagfilter(SamplerState.FT_linear)
        _FONTS[key] = font
        _KEYS[id(font)] = key
    return font


_KEYS: dict[int, tuple[str, int]] = {}


class FallbackChain:
    """The fallback faces of one primary font, loaded only as far down the list as a character needs
    (fonts-noto-core has ~190 faces; Thai is the 133rd), each registered once as TextProperties."""

    def __init__(self, primary: DynamicTextFont, exclude: tuple[str, int] | None) -> None:
        self.primary = primary
        self.candidates = fallback_fonts(exclude)
        self._measure = TextNode("measure-primary")
        self._measure.setFont(primary)
        self._faces: dict[int, TextNode | None] = {}
        self._where: dict[str, int] = {}
        self._primary_has: dict[str, bool] = {}

    def has_primary(self, char: str) -> bool:
        """True when the primary font draws ``char`` with ink (a blank glyph counts as missing)."""
        got = self._primary_has.get(char)
        if got is None:
            got = self._measure.hasExactCharacter(char)
            if got and not char.isspace() and not fallback.invisible(char):
                glyph = self.primary.getGlyph(ord(char))
                got = glyph is not None and not glyph.isWhitespace()
            self._primary_has[char] = got
        return got

    def face(self, i: int) -> TextNode | None:
        """A measuring TextNode for fallback ``i`` (its font registered as properties), None if unreadable."""
        if i not in self._faces:
            path, index = self.candidates[i]
            font = DynamicTextFont(Filename.fromOsSpecific(str(path)), index)
            node = None
            if font.isValid():
                font.setPixelsPerUnit(64)
                font.setPageSize(512, 512)
                font.setTextureMargin(TEXTURE_MARGIN)
                font.setMinfilter(SamplerState.FT_linear_mipmap_linear)
                font.setMagfilter(SamplerState.FT_linear)
                node = TextNode(f"measure-fb{i}")
                node.setFont(font)
                props = TextProperties()
                props.setFont(font)
                TextPropertiesManager.getGlobalPtr().setProperties(self.name(i), props)
            self._faces[i] = node
        return self._faces[i]

    def name(self, i: int) -> str:
        return f"zhdj-fb{id(self)}-{i}"

    def has(self, i: int, char: str) -> bool:
        node = self.face(i)
        return node is not None and node.hasExactCharacter(char)

    def face_for(self, char: str) -> int:
        """The first fallback face that has ``char``, or -1."""
        where = self._where.get(char)
        if where is None:
            where = next((i for i in range(len(self.candidates)) if self.has(i, char)), -1)
            self._where[char] = where
        return where

    def runs(self, line: str) -> list[tuple[int, str]]:
        """``line`` cut into runs by the face that draws them (textshape.fallback's rule)."""
        missing = {c for c in set(line) if not c.isspace() and not self.has_primary(c)}
        if not missing:
            return [(fallback.PRIMARY, line)]
        return fallback.runs(line, fallback.faces(line, missing, self.face_for, self.has))

    def width(self, line: str) -> float:
        total = 0.0
        for face, piece in self.runs(line):
            node = self.face(face) if face >= 0 else None
            total += (node or self._measure).calcWidth(piece)
        return total

    def markup(self, line: str) -> str:
        """``line`` with every fallback run wrapped in its TextProperties markers."""
        return "".join(f"\1{self.name(face)}\1{piece}\2" if face >= 0 else piece for face, piece in self.runs(line))


_CHAINS: dict[int, tuple[DynamicTextFont, FallbackChain]] = {}


def chain_of(font: DynamicTextFont) -> FallbackChain:
    """The fallback chain of ``font`` (one per font object)."""
    entry = _CHAINS.get(id(font))
    if entry is None or entry[0] is not font:
        entry = (font, FallbackChain(font, _KEYS.get(id(font))))
        _CHAINS[id(font)] = entry
    return entry[1]


def _drawn(line: str) -> str:
    """One line as it is drawn: Arabic/Hebrew shaped and ordered for a left-to-right renderer."""
    return visual(line) if has_rtl(line) else line


def shown(text: str, font: DynamicTextFont) -> str:
    """``text`` (already wrapped: lines split by ``\\n``) as a TextNode with ``font`` must get it: each line
    in drawing order, fallback runs marked with their font's properties."""
    chain = chain_of(font)
    return "\n".join(chain.markup(_drawn(line)) for line in text.split("\n"))


def missing_glyphs(font: DynamicTextFont, text: str) -> str:
    """The characters of ``text`` that neither the font nor any installed fallback face can draw (they
    would show as boxes or nothing)."""
    chain = chain_of(font)
    chars = {c for c in text if not c.isspace() and c not in _MARKUP and not fallback.invisible(c)}
    return "".join(sorted(c for c in chars if not chain.has_primary(c) and chain.face_for(c) < 0))


def wrap_cjk(text: str, font: DynamicTextFont, width: float, max_lines: int | None = None) -> str:
    """``text`` with line breaks so no line is wider than ``width`` (in units of the text's height),
    following the kiosk's 禁则 rules (Panda3D's own wrapping breaks before "，" or "”" and splits nothing
    else well in Chinese), ready for a TextNode: fallback runs marked (:func:`shown`). With
    ``max_lines``, longer text is cut and ends with "…"."""
    chain = chain_of(font)
    if has_no_space_script(text) and not words.ready():
        # boards are built while the loading card shows: waiting once for the Thai dictionary (1-4 s)
        # is better than a board broken inside words for the rest of the day
        words.wait_ready(THAI_WAIT_S)

    def measure(s: str) -> int:
        return int(round(chain.width(_drawn(s)) * 1000))

    return shown("\n".join(wrap_text(text, int(width * 1000), measure, max_lines=max_lines)), font)


def text_geometry(text: str, font: DynamicTextFont, height: float, colour: tuple[float, float, float, float],
                  wrap: float | None = None, align: int = TextNode.ALeft, name: str = "text") -> NodePath:
    """Text as geometry in the XZ plane (readable from -Y): ``height`` metres per line, wrapped at
    ``wrap`` metres. The origin is the left end of the first line's baseline (for ALeft)."""
    tn = TextNode(name)
    tn.setFont(font)
    tn.setTextColor(*colour)
    tn.setAlign(align)
    tn.setText(wrap_cjk(text, font, wrap / height) if wrap else shown(text, font))
    np_ = NodePath(tn.generate())
    np_.setScale(height)
    return np_


def rows(text: str) -> int:
    """Lines in already wrapped text."""
    return text.count("\n") + 1

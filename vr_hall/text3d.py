"""Chinese text for the hall: one DynamicTextFont for the 3D boards and the 2D overlays.

No default Panda3D font has CJK glyphs (they would render as empty boxes), and in Noto Sans CJK's
.ttc the Simplified Chinese face is 2, so the font comes from :func:`core.fonts.find_cjk_font`.
One font object is shared: its glyph pages are textures, and text that shares a page merges into
one Geom when a room is flattened; large pages keep a whole hall's characters on one or two.
"""

from __future__ import annotations

from pathlib import Path

from panda3d.core import DynamicTextFont, Filename, NodePath, SamplerState, TextNode

from core.fonts import find_cjk_font
from kiosk.ui.text import wrap_text

_FONTS: dict[tuple[str, int], DynamicTextFont] = {}


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
        font.setMinfilter(SamplerState.FT_linear_mipmap_linear)
        font.setMagfilter(SamplerState.FT_linear)
        _FONTS[key] = font
    return font


def missing_glyphs(font: DynamicTextFont, text: str) -> str:
    """The characters of ``text`` the font cannot draw (they would show as boxes or nothing)."""
    tn = TextNode("probe")
    tn.setFont(font)
    return "".join(sorted({c for c in text if not c.isspace() and not tn.hasExactCharacter(c)}))


def wrap_cjk(text: str, font: DynamicTextFont, width: float, max_lines: int | None = None) -> str:
    """``text`` with line breaks so no line is wider than ``width`` (in units of the text's height),
    following the kiosk's 禁则 rules: Panda3D's own wrapping breaks before "，" or "”" and splits
    nothing else well in Chinese. With ``max_lines``, longer text is cut and ends with "…"."""
    tn = TextNode("measure")
    tn.setFont(font)

    def measure(s: str) -> int:
        return int(round(tn.calcWidth(s) * 1000))

    return "\n".join(wrap_text(text, int(width * 1000), measure, max_lines=max_lines))


def text_geometry(text: str, font: DynamicTextFont, height: float, colour: tuple[float, float, float, float],
                  wrap: float | None = None, align: int = TextNode.ALeft, name: str = "text") -> NodePath:
    """Text as geometry in the XZ plane (readable from -Y): ``height`` metres per line, wrapped at
    ``wrap`` metres. The origin is the left end of the first line's baseline (for ALeft)."""
    tn = TextNode(name)
    tn.setFont(font)
    tn.setText(text)
    tn.setTextColor(*colour)
    tn.setAlign(align)
    if wrap:
        tn.setText(wrap_cjk(text, font, wrap / height))
    np_ = NodePath(tn.generate())
    np_.setScale(height)
    return np_


def rows(text: str) -> int:
    """Lines in already wrapped text."""
    return text.count("\n") + 1

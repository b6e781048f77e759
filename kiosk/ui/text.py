"""Line breaking for the kiosk: :mod:`textshape.wrap`, which the hall shares (imported here so the
kiosk's ``from kiosk.ui.text import wrap_text`` keeps working)."""

from textshape.wrap import (
    CLOSING,
    ELLIPSIS,
    OPENING,
    Measure,
    PositionedLine,
    ellipsize,
    is_cjk,
    iter_paragraph_lines,
    layout_paragraph,
    text_height,
    wrap_text,
)

__all__ = ["CLOSING", "ELLIPSIS", "OPENING", "Measure", "PositionedLine", "ellipsize", "is_cjk",
           "iter_paragraph_lines", "layout_paragraph", "text_height", "wrap_text"]

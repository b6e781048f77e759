"""Right-to-left text for the kiosk: :mod:`textshape.bidi`, which the hall shares (imported here so the
kiosk's ``from kiosk.ui.bidi import visual`` keeps working)."""

from textshape.bidi import RLM, has_rtl, is_rtl_paragraph, shape, visual

__all__ = ["RLM", "has_rtl", "is_rtl_paragraph", "shape", "visual"]

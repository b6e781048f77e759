"""Screen transitions: 150–250 ms, a slide for push/pop and a fade for home/replace.

The navigator snapshots the screen going and the screen coming onto two surfaces once; each frame then
only blends them (:func:`blend`), so a transition costs two blits a frame whatever the screens hold.
Skipped altogether when the navigator's ``animations`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pygame

from kiosk.ui.drawing import clip, ease_out

if TYPE_CHECKING:
    from kiosk.ui.screen_base import Screen

TRANSITION_S = 0.2


@dataclass
class Transition:
    kind: str  # "slide_left" (push), "slide_right" (pop), "fade"
    from_screen: Screen
    to_screen: Screen
    duration: float
    t: float = 0.0
    from_surf: pygame.Surface | None = None
    to_surf: pygame.Surface | None = None
    area: pygame.Rect | None = None


def blend(surface: pygame.Surface, tr: Transition) -> pygame.Rect:
    """Draw the two snapshots at the transition's progress (eased) into ``surface``; returns the area."""
    assert tr.from_surf is not None and tr.to_surf is not None and tr.area is not None
    area = tr.area
    p = ease_out(tr.t / tr.duration if tr.duration > 0 else 1.0)
    if tr.kind == "fade":
        surface.blit(tr.from_surf, area, area)
        tr.to_surf.set_alpha(round(255 * p))
        surface.blit(tr.to_surf, area, area)
        tr.to_surf.set_alpha(None)
    else:
        sign = -1 if tr.kind == "slide_left" else 1
        shift = round(area.w * p) * sign
        with clip(surface, area):
            surface.blit(tr.from_surf, (area.x + shift, area.y), area)
            surface.blit(tr.to_surf, (area.x + shift - sign * area.w, area.y), area)
    return area

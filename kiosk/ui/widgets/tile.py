"""Tile: the home-screen entry (icon glyph, Chinese title, English subtitle, optional number/badge).

Its inner layout follows its shape: a wide tile (portrait home screens) puts the icon, the text and the
number in a row; a squarer tile (landscape) puts icon and number on top and the titles at the bottom.
The icon is a Chinese character in a red disc: it is drawn with the same font, so it never shows tofu.
"""

from __future__ import annotations

import pygame
import pygame.freetype

from kiosk.ui.drawing import card, clip, draw_text, line_height, measurer, text_width
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets.button import Callback, Pressable


class Tile(Pressable):
    """A large tappable card. ``number`` (e.g. unread count, 85, "12/15") is shown big; ``badge``
    (e.g. 3 or "新") is a small red marker on the icon."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        title: str,
        subtitle: str | None = None,
        *,
        icon: str | None = None,
        number: int | float | str | None = None,
        unit: str | None = None,
        badge: int | str | None = None,
        on_tap: Callback | None = None,
        accent: RGB | None = None,
        enabled: bool = True,
    ) -> None:
        super().__init__(rect, theme, on_tap, enabled=enabled)
        self.title = title
        self.subtitle = subtitle
        self.icon = icon if icon is not None else (title[:1] or None)
        self.number = number
        self.unit = unit
        self.badge = badge
        self.accent = accent

    def set_number(self, number: int | float | str | None) -> None:
        if number != self.number:
            self.number = number
            self.dirty = True

    def set_badge(self, badge: int | str | None) -> None:
        if badge != self.badge:
            self.badge = badge
            self.dirty = True

    @property
    def wide(self) -> bool:
        return self.rect.w >= 1.7 * self.rect.h

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        accent = self.accent or p.red
        radius = t.spacing.radius
        off = max(2, radius // 4)
        r = self.rect
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        fill = p.surface_pressed if self.pressed else p.surface
        if not self.enabled:
            fill = p.disabled
        shadow = None if self.pressed else mix(p.bg, (0, 0, 0), 0.14)
        card(surface, body, fill, radius, shadow=shadow)
        strip = max(4, t.spacing.unit // 2 + 2)
        pygame.draw.rect(surface, accent, (body.x, body.y, body.w, strip),
                         border_top_left_radius=radius, border_top_right_radius=radius)
        pad = max(t.spacing.unit * 2, min(t.spacing.pad, body.h // 6, body.w // 12))
        inner = pygame.Rect(body.x + pad, body.y + strip + pad // 2, body.w - 2 * pad, body.h - strip - pad)
        if self.wide:
            self._draw_wide(surface, inner, accent)
        else:
            self._draw_tall(surface, inner, accent)

    # -- pieces -----------------------------------------------------------------------------------
    def _number_text(self) -> str:
        if self.number is None:
            return ""
        if isinstance(self.number, float):
            return f"{self.number:.1f}".rstrip("0").rstrip(".")
        return str(self.number)

    def _draw_icon(self, surface: pygame.Surface, center: tuple[int, int], diameter: int, accent: RGB) -> None:
        if not self.icon:
            return
        t = self.theme
        pygame.draw.circle(surface, accent, center, diameter // 2)
        glyph_size = max(t.type.caption, int(diameter * 0.5))
        font = t.fonts.get(glyph_size, True) if t.fonts else t.font("title")
        draw_text(surface, font, self.icon[:2], center, t.palette.on_red, "center")
        if self._has_badge():
            size = self._badge_size()
            self._draw_badge(surface, (center[0] + int(diameter * 0.42), center[1] - int(diameter * 0.38)), size)

    def _has_badge(self) -> bool:
        return self.badge not in (None, "", 0)

    def _badge_size(self) -> tuple[int, int]:
        t = self.theme
        bfont = t.font("caption", True)
        h = line_height(bfont)
        return max(h, text_width(bfont, str(self.badge)) + t.spacing.unit * 2), h

    def _draw_badge(self, surface: pygame.Surface, center: tuple[int, int], size: tuple[int, int]) -> None:
        """A red pill with the badge text (count or "新"), ringed in white to stand off what it overlaps."""
        t = self.theme
        brect = pygame.Rect(0, 0, *size)
        brect.center = center
        pygame.draw.rect(surface, t.palette.surface, brect.inflate(6, 6), border_radius=brect.h)
        pygame.draw.rect(surface, t.palette.bad.fill, brect, border_radius=brect.h // 2)
        draw_text(surface, t.font("caption", True), str(self.badge), brect.center, t.palette.bad.on_fill, "center")

    def _draw_number(self, surface: pygame.Surface, box: pygame.Rect, anchor: str, accent: RGB) -> int:
        """Draw number (+unit) anchored at ``box``'s ``anchor`` point; return the width used."""
        text = self._number_text()
        if not text:
            return 0
        t = self.theme
        size = t.type.number
        font = t.fonts.get(size, True) if t.fonts else t.font("number")
        ufont = t.font("small")
        uw = text_width(ufont, self.unit) + t.spacing.unit // 2 if self.unit else 0
        while size > t.type.caption and text_width(font, text) + uw > box.w and t.fonts:
            size -= 2
            font = t.fonts.get(size, True)
        nw = text_width(font, text)
        total = min(nw + uw, box.w)
        x = box.right - total if anchor.endswith("right") else box.x
        y = box.centery if anchor.startswith("mid") else box.y + line_height(font) // 2
        color = accent if accent != t.palette.gold else t.palette.gold_dark
        draw_text(surface, font, text, (x, y), color, "midleft")
        if self.unit:
            draw_text(surface, ufont, self.unit, (x + nw + t.spacing.unit // 2, y + (size - ufont.size) // 3),
                      t.palette.ink_muted, "midleft")
        return total

    def _title_font(self, width: int) -> pygame.freetype.Font:
        """The title font, shrunk (down to button size) before the title would need an ellipsis."""
        return self.theme.fit_font(self.title, width, "title", "button", bold=True)

    def _draw_titles(self, surface: pygame.Surface, box: pygame.Rect, v_align: str, badge: bool = False) -> None:
        """Title and subtitle in ``box``; with ``badge`` the badge pill follows the title on its line."""
        t = self.theme
        bw = self._badge_size()[0] + t.spacing.unit if badge else 0
        tfont = self._title_font(box.w - bw)
        sfont = t.font("small")
        title_h = line_height(tfont)
        sub_h = line_height(sfont) if self.subtitle else 0
        gap = t.spacing.unit // 2 if self.subtitle else 0
        total = title_h + gap + sub_h
        top = box.bottom - total if v_align == "bottom" else box.centery - total // 2
        title = ellipsize(self.title, box.w - bw, measurer(tfont))
        ink = t.palette.ink if self.enabled else t.palette.on_disabled
        drawn = draw_text(surface, tfont, title, (box.x, top), ink, "topleft")
        if badge:
            size = self._badge_size()
            self._draw_badge(surface, (drawn.right + t.spacing.unit + size[0] // 2, drawn.centery), size)
        if self.subtitle:
            sub = ellipsize(self.subtitle, box.w, measurer(sfont))
            draw_text(surface, sfont, sub, (box.x, top + title_h + gap), t.palette.ink_muted, "topleft")

    def _draw_wide(self, surface: pygame.Surface, inner: pygame.Rect, accent: RGB) -> None:
        """Icon | titles | number in a row. The titles keep room for their smallest readable size;
        the number shrinks into what is left, and the icon goes first when even that is too little."""
        t = self.theme
        gap = t.spacing.gap
        title_min = text_width(t.fonts.get(t.type.button, True), self.title) if t.fonts else 0
        if self.subtitle:
            title_min = max(title_min, min(text_width(t.font("small"), self.subtitle), title_min * 2))
        d = min(inner.h, int(t.type.title * 2.1)) if self.icon else 0
        number_w = 0
        if self._number_text():
            nfont = t.fonts.get(t.type.number, True) if t.fonts else t.font("number")
            number_w = text_width(nfont, self._number_text())
            if self.unit:
                number_w += text_width(t.font("small"), self.unit) + t.spacing.unit // 2
            room = inner.w - (d + gap if d else 0) - title_min - gap
            if d and room < t.type.number:
                d = 0  # no room for the disc: drop it before squeezing the number further
                badge_w = self._badge_size()[0] + t.spacing.unit if self._has_badge() else 0
                room = inner.w - title_min - badge_w - gap
            number_w = min(number_w, max(t.type.caption * 2, room))
        x = inner.x
        if d:
            self._draw_icon(surface, (inner.x + d // 2, inner.centery), d, accent)
            x += d + gap
        if number_w:
            box = pygame.Rect(inner.right - number_w, inner.y, number_w, inner.h)
            with clip(surface, box.inflate(t.spacing.unit, 0)):
                number_w = self._draw_number(surface, box, "midright", accent)
        right = inner.right - (number_w + gap if number_w else 0)
        badge_inline = self._has_badge() and not d
        self._draw_titles(surface, pygame.Rect(x, inner.y, max(0, right - x), inner.h), "center", badge_inline)

    def _draw_tall(self, surface: pygame.Surface, inner: pygame.Rect, accent: RGB) -> None:
        t = self.theme
        titles_h = line_height(t.font("title", True)) + (line_height(t.font("small")) if self.subtitle else 0)
        d = max(t.type.title, min(int(t.type.title * 2.1), inner.h - titles_h - t.spacing.unit * 2, inner.w // 2))
        if self.icon:
            self._draw_icon(surface, (inner.x + d // 2, inner.y + d // 2), d, accent)
        top_box = pygame.Rect(inner.x + (d + t.spacing.unit if self.icon else 0), inner.y,
                              inner.w - (d + t.spacing.unit if self.icon else 0), d)
        self._draw_number(surface, top_box, "midright", accent)
        self._draw_titles(surface, inner, "bottom")

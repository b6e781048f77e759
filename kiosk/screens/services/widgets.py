"""Small widgets shared by the services screens: a section :class:`Heading`, the big two-line
:class:`ToggleButton` (state shown by more than colour) and the :class:`InfoPanel` card of hours,
address and phone."""

from __future__ import annotations

from collections.abc import Sequence

import pygame

from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Callback, Pressable


class Heading(Widget):
    """A section title with a smaller subtitle on the same line (or under it when it does not fit)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str,
                 subtitle: str = "", *, role: str = "title") -> None:
        super().__init__(rect, theme)
        self.title, self.subtitle, self.role = title, subtitle, role

    @staticmethod
    def height(theme: Theme, role: str = "title") -> int:
        return line_height(theme.font(role, True)) + theme.spacing.unit

    def draw(self, surface: pygame.Surface) -> None:
        t, p, r = self.theme, self.theme.palette, self.rect
        tf = t.fit_font(self.title, r.w, self.role, "body", bold=True)
        box = draw_text(surface, tf, ellipsize(self.title, r.w, measurer(tf)), (r.x, r.centery), p.ink, "midleft")
        # a short red bar under the title: the page's section mark
        pygame.draw.rect(surface, p.red, (r.x, r.bottom - 4, min(box.w, t.spacing.target), 4), border_radius=2)
        if self.subtitle:
            sf = t.font("small")
            room = r.right - box.right - t.spacing.gap
            if text_width(sf, self.subtitle) <= room:  # a cut-off subtitle helps nobody: all or nothing
                draw_text(surface, sf, self.subtitle, (box.right + t.spacing.gap, r.centery + 2), p.ink_muted,
                          "midleft")


class ToggleButton(Pressable):
    """A big two-line choice (Chinese over English). Selected: red fill, white text and a tick; not
    selected: white with a red outline — the state is never shown by colour alone."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str,
                 subtitle: str = "", on_tap: Callback | None = None, *, selected: bool = False,
                 role: str = "button") -> None:
        super().__init__(rect, theme, on_tap)
        self.title, self.subtitle, self.role = title, subtitle, role
        self._selected = selected

    @property
    def selected(self) -> bool:
        return self._selected

    @selected.setter
    def selected(self, value: bool) -> None:
        if value != self._selected:
            self._selected = value
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        radius = min(t.spacing.radius, r.h // 2)
        off = max(2, radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        if self._selected:
            fill, fg, sub, border = (p.red_pressed if self.pressed else p.red), p.on_red, p.on_red, None
        else:
            fill, fg, sub, border = (p.surface_pressed if self.pressed else p.surface), p.ink, p.ink_muted, p.red
        shadow = None if self.pressed else mix(p.bg, (0, 0, 0), 0.18)
        card(surface, body, fill, radius, shadow=shadow, border=border, border_width=2)
        mark = "✓ " if self._selected else ""
        room = body.w - 2 * t.spacing.unit
        tf = t.fit_font(mark + self.title, room, self.role, "caption", bold=True)
        sf = t.font("caption")
        two = bool(self.subtitle) and body.h >= line_height(tf) + line_height(sf) + t.spacing.unit
        if two:
            h = line_height(tf) + line_height(sf)
            top = body.centery - h // 2
            draw_text(surface, tf, ellipsize(mark + self.title, room, measurer(tf)), (body.centerx, top), fg, "midtop")
            draw_text(surface, sf, ellipsize(self.subtitle, room, measurer(sf)),
                      (body.centerx, top + line_height(tf)), sub, "midtop")
        else:
            draw_text(surface, tf, ellipsize(mark + self.title, room, measurer(tf)), body.center, fg, "center")


class InfoPanel(Widget):
    """A white card of (label, value, note) rows: office hours, address, phone; an optional footer."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, title: str, subtitle: str,
                 rows: Sequence[tuple[str, str, str]], footer: str = "") -> None:
        super().__init__(rect, theme)
        self.title, self.subtitle, self.rows, self.footer = title, subtitle, list(rows), footer

    def texts(self) -> list[str]:
        return [self.title, self.subtitle, *(x for row in self.rows for x in row if x), self.footer]

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        r = self.rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        pygame.draw.rect(surface, p.gold, (r.x, r.y, r.w, max(6, t.spacing.unit)),
                         border_top_left_radius=t.spacing.radius, border_top_right_radius=t.spacing.radius)
        self.flow(surface)

    def preferred_height(self) -> int:
        """The height that shows everything at the current width."""
        return self.flow(None)

    def flow(self, surface: pygame.Surface | None) -> int:
        """Lay the card out (and draw it when ``surface`` is given); return the height used."""
        t, p = self.theme, self.theme.palette
        r = self.rect
        pad = t.spacing.pad
        x, y, w = r.x + pad, r.y + pad, r.w - 2 * pad
        bottom = r.bottom - t.spacing.unit if surface is not None else 1 << 30

        def put(font, text: str, pos: tuple[int, int], color: RGB) -> None:
            if surface is not None:
                draw_text(surface, font, text, pos, color)

        tf = t.fit_font(self.title, w, "title", "body", bold=True)
        put(tf, ellipsize(self.title, w, measurer(tf)), (x, y), p.red)
        y += line_height(tf)
        sf, bf, lf = t.font("small"), t.font("body"), t.font("body", True)
        if self.subtitle:
            put(sf, ellipsize(self.subtitle, w, measurer(sf)), (x, y), p.ink_muted)
            y += line_height(sf)
        y += t.spacing.unit
        label_w = max((text_width(lf, label) for label, _, _ in self.rows), default=0) + t.spacing.gap
        if label_w > w // 3:  # narrow card: labels above values
            label_w = 0
        for label, value, note in self.rows:
            if y + line_height(bf) + t.spacing.unit > bottom:
                break
            if surface is not None:
                pygame.draw.line(surface, p.divider, (x, y), (x + w, y))
            y += t.spacing.unit
            put(lf, label, (x, y), p.ink)
            if not label_w:
                y += line_height(lf)
            vx, vw = x + label_w, w - label_w
            for line in wrap_text(value, vw, measurer(bf), max_lines=2):
                if y + line_height(bf) > bottom:
                    break
                put(bf, line, (vx, y), p.ink)
                y += line_height(bf)
            for line in wrap_text(note, vw, measurer(sf), max_lines=2) if note else ():
                if y + line_height(sf) > bottom:
                    break
                put(sf, line, (vx, y), p.ink_muted)
                y += line_height(sf)
            y += t.spacing.unit
        if self.footer:
            lines = wrap_text(self.footer, w, measurer(sf), max_lines=3)
            y += t.spacing.unit
            if surface is not None:  # the footer sits at the bottom of the card
                y = max(y, r.bottom - pad - len(lines) * line_height(sf))
            for line in lines:
                if y + line_height(sf) > bottom:
                    break
                put(sf, line, (x, y), p.ink_muted)
                y += line_height(sf)
        return y + pad - r.y

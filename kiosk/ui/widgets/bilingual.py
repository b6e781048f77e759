"""Widgets labelled in both languages: the kiosk's language first, the other under it in small type.

Why shared: the admin panel and the sign-in screen's keypads must say 清空 / 删除 / 确定 to a Chinese
visitor and Clear / Delete / OK to an English one, with the keys keeping their names for the code.
"""

from __future__ import annotations

import pygame

from kiosk.ui.drawing import card, draw_text, line_height, measurer
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.keypad import CLEAR, DELETE, OK, NumericKeypad


class BiButton(Button):
    """A button with the other language's label under its own, in the small type (dropped, never
    overlapping, when the button is too low for two lines)."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, text: str, second: str,
                 on_tap=None, *, kind: str = "secondary", role: str = "button", enabled: bool = True) -> None:
        super().__init__(rect, theme, text, on_tap, kind=kind, role=role, enabled=enabled)
        self.second = second

    def draw(self, surface: pygame.Surface) -> None:
        fill, fg, border = self.colors()
        t, r = self.theme, self.rect
        radius = min(t.spacing.radius, r.h // 2)
        off = max(2, radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        shadow = None if self.pressed else mix(t.palette.bg, (0, 0, 0), 0.18)
        card(surface, body, fill, radius, shadow=shadow, border=border, border_width=2)
        width = body.w - 2 * t.spacing.unit
        font, small = t.fit_font(self.text, width, self.role, "small"), t.font("small")
        two = bool(self.second) and line_height(font) + line_height(small) + t.spacing.unit <= body.h
        height = line_height(font) + (line_height(small) if two else 0)
        top = body.centery - height // 2
        draw_text(surface, font, ellipsize(self.text, width, measurer(font)), (body.centerx, top), fg, "midtop")
        if two:
            draw_text(surface, small, ellipsize(self.second, width, measurer(small)),
                      (body.centerx, top + line_height(font)), fg if self.kind == "primary" else t.palette.ink_muted,
                      "midtop")


class BiKeypad(NumericKeypad):
    """The numeric keypad with 清空 / 删除 / 确定 labelled in both languages (the keys keep their names,
    so ``keys["确定"]`` and ``press("ok")`` work as on every keypad)."""

    ENGLISH = {CLEAR: "Clear", DELETE: "Delete", OK: "OK"}

    def __init__(self, *args, lang: str = "zh", **kwargs) -> None:
        self.lang = lang
        super().__init__(*args, **kwargs)

    def _build(self) -> None:
        super()._build()
        for name, en in self.ENGLISH.items():
            old = self.keys.get(name)
            if old is None:
                continue
            first, second = (en, name) if self.lang == "en" else (name, en)
            new = BiButton(old.rect, self.theme, first, second, old.on_tap, kind=old.kind, role=old.role,
                           enabled=old.enabled)
            self.children[self.children.index(old)] = new
            self.keys[name] = new

"""The base of every learning screen: white cards behind groups of widgets, and the bilingual text
helpers (``t``, ``unit``, ``other``) the screens call on themselves."""

from __future__ import annotations

import pygame

from kiosk.context import KioskContext
from kiosk.ui.drawing import card
from kiosk.ui.screens import Screen
from kiosk.ui.theme import mix


class CardScreen(Screen):
    """A screen whose background has white cards behind groups of widgets (``self.cards``)."""

    def __init__(self, ctx: KioskContext, name: str | None = None) -> None:
        super().__init__(name)
        self.ctx = ctx
        self.cards: list[pygame.Rect] = []

    def layout(self, rect: pygame.Rect) -> None:
        self.cards = []
        super().layout(rect)

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        t = self.theme
        assert t is not None
        for c in self.cards:
            card(surface, c, t.palette.surface, t.spacing.radius, shadow=mix(t.palette.bg, (0, 0, 0), 0.10))

    def t(self, zh: str, en: str | None = None) -> str:
        return self.ctx.t(zh, en)

    def unit(self, zh: str, en: str | None = None) -> str | None:
        """A unit after a number: the Chinese one, or in English ``en`` (None: no unit)."""
        return en if self.ctx.lang == "en" else zh

    def other(self, zh: str, en: str) -> str:
        """The subtitle language: English under Chinese, Chinese under English."""
        return zh if self.ctx.lang == "en" else en

    def rebuild(self) -> None:
        self.layout(self.rect)

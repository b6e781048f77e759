"""NumericKeypad: 0–9, 删除 (delete), 清空 (clear), 确定 (confirm), with an optional masked PIN display.

Used for the administrator PIN and for member numbers at sign-in when a face is not recognised. A masked
keypad shows one dot per slot (filled as digits are entered), so the user sees how many remain without
the PIN being readable over their shoulder.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.ui.drawing import card, draw_text
from kiosk.ui.layout import grid, take_top
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.container import Container

DELETE = "删除"
CLEAR = "清空"
OK = "确定"
_ALIASES = {"del": DELETE, "backspace": DELETE, "clear": CLEAR, "ok": OK, "enter": OK}
MAX_SLOTS = 8  # a masked display shows empty slots up to this length
LAYOUT = ("1", "2", "3", "4", "5", "6", "7", "8", "9", CLEAR, "0", DELETE)
POINT = "."
#: With a decimal point (money): the point takes 清空's place, and 清空 moves beside 确定.
LAYOUT_DECIMAL = ("1", "2", "3", "4", "5", "6", "7", "8", "9", POINT, "0", DELETE)


class NumericKeypad(Container):
    """Digits entry. ``on_submit(value)`` on 确定; ``on_change(value)`` after every edit."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        *,
        max_length: int = 6,
        masked: bool = False,
        on_submit: Callable[[str], object] | None = None,
        on_change: Callable[[str], object] | None = None,
        placeholder: str = "",
        show_display: bool = True,
        mask_char: str = "●",
        decimals: int = 0,
    ) -> None:
        super().__init__(rect, theme)
        if max_length < 1:
            raise ValueError("max_length must be at least 1")
        self.max_length = max_length
        self.masked = masked
        self.on_submit = on_submit
        self.on_change = on_change
        self.placeholder = placeholder
        self.show_display = show_display
        self.mask_char = mask_char
        #: Digits allowed after a decimal point (0: whole numbers only, no point key).
        self.decimals = decimals
        self.value = ""
        self.display_rect = pygame.Rect(0, 0, 0, 0)
        self.keys: dict[str, Button] = {}
        self._build()

    def _build(self) -> None:
        t = self.theme
        self.children.clear()
        area = pygame.Rect(self.rect)
        if self.show_display:
            self.display_rect, area = take_top(area, t.spacing.target, t.spacing.gap)
        cells = grid(area, 3, 5, t.spacing.gap)
        for label, cell in zip(LAYOUT_DECIMAL if self.decimals else LAYOUT, cells[:12], strict=True):
            kind = "quiet" if label.isdigit() or label == POINT else "secondary"
            role = "title" if label.isdigit() or label == POINT else "button"
            self.keys[label] = self.add(
                Button(cell, t, label, (lambda k=label: self.press(k)), kind=kind, role=role)
            )  # type: ignore[assignment]
        ok_rect = cells[12].union(cells[14])
        if self.decimals:
            self.keys[CLEAR] = self.add(Button(cells[12], t, CLEAR, lambda: self.press(CLEAR), kind="secondary"))  # type: ignore[assignment]
            ok_rect = cells[13].union(cells[14])
        self.keys[OK] = self.add(Button(ok_rect, t, OK, lambda: self.press(OK), kind="primary"))  # type: ignore[assignment]
        self._sync()

    def set_rect(self, rect: pygame.Rect | tuple[int, int, int, int]) -> None:
        super().set_rect(rect)
        self._build()

    @property
    def display_text(self) -> str:
        """What the display shows: the digits, or one mask character per digit when masked."""
        return self.mask_char * len(self.value) if self.masked else self.value

    def _sync(self) -> None:
        self.keys[OK].enabled = bool(self.value)
        self.keys[DELETE].enabled = bool(self.value)
        self.keys[CLEAR].enabled = bool(self.value)
        self._own_dirty = True

    def press(self, key: str) -> None:
        """Apply one key, as a tap on it would (also accepts "del", "clear", "ok")."""
        key = _ALIASES.get(key.lower(), key) if key.isascii() and not key.isdigit() else key
        before = self.value
        if key.isdigit() and len(key) == 1:
            whole, point, frac = self.value.partition(POINT)
            if len(self.value) < self.max_length and (not point or len(frac) < self.decimals):
                self.value += key
        elif key == POINT:
            if self.decimals and POINT not in self.value and len(self.value) < self.max_length - 1:
                self.value = (self.value or "0") + POINT
        elif key == DELETE:
            self.value = self.value[:-1]
        elif key == CLEAR:
            self.value = ""
        elif key == OK:
            if self.value and self.on_submit is not None:
                self.on_submit(self.value)
            return
        else:
            raise ValueError(f"unknown key {key!r}")
        if self.value != before:
            self._sync()
            if self.on_change is not None:
                self.on_change(self.value)

    def clear(self) -> None:
        self.press(CLEAR)

    def draw_self(self, surface: pygame.Surface) -> None:
        if not self.show_display:
            return
        t = self.theme
        p = t.palette
        r = self.display_rect
        card(surface, r, p.surface, t.spacing.radius, border=p.divider)
        if self.masked:
            # Up to 8 digits: one slot per digit (filled as typed). Longer: only the typed dots.
            slots = self.max_length if self.max_length <= MAX_SLOTS else len(self.value)
            slot = min(r.h // 2, (r.w - 2 * t.spacing.pad) // min(self.max_length, MAX_SLOTS) - t.spacing.unit)
            radius = max(6, slot // 3)
            step = radius * 2 + t.spacing.gap
            avail = r.w - 2 * t.spacing.pad
            if slots > 1 and step * (slots - 1) + 2 * radius > avail:  # many digits: tighten, then shrink
                step = (avail - 2 * radius) // (slots - 1)
                if step < radius * 2 + 4:
                    radius = max(3, (avail // slots - 4) // 2)
                    step = radius * 2 + 4
            x0 = r.centerx - (step * (slots - 1)) // 2
            for i in range(slots):
                c = (x0 + i * step, r.centery)
                if i < len(self.value):
                    pygame.draw.circle(surface, p.ink, c, radius)
                else:
                    pygame.draw.circle(surface, p.ink_muted, c, radius, 2)
            if slots == 0 and self.placeholder:
                draw_text(surface, t.font("body"), self.placeholder, r.center, p.ink_muted, "center")
        elif self.value:
            draw_text(surface, t.font("title", True), self.value, r.center, p.ink, "center")
        elif self.placeholder:
            draw_text(surface, t.font("body"), self.placeholder, r.center, p.ink_muted, "center")

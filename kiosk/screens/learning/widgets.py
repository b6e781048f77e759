"""Small widgets of the learning screens: ✓/✗ marks drawn with lines (no font can turn them into
tofu), :class:`TextBlock` (stacked wrapped runs of text) and :class:`OptionButton` (one answer
option). They live here because several screens (hub, login, articles, quiz, results) use them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from kiosk.screens.learning.common import LETTERS
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets import Widget
from kiosk.ui.widgets.button import Pressable


def draw_mark(surface: pygame.Surface, center: tuple[int, int], diameter: int, ok: bool, theme: Theme,
              *, color: RGB | None = None, filled: bool = True) -> None:
    """A ✓ (ok) or ✗ in a disc, drawn with lines so no font can turn it into tofu."""
    p = theme.palette
    cx, cy = center
    r = max(6, diameter // 2)
    fill = color or (p.ok.fill if ok else p.bad.fill)
    stroke = p.on_red
    if filled:
        pygame.draw.circle(surface, fill, center, r)
    else:
        stroke = fill
    w = max(3, r // 4)
    if ok:
        pts = [(cx - r * 0.48, cy + r * 0.02), (cx - r * 0.12, cy + r * 0.38), (cx + r * 0.5, cy - r * 0.36)]
        pygame.draw.lines(surface, stroke, False, pts, w)
    else:
        k = r * 0.4
        pygame.draw.line(surface, stroke, (cx - k, cy - k), (cx + k, cy + k), w)
        pygame.draw.line(surface, stroke, (cx - k, cy + k), (cx + k, cy - k), w)


@dataclass(frozen=True)
class Run:
    """A run of text in a :class:`TextBlock`: wrapped to the block's width, in one role and colour."""

    text: str
    role: str = "body"
    bold: bool = False
    color: RGB | None = None
    gap_before: int = 0
    mark: str | None = None  # "ok" | "bad": a ✓/✗ disc before the first line
    spacing: float = 1.3


@dataclass(frozen=True)
class _Line:
    text: str
    run: Run
    y: int
    h: int
    indent: int
    mark: str | None


def layout_runs(theme: Theme, runs: Sequence[Run], width: int) -> tuple[list[_Line], int]:
    """Wrap every run; return the lines (y relative to the block top) and the total height."""
    out: list[_Line] = []
    y = 0
    for run in runs:
        font = theme.font(run.role, run.bold)
        lh = line_height(font, run.spacing)
        indent = round(line_height(font) * 1.1) + theme.spacing.unit if run.mark else 0
        y += run.gap_before
        for i, line in enumerate(wrap_text(run.text, max(1, width - indent), measurer(font))):
            out.append(_Line(line, run, y, lh, indent, run.mark if i == 0 else None))
            y += lh
    return out, y


def runs_height(theme: Theme, runs: Sequence[Run], width: int) -> int:
    return layout_runs(theme, runs, width)[1]


class TextBlock(Widget):
    """Several wrapped runs of text stacked top-down (optionally on a card); what does not fit ends in "…"."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, runs: Sequence[Run] = (),
                 *, background: RGB | None = None, border: RGB | None = None, padding: int = 0,
                 valign: str = "top", align: str = "left") -> None:
        super().__init__(rect, theme)
        self.runs = list(runs)
        self.background = background
        self.border = border
        self.padding = padding
        self.valign = valign
        self.align = align

    def set_runs(self, runs: Sequence[Run]) -> None:
        if list(runs) != self.runs:
            self.runs = list(runs)
            self.dirty = True

    @property
    def inner(self) -> pygame.Rect:
        return inset(self.rect, self.padding)

    def text(self) -> str:
        return "\n".join(r.text for r in self.runs)

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        if self.background is not None:
            card(surface, self.rect, self.background, t.spacing.radius, border=self.border)
        box = self.inner
        lines, total = layout_runs(t, self.runs, box.w)
        fitting = [ln for ln in lines if ln.y + ln.h <= box.h] or lines[:1]
        cut = len(fitting) < len(lines)
        top = box.y
        if self.valign == "center":
            top = box.y + max(0, (box.h - min(total, box.h)) // 2)
        for i, ln in enumerate(fitting):
            font = t.font(ln.run.role, ln.run.bold)
            text = ln.text
            if cut and i == len(fitting) - 1:
                text = ellipsize(text, box.w - ln.indent, measurer(font), force=True)
            color = ln.run.color or p.ink
            y = top + ln.y + (ln.h - line_height(font)) // 2
            x = box.x
            if self.align == "center":
                x = box.centerx - (ln.indent + text_width(font, text)) // 2
            draw_text(surface, font, text, (x + ln.indent, y), color, "topleft")
            if ln.mark:
                d = line_height(font)
                draw_mark(surface, (x + d // 2, y + d // 2), d, ln.mark == "ok", t)


class OptionButton(Pressable):
    """One answer option: a letter (or ✓/✗ for true/false), wrapped text, and its selected/verdict look."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, index: int, text: str,
                 on_tap: Callable[[], object] | None, *, kind: str = "single", role: str = "button",
                 selected: bool = False, verdict: str | None = None) -> None:
        super().__init__(rect, theme, on_tap, enabled=verdict is None)
        self.index = index
        self.text = text
        self.kind = kind
        self.role = role
        self.selected = selected
        self.verdict = verdict  # None (answering) | "correct" | "wrong" | "other"

    @staticmethod
    def badge_size(theme: Theme) -> int:
        return round(theme.type.title * 1.3)

    @classmethod
    def text_width_for(cls, theme: Theme, width: int, kind: str) -> int:
        t = theme
        if kind == "truefalse":
            return width - 2 * t.spacing.pad
        return width - 2 * t.spacing.pad - cls.badge_size(t) - t.spacing.gap - cls.badge_size(t) // 2 - t.spacing.unit

    @classmethod
    def height_for(cls, theme: Theme, text: str, width: int, role: str, kind: str) -> int:
        font = theme.font(role)
        lines = wrap_text(text, max(1, cls.text_width_for(theme, width, kind)), measurer(font))
        return max(theme.spacing.target, len(lines) * line_height(font, 1.2) + 3 * theme.spacing.unit)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def _colors(self) -> tuple[RGB, RGB, int, RGB, RGB]:
        """(fill, border, border width, badge fill, badge ink)."""
        p = self.theme.palette
        if self.verdict == "correct":
            return mix(p.surface, p.ok.fill, 0.12), p.ok.fill, 4, p.ok.fill, p.ok.on_fill
        if self.verdict == "wrong":
            return mix(p.surface, p.bad.fill, 0.10), p.bad.fill, 4, p.bad.fill, p.bad.on_fill
        if self.selected:
            return mix(p.surface, p.red, 0.08), p.red, 4, p.red, p.on_red
        fill = p.surface_pressed if self.pressed else p.surface
        return fill, p.divider, 2, p.bg, p.ink

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        fill, border, bw, badge_fill, badge_ink = self._colors()
        r = self.rect
        off = max(2, t.spacing.radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        shadow = None if self.pressed or self.verdict else mix(p.bg, (0, 0, 0), 0.14)
        card(surface, body, fill, t.spacing.radius, shadow=shadow, border=border, border_width=bw)
        ink = p.ink_muted if self.verdict == "other" else p.ink
        font = t.font(self.role, bold=self.selected or self.verdict in ("correct", "wrong"))
        bd = self.badge_size(t)
        if self.kind == "truefalse":
            mark_d = bd
            tw = text_width(font, self.text)
            x0 = body.centerx - (mark_d + t.spacing.gap + tw) // 2
            cy = body.centery
            mark_color = badge_fill if (self.selected or self.verdict in ("correct", "wrong")) else (
                p.ok.fill if self.index == 0 else p.bad.fill)
            draw_mark(surface, (x0 + mark_d // 2, cy), mark_d, self.index == 0, t, color=mark_color)
            draw_text(surface, font, self.text, (x0 + mark_d + t.spacing.gap, cy), ink, "midleft")
            return
        x = body.x + t.spacing.pad
        badge = pygame.Rect(x, body.centery - bd // 2, bd, bd)
        radius = bd // 2 if self.kind == "single" else max(6, bd // 5)
        pygame.draw.rect(surface, badge_fill, badge, border_radius=radius)
        if badge_fill == p.bg:
            pygame.draw.rect(surface, p.ink_muted, badge, 2, border_radius=radius)
        draw_text(surface, t.font("title", True), LETTERS[self.index], badge.center, badge_ink, "center")
        text_x = badge.right + t.spacing.gap
        width = self.text_width_for(t, r.w, self.kind)
        lines = wrap_text(self.text, max(1, width), measurer(font))
        lh = line_height(font, 1.2)
        y = body.centery - len(lines) * lh // 2
        for line in lines:
            draw_text(surface, font, line, (text_x, y + (lh - line_height(font)) // 2), ink, "topleft")
            y += lh
        if self.verdict in ("correct", "wrong"):
            md = bd * 3 // 4
            draw_mark(surface, (body.right - t.spacing.pad - md // 2, body.centery), md, self.verdict == "correct", t)

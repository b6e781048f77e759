"""What the map draws over the basemap at a fixed pixel size: branch markers, 本机 and the scale bar.

Why it is built this way:

- Status is never colour alone: each branch marker carries a shape (✓ ! ×) and its label says the state
  in words (按期完成 / 需关注 / 滞后), the same vocabulary as the dashboard.
- Nothing hides a status: the symbols are placed first, then 本机's label, then each branch's label on
  the side where it collides least; a kiosk often stands in a branch's building, so when 本机's star
  would cover that branch's symbol it steps aside on a short leader line to where the terminal is.
- The same placement answers taps (:func:`MarkerPainter.layout` is what the view hit-tests), so what
  is touched is what is seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from core.geo import Viewport
from kiosk.context import KioskContext
from kiosk.screens.dashboard import STATUS, status_colors
from kiosk.screens.map.basemap import star
from kiosk.screens.map.pins import BranchPin
from kiosk.ui.drawing import card, draw_text, line_height, text_width
from kiosk.ui.theme import Theme, mix

Point = tuple[float, float]
#: code → (centre, touch box of the symbol, label pill), in screen pixels.
MarkerLayout = dict[str, tuple[Point, pygame.Rect, pygame.Rect]]
#: 本机: (where its star is drawn, its box, its label pill, where the terminal really is).
TerminalLayout = tuple[Point, pygame.Rect, pygame.Rect, Point]


@dataclass(frozen=True)
class TerminalMark:
    """Where to draw 本机: ``state`` is "fix" (current), "stale" (last known), or "set" (configured)."""

    latlon: tuple[float, float]
    state: str
    accuracy_m: float | None = None


class MarkerPainter:
    """Places and draws the branch markers and 本机 for one theme and language."""

    def __init__(self, theme: Theme, ctx: KioskContext) -> None:
        self.theme, self.ctx = theme, ctx

    @property
    def radius(self) -> int:
        return max(20, round(26 * self.theme.scale))

    def pin_label(self, pin: BranchPin) -> str:
        _, zh, en, _ = STATUS.get(pin.status, ("off", "未知", "unknown", "?"))
        return f"{pin.short(self.ctx.lang)} · {self.ctx.t(zh, en)}"

    def terminal_text(self, terminal: TerminalMark | None) -> str:
        state = terminal.state if terminal else ""
        return {"fix": self.ctx.t("本机位置", "You are here"), "stale": self.ctx.t("上次位置", "Last known"),
                "set": self.ctx.t("本机", "This terminal")}.get(state, "")

    def pill_size(self, text: str) -> tuple[int, int]:
        font = self.theme.font("small", True)
        return text_width(font, text) + 2 * self.theme.spacing.unit + 4, line_height(font) + self.theme.spacing.unit

    # -- placement ------------------------------------------------------------------------------------
    def layout(self, vp: Viewport, bounds: pygame.Rect, pins: list[BranchPin], terminal: TerminalMark | None,
               taken: list[pygame.Rect]) -> tuple[MarkerLayout, TerminalLayout | None]:
        """Place the branch symbols (fixed), then 本机's label, then the branch labels where they collide
        least: below, above, right or left of their symbol. ``taken``: rects to keep clear (controls, the
        scale bar); it is extended with what is placed."""
        r = self.radius
        touch = max(self.theme.spacing.target, 2 * r)
        centres: dict[str, Point] = {}
        boxes: dict[str, pygame.Rect] = {}
        for pin in pins:
            if pin.latlon is None:
                continue
            c = vp.to_screen(*pin.latlon)
            box = pygame.Rect(0, 0, touch, touch)
            box.center = (round(c[0]), round(c[1]))
            centres[pin.code], boxes[pin.code] = c, box
        symbols = [b.inflate(-(b.w - 2 * r), -(b.h - 2 * r)) for b in boxes.values()]
        taken += symbols
        term = None
        if terminal is not None:
            term = self._place_terminal(vp.to_screen(*terminal.latlon), symbols, bounds, terminal, taken)
            taken += [term[1], term[2]]
        out: MarkerLayout = {}
        for pin in pins:
            if pin.code not in centres:
                continue
            c = centres[pin.code]
            pill = self.place_pill(c, r, self.pill_size(self.pin_label(pin)), taken, bounds)
            taken.append(pill)
            out[pin.code] = (c, boxes[pin.code], pill)
        return out, term

    def _place_terminal(self, true_c: Point, symbols: list[pygame.Rect], bounds: pygame.Rect,
                        terminal: TerminalMark, taken: list[pygame.Rect]) -> TerminalLayout:
        r = self.radius
        c = true_c
        tr = round(r * 0.8)
        tbox = pygame.Rect(0, 0, 2 * tr, 2 * tr)
        tbox.center = (round(c[0]), round(c[1]))
        hit = tbox.collidelist(symbols)
        if hit >= 0:
            # 本机 on top of a branch's symbol hid the branch's status: the star steps aside, up and
            # away from that symbol, on a short leader line to where the terminal really is
            sx, sy = symbols[hit].center
            dx, dy = c[0] - sx, c[1] - sy
            norm = math.hypot(dx, dy) or 1.0
            dx, dy = (dx / norm, dy / norm) if norm > 1 else (-0.7, -0.7)
            step = math.hypot(r + tr, r + tr) + 4  # clears the square boxes even on a diagonal
            c = (sx + dx * step, sy + dy * step)
            tbox.center = (round(c[0]), round(c[1]))
        tpill = self.place_pill(c, tr, self.pill_size(self.terminal_text(terminal)), taken, bounds)
        return (c, tbox, tpill, true_c)

    @staticmethod
    def place_pill(c: Point, r: int, size: tuple[int, int], taken: list[pygame.Rect],
                   bounds: pygame.Rect) -> pygame.Rect:
        """A label of ``size`` beside a symbol of radius ``r``: the first side inside ``bounds`` that
        covers nothing in ``taken`` (below first), else the first side inside."""
        w, h = size
        g = 4
        options = [pygame.Rect(round(c[0] - w / 2), round(c[1] + r + g), w, h),
                   pygame.Rect(round(c[0] - w / 2), round(c[1] - r - g - h), w, h),
                   pygame.Rect(round(c[0] + r + g), round(c[1] - h / 2), w, h),
                   pygame.Rect(round(c[0] - r - g - w), round(c[1] - h / 2), w, h)]
        inside = [o for o in options if bounds.contains(o)] or options
        return next((o for o in inside if o.collidelist(taken) < 0), inside[0])

    # -- drawing ----------------------------------------------------------------------------------------
    def draw_marker(self, surface: pygame.Surface, pin: BranchPin, layout: tuple, selected: bool) -> None:
        t, p = self.theme, self.theme.palette
        c, _, pill = layout
        r = self.radius
        colors = status_colors(t, pin.status)
        shape = STATUS.get(pin.status, ("off", "", "", "?"))[3]
        if selected:
            pygame.draw.circle(surface, p.gold, c, r + 9)
        pygame.draw.circle(surface, mix(p.bg, (0, 0, 0), 0.3), (c[0], c[1] + 3), r + 3)
        pygame.draw.circle(surface, p.surface, c, r + 3)
        pygame.draw.circle(surface, colors.fill, c, r)
        draw_text(surface, t.font("title", True), shape, c, colors.on_fill, "center")
        card(surface, pill, p.surface, pill.h // 2, border=p.gold if selected else colors.fill,
             border_width=4 if selected else 3)
        draw_text(surface, t.font("small", True), self.pin_label(pin), pill.center, p.ink, "center")

    def draw_terminal(self, surface: pygame.Surface, terminal: TerminalMark, layout: TerminalLayout,
                      vp: Viewport, bounds: pygame.Rect) -> None:
        """本机's star (grey when stale), its label, a leader when it stepped aside, and on a fix the
        accuracy circle (when it is bigger than the star and smaller than the map)."""
        p = self.theme.palette
        c, box, pill, true_c = layout
        r = box.w // 2
        if math.dist(c, true_c) > 1:  # stepped aside from a branch symbol: a leader to the true place
            pygame.draw.line(surface, p.red, c, true_c, 3)
            pygame.draw.circle(surface, p.red, true_c, 4)
        stale = terminal.state == "stale"
        fill = p.off.fill if stale else p.red
        acc = terminal.accuracy_m
        if acc and terminal.state == "fix":
            ar = acc * vp.scale
            if r < ar < 2 * max(bounds.size):
                ring = pygame.Surface((2 * ar + 2, 2 * ar + 2), pygame.SRCALPHA)
                pygame.draw.circle(ring, (*p.red, 40), (ar + 1, ar + 1), ar)
                pygame.draw.circle(ring, (*p.red, 120), (ar + 1, ar + 1), ar, 2)
                surface.blit(ring, (true_c[0] - ar - 1, true_c[1] - ar - 1))
        pygame.draw.circle(surface, mix(p.bg, (0, 0, 0), 0.3), (c[0], c[1] + 3), r + 3)
        pygame.draw.circle(surface, p.surface, c, r + 3)
        pygame.draw.circle(surface, fill, c, r)
        pygame.draw.polygon(surface, p.gold, star(c, r * 0.72))
        card(surface, pill, fill, pill.h // 2)
        draw_text(surface, self.theme.font("small", True), self.terminal_text(terminal), pill.center, p.on_red,
                  "center")


# -------------------------------------------------------------------------------------- scale bar


def scale_bar_rects(theme: Theme, scale: float, bounds: pygame.Rect, bottom: int) -> tuple[pygame.Rect, pygame.Rect]:
    """(scale bar, north arrow) at the bottom right of ``bounds``, above ``bottom``: markers' labels and
    basemap names keep out of them."""
    t = theme
    metres, length, label = _scale_step(scale, t.scale)
    font = t.font("caption")
    pad = t.spacing.unit
    w = round(length) + 2 * pad + text_width(font, label) + pad
    h = line_height(font) + 2 * pad
    box = pygame.Rect(bounds.right - w - t.spacing.gap, bottom - h - t.spacing.gap, w, h)
    n = pygame.Rect(0, 0, h, round(h * 1.4))
    n.bottomright = (box.right, box.top - t.spacing.unit)
    return box, n


def _scale_step(scale: float, theme_scale: float) -> tuple[int, float, str]:
    """The round distance whose bar is about 100-160 px long at ``scale`` px/m: (metres, px, label)."""
    target = 160 * theme_scale
    metres = next((m for m in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
                   if m * scale >= target * 0.6), 50000)
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    return metres, metres * scale, label


def draw_scale_bar(surface: pygame.Surface, theme: Theme, ctx: KioskContext, scale: float,
                   rects: tuple[pygame.Rect, pygame.Rect]) -> None:
    """The scale bar and the north arrow (北 / N) in the rects :func:`scale_bar_rects` chose."""
    t, p = theme, theme.palette
    box, n = rects
    _, length, label = _scale_step(scale, t.scale)
    font = t.font("caption")
    pad = t.spacing.unit
    card(surface, box, p.surface, t.spacing.radius // 2, border=p.divider)
    y = box.centery + 4
    x0 = box.x + pad
    pygame.draw.line(surface, p.ink, (x0, y), (x0 + length, y), 4)
    for x in (x0, x0 + length):
        pygame.draw.line(surface, p.ink, (x, y - 10), (x, y + 2), 3)
    draw_text(surface, font, label, (x0 + length + pad, box.centery), p.ink, "midleft")
    card(surface, n, p.surface, t.spacing.radius // 2, border=p.divider)  # north arrow
    k = max(1.0, t.scale)
    tri = [(n.centerx, n.y + 5 * k), (n.centerx + 9 * k, n.y + 21 * k), (n.centerx - 9 * k, n.y + 21 * k)]
    pygame.draw.polygon(surface, p.red, tri)
    draw_text(surface, font, ctx.t("北", "N"), (n.centerx, n.bottom - 4), p.ink, "midbottom")

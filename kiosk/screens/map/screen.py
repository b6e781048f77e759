"""党建地图's screen: the map on one side (on top in portrait), 本机位置 and the branch buttons on the other.

Why it is built this way: the screen only lays out and wires — the view (:mod:`.view`) pans and draws,
the cards (:mod:`.cards`, :mod:`.position_card`) show a branch and the terminal's place, the pins
(:mod:`.pins`) come from core's services. The terminal's position arrives as a
:class:`core.events.Position`: the app keeps the last one in ``ctx.position`` (read every frame) or
forwards it to :meth:`MapScreen.on_event`; with no receiver the configured ``map.terminal_position`` or
the basemap's ``terminal`` point is used and labelled so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pygame

from core.events import Position
from core.geo import describe_offset
from kiosk.context import KioskContext
from kiosk.screens.map.basemap import load_basemap
from kiosk.screens.map.cards import BranchButton, BranchCard, Legend
from kiosk.screens.map.markers import TerminalMark
from kiosk.screens.map.pins import BranchPin, load_pins
from kiosk.screens.map.position_card import GnssPanel, Line, age_text, position_lines
from kiosk.screens.map.view import Fingers, MapView
from kiosk.ui.drawing import draw_text, line_height, text_width
from kiosk.ui.layout import inset, split_columns, take_bottom, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.widgets.button import Button

#: How much + and − zoom per press.
BUTTON_ZOOM = 1.6


class MapScreen(Screen):
    """党建地图: the map on one side (top in portrait), 本机位置 and the branch buttons on the other."""

    def __init__(self, ctx: KioskContext, *, geojson: str | Path | None = None, fingers: Fingers | None = None) -> None:
        super().__init__("map")
        self.ctx = ctx
        self.title = ctx.t("党建地图", "Party Map")
        chosen = geojson or ctx.terminal.config.map.geojson
        self.geojson = Path(chosen) if chosen else None
        self.fingers = fingers
        self.pins: list[BranchPin] = []
        self.position: Position | None = None
        self._since = 0.0  # seconds since self.position arrived
        self.selected: str | None = None
        self.buttons: dict[str, BranchButton] = {}
        self.map: MapView | None = None
        self._where: dict[str, str] = {}
        self._shown_age = ""
        self._terminal_key: tuple | None = None
        self._seen: Position | None = None  # the last ctx.position taken, so an on_event one is not undone

    # -- data ---------------------------------------------------------------------------------------
    def fallback_position(self) -> tuple[float, float] | None:
        """Configured ``map.terminal_position`` [lat, lon] (checked when the configuration is read), else
        the basemap's ``terminal`` point."""
        value = self.ctx.terminal.config.map.terminal_position
        if value is not None:
            lat, lon = value
            return float(lat), float(lon)
        data = self.map.data if self.map else None
        return data.terminal if data else None

    def terminal_mark(self) -> TerminalMark | None:
        pos = self.position
        if pos is not None and pos.known:
            acc = 5.0 * pos.hdop if pos.hdop else None  # HDOP × ~5 m user range error
            return TerminalMark(pos.latlon, "fix" if pos.fix else "stale", acc)  # type: ignore[arg-type]
        fallback = self.fallback_position()
        return TerminalMark(fallback, "set") if fallback else None

    def age_s(self) -> float | None:
        pos = self.position
        if pos is None or pos.age_s is None:
            return None
        return pos.age_s + self._since

    def on_event(self, event: object) -> None:
        """The app forwards bus events to the top screen; a :class:`Position` moves 本机."""
        if isinstance(event, Position):
            self.set_position(event)

    def set_position(self, position: Position | None) -> None:
        self.position = position
        self._since = 0.0
        self._refresh_terminal()

    # -- layout -------------------------------------------------------------------------------------
    def enter(self) -> None:
        pos = getattr(self.ctx, "position", None)
        if isinstance(pos, Position) and pos is not self.position:
            self._seen = pos
            self.set_position(pos)
        fresh = load_pins(self.ctx)
        if fresh != self.pins:
            self.pins = fresh
            self.layout(self.rect)

    def build(self) -> None:
        if not self.pins:
            self.pins = load_pins(self.ctx)
        map_rect, panel, legend_h = self._split()
        self._build_map(map_rect)
        self._build_panel(panel, legend_h)
        self._terminal_key = None
        self._refresh_terminal()
        if self.selected:
            self._show_card(self.selected)

    def _columns(self) -> tuple[int, int]:
        """(columns, rows) of branch buttons: two columns in portrait."""
        n = len(self.pins)
        cols = 2 if self.theme.portrait and n > 1 else 1
        return cols, max(1, -(-n // cols))

    def _split(self) -> tuple[pygame.Rect, pygame.Rect, int]:
        """(map, panel, legend height): in portrait the panel below takes what its buttons need, the map
        at least half; in landscape the panel is the right ~30%."""
        th, ctx = self.theme, self.ctx
        gap, target, u = th.spacing.gap, th.spacing.target, th.spacing.unit
        area = inset(self.rect, th.spacing.pad)
        legend_row = line_height(th.font("caption")) + 2 * u
        if th.portrait:
            _, rows = self._columns()
            button_h = target + 4 * u
            head_h = line_height(th.font("body", True)) + u
            legend_h = legend_row * Legend.rows_needed(th, ctx, area.w)
            panel_h = (GnssPanel.preferred_height(th) + gap + head_h + u + rows * button_h + (rows - 1) * gap + gap
                       + legend_h)
            map_rect, panel = take_top(area, max(round(area.h * 0.5), area.h - gap - panel_h), gap)
        else:
            panel_w = max(round(area.w * 0.3), 4 * target)
            map_rect, panel = split_columns(area, [area.w - panel_w - gap, panel_w], gap)
            legend_h = legend_row * Legend.rows_needed(th, ctx, panel.w)
        return map_rect, panel, legend_h

    def _build_map(self, map_rect: pygame.Rect) -> None:
        """The map (keeping the view across a relayout of the same size), its controls and the card."""
        th, ctx = self.theme, self.ctx
        gap, target = th.spacing.gap, th.spacing.target
        data, error = load_basemap(self.geojson) if self.geojson is not None else (None, "")
        view = None
        if self.map is not None and self.map.rect.size == map_rect.size:
            view = (self.map.vp.to_latlon(*self.map.vp.screen_center), self.map.vp.scale)
        self.map = self.add(MapView(map_rect, th, ctx, data, self.pins, on_select=self.select,
                                    animations=bool(getattr(self.nav, "animations", True)), fingers=self.fingers,
                                    error=error, view=view, no_basemap=self.geojson is None))
        # map controls: 回到本机 top-left, + and − top-right
        here_w = text_width(th.font("button"), ctx.t("回到本机", "Locate me")) + 4 * gap
        self.here_button = self.add(Button((map_rect.x + gap, map_rect.y + gap, here_w, target), th,
                                           ctx.t("回到本机", "Locate me"), self.go_home_position, kind="secondary"))
        zx = map_rect.right - gap - target
        self.zoom_in = self.add(Button((zx, map_rect.y + gap, target, target), th, "+",
                                       lambda: self.map.zoom_by(BUTTON_ZOOM), kind="secondary", role="title"))
        self.zoom_out = self.add(Button((zx, map_rect.y + gap + target + gap, target, target), th, "−",
                                        lambda: self.map.zoom_by(1 / BUTTON_ZOOM), kind="secondary", role="title"))
        # the branch card over the bottom-left of the map
        card_w = min(map_rect.w - 2 * gap, round(640 * th.scale) + 2 * gap)
        card_h = min(map_rect.h - 2 * gap - target, BranchCard.rows_height(th))
        self.card = self.add(BranchCard((map_rect.x + gap, map_rect.bottom - gap - card_h, card_w, card_h), th, ctx,
                                        on_close=lambda: self.select(None)))
        self.map.reserved = [self.here_button.rect, self.zoom_in.rect, self.zoom_out.rect]

    def _build_panel(self, panel: pygame.Rect, legend_h: int) -> None:
        """本机位置 on top, the legend at the bottom, and one button per branch between them."""
        th, ctx = self.theme, self.ctx
        u = th.spacing.unit
        gnss_rect, rest = take_top(panel, GnssPanel.preferred_height(th), th.spacing.gap)
        self.gnss = self.add(GnssPanel(gnss_rect, th, ctx))
        legend_rect, rest = take_bottom(rest, legend_h, u)
        self.legend = self.add(Legend(legend_rect, th, ctx))
        head, rest = take_top(rest, line_height(th.font("body", True)) + u, u)
        self.heading = head
        self._build_buttons(rest)

    def _build_buttons(self, rest: pygame.Rect) -> None:
        th, ctx = self.theme, self.ctx
        gap, target, u = th.spacing.gap, th.spacing.target, th.spacing.unit
        n = len(self.pins)
        cols, rows = self._columns()
        self.buttons = {}
        row_gap = gap
        if n and not th.portrait and cols == 1 and rows * target + (rows - 1) * gap > rest.h:
            # a short landscape screen (1280×720): closer rows, then two columns, rather than a branch
            # with no button
            row_gap = u
            if rows * target + (rows - 1) * row_gap > rest.h:
                cols, rows, row_gap = 2, -(-n // 2), gap
        if not n:
            return
        row_h = min(target + 4 * u, max(target, (rest.h - (rows - 1) * row_gap) // rows))
        col_w = (rest.w - (cols - 1) * gap) // cols
        for i, pin in enumerate(self.pins):
            cx, cy = i % cols, i // cols
            rect = pygame.Rect(rest.x + cx * (col_w + gap), rest.y + cy * (row_h + row_gap), col_w, row_h)
            if rect.bottom > rest.bottom:
                break  # more branches than room: the map still shows them all
            self.buttons[pin.code] = self.add(BranchButton(rect, th, ctx, pin,
                                                           on_tap=lambda c=pin.code: self.search(c)))

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        th = self.theme
        if getattr(self, "heading", None) is not None:
            text = self.ctx.t(f"查找支部（共 {len(self.pins)} 个）", f"Find a branch ({len(self.pins)})")
            draw_text(surface, th.font("body", True), text, self.heading.midleft, th.palette.ink, "midleft")

    # -- behaviour ----------------------------------------------------------------------------------
    def select(self, code: str | None) -> None:
        """Open the card of branch ``code`` (None closes it)."""
        self.selected = code
        for c, b in self.buttons.items():
            b.set_selected(c == code)
        if self.map is not None:
            self.map.selected = code
            self.map.invalidate()
        self._show_card(code)

    def _show_card(self, code: str | None) -> None:
        pin = next((p for p in self.pins if p.code == code), None)
        was = self.card.visible
        self.card.show(pin, self._where.get(code or "", ""))
        if self.map is not None:
            self.map.reserved = [self.here_button.rect, self.zoom_in.rect, self.zoom_out.rect,
                                 *([self.card.rect] if self.card.visible else [])]
            if was != self.card.visible:
                self.map.invalidate()

    def search(self, code: str) -> None:
        """A branch button: centre the map on the branch (above the card) and open its card."""
        pin = next((p for p in self.pins if p.code == code), None)
        if pin is None:
            return
        self.select(code)
        if pin.latlon is not None and self.map is not None:
            r = self.map.rect
            free_h = self.card.rect.y - r.y
            at = (r.centerx, r.y + free_h / 2) if free_h > r.h * 0.3 else None
            self.map.focus(pin.latlon, at, max(self.map.vp.scale, self.map.home_scale))

    def go_home_position(self) -> None:
        """回到本机: centre on the terminal (or show everything when its place is unknown)."""
        if self.map is None:
            return
        mark = self.terminal_mark()
        if mark is None:
            target = replace(self.map.vp)
            self.map.fit()
            fitted = (self.map.vp.center, self.map.vp.scale)
            self.map.vp.center, self.map.vp.scale = target.center, target.scale
            self.map.animate_to(*fitted)
            return
        self.map.focus(mark.latlon, None, max(self.map.vp.scale, self.map.home_scale * 2))

    def _refresh_terminal(self) -> None:
        """Move 本机 and recompute each branch's distance and direction, only when the place changed."""
        if self.map is None:
            return
        mark = self.terminal_mark()
        key = None if mark is None else (round(mark.latlon[0], 5), round(mark.latlon[1], 5), mark.state,
                                         round(mark.accuracy_m or 0))
        if key != self._terminal_key:
            self._terminal_key = key
            self.map.terminal = mark
            self.map.invalidate()
            self._where = {p.code: describe_offset(mark.latlon, p.latlon, self.ctx.lang)
                           for p in self.pins if mark is not None and p.latlon is not None}
            for code, b in self.buttons.items():
                b.set_where(self._where.get(code, ""))
            if self.card.visible:
                self.card.show(self.card.pin, self._where.get(self.selected or "", ""))
        self._refresh_panel()

    def gnss_lines(self) -> list[Line]:
        """The 本机位置 panel's lines: (text, colour, bold)."""
        return position_lines(self.ctx, self.theme.palette, self.position, self.terminal_mark(), self.age_s())

    def _refresh_panel(self) -> None:
        if getattr(self, "gnss", None) is not None:
            self.gnss.set_lines(self.gnss_lines())
            self._shown_age = age_text(self.age_s(), self.ctx.lang)

    def update(self, dt: float) -> None:
        super().update(dt)
        latest = getattr(self.ctx, "position", None)  # the app keeps the last Position there
        if isinstance(latest, Position) and latest is not self.position and latest is not self._seen:
            self._seen = latest
            self.set_position(latest)
        if self.position is not None:
            self._since += dt
            if age_text(self.age_s(), self.ctx.lang) != self._shown_age:
                self._refresh_panel()


SCREENS: dict[str, Callable[[KioskContext], Screen]] = {"map": MapScreen}

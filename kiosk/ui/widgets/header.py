"""Header: the shell's top bar — Back and Home, organisation name, date and time, device status.

Status is drawn as simple shapes with a text label (network, camera, microphone, content freshness),
never colour alone: ``off`` adds a slash, ``warn`` adds an exclamation mark, ``bad`` an ×. On a narrow
(portrait) screen the header uses two rows instead of squeezing. The clock repaints once a minute only.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from kiosk.ui.drawing import draw_text, line_height, measurer, text_width
from kiosk.ui.layout import split_rows
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.button import Button, Callback
from kiosk.ui.widgets.container import Container

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
#: Words the header draws, per interface language.
LABELS = {
    "zh": {"back": "返回", "home": "首页", "network": "网络", "camera": "摄像头", "microphone": "麦克风",
           "content": "内容", "gnss": "北斗", "push": "推送"},
    "en": {"back": "Back", "home": "Home", "network": "Network", "camera": "Camera", "microphone": "Mic",
           "content": "Content", "gnss": "BeiDou", "push": "Push"},
}
STATES = ("ok", "warn", "bad", "off")


@dataclass
class StatusItem:
    """One status indicator. ``kind`` picks the icon: network, camera, microphone, content (or other)."""

    kind: str
    label: str
    state: str = "ok"


def default_statuses() -> list[StatusItem]:
    return [
        StatusItem("network", "网络", "ok"),
        StatusItem("camera", "摄像头", "ok"),
        StatusItem("microphone", "麦克风", "ok"),
        StatusItem("content", "内容", "ok"),
    ]


def draw_status_icon(surface: pygame.Surface, kind: str, state: str, box: pygame.Rect, theme: Theme,
                     background: RGB) -> None:
    """Draw the icon for ``kind`` in ``state`` inside the square ``box``."""
    p = theme.palette
    color = p.status(state).text if state != "warn" else p.warn.text
    s = box.w
    lw = max(2, s // 10)
    x, y = box.topleft
    if kind == "network":
        for i in range(3):
            bh = round(s * (0.35 + 0.3 * i))
            bw = max(3, s // 5)
            pygame.draw.rect(surface, color, (x + round(i * s * 0.36), y + s - bh, bw, bh), border_radius=1)
    elif kind == "camera":
        body = pygame.Rect(x, y + s // 4, s, round(s * 0.62))
        pygame.draw.rect(surface, color, (x + s // 3, y + s // 8, s // 3, s // 5), border_radius=2)
        pygame.draw.rect(surface, color, body, border_radius=max(2, s // 8))
        pygame.draw.circle(surface, background, body.center, round(s * 0.2))
        pygame.draw.circle(surface, color, body.center, round(s * 0.11))
    elif kind == "microphone":
        cap = pygame.Rect(x + round(s * 0.32), y, round(s * 0.36), round(s * 0.6))
        pygame.draw.rect(surface, color, cap, border_radius=cap.w // 2)
        arc = pygame.Rect(x + round(s * 0.16), y + round(s * 0.2), round(s * 0.68), round(s * 0.6))
        pygame.draw.arc(surface, color, arc, 3.3, 6.12, lw)
        pygame.draw.line(surface, color, (box.centerx, y + round(s * 0.8)), (box.centerx, y + s - 1), lw)
        pygame.draw.line(surface, color, (x + round(s * 0.3), y + s - lw // 2 - 1),
                         (x + round(s * 0.7), y + s - lw // 2 - 1), lw)
    elif kind == "content":
        doc = pygame.Rect(x + round(s * 0.14), y, round(s * 0.72), s)
        pygame.draw.rect(surface, color, doc, lw, border_radius=2)
        for i in range(3):
            ly = y + round(s * (0.28 + 0.22 * i))
            pygame.draw.line(surface, color, (doc.x + lw * 2, ly), (doc.right - lw * 2 - 1, ly), lw)
    elif kind == "push":  # a broadcast: a dot with two waves, as on a radio mast
        c = (x + s // 2, y + round(s * 0.62))
        pygame.draw.circle(surface, color, c, max(2, s // 9))
        for r in (round(s * 0.28), round(s * 0.5)):
            pygame.draw.arc(surface, color, (c[0] - r, c[1] - r, 2 * r, 2 * r), 0.45, 2.7, lw)
        pygame.draw.line(surface, color, c, (c[0], y + s - 1), lw)
    else:
        pygame.draw.circle(surface, color, box.center, s // 2, lw)
    if state == "off":
        pygame.draw.line(surface, background, (x - 1, y + 2), (x + s + 1, y + s + 2), lw + 4)
        pygame.draw.line(surface, color, (x, y), (x + s, y + s), lw + 1)
    elif state in ("warn", "bad"):
        r = max(5, s // 4)
        c = (x + s - r // 2, y + r // 2)
        mark = p.warn.fill if state == "warn" else p.bad.fill
        pygame.draw.circle(surface, background, c, r + 2)
        pygame.draw.circle(surface, mark, c, r)
        ink = p.warn.on_fill if state == "warn" else p.bad.on_fill
        if state == "warn":
            pygame.draw.line(surface, ink, (c[0], c[1] - r // 2), (c[0], c[1] + r // 6), max(2, r // 3))
            pygame.draw.circle(surface, ink, (c[0], c[1] + r // 2), max(1, r // 6))
        else:
            d = r // 2
            pygame.draw.line(surface, ink, (c[0] - d, c[1] - d), (c[0] + d, c[1] + d), 2)
            pygame.draw.line(surface, ink, (c[0] - d, c[1] + d), (c[0] + d, c[1] - d), 2)


class Header(Container):
    """The red bar at the top of every screen. Back/Home appear when ``show_nav`` is set."""

    def __init__(
        self,
        rect: pygame.Rect | tuple[int, int, int, int],
        theme: Theme,
        org_name: str,
        *,
        title: str | None = None,
        statuses: Sequence[StatusItem] | None = None,
        now: Callable[[], _dt.datetime] = _dt.datetime.now,
        on_back: Callback | None = None,
        on_home: Callback | None = None,
        show_nav: bool = False,
    ) -> None:
        super().__init__(rect, theme)
        self.org_name = org_name
        self.title = title
        self.statuses = list(statuses) if statuses is not None else default_statuses()
        self.now = now
        self.on_back = on_back
        self.on_home = on_home
        self._show_nav = show_nav
        self.lang = "zh"
        self._minute = self._minute_key()
        self.back_button: Button | None = None
        self.home_button: Button | None = None
        self._build()

    @staticmethod
    def rows_for(theme: Theme, width: int) -> int:
        """One row on wide screens, two on narrow (portrait) ones."""
        return 1 if width >= round(1400 * theme.scale) else 2

    @staticmethod
    def preferred_height(theme: Theme, width: int) -> int:
        rows = Header.rows_for(theme, width)
        return theme.spacing.header if rows == 1 else round(theme.spacing.header * 1.75)

    @property
    def rows(self) -> int:
        return self.rows_for(self.theme, self.rect.w)

    def _row_rects(self) -> list[pygame.Rect]:
        if self.rows == 1:
            return [pygame.Rect(self.rect)]
        return split_rows(self.rect, [1.1, 0.65])

    def _build(self) -> None:
        t = self.theme
        self.children.clear()
        row = self._row_rects()[0]
        pad = t.spacing.pad // 2
        h = t.spacing.target
        w = max(t.spacing.target, round(t.spacing.target * 1.45))
        y = row.centery - h // 2
        words = LABELS[self.lang]
        self.back_button = Button((row.x + pad, y, w, h), t, words["back"], self._back, kind="header")
        self.home_button = Button((row.x + pad + w + t.spacing.gap, y, w, h), t, words["home"], self._home,
                                  kind="header")
        for b in (self.back_button, self.home_button):
            b.visible = self._show_nav
            self.add(b)
        self._own_dirty = True

    def _back(self) -> None:
        if self.on_back is not None:
            self.on_back()

    def _home(self) -> None:
        if self.on_home is not None:
            self.on_home()

    def set_rect(self, rect: pygame.Rect | tuple[int, int, int, int]) -> None:
        super().set_rect(rect)
        self._build()

    # -- state ------------------------------------------------------------------------------------
    def set_nav(self, visible: bool) -> None:
        if visible != self._show_nav:
            self._show_nav = visible
            for b in (self.back_button, self.home_button):
                if b is not None:
                    b.visible = visible
            self._own_dirty = True

    def set_language(self, lang: str) -> None:
        """Switch the header's own words (Back/Home, status labels, date) to ``lang`` ("zh" or "en")."""
        if lang not in LABELS or lang == self.lang:
            return
        self.lang = lang
        for item in self.statuses:
            item.label = LABELS[lang].get(item.kind, item.label)
        self._build()
        self.dirty = True

    def set_title(self, title: str | None) -> None:
        if title != self.title:
            self.title = title
            self._own_dirty = True

    def set_status(self, kind: str, state: str) -> None:
        """Change one indicator (``state`` in ok / warn / bad / off)."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        for item in self.statuses:
            if item.kind == kind and item.state != state:
                item.state = state
                self._own_dirty = True

    def _minute_key(self) -> tuple[int, ...]:
        n = self.now()
        return (n.year, n.month, n.day, n.hour, n.minute)

    def update(self, dt: float) -> None:
        super().update(dt)
        key = self._minute_key()
        if key != self._minute:
            self._minute = key
            self._own_dirty = True

    # -- drawing ----------------------------------------------------------------------------------
    def _draw_statuses(self, surface: pygame.Surface, right: int, cy: int) -> int:
        """Draw status chips ending at ``right``; return the x where they start."""
        t = self.theme
        p = t.palette
        font = t.font("caption")
        icon = round(t.type.caption * 1.1)
        chip_h = max(line_height(font), icon) + t.spacing.unit
        x = right
        gap = t.spacing.unit
        for item in reversed(self.statuses):
            w = icon + gap + text_width(font, item.label) + 2 * gap
            chip = pygame.Rect(x - w, cy - chip_h // 2, w, chip_h)
            pygame.draw.rect(surface, p.bg, chip, border_radius=chip_h // 2)
            box = pygame.Rect(chip.x + gap, cy - icon // 2, icon, icon)
            draw_status_icon(surface, item.kind, item.state, box, t, p.bg)
            draw_text(surface, font, item.label, (box.right + gap, cy), p.ink, "midleft")
            x = chip.x - gap
        return x

    def _draw_clock(self, surface: pygame.Surface, right: int, cy: int, one_line: bool) -> int:
        t = self.theme
        n = self.now()
        time_text = f"{n.hour:02d}:{n.minute:02d}"
        date_text = (n.strftime("%a %d %b %Y") if self.lang == "en"
                     else f"{n.year}年{n.month}月{n.day}日 {WEEKDAYS[n.weekday()]}")
        tf = t.font("title", True)
        df = t.font("caption")
        if one_line:
            tw = text_width(tf, time_text)
            draw_text(surface, tf, time_text, (right, cy), t.palette.on_red, "midright")
            draw_text(surface, df, date_text, (right - tw - t.spacing.gap, cy), t.palette.on_red, "midright")
            return right - tw - t.spacing.gap - text_width(df, date_text)
        block_w = max(text_width(tf, time_text), text_width(df, date_text))
        th, dh = line_height(tf), line_height(df)
        top = cy - (th + dh) // 2
        draw_text(surface, tf, time_text, (right, top), t.palette.on_red, "topright")
        draw_text(surface, df, date_text, (right, top + th), t.palette.on_red, "topright")
        return right - block_w

    def draw_self(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        surface.fill(p.red, self.rect)
        pygame.draw.rect(surface, p.gold, (self.rect.x, self.rect.bottom - 4, self.rect.w, 4))
        rows = self._row_rects()
        pad = t.spacing.pad // 2
        row = rows[0]
        left = row.x + pad
        if self._show_nav and self.home_button is not None:
            left = self.home_button.rect.right + t.spacing.gap
        # The emblem: a gold star disc, drawn (no image asset needed).
        d = round(t.type.title * 1.1)
        pygame.draw.circle(surface, p.gold, (left + d // 2, row.centery), d // 2)
        _star(surface, (left + d // 2, row.centery), d * 0.36, p.red)
        left += d + t.spacing.unit * 2
        if len(rows) == 1:
            right = self._draw_clock(surface, row.right - pad, row.centery, one_line=False) - t.spacing.gap
            right = self._draw_statuses(surface, right, row.centery) - t.spacing.unit
            name = self.org_name + (f" · {self.title}" if self.title else "")
        else:
            right = self._draw_clock(surface, row.right - pad, row.centery, one_line=False) - t.spacing.gap
            second = rows[1].move(0, -2)
            chips_left = self._draw_statuses(surface, second.right - pad, second.centery)
            name = self.org_name
            if self.title:  # the screen title gets the second row's free left side
                tf = t.font("body", True)
                draw_text(surface, tf, ellipsize(self.title, max(0, chips_left - t.spacing.gap - second.x - pad),
                                                 measurer(tf)), (second.x + pad, second.centery), p.on_red, "midleft")
        name_font = t.fit_font(name, max(0, right - left), "title", "button", bold=True)
        draw_text(surface, name_font, ellipsize(name, max(0, right - left), measurer(name_font)),
                  (left, row.centery), p.on_red, "midleft")


def _star(surface: pygame.Surface, center: tuple[int, int], radius: float, color: RGB) -> None:
    pts = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.42
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((center[0] + r * math.cos(a), center[1] + r * math.sin(a)))
    pygame.draw.polygon(surface, color, pts)

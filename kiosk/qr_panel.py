"""The QR code of 扫码签到 on the kiosk: a member scans it with the phone's camera and signs in on the
members' web app (#20). One call draws it: ``QrPanel.draw(surface, rect, meeting, now)``; ``QrWidget``
wraps that for a screen (redrawn once a second, for the countdown).

What it shows: "手机扫码签到" and "Scan to sign in", the code for the meeting (a token from
``core.qrsign.issue`` in a URL from ``url_for(web.base_url, token)``), and how many seconds are left before
the next code, with a bar that empties — stacked in a tall rect, the code left of the words in a wide one
(a strip under the camera preview). A new code is made when the 30-s window turns; the phone may
still use the one before (``core.qrsign`` accepts the previous window), so nobody is refused for scanning
a second before the change.

Why the code is drawn from segno's module matrix and scaled by a whole number: every module then is a
block of identical pixels with sharp edges, which a phone reads from two metres even at 1280×720; the
white quiet zone of 4 modules that the QR standard asks for is part of the drawing.

When it is not drawn: ``web.kiosk_qr`` false or no meeting (nothing); ``web.base_url`` empty (``wanted``
is False, so a screen leaves no room for it, and the log says why once: a phone cannot reach the web
app's loopback default; drawn anyway, it is one line naming the key). A QR key that cannot be read: one
line for members, "unavailable, ask an administrator", and the log says why. The sign-in screen's camera preview has nothing to do
with this panel: they share no code and no state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pygame
import segno

from core import qrsign
from kiosk.ui.drawing import card, draw_text, line_height, measurer
from kiosk.ui.text import ellipsize
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import Widget

log = logging.getLogger(__name__)

TITLE = ("手机扫码签到", "Scan to sign in")
OFF_NO_URL = ("扫码签到未开启：未设置成员端地址 web.base_url",
              "QR sign-in is off: web.base_url (the members' web app address) is not set")
OFF_NO_KEY = ("扫码签到暂不可用，请联系管理员", "QR sign-in unavailable: ask an administrator")
QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)


@dataclass(frozen=True)
class Shown:
    """What the panel drew last (tests decode ``url`` from the screen and compare)."""

    meeting_id: int
    token: str
    url: str
    code_rect: pygame.Rect
    seconds_left: int


class QrPanel:
    """Draws the sign-in code of the current meeting; cheap per frame (the code and its scaled picture are
    made once per 30-s window)."""

    def __init__(self, theme: Theme, *, base_url: str, terminal_id: str, key: bytes | None,
                 enabled: bool = True, key_problem: str = "") -> None:
        self.theme, self.base_url, self.terminal_id = theme, base_url.strip(), terminal_id
        self.key, self.enabled, self.key_problem = key, enabled, key_problem
        self.shown: Shown | None = None
        self._code: tuple[str, int, str, pygame.Surface] | None = None  # meeting uuid, window, url, 1 px/module
        self._scaled: tuple[int, int, pygame.Surface] | None = None  # id(code surface), px, scaled surface

    @classmethod
    def from_config(cls, theme: Theme, config: Any) -> QrPanel:
        """The panel for ``web.base_url``, ``web.kiosk_qr`` and the site's QR key (loaded, or created with
        mode 0600, only when the panel will show codes)."""
        web = config.web
        key, problem = None, ""
        if web.kiosk_qr and web.base_url.strip():
            try:
                key = qrsign.load_key(config)
            except (qrsign.QrKeyError, OSError) as exc:
                problem = str(exc)
                log.error("QR sign-in panel off: %s", exc)
        elif web.kiosk_qr:
            log.info("QR sign-in panel hidden: web.base_url (the address phones reach the members' web app "
                     "at) is not set")
        return cls(theme, base_url=web.base_url, terminal_id=config.site.terminal_id, key=key,
                   enabled=web.kiosk_qr, key_problem=problem)

    @property
    def wanted(self) -> bool:
        """True when a screen should make room for the panel: it is switched on and has a web address (it
        then shows codes, or "unavailable, ask an administrator" when the key cannot be read)."""
        return self.enabled and bool(self.base_url)

    @property
    def active(self) -> bool:
        """True when the panel shows codes."""
        return self.wanted and self.key is not None

    # ------------------------------------------------------------------------------------ drawing
    def draw(self, surface: pygame.Surface, rect: pygame.Rect, meeting: Any, now: datetime) -> pygame.Rect | None:
        """Draw into ``rect`` for ``meeting`` (anything with ``.id`` and ``.uuid``: the code names the uuid,
        which the central server knows too; None: nothing) at ``now`` (aware).
        Returns the area drawn, or None when nothing was."""
        self.shown = None
        if not self.enabled or meeting is None:
            return None
        if not self.base_url:
            return self._notice(surface, rect, OFF_NO_URL)
        if self.key is None:
            return self._notice(surface, rect, OFF_NO_KEY)
        th, pal, sp = self.theme, self.theme.palette, self.theme.spacing
        card(surface, rect, pal.surface, sp.radius, shadow=pal.divider)
        inner = rect.inflate(-2 * sp.pad, -2 * sp.pad)
        code, url, token = self._code_surface(meeting.uuid, now)
        left = (qrsign.window_ends(now) - now).total_seconds()
        seconds = max(0, int(left + 0.999))
        wide = inner.w >= inner.h * 1.4  # under a camera preview: the code left, the words right of it
        if wide:
            picture = self._scale(code, max(1, inner.h // code.get_width()))
            code_rect = picture.get_rect(midleft=(inner.left, inner.centery))
            words = pygame.Rect(code_rect.right + sp.gap, inner.top, inner.right - code_rect.right - sp.gap, inner.h)
            title = th.fit_font(TITLE[0], words.w, "title", bold=True)
            height = line_height(title) + line_height(th.font("small")) + line_height(th.font("body")) + 4 * sp.unit
            self._words(surface, words, words.top + max(0, (words.h - height) // 2), title, seconds, left, "midleft")
        else:
            title = th.fit_font(TITLE[0], inner.w, "title", bold=True)
            y = self._words(surface, inner, inner.top, title, None, left, "midtop")
            footer = line_height(th.font("body")) + line_height(th.font("small")) + sp.unit * 4
            room = pygame.Rect(inner.left, y + sp.unit, inner.w, inner.bottom - footer - y - sp.unit)
            picture = self._scale(code, max(1, min(room.w, room.h) // code.get_width()))
            code_rect = picture.get_rect(midtop=(room.centerx, room.top + max(0, (room.h - picture.get_height()) // 2)))
            self._countdown(surface, pygame.Rect(inner.left, code_rect.bottom + sp.unit, inner.w, footer), seconds,
                            left, "midtop")
        surface.blit(picture, code_rect)
        self.shown = Shown(meeting.id, token, url, code_rect, seconds)
        return rect

    def _words(self, surface: pygame.Surface, box: pygame.Rect, y: int, title: Any, seconds: int | None,
               left: float, anchor: str) -> int:
        """Title, English subtitle and (``seconds`` given) the countdown, from ``y``; returns the bottom."""
        th, pal, sp = self.theme, self.theme.palette, self.theme.spacing
        x = box.centerx if anchor == "midtop" else box.left
        top = anchor if anchor == "midtop" else "topleft"
        y = draw_text(surface, title, TITLE[0], (x, y), pal.red, top).bottom
        sub = th.font("small")
        y = draw_text(surface, sub, ellipsize(TITLE[1], box.w, measurer(sub)), (x, y + sp.unit // 2), pal.ink_muted,
                      top).bottom
        if seconds is not None:
            y = self._countdown(surface, pygame.Rect(box.left, y + 2 * sp.unit, box.w, box.h), seconds, left, anchor)
        return y

    def _countdown(self, surface: pygame.Surface, box: pygame.Rect, seconds: int, left: float, anchor: str) -> int:
        """"27 秒后更新 · new code in 27 s" (two lines where one does not fit) and a bar that empties with the
        window; returns the bottom."""
        th, pal, sp = self.theme, self.theme.palette, self.theme.spacing
        font, small = th.font("body"), th.font("small")
        zh, en = f"{seconds} 秒后更新", f"new code in {seconds} s"
        lines = [(f"{zh} · {en}", font)]
        if measurer(font)(lines[0][0]) > box.w:
            lines = [(zh, font), (en, small)]
        x, top = (box.centerx, "midtop") if anchor == "midtop" else (box.left, "topleft")
        y = box.top
        for text, f in lines:
            y = draw_text(surface, f, ellipsize(text, box.w, measurer(f)), (x, y), pal.ink_muted, top).bottom
        bar = pygame.Rect(box.left, y + sp.unit, box.w, max(4, sp.unit // 2))
        pygame.draw.rect(surface, pal.divider, bar, border_radius=bar.h // 2)
        full = bar.w
        bar.w = round(full * min(1.0, left / qrsign.WINDOW_SECONDS))
        if bar.w > 0:
            pygame.draw.rect(surface, pal.red, bar, border_radius=bar.h // 2)
        return bar.bottom

    def _notice(self, surface: pygame.Surface, rect: pygame.Rect, text: tuple[str, str]) -> pygame.Rect:
        """One muted line (Chinese, then English under it) where the code would be."""
        th, pal = self.theme, self.theme.palette
        zh_font, en_font = th.font("body"), th.font("caption")
        y = rect.top
        for line, font in ((text[0], zh_font), (text[1], en_font)):
            y = draw_text(surface, font, ellipsize(line, rect.w, measurer(font)), (rect.centerx, y), pal.ink_muted,
                          "midtop").bottom
        return pygame.Rect(rect.left, rect.top, rect.w, y - rect.top)

    # ------------------------------------------------------------------------------------- the code
    def _code_surface(self, meeting_uuid: str, now: datetime) -> tuple[pygame.Surface, str, str]:
        """The code for this window at one pixel per module, quiet zone included (made once per window)."""
        window = int(now.timestamp()) // qrsign.WINDOW_SECONDS
        if self._code is None or self._code[:2] != (meeting_uuid, window):
            token = qrsign.issue(meeting_uuid, self.terminal_id, key=self.key, now=now)  # type: ignore[arg-type]
            url = qrsign.url_for(self.base_url, token)
            self._code = (meeting_uuid, window, url, matrix_surface(url))
        return self._code[3], self._code[2], self._code[2].rsplit("/", 1)[-1]

    def _scale(self, code: pygame.Surface, px: int) -> pygame.Surface:
        if self._scaled is None or self._scaled[:2] != (id(code), px):
            size = code.get_width() * px
            self._scaled = (id(code), px, pygame.transform.scale(code, (size, size)))  # nearest: sharp modules
        return self._scaled[2]


class QrWidget(Widget):
    """The panel as a widget of a screen: redrawn when the countdown's second, the window or the meeting
    changes (screens redraw only dirty widgets), not every frame."""

    def __init__(self, rect: pygame.Rect, theme: Theme, panel: QrPanel, meeting: Callable[[], Any],
                 now: Callable[[], datetime]) -> None:
        super().__init__(rect, theme)
        self.panel, self.meeting, self.now = panel, meeting, now
        self._state: tuple | None = None

    def update(self, dt: float) -> None:
        meeting, now = self.meeting(), self.now()
        state: tuple = (getattr(meeting, "id", None),)
        if self.panel.active:  # the countdown moves; a notice does not
            left = (qrsign.window_ends(now) - now).total_seconds()
            state += (int(now.timestamp()) // qrsign.WINDOW_SECONDS, int(left + 0.999))
        if state != self._state:
            self._state = state
            self.dirty = True

    def draw(self, surface: pygame.Surface) -> None:
        self.panel.draw(surface, self.rect, self.meeting(), self.now())


def matrix_surface(data: str) -> pygame.Surface:
    """``data`` as a QR code (error correction M: a scuffed screen or a glare still reads) at one pixel
    per module, black on white, with the quiet zone."""
    qr = segno.make(data, error="m", micro=False, boost_error=False)
    dark = np.array([list(row) for row in qr.matrix], dtype=bool)
    dark = np.pad(dark, QUIET_ZONE)
    rgb = np.where(dark[..., None], 0, 255).astype(np.uint8).repeat(3, axis=2)
    return pygame.surfarray.make_surface(rgb.transpose(1, 0, 2))  # surfarray is (x, y)

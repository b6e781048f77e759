"""A scrollable document (title, meta line, image, paragraphs) for news, notices and articles.

Built on ``ScrollList`` so a long article scrolls with the same finger-following, inertia and clamping as
every list, and only the lines in view are drawn: each row is one wrapped line of text, or one slice of
the picture.

The body is laid out incrementally: the title, meta line, picture and the first screenful of text at
once, the rest a few milliseconds per frame in ``update`` (``LAYOUT_BUDGET_S``), appended as it comes.
Why: wrapping measures every candidate line, and a 20,000-character item laid out in the tap's frame
blocked the kiosk for 70-270 ms (bench/long_article_bench.py); taps and scrolling must keep working while
the rest of a long article is broken into lines. Same thread, so fonts are never touched concurrently.

A right-to-left paragraph (an Arabic or Hebrew feed item, :func:`textshape.bidi.is_rtl_paragraph`) and a
right-to-left title are set from the right edge, each line ordered right to left; Thai breaks between its
words (:mod:`textshape.words`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pygame

from kiosk.ui.drawing import draw_text, line_height, measurer, text_width
from kiosk.ui.text import iter_paragraph_lines, wrap_text
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.scroll_list import ScrollList
from textshape.bidi import RLM, is_rtl_paragraph

#: Seconds of body layout per frame after the first screenful (a 30 fps frame is 33 ms).
LAYOUT_BUDGET_S = 0.008


@dataclass(frozen=True)
class _Line:
    text: str
    role: str
    color: RGB
    bold: bool = False
    rtl: bool = False
    """Part of a right-to-left paragraph: drawn from the right edge, right to left."""


@dataclass(frozen=True)
class _ImageSlice:
    image: pygame.Surface
    top: int


@dataclass(frozen=True)
class _Gap:
    pass


def load_picture(path: str | None, max_width: int, max_height: int) -> pygame.Surface | None:
    """A picture scaled to fit, or None when there is none or it cannot be read (never raises)."""
    if not path or not Path(path).is_file():
        return None
    try:
        image = pygame.image.load(path)
    except (pygame.error, OSError):
        return None
    if image.get_bitsize() not in (24, 32):  # palette PNGs: smoothscale needs true colour
        rgba = pygame.Surface(image.get_size(), pygame.SRCALPHA, 32)
        rgba.blit(image, (0, 0))
        image = rgba
    w, h = image.get_size()
    scale = min(max_width / w, max_height / h, 1.0)
    return pygame.transform.smoothscale(image, (max(1, int(w * scale)), max(1, int(h * scale))))


class DocumentView(ScrollList):
    """Read-only scrolling text with an optional picture."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, *, title: str, meta: str = "",
                 body: str = "", image_path: str | None = None) -> None:
        self.line_h = line_height(theme.font("body"), 1.45)
        super().__init__(rect, theme, [], row_height=self.line_h, render_row=self._render, empty_text="")
        self.set_document(title, meta, body, image_path)

    def set_document(self, title: str, meta: str, body: str, image_path: str | None) -> None:
        th, p = self.theme, self.theme.palette
        width = self.rect.w - 2 * th.spacing.pad
        self.title_text = title
        rows: list[object] = [_Gap()]
        title_font = th.font("heading", bold=True)
        title_lines = wrap_text(title, width, measurer(title_font))
        if title_lines:  # taller than a body row: drawn once, then sliced like a picture
            step = line_height(title_font, 1.2)
            block = pygame.Surface((width, step * len(title_lines)), pygame.SRCALPHA)
            rtl = is_rtl_paragraph(title)
            for i, line in enumerate(title_lines):
                if rtl:
                    draw_text(block, title_font, RLM + line, (width, i * step), p.red, anchor="topright")
                else:
                    draw_text(block, title_font, line, (0, i * step), p.red)
            rows += [_ImageSlice(block, top) for top in range(0, block.get_height(), self.line_h)]
        if meta:
            rows += [_Line(m, "small", p.ink_muted) for m in wrap_text(meta, width, measurer(th.font("small")))]
        rows.append(_Gap())
        picture = load_picture(image_path, width, int(self.rect.h * 0.6))
        if picture is not None:
            rows += [_ImageSlice(picture, top) for top in range(0, picture.get_height(), self.line_h)]
            rows.append(_Gap())
        self._pending: Iterator[object] | None = self._body_rows(body, width)
        first_screen = len(rows) + self.rect.h // max(1, self.line_h) + 2
        for row in self._pending:
            rows.append(row)
            if len(rows) >= first_screen:
                break
        else:
            self._pending = None
        self.set_items(rows)

    def _body_rows(self, body: str, width: int) -> Iterator[object]:
        """Rows of the body, one wrapped line at a time (see the module docstring)."""
        th, p = self.theme, self.theme.palette
        measure = measurer(th.font("body"))
        for para in [p_.strip() for p_ in body.split("\n\n") if p_.strip()]:
            rtl = is_rtl_paragraph(para)
            for line in iter_paragraph_lines(para.replace("\n", " "), width, measure):
                yield _Line(line, "body", p.ink, rtl=rtl)
            yield _Gap()

    @property
    def laid_out(self) -> bool:
        """True once every line of the body is in ``items``."""
        return self._pending is None

    def continue_layout(self, budget_s: float) -> int:
        """Append body rows for about ``budget_s`` seconds (all of them with ``budget_s=inf``); returns
        how many were added. The rows already shown and their cached renderings stay as they are."""
        if self._pending is None:
            return 0
        end = time.perf_counter() + budget_s
        added: list[object] = []
        for row in self._pending:
            added.append(row)
            if len(added) % 8 == 0 and time.perf_counter() >= end:
                break
        else:
            self._pending = None
        self.items.extend(added)
        self.dirty = True  # the scrollbar shrinks; rows come into reach
        return len(added)

    def finish_layout(self) -> None:
        self.continue_layout(float("inf"))

    def update(self, dt: float) -> None:
        self.continue_layout(LAYOUT_BUDGET_S)
        super().update(dt)

    def text(self) -> str:
        """All text lines (for tests and the screen reader of a future accessibility mode); lays out the
        rest of the body first."""
        self.finish_layout()
        return "\n".join([self.title_text] + [r.text for r in self.items if isinstance(r, _Line)])

    def _render(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object, pressed: bool) -> None:
        x = rect.x + self.theme.spacing.pad
        if isinstance(item, _Line):
            font = self.theme.font(item.role, bold=item.bold)
            if item.rtl:
                shown = RLM + item.text
                right = rect.right - self.theme.spacing.pad
                draw_text(surface, font, shown, (right - text_width(font, shown), rect.centery), item.color,
                          anchor="midleft")
            else:
                draw_text(surface, font, item.text, (x, rect.centery), item.color, anchor="midleft")
        elif isinstance(item, _ImageSlice):
            area = pygame.Rect(0, item.top, item.image.get_width(), min(rect.h, item.image.get_height() - item.top))
            surface.blit(item.image, (x, rect.y), area)

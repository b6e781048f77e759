"""Palette, type scale and spacing of the kiosk, scaled from the screen's short side.

Many users are older and stand at arm's length from a lobby screen, so sizes are set at a 1080 px short
side (body 30 px, titles 44 px, tile numbers 72 px, nothing under 24 px) and scale with the screen.
Touch sizes never scale below 80 px targets and 16 px gaps: a finger does not shrink with the screen.
Every text colour pair the widgets use is listed in :meth:`Palette.text_pairs` and must reach the WCAG AA
contrast of 4.5:1; the tests check it with :func:`contrast_ratio`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pygame.freetype

    from kiosk.ui.fonts import Fonts

RGB = tuple[int, int, int]

#: WCAG 2.x AA minimum for normal-size text.
AA_CONTRAST = 4.5
#: The short side the base sizes are designed for.
REFERENCE_SHORT_SIDE = 1080


def hex_rgb(value: str) -> RGB:
    """``"#C8161D"`` → ``(200, 22, 29)``."""
    v = value.lstrip("#")
    if len(v) == 3:
        v = "".join(c * 2 for c in v)
    if len(v) != 6:
        raise ValueError(f"not a #RRGGBB colour: {value!r}")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 = black, 1 = white)."""

    def channel(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(fg: RGB, bg: RGB) -> float:
    """WCAG contrast ratio between two colours, from 1.0 to 21.0 (order does not matter)."""
    a, b = relative_luminance(fg), relative_luminance(bg)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from ``a`` (t=0) to ``b`` (t=1); used for pressed shades and animation."""
    t = min(1.0, max(0.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


@dataclass(frozen=True)
class StatusColors:
    """One status (ok / warn / bad / off): a ``fill`` with readable ``on_fill`` text, and a ``text``
    colour readable on the page background. The status is never shown by colour alone: icons add a
    shape (slash for off, "!" for warn)."""

    fill: RGB
    on_fill: RGB
    text: RGB


@dataclass(frozen=True)
class Palette:
    """Named colours. Keep text pairs in :meth:`text_pairs` so the contrast test covers them."""

    red: RGB = hex_rgb("#C8161D")  # 党建红: header, primary actions
    red_pressed: RGB = hex_rgb("#9B1117")
    gold: RGB = hex_rgb("#F2C14E")  # accents (shapes and large marks, never small text on red)
    gold_dark: RGB = hex_rgb("#7A5200")  # gold-family colour usable as text on light backgrounds
    bg: RGB = hex_rgb("#FAF6EF")  # warm white page
    surface: RGB = hex_rgb("#FFFFFF")  # cards, tiles, list rows
    surface_pressed: RGB = hex_rgb("#F1E6D6")
    ink: RGB = hex_rgb("#222222")
    ink_muted: RGB = hex_rgb("#5C5650")
    on_red: RGB = hex_rgb("#FFFFFF")
    divider: RGB = hex_rgb("#E3D9CC")
    disabled: RGB = hex_rgb("#E6E1DA")
    on_disabled: RGB = hex_rgb("#5F5955")
    scrim: tuple[int, int, int, int] = (20, 10, 10, 150)
    ok: StatusColors = field(
        default_factory=lambda: StatusColors(hex_rgb("#1B7A3A"), hex_rgb("#FFFFFF"), hex_rgb("#1B7A3A"))
    )
    warn: StatusColors = field(
        default_factory=lambda: StatusColors(hex_rgb("#F0A30A"), hex_rgb("#222222"), hex_rgb("#8A5300"))
    )
    bad: StatusColors = field(
        default_factory=lambda: StatusColors(hex_rgb("#B3261E"), hex_rgb("#FFFFFF"), hex_rgb("#B3261E"))
    )
    off: StatusColors = field(
        default_factory=lambda: StatusColors(hex_rgb("#6B6560"), hex_rgb("#FFFFFF"), hex_rgb("#5C5650"))
    )

    def status(self, state: str) -> StatusColors:
        """Colours for ``"ok"``, ``"warn"``, ``"bad"`` or ``"off"`` (unknown states look ``off``)."""
        return {"ok": self.ok, "warn": self.warn, "bad": self.bad}.get(state, self.off)

    def text_pairs(self) -> list[tuple[str, RGB, RGB]]:
        """Every (name, text colour, background) pair the widgets draw text with."""
        pairs = [
            ("ink on bg", self.ink, self.bg),
            ("ink on surface", self.ink, self.surface),
            ("ink on pressed surface", self.ink, self.surface_pressed),
            ("muted on bg", self.ink_muted, self.bg),
            ("muted on surface", self.ink_muted, self.surface),
            ("muted on pressed surface", self.ink_muted, self.surface_pressed),
            ("white on red", self.on_red, self.red),
            ("white on pressed red", self.on_red, self.red_pressed),
            ("red text on bg", self.red, self.bg),
            ("red text on surface", self.red, self.surface),
            ("ink on gold", self.ink, self.gold),
            ("gold-dark text on surface", self.gold_dark, self.surface),
            ("disabled text", self.on_disabled, self.disabled),
        ]
        for name in ("ok", "warn", "bad", "off"):
            s = self.status(name)
            pairs.append((f"{name} label on its fill", s.on_fill, s.fill))
            pairs.append((f"{name} text on bg", s.text, self.bg))
            pairs.append((f"{name} text on surface", s.text, self.surface))
        return pairs


@dataclass(frozen=True)
class TypeScale:
    """Font sizes in pixels for each role."""

    caption: int  # smallest allowed: labels under icons, axis labels
    small: int  # secondary lines (English subtitles)
    body: int  # paragraphs, list rows
    button: int
    title: int  # tile titles, dialog titles
    heading: int  # screen headings
    number: int  # big numbers in tiles and charts
    display: int  # the one huge number on a dashboard

    def size(self, role: str) -> int:
        return int(getattr(self, role))

    def smallest(self) -> int:
        return min(self.caption, self.small, self.body, self.button, self.title, self.heading, self.number)


#: Sizes at a 1080 px short side.
BASE_TYPE = TypeScale(caption=24, small=26, body=30, button=32, title=44, heading=52, number=72, display=110)


@dataclass(frozen=True)
class Spacing:
    """Distances in pixels. ``target`` and ``gap`` have absolute floors (80 / 16 px)."""

    unit: int  # the grid unit (8 px at 1080)
    gap: int  # between touch targets
    pad: int  # inside cards and around the page
    target: int  # minimum height/width of anything tappable
    radius: int  # card / button corners
    header: int  # height of one header row
    row: int  # height of a list row with title + subtitle


MIN_TARGET = 80
MIN_GAP = 16


@dataclass(frozen=True)
class Theme:
    """Everything a widget needs to look right on this screen: build it once with :meth:`for_screen`."""

    size: tuple[int, int]
    scale: float
    palette: Palette
    type: TypeScale
    spacing: Spacing
    fonts: Fonts | None = None

    @property
    def portrait(self) -> bool:
        return self.size[1] > self.size[0]

    @classmethod
    def for_screen(
        cls, size: tuple[int, int], fonts: Fonts | None = None, palette: Palette | None = None
    ) -> Theme:
        """Scale the base sizes by ``short side / 1080``; touch sizes never go below their floors."""
        w, h = int(size[0]), int(size[1])
        if w <= 0 or h <= 0:
            raise ValueError(f"bad screen size {size!r}")
        s = min(w, h) / REFERENCE_SHORT_SIDE
        type_scale = TypeScale(
            **{name: max(12, round(getattr(BASE_TYPE, name) * s)) for name in BASE_TYPE.__dataclass_fields__}
        )
        target = max(MIN_TARGET, round(96 * s))
        spacing = Spacing(
            unit=max(4, round(8 * s)),
            gap=max(MIN_GAP, round(24 * s)),
            pad=max(MIN_GAP, round(32 * s)),
            target=target,
            radius=max(6, round(16 * s)),
            header=max(target + 16, round(112 * s)),
            row=max(target + 16, round(120 * s)),
        )
        return cls((w, h), s, palette or Palette(), type_scale, spacing, fonts)

    def font(self, role: str, bold: bool = False) -> pygame.freetype.Font:
        """The font for a type role (``"body"``, ``"title"``, ...). Needs ``fonts``."""
        if self.fonts is None:
            raise RuntimeError("this Theme was built without Fonts; pass fonts=Fonts.default()")
        return self.fonts.get(self.type.size(role), bold)

    def fit_font(
        self, text: str, width: int, role: str = "body", min_role: str = "caption", bold: bool = False
    ) -> pygame.freetype.Font:
        """The ``role`` font, shrunk step by step (not below ``min_role``) until ``text`` fits ``width``.

        Callers still ellipsise: at the minimum size a long text may not fit.
        """
        from kiosk.ui.drawing import text_width  # drawing imports pygame; theme stays importable without

        font = self.font(role, bold)
        if self.fonts is None:
            return font
        size, floor = self.type.size(role), self.type.size(min_role)
        while size > floor and text_width(font, text) > width:
            size = max(floor, size - 2)
            font = self.fonts.get(size, bold)
        return font

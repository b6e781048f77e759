"""Where the Chinese font is. One finder for the kiosk, the hall and ``doctor``.

No default font has CJK glyphs, and in Noto Sans CJK's .ttc face 0 is Japanese — Simplified Chinese is
face 2 — so a candidate is a (file, face index) pair. Paths only: the engines load the file themselves.
"""

from __future__ import annotations

from pathlib import Path

#: Tried in order after any configured fonts: (file, face index of Simplified Chinese).
SYSTEM_CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
BOLD_CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
)


class FontNotFound(Exception):
    """No Chinese font was found; the message lists what was tried and how to install one."""


def find_cjk_font(configured: list[Path] | None = None, bold: bool = False) -> tuple[Path, int]:
    """The first existing font: configured files (face 0, or face 2 for a Noto CJK .ttc), then the system's."""
    candidates: list[tuple[str, int]] = []
    for path in configured or []:
        index = 2 if path.name.startswith("NotoSansCJK") and path.suffix == ".ttc" else 0
        candidates.append((str(path), index))
    candidates += list(BOLD_CJK_FONTS if bold else ()) + list(SYSTEM_CJK_FONTS)
    for path, index in candidates:
        if Path(path).is_file():
            return Path(path), index
    tried = ", ".join(p for p, _ in candidates)
    raise FontNotFound(f"no Chinese font found (tried {tried}); install one: apt-get install fonts-wqy-microhei")


#: Fonts tried, in order, for a character the Chinese font lacks (Thai, Arabic, Hebrew, Devanagari, symbols
#: in a feed title): Noto CJK for Hangul and rare ideographs WenQuanYi lacks, DejaVu for Latin, Greek,
#: Cyrillic, Arabic and symbols, then every regular Noto Sans face from Debian ``fonts-noto-core`` (one
#: file per script), Noto Serif and the symbol fonts last. Globs, because fonts-noto-core adds faces
#: between releases and a missing script should be fixed by installing a package, not by editing code.
FALLBACK_FONT_GLOBS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/noto/NotoSans[A-Z]*-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/noto/NotoSerif[A-Z]*-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/noto/Noto[!S]*-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0),
)

#: Faces that duplicate another script face (UI variants, unjoined, display and mono cuts): skipped.
_FALLBACK_SKIP = ("UI-", "Display-", "Mono-", "Unjoined-", "Looped")


def fallback_fonts(exclude: tuple[str, int] | None = None) -> list[tuple[Path, int]]:
    """Installed fallback faces in the order of :data:`FALLBACK_FONT_GLOBS`, without ``exclude`` (the
    primary face) and without duplicates. Paths only, like :func:`find_cjk_font`."""
    import glob

    out: list[tuple[Path, int]] = []
    seen = {(str(exclude[0]), exclude[1])} if exclude else set()
    for pattern, index in FALLBACK_FONT_GLOBS:
        for name in sorted(glob.glob(pattern)):
            if any(skip in Path(name).name for skip in _FALLBACK_SKIP) or (name, index) in seen:
                continue
            seen.add((name, index))
            out.append((Path(name), index))
    return out

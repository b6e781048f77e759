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

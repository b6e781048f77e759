"""The hall's text (issue #16): characters the Chinese font lacks (Thai, Arabic, Devanagari, ℃) are drawn
by the installed face that has them, as in the kiosk; Thai wraps between words; and the hall never
imports the kiosk (the text helpers both use live in textshape/, which imports no renderer).

Real fonts and the real renderer (the shared offscreen hall); the panel screenshot goes to the shots
folder ($HALL_SHOTS to keep it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import accumulate
from pathlib import Path

import pytest
from PIL import Image

from .conftest import ROOT

THAI_WORDS = ["นายกรัฐมนตรี", "เดินทาง", "ไป", "เยือน", "ประเทศ", "จีน"]
THAI = "".join(THAI_WORDS)
ARABIC = "أخبار الحزب اليوم"
NOTO_THAI = Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_hall_imports_and_draws_text_with_the_kiosk_blocked() -> None:
    """Every vr_hall module imports, and board text is made, while ``import kiosk`` raises."""
    done = run_python(
        "import sys, pkgutil, importlib\n"
        "sys.modules['kiosk'] = None  # any import of kiosk now fails\n"
        "import vr_hall\n"
        "for m in pkgutil.iter_modules(vr_hall.__path__):\n"
        "    importlib.import_module('vr_hall.' + m.name)\n"
        "from vr_hall.text3d import load_cjk_font, text_geometry\n"
        "text_geometry('党史长廊 Party history ข่าว', load_cjk_font(), 0.1, (1, 1, 1, 1), wrap=1.0)\n"
        "print(sorted(k for k, m in sys.modules.items() if m is not None and k.split('.')[0] in ('kiosk', 'pygame')))\n")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]", "vr_hall loaded the kiosk or pygame"


def test_textshape_imports_no_front_end_and_no_renderer() -> None:
    done = run_python(
        "import sys, pkgutil, importlib, textshape\n"
        "for m in pkgutil.iter_modules(textshape.__path__):\n"
        "    importlib.import_module('textshape.' + m.name)\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'kiosk', 'vr_hall', 'pygame', 'panda3d'}))\n")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def plain(text: str) -> str:
    """Wrapped hall text without its TextProperties markers."""
    return re.sub("\1[^\1]*\1|\2", "", text)


def test_board_text_in_scripts_the_chinese_font_lacks_has_a_face(hall_app) -> None:
    from vr_hall.text3d import chain_of, missing_glyphs, shown, text_geometry

    font = hall_app.font
    mixed = f"{THAI} {ARABIC} हिन्दी 25℃ 党史"
    assert missing_glyphs(font, mixed) == ""
    assert missing_glyphs(font, "\ue000") == "\ue000"  # the check does notice a character no face has
    chain = chain_of(font)
    assert "Thai" in chain.candidates[chain.face_for("ก")][0].name
    assert shown(THAI, font).startswith("\1zhdj-fb"), "Thai is drawn by a fallback face"
    assert "\1" not in shown("党史长廊 Party history", font), "text the Chinese font has stays plain"
    node = text_geometry(mixed, font, 0.1, (1, 1, 1, 1), wrap=1.2)
    assert node.findAllTextures().getNumTextures() >= 3, "glyph pages of the Chinese font and the fallbacks"


def test_thai_wraps_between_words_in_the_hall(hall_app) -> None:
    from textshape import words
    from vr_hall.text3d import chain_of, wrap_cjk

    assert words.wait_ready(60)
    boundaries = set(accumulate(len(w) for w in THAI_WORDS))
    chain = chain_of(hall_app.font)
    longest = max(chain.width(w) for w in THAI_WORDS) + 0.01
    for step in range(8):
        width = longest + step * (chain.width(THAI) - longest) / 8
        lines = plain(wrap_cjk(THAI, hall_app.font, width)).split("\n")
        assert "".join(lines) == THAI and len(lines) > 1
        assert set(accumulate(len(x) for x in lines[:-1])) <= boundaries, (width, lines)


def _ink(rgb, box: tuple[int, int, int, int]) -> int:
    """White text pixels inside ``box`` (x0, y0, x1, y1) of a frame with a black backdrop."""
    x0, y0, x1, y1 = box
    patch = rgb[y0:y1, x0:x1].astype(int)
    return int(((patch[..., 1] > 120) & (patch[..., 2] > 120)).sum())


def test_fallback_text_is_drawn_like_its_own_font(app, shots: Path) -> None:
    """Thai through the chain is drawn as the Thai face draws it; with the Chinese font alone it is not.
    Then an exhibit panel with Thai, Arabic, Devanagari and ℃ in its title and story, saved to look at."""
    from direct.gui.DirectGui import DirectFrame
    from direct.gui.OnscreenText import OnscreenText
    from panda3d.core import DynamicTextFont, Filename

    from vr_hall.text3d import shown

    if not NOTO_THAI.is_file():
        pytest.skip(f"{NOTO_THAI} absent: install fonts-noto-core (setup.sh)")
    thai_font = DynamicTextFont(Filename.fromOsSpecific(str(NOTO_THAI)))
    thai_font.setPixelsPerUnit(64)
    cases = [("chain", shown(THAI, app.font), app.font), ("thai", THAI, thai_font), ("alone", THAI, app.font)]
    backdrop = DirectFrame(parent=app.base.aspect2d, frameColor=(0, 0, 0, 1), frameSize=(-3, 3, -1, 1))
    nodes = [backdrop] + [OnscreenText(parent=app.base.aspect2d, text=text, font=font, scale=0.09, fg=(1, 1, 1, 1),
                          pos=(-1.2, 0.6 - 0.25 * i), align=0)
             for i, (_, text, font) in enumerate(cases)]
    try:
        rgb = app.frame_rgb()
    finally:
        for node in nodes:
            node.destroy()
    h, w = rgb.shape[:2]
    Image.fromarray(rgb).save(shots / "text3d_fallback_rows.png")
    rows = {}
    for i, (name, _, _) in enumerate(cases):
        y = int((1 - (0.6 - 0.25 * i)) / 2 * h)  # baseline of the row on screen
        rows[name] = _ink(rgb, (0, y - int(0.07 * h), w, y + int(0.03 * h)))
    assert rows["thai"] > 500
    assert abs(rows["chain"] - rows["thai"]) < 0.15 * rows["thai"], rows
    assert abs(rows["alone"] - rows["thai"]) > 0.3 * rows["thai"], rows

    e = app.scene.exhibit("h01")
    app.info.show(e.model_copy(update={
        "title_zh": "党史 " + THAI, "title_en": f"Party news {ARABIC} 25℃",
        "description_zh": f"泰文：{THAI}。阿拉伯文：{ARABIC}。印地文：हिन्दी समाचार。气温 25℃。" + e.description_zh}))
    try:
        Image.fromarray(app.frame_rgb()).save(shots / "panel_thai_arabic.png")
        assert "\1zhdj-fb" in app.info.title_text.getText()
    finally:
        app.info.hide()

"""Thai (and other scripts written without spaces) wraps between words; right-to-left paragraphs are set
from the right edge (issue #16, Feeds). Real fonts and real rendering (SDL dummy): the Thai is drawn by
an installed face that has it (the fallback chain), and the article view is saved as a PNG to look at.

The Thai dictionary is pythainlp's (textshape.words); before it is loaded, and for Lao, Khmer and Myanmar,
lines break between letter clusters, never before a mark.
"""

from __future__ import annotations

import os
import unicodedata
from itertools import accumulate
from pathlib import Path

import pygame
import pytest

from kiosk.document import DocumentView, _Line
from kiosk.ui.drawing import measurer
from kiosk.ui.fonts import Fonts
from kiosk.ui.theme import Theme
from textshape import words
from textshape.bidi import RLM, is_rtl_paragraph, visual
from textshape.wrap import ellipsize, layout_paragraph, wrap_text

#: "The prime minister travels to visit China", written as Thai is, without spaces, and its words.
THAI_WORDS = ["นายกรัฐมนตรี", "เดินทาง", "ไป", "เยือน", "ประเทศ", "จีน"]
THAI = "".join(THAI_WORDS)
BOUNDARIES = set(accumulate(len(w) for w in THAI_WORDS))
ARABIC = "أخبار الحزب اليوم: اجتماع اللجنة المركزية في بكين مع الوفود الأجنبية"
BG = (255, 255, 255)
LEADING = "เแโใไ"
FOLLOWING = "ะาำๅๆ"


@pytest.fixture(scope="module")
def thai_ready() -> None:
    assert words.wait_ready(60), "pythainlp's dictionary did not load"


@pytest.fixture
def no_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the kiosk is before the dictionary has loaded (or where pythainlp is broken)."""
    monkeypatch.setattr(words, "_trie", None)
    monkeypatch.setattr(words, "_failed", True)


def breaks(lines: list[str]) -> list[int]:
    """Offsets in the unspaced text where the lines were cut."""
    return list(accumulate(len(line) for line in lines))[:-1]


def test_thai_wraps_between_words_at_every_width(fonts: Fonts, thai_ready: None) -> None:
    measure = measurer(fonts.get(32))
    longest_word = max(measure(w) for w in THAI_WORDS)
    for width in range(longest_word, measure(THAI) + 20, 7):
        lines = wrap_text(THAI, width, measure)
        assert "".join(lines) == THAI
        assert set(breaks(lines)) <= BOUNDARIES, (width, lines)
        assert all(measure(line) <= width for line in lines), (width, lines)


def test_without_the_dictionary_lines_break_inside_words_but_between_clusters(fonts: Fonts,
                                                                              no_dictionary: None) -> None:
    """What the dictionary is for: cluster breaks alone cut words (so the test above can fail), but
    never leave a mark, a following vowel or a leading vowel on the wrong line."""
    measure = measurer(fonts.get(32))
    inside = 0
    for width in range(measure("ไป") + 4, measure(THAI) + 20, 9):
        lines = wrap_text(THAI, width, measure)
        assert "".join(lines) == THAI
        inside += bool(set(breaks(lines)) - BOUNDARIES)
        for a, b in zip(lines, lines[1:], strict=False):
            assert unicodedata.category(b[0])[0] != "M" and b[0] not in FOLLOWING and a[-1] not in LEADING, (a, b)
    assert inside, "cluster breaks should fall inside a word at some width"


def test_a_long_thai_run_is_segmented_a_window_at_a_time(thai_ready: None) -> None:
    text = THAI * 60  # 2,280 characters, no space: several windows of words.WINDOW
    got = list(words.pieces(text))
    assert got == words._segment(text, words._trie), "windows cut the text as segmenting it whole does"


def test_a_thai_title_is_cut_with_an_ellipsis_between_words(fonts: Fonts, thai_ready: None) -> None:
    """A news row's title is one line: cut at a word boundary, like English, never inside a word."""
    measure = measurer(fonts.get(32))
    title = "ข่าว " + THAI
    cuts = set()
    for width in range(measure("ข่าว นายกรัฐมนตรี…"), measure(title), 5):
        shown = ellipsize(title, width, measure)
        assert shown.endswith("…") and measure(shown) <= width, (width, shown)
        kept = shown[:-1].rstrip()
        assert title.startswith(kept)
        cuts.add(len(kept))
    assert cuts <= {len("ข่าว ") + b for b in BOUNDARIES} | {len("ข่าว")}, sorted(cuts)
    assert len(cuts) >= 3


def test_the_dictionary_loads_offline_without_writing_to_home(tmp_path: Path) -> None:
    """pythainlp would create ~/pythainlp-data (and may download corpora); the kiosk is offline and its
    home may be read-only: the bundled dictionary is read in pythainlp's read-only mode."""
    import subprocess
    import sys

    code = ("from textshape import words\n"
            "assert words.wait_ready(120)\n"
            "print(list(words.pieces('นายกรัฐมนตรีเดินทาง')))\n")
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("PYTHAINLP_READ_ONLY", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['นายกรัฐมนตรี', 'เดินทาง']"
    assert list(tmp_path.iterdir()) == [], "pythainlp wrote into the home folder"


def test_text_around_thai_stays_glued_to_its_word(thai_ready: None) -> None:
    assert list(words.pieces("(ประเทศจีน)2567")) == ["(ประเทศ", "จีน)2567"]
    assert list(words.pieces("Party")) == ["Party"]


@pytest.mark.parametrize(("text", "whole"), [
    ("မြန်မာ", ["မြန်", "မာ"]),  # Myanmar: the asat keeps its consonant in the syllable
    ("ខ្មែរ", ["ខ្មែ", "រ"]),  # Khmer: the coeng keeps the subscript consonant with its base
    ("ພາສາລາວ", ["ພາ", "ສາ", "ລາ", "ວ"]),  # Lao: vowels after their consonant
])
def test_lao_khmer_myanmar_break_between_clusters(text: str, whole: list[str]) -> None:
    assert list(words.clusters(text)) == whole


def test_rtl_paragraph_is_laid_out_from_the_right(fonts: Fonts) -> None:
    measure = measurer(fonts.get(28))
    lines = layout_paragraph(ARABIC + "\nParty news", 500, measure, 40)
    rtl = [line for line in lines if line.text.startswith(RLM)]
    ltr = [line for line in lines if not line.text.startswith(RLM)]
    assert len(rtl) >= 2 and ltr and ltr[0].text == "Party news"
    assert all(line.x + line.width == 500 for line in rtl) and ltr[0].x == 0
    # the first words of the paragraph are at the right end of its first line
    first = visual(rtl[0].text)
    assert first.rstrip().endswith(visual("أخبار").strip()), first


def test_rtl_line_keeps_latin_and_numbers_in_order() -> None:
    shown = visual(RLM + "وصل Li Wei في 2024 إلى")
    assert "Li Wei" in shown and "2024" in shown
    assert shown.index("2024") < shown.index("Li Wei"), "the later words are further left"
    assert is_rtl_paragraph("«مرحبا» Party") and not is_rtl_paragraph("Party مرحبا")


def _ink(surface: pygame.Surface, rect: pygame.Rect) -> pygame.Rect | None:
    """Box of the pixels of ``rect`` that differ from its top-left pixel (the row's paper)."""
    sub = surface.subsurface(rect)
    mask = pygame.mask.from_threshold(sub, sub.get_at((1, 1)), (8, 8, 8, 255))
    mask.invert()
    boxes = mask.get_bounding_rects()
    return boxes[0].unionall(boxes[1:]).move(rect.topleft) if boxes else None


def test_article_with_thai_and_arabic_renders_wrapped_and_aligned(landscape: Theme, thai_ready: None,
                                                                   tmp_path: Path) -> None:
    body = THAI * 3 + "\n\n" + ARABIC + "\n\nParty members study every day."
    doc = DocumentView(pygame.Rect(0, 0, 760, 900), landscape, title="ข่าวพรรค " + THAI, body=body)
    doc.finish_layout()
    surface = pygame.Surface((760, 900))
    surface.fill(BG)
    doc.draw(surface)
    out = Path(os.environ.get("SHOTS_DIR", tmp_path)) / "article_thai_arabic.png"
    pygame.image.save(surface, str(out))

    lines = [r for r in doc.items if isinstance(r, _Line)]
    thai = [r.text for r in lines if r.text[0] in THAI]
    assert "".join(thai) == THAI * 3 and len(thai) >= 2
    assert all(c % len(THAI) in BOUNDARIES | {0} for c in breaks(thai)), ("cut inside a word", thai)
    assert [r.rtl for r in lines] == [False] * len(thai) + [True] * (len(lines) - len(thai) - 1) + [False]

    chain = landscape.font("body").chain
    thai_face = chain.face_for("ก")
    assert thai_face >= 0, "no installed face draws Thai (install fonts-noto-core)"
    assert chain.candidates[thai_face][0] != landscape.font("body").path

    pad = landscape.spacing.pad
    for i, row in enumerate(doc.items):
        if not isinstance(row, _Line):
            continue
        box = _ink(surface, pygame.Rect(4, i * doc.row_height - round(doc.offset), 752, doc.row_height)
                   .clip(surface.get_rect().inflate(-8, -8)))  # inside the view's 1-px frame
        if box is None:
            continue
        if row.rtl:
            assert 760 - pad - box.right <= 6, (row.text, box)
        else:
            assert abs(box.left - pad) <= 6, (row.text, box)

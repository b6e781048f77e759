"""The assistant in the hall: the question-and-answer caption, the 问助手 chips, and what they send.

Uses the session's offscreen hall (see conftest). Events come in through ``app.post`` as the child
process delivers them; what the hall sends out lands in ``app.published``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from core.events import Answer, GuideTo, Transcript
from vr_hall import ui
from vr_hall.assistant_overlay import DEFAULTS, FADE_S, HOLD_S, LABELS
from vr_hall.text3d import missing_glyphs

ANSWER = "VR展厅是星河能源科技党委打造的虚拟党建展馆，分为党史长廊、党建成果和北斗科技三个展区。"


def run(app, seconds: float, dt: float = 1 / 10) -> None:
    for _ in range(round(seconds / dt)):
        app.update(dt)


def rect_px(app, rect: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """render2d (left, right, bottom, top) → pixel (x0, x1, y0, y1), top row first."""
    w, h = app.size
    left, right, bottom, top = rect
    return (int((left + 1) / 2 * w), int((right + 1) / 2 * w), int((1 - top) / 2 * h), int((1 - bottom) / 2 * h))


def bounds(frame, app) -> tuple[float, float, float, float]:
    return ui.frame_rect(frame, app.base.render2d)


def overlaps(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def transcripts(app) -> list[Transcript]:
    return [e for e in app.published if isinstance(e, Transcript)]


def test_an_answer_shows_in_the_caption(app, shots: Path) -> None:
    before = app.frame_rgb().astype(int)
    assert not app.assistant.caption_visible
    app.post(Transcript("这个展厅讲什么", "zh", final=False))
    app.update(0.0)
    assert app.assistant.question_text.getText() == "问：这个展厅讲什么…"  # partial: still listening
    app.post(Transcript("这个展厅讲什么", "zh", final=True))
    app.post(Answer(ANSWER, "zh", "kb001", ("展厅几点开门？",)))
    app.update(0.0)
    overlay = app.assistant
    assert overlay.caption_visible
    assert overlay.question_text.getText() == "问：这个展厅讲什么"
    assert overlay.answer_text.getText().replace("\n", "") == "答：" + ANSWER
    after = app.frame_rgb().astype(int)
    Image.fromarray(after.astype(np.uint8)).save(shots / "assistant-caption.png")
    x0, x1, y0, y1 = rect_px(app, overlay.rect())
    changed = np.abs(after - before).sum(axis=2) > 60
    inside = changed[y0:y1, x0:x1]
    assert inside.mean() > 0.5, "the caption hardly changed its area"
    outside = changed.copy()
    outside[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2] = False  # edges round to either pixel
    assert outside.sum() < 50, "something outside the caption changed"
    # the text is drawn: light pixels of the answer, gold of the question, on the dark caption
    area = after[y0:y1, x0:x1]
    assert (area.min(axis=2) > 200).sum() > 500
    assert ((area[..., 0] > 200) & (area[..., 2] < 120)).sum() > 200
    # bottom centre, above nothing but the 3-D view: clear of every button
    left, right, bottom, top = overlay.rect()
    assert -0.5 < (left + right) / 2 < 0.5 and bottom < -0.6
    for name, b in app.hud.buttons.items():
        if not b.isHidden():
            assert not overlaps(overlay.rect(), bounds(b, app)), name
    assert not overlaps(overlay.rect(), bounds(overlay.button, app))


def test_caption_keeps_above_the_narration_and_beside_the_panel(app) -> None:
    app.show_view("tour:3")  # narrating: the subtitle bar is up
    app.post(Answer(ANSWER))
    app.update(0.0)
    caption = app.assistant.rect()
    subtitle = bounds(app.hud.subtitle, app)
    assert caption[2] > subtitle[3], "the caption should sit above the narration bar"
    assert abs((caption[0] + caption[1]) - (subtitle[0] + subtitle[1])) < 0.01  # both centred
    app.show_view("exhibit:h01")
    app.post(Answer(ANSWER))
    app.update(0.0)
    caption = app.assistant.rect()
    assert not overlaps(caption, bounds(app.info.root, app))
    for name, b in app.hud.buttons.items():
        if not b.isHidden():
            assert not overlaps(caption, bounds(b, app)), name


def test_the_caption_fades_after_a_while(app) -> None:
    app.post(Answer("好的。"))
    run(app, HOLD_S - 0.5)
    assert app.assistant.caption_visible and app.assistant.caption.getColorScale()[3] == 1.0
    run(app, 0.5 + FADE_S / 2)
    assert app.assistant.caption_visible and 0.0 < app.assistant.caption.getColorScale()[3] < 1.0
    run(app, FADE_S)
    assert not app.assistant.caption_visible


def test_a_chip_asks_the_assistant_with_a_final_transcript(app) -> None:
    overlay = app.assistant
    overlay.button["command"]()  # 问助手
    assert overlay.chips_open
    assert [c["text"] for c in overlay.chips] == list(DEFAULTS["zh"])
    overlay.chips[3]["command"]()  # 党费怎么算
    assert transcripts(app) == [Transcript("党费怎么算", "zh", final=True)]
    assert not overlay.chips_open
    app.update(0.0)
    assert overlay.question_text.getText() == "问：党费怎么算" and overlay.awaiting_answer
    # the kiosk forwards the same transcript back in, then the answer with new suggestions
    app.post(Transcript("党费怎么算", "zh", final=True))
    app.post(Answer("在职党员按每月税后工资收入交纳党费。", "zh", "kb078", ("党费怎么交？", "退休党员交多少党费？")))
    app.update(0.0)
    assert overlay.answer_text.getText().startswith("答：在职党员")
    overlay.toggle_chips()
    assert [c["text"] for c in overlay.chips] == ["党费怎么交？", "退休党员交多少党费？"]
    assert app.tap(0.0, -0.3) == "chips" and not overlay.chips_open  # a tap beside them only closes them
    assert app.walker is None
    app.on_action("lang", True)
    overlay.toggle_chips()
    assert overlay.button["text"] == "Ask"
    overlay.ask("Take me to the BeiDou room")
    assert transcripts(app)[-1] == Transcript("Take me to the BeiDou room", "en", final=True)
    app.on_action("lang", True)


def test_take_me_there_shows_where_the_guide_goes(app) -> None:
    app.assistant.ask("带我去北斗科技馆")
    app.update(0.0)
    app.post(GuideTo("beidou"))  # the assistant's answer to this is a walk, not text
    app.update(0.0)
    assert app.tour is not None and app.tour.active and app.tour_kind == "guide"
    assert "北斗科技馆" in app.assistant.answer_text.getText()


def test_chips_open_left_of_an_open_panel(app) -> None:
    app.show_view("exhibit:h01")
    app.assistant.open_chips()
    chips = bounds(app.assistant.chips_frame, app)
    assert not overlaps(chips, bounds(app.info.root, app))
    assert not overlaps(chips, bounds(app.assistant.button, app))


def test_assistant_view_renders(app, shots: Path) -> None:
    app.show_view("assistant")
    assert app.assistant.caption_visible and app.assistant.chips_open
    rgb = app.frame_rgb()
    Image.fromarray(rgb).save(shots / "assistant.png")
    x0, x1, y0, y1 = rect_px(app, bounds(app.assistant.chips_frame, app))
    chips = rgb[y0:y1, x0:x1].astype(int)
    assert (chips.min(axis=2) > 235).mean() > 0.3, "the chips' warm-white faces are missing"


def test_font_has_the_overlay_glyphs(app) -> None:
    texts = [v for labels in LABELS.values() for v in labels.values()] + [t for d in DEFAULTS.values() for t in d]
    assert missing_glyphs(app.font, "".join(texts).replace("{name}", "")) == ""

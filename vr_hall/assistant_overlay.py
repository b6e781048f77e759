"""The assistant in the hall: a caption with the visitor's question and the answer, and 问助手 chips.

The assistant itself runs in the kiosk's process. The kiosk forwards Transcript and Answer events
to the open hall (:meth:`vr_hall.child.HallLauncher.forward`); this overlay shows them in a compact
caption at the bottom centre — above the narration bar, between the movement pad and the right-hand
buttons, left of an open exhibit panel — and fades it out ``HOLD_S`` seconds after the last change
(longer for a long answer, which is being read aloud). The 问助手 button, left of 退出, opens a
few suggestion chips (the last answer's suggestions, else :data:`DEFAULTS`); a tapped chip goes to
``on_ask(text)``, which the hall sends out as a final Transcript — the way the kiosk's assistant
screen asks a tapped question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton, DirectFrame
from direct.gui.OnscreenText import OnscreenText
from direct.showbase.ShowBase import ShowBase
from panda3d.core import TextNode, TransparencyAttrib

from vr_hall import ui
from vr_hall.text3d import rows, wrap_cjk

LABELS = {
    "zh": {"ask": "问助手", "hint": "可以这样问我：", "q": "问：", "a": "答：", "guide": "好的，请跟我来：{name}"},
    "en": {"ask": "Ask", "hint": "Try asking:", "q": "Q: ", "a": "A: ", "guide": "Follow me to {name}."},
}
DEFAULTS = {
    "zh": ("这个展厅讲什么", "带我去北斗科技馆", "开始导览", "党费怎么算"),
    "en": ("What is this hall about?", "Take me to the BeiDou room", "Start the tour",
           "How are party dues calculated?"),
}
MAX_CHIPS = 4
HOLD_S = 10.0
"""Seconds the caption stays after its last change (at least; see :func:`hold_seconds`)."""
FADE_S = 1.0
TEXT = ui.BODY
"""Caption text size, reference px."""
QUESTION_LINES = 2
ANSWER_LINES = 4
PAD = 16
CAPTION_COLOUR = (0.05, 0.03, 0.03, 0.86)
ASK_WIDTH = 180
EXIT_WIDTH = 140
"""The HUD's 退出 button (top right), which the 问助手 button sits beside."""


def hold_seconds(answer: str) -> float:
    """How long a caption stays: ``HOLD_S``, or about as long as reading a long answer aloud takes."""
    return max(HOLD_S, min(30.0, len(answer) / 5.0))


class AssistantOverlay:
    """``on_ask(text)``: a chip was tapped; ``on_open()``: the chips are about to open (the hall closes
    its other pop-ups)."""

    def __init__(self, base: ShowBase, font: Any, *, portrait: bool = False, language: str = "zh",
                 on_ask: Callable[[str], None] | None = None, on_open: Callable[[], None] | None = None):
        self.base = base
        self.font = font
        self.portrait = portrait
        self.language = language
        self.on_ask = on_ask or (lambda _t: None)
        self.on_open = on_open or (lambda: None)
        self.question = ""
        self.question_final = True
        self.answer = ""
        self.suggestions: tuple[str, ...] = ()
        self.age = 0.0
        """Seconds since the caption last changed."""
        self.hold = HOLD_S
        self.chips: list[DirectButton] = []
        self.chips_frame: DirectFrame | None = None
        self.chip_hint: OnscreenText | None = None
        self._layout_key: tuple | None = None
        self._panel: Any = None
        """The open exhibit panel, as the last :meth:`update` saw it (the chips keep clear of it)."""
        self._chips_inset = 24.0
        self._measure = TextNode("measure")
        self._measure.setFont(font)
        # 问助手: top right, left of 退出 (below it where the tour bar would be in the way)
        half_w = self.half_width()
        beside = half_w - (24 + EXIT_WIDTH + ui.GAP + ASK_WIDTH)
        if portrait or beside >= 400 + ui.GAP:  # the landscape tour bar spans ±400 around the centre
            x, y = -(24 + EXIT_WIDTH + ui.GAP + ASK_WIDTH / 2), -(24 + ui.TARGET / 2)
        else:
            x, y = -(24 + ASK_WIDTH / 2), -(24 + ui.TARGET + ui.GAP + ui.TARGET / 2)
        self.chips_top = y - ui.TARGET / 2 - ui.GAP
        self.button = ui.button(base.a2dTopRight, LABELS[language]["ask"], font, x, y, w=ASK_WIDTH,
                                colour=ui.RED, command=self.toggle_chips, name="assistant-ask")
        # the caption: bottom centre, laid out each frame (:meth:`update`)
        self.caption = DirectFrame(parent=base.a2dBottomCenter, frameColor=CAPTION_COLOUR, state=DGG.NORMAL,
                                   suppressMouse=1, frameSize=(0, 0, 0, 0))
        self.caption.setName("assistant-caption")
        self.caption.setTransparency(TransparencyAttrib.MAlpha)
        self.accent = DirectFrame(parent=self.caption, frameColor=ui.GOLD, frameSize=(0, 0, 0, 0))
        self.question_text = OnscreenText(parent=self.caption, text="", font=font, scale=ui.px(TEXT), fg=ui.GOLD,
                                          align=TextNode.ALeft, mayChange=True)
        self.answer_text = OnscreenText(parent=self.caption, text="", font=font, scale=ui.px(TEXT),
                                        fg=ui.WARM_WHITE, align=TextNode.ALeft, mayChange=True)
        self.caption.hide()

    # ------------------------------------------------------------------------------------ state

    @property
    def caption_visible(self) -> bool:
        return not self.caption.isHidden()

    @property
    def chips_open(self) -> bool:
        return self.chips_frame is not None

    @property
    def awaiting_answer(self) -> bool:
        """A final question is showing and no answer to it has come yet."""
        return self.caption_visible and bool(self.question) and self.question_final and not self.answer

    def show_transcript(self, text: str, final: bool = True) -> None:
        """The visitor's question (a partial one while they are still speaking)."""
        text = text.strip()
        if not text:
            return
        if text != self.question or self.answer:
            self.answer = ""
        self.question, self.question_final = text, final
        self._changed(HOLD_S)

    def show_answer(self, text: str, suggestions: Sequence[str] = ()) -> None:
        self.answer = text.strip()
        if suggestions:
            self.suggestions = tuple(s for s in suggestions if s.strip())
        self._changed(hold_seconds(self.answer))

    def show_guiding(self, name: str) -> None:
        """The question was "take me to …" (the answer is a walk, not text): say where."""
        self.show_answer(LABELS[self.language]["guide"].format(name=name))

    def chip_texts(self) -> list[str]:
        texts = list(self.suggestions) or list(DEFAULTS.get(self.language, DEFAULTS["zh"]))
        return texts[:MAX_CHIPS]

    def _changed(self, hold: float) -> None:
        self.age = 0.0
        self.hold = hold
        self._layout_key = None
        self.caption.setAlphaScale(1.0)
        self.caption.show()

    def clear(self) -> None:
        """No caption, no chips, default suggestions (a new visitor)."""
        self.question = self.answer = ""
        self.suggestions = ()
        self.caption.hide()
        self.close_chips()

    # ------------------------------------------------------------------------------------ chips

    def toggle_chips(self) -> None:
        if self.chips_open:
            self.close_chips()
        else:
            self.open_chips()

    def open_chips(self) -> None:
        self.close_chips()
        self.on_open()
        labels = LABELS[self.language]
        texts = self.chip_texts()
        size = ui.BODY + 2
        widest = max(self._width(t, size) for t in texts)
        w = min(max(320.0, widest + 64), 2 * self.half_width() - 48)
        hint_h = 56
        h = hint_h + len(texts) * (ui.TARGET + ui.GAP) + ui.GAP
        # under the 问助手 button; left of an open exhibit panel (landscape) rather than over it
        self._chips_inset = self._panel.covered_width() + ui.GAP if self._panel_beside() else 24.0
        frame = DirectFrame(parent=self.base.a2dTopRight, frameColor=ui.SCRIM, state=DGG.NORMAL, suppressMouse=1,
                            frameSize=(ui.px(-w - 2 * ui.GAP), 0, ui.px(-h), 0),
                            pos=(ui.px(-self._chips_inset), 0, ui.px(self.chips_top)))
        frame.setName("assistant-chips")
        frame.setBin("gui-popup", 0)  # over an open exhibit panel
        self.chip_hint = OnscreenText(parent=frame, text=labels["hint"], font=self.font, scale=ui.px(ui.BODY),
                                      fg=ui.GOLD, align=TextNode.ALeft,
                                      pos=(ui.px(-w - ui.GAP), ui.px(-hint_h + 14)))
        x = -ui.GAP - w / 2
        y = -hint_h - ui.TARGET / 2
        self.chips = []
        for k, text in enumerate(texts):
            chip = ui.button(frame, wrap_cjk(text, self.font, (w - 40) / size, max_lines=1), self.font, x, y, w=w,
                             colour=ui.WARM_WHITE, text_colour=ui.RED_DARK, text_size=size,
                             command=lambda t=text: self.ask(t), name=f"assistant-chip-{k}")
            self.chips.append(chip)
            y -= ui.TARGET + ui.GAP
        self.chips_frame = frame

    def _panel_beside(self) -> bool:
        return self._panel is not None and not self.portrait

    def close_chips(self) -> None:
        for chip in self.chips:
            chip.destroy()
        self.chips = []
        if self.chip_hint is not None:
            self.chip_hint.destroy()
            self.chip_hint = None
        if self.chips_frame is not None:
            self.chips_frame.destroy()
            self.chips_frame = None

    def ask(self, text: str) -> None:
        """A chip was tapped: show the question at once and hand it on."""
        self.close_chips()
        self.show_transcript(text, final=True)
        self.on_ask(text)

    # ----------------------------------------------------------------------------------- layout

    def half_width(self) -> float:
        """Half the screen's width, reference px."""
        return self.base.a2dRight / ui.PX

    def set_language(self, language: str) -> None:
        self.language = language
        self.button["text"] = LABELS[language]["ask"]
        self._layout_key = None
        if self.chips_open:
            self.open_chips()

    def area(self, subtitle_top: float | None = None, panel: Any = None) -> tuple[float, float, float]:
        """(left, right, bottom) of the caption, reference px from the bottom centre of the screen:
        above the narration bar (``subtitle_top``), clear of the buttons and of an open exhibit panel
        (``panel``: the InfoPanel when it is visible)."""
        half = self.half_width()
        margin = 24
        above_buttons = 24 + 2 * ui.TARGET + 2 * ui.GAP  # the pad's two rows (and, in portrait, the right's)
        if self.portrait:
            left, right, bottom = -half + margin, half - margin, float(above_buttons)
        else:
            inner = min(half - (24 + 3 * 160 + 2 * ui.GAP) - ui.GAP, 400.0)  # between the pad and the buttons
            left, right, bottom = -inner, inner, 24.0
            if inner < 300:
                left, right, bottom = -half + margin, half - margin, float(above_buttons)
        if subtitle_top is not None:
            bottom = max(bottom, subtitle_top + ui.GAP)
        if panel is not None:
            if self.portrait:
                bottom = max(bottom, panel.covered_height() + ui.GAP)
            else:
                right = min(right, half - panel.covered_width() - ui.GAP)
                if right - left < 420:
                    left, bottom = -half + margin, max(bottom, above_buttons)
        return left, right, bottom

    def _width(self, text: str, size: float) -> float:
        return self._measure.calcWidth(text) * size

    def _layout(self, left: float, right: float, bottom: float) -> None:
        px = ui.px
        labels = LABELS[self.language]
        inner = right - left - 2 * PAD - 12
        question = labels["q"] + self.question + ("" if self.question_final else "…")
        q_text = wrap_cjk(question, self.font, inner / TEXT, max_lines=QUESTION_LINES) if self.question else ""
        a_text = wrap_cjk(labels["a"] + self.answer, self.font, inner / TEXT,
                          max_lines=ANSWER_LINES) if self.answer else ""
        line = TEXT * self.font.getLineHeight()
        n = (rows(q_text) if q_text else 0) + (rows(a_text) if a_text else 0)
        gap = 8 if q_text and a_text else 0
        h = n * line + gap + 2 * PAD
        self.caption["frameSize"] = (px(left - (left + right) / 2), px(right - (left + right) / 2), 0, px(h))
        self.caption.setPos(px((left + right) / 2), 0, px(bottom))
        x0 = left - (left + right) / 2
        self.accent["frameSize"] = (px(x0), px(x0 + 6), 0, px(h))
        y = h - PAD - TEXT * 0.95
        self.question_text.setText(q_text)
        self.question_text.setPos(px(x0 + PAD + 12), px(y))
        if q_text:
            y -= rows(q_text) * line + gap
        self.answer_text.setText(a_text)
        self.answer_text.setPos(px(x0 + PAD + 12), px(y))

    def rect(self) -> tuple[float, float, float, float]:
        """The caption in render2d units (-1…1): left, right, bottom, top (for tests)."""
        return ui.frame_rect(self.caption, self.base.render2d)

    def update(self, dt: float, subtitle_top: float | None = None, panel: Any = None) -> None:
        """Fade, and keep the caption clear of what else is on screen (call once a frame)."""
        self._panel = panel
        if self.chips_open and (self._chips_inset > 24.0) != self._panel_beside():
            self.open_chips()  # a panel opened or closed under them
        if not self.caption_visible:
            return
        self.age += dt
        if self.age >= self.hold + FADE_S:
            self.caption.hide()
            return
        self.caption.setAlphaScale(1.0 if self.age <= self.hold else 1.0 - (self.age - self.hold) / FADE_S)
        area = self.area(subtitle_top, panel)
        key = (area, self.question, self.question_final, self.answer, self.language)
        if key != self._layout_key:
            self._layout(*area)
            self._layout_key = key

    def destroy(self) -> None:
        self.close_chips()
        self.button.destroy()
        self.question_text.destroy()
        self.answer_text.destroy()
        self.accent.destroy()
        self.caption.destroy()


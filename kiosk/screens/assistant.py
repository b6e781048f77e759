"""智能助手: the robot assistant's conversation on the kiosk.

Visitors ask by voice (the microphone button, where a microphone and a speech model exist) or by tapping a
suggested question — a touch kiosk has no keyboard for Chinese. What they asked and what the assistant
answers appear as bubbles; every spoken answer is also shown as text. The screen only publishes a final
``Transcript`` and renders the events that come back: the assistant service decides, the speaker worker
speaks, and the app acts on GuideTo / OpenScreen / SignInRequested.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from core.events import Answer, Event, Speak, StopSpeaking, Transcript
from kiosk.context import KioskContext
from kiosk.ui.drawing import draw_text, line_height, measurer
from kiosk.ui.layout import split_rows, take_bottom, take_left, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import wrap_text
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.label import Label
from kiosk.ui.widgets.scroll_list import ScrollList

#: Messages kept in a conversation (both sides). A visitor who keeps asking without a pause long enough for the
#: idle timeout would otherwise grow the history, and the cost of re-wrapping it on every message, without end.
MAX_MESSAGES = 40

STARTERS_ZH = ("什么是三会一课", "党费怎么计算", "展厅几点开放", "怎么刷脸签到", "带我去北斗科技馆", "看看新闻")
STARTERS_EN = ("What is three meetings and one lesson?", "How are party dues calculated?",
               "When is the hall open?", "How do I sign in by face?", "Take me to the BeiDou room", "Show me the news")


@dataclass(frozen=True)
class BubbleLine:
    text: str
    who: str  # "me" | "bot" | "live"
    first: bool
    last: bool


class Conversation(ScrollList):
    """Bubbles as rows of wrapped lines: the visitor's on the right, the assistant's on the left."""

    def __init__(self, rect, theme) -> None:
        self.line_h = line_height(theme.font("body"), 1.35)
        super().__init__(rect, theme, [], row_height=self.line_h, render_row=self._render, empty_text="")
        self.messages: list[tuple[str, str]] = []
        self.live = ""

    def add(self, who: str, text: str) -> None:
        self.messages.append((who, text))
        del self.messages[:-MAX_MESSAGES]
        self.live = ""
        self._rebuild()

    def set_live(self, text: str) -> None:
        self.live = text
        self._rebuild()

    def _rebuild(self) -> None:
        font = self.theme.font("body")
        width = int(self.rect.w * 0.72) - 2 * self.theme.spacing.pad
        rows: list[object] = [None]
        shown = [*self.messages, *([("live", self.live + " …")] if self.live else [])]
        for who, text in shown:
            lines = [x for para in text.split("\n") for x in wrap_text(para, width, measurer(font))] or [""]
            rows += [BubbleLine(line, who, i == 0, i == len(lines) - 1) for i, line in enumerate(lines)]
            rows.append(None)
        self.set_items(rows, keep_offset=True)
        self.offset = self.max_offset  # newest at the bottom, in view

    def _render(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object, pressed: bool) -> None:
        if not isinstance(item, BubbleLine):
            return
        th, p = self.theme, self.theme.palette
        font = th.font("body")
        pad = th.spacing.pad
        width = int(self.rect.w * 0.72)
        colours = {"me": (p.red, p.on_red), "bot": (p.surface_pressed, p.ink), "live": (p.bg, p.ink_muted)}
        fill, ink = colours[item.who]
        box = pygame.Rect(0, rect.y, width, rect.h)
        box.x = rect.right - width - pad if item.who != "bot" else rect.x + pad
        radius = th.spacing.radius
        pygame.draw.rect(surface, fill, box, border_top_left_radius=radius if item.first else 0,
                         border_top_right_radius=radius if item.first else 0,
                         border_bottom_left_radius=radius if item.last else 0,
                         border_bottom_right_radius=radius if item.last else 0)
        draw_text(surface, font, item.text, (box.x + pad, rect.centery), ink, anchor="midleft")


class AssistantScreen(Screen):
    # A conversation takes longer than browsing: stay a while before the attract loop.
    idle_seconds = 120

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__("assistant")
        self.ctx = ctx
        self.title = ctx.t("智能助手", "Assistant")
        self.history: list[tuple[str, str]] = ctx.visitor.state.setdefault("assistant.history", [])
        self.suggestions: list[str] = []
        self.listening = False
        self._answered: list[str] = []
        """Ids of the questions whose Answer is on screen (their Speak is not shown again)."""

    def build(self) -> None:
        th, ctx = self.theme, self.ctx
        pad, gap = th.spacing.pad, th.spacing.gap
        area = self.rect.inflate(-2 * pad, -2 * pad)
        if th.portrait:
            chat, side = take_top(area, int(area.h * 0.58), gap)
        else:  # conversation on the left, microphone and suggestions on the right
            chat, side = take_left(area, int(area.w * 0.64), gap)
        self.chat = self.add(Conversation(chat, th))
        self.chat.messages.extend(self.history[-MAX_MESSAGES:])
        if not self.history:
            self.chat.messages.append(("bot", ctx.t("您好！我是智慧党建助手。请点下面的问题，或按住话筒说话。",
                                                    "Hello! I'm the party-building assistant. Tap a question below, "
                                                    "or hold the microphone and speak.")))
        self.chat._rebuild()
        mic_area, rest = take_top(side, th.spacing.target * 2, gap)
        listen = ctx.actions.get("listen")
        mic_text = (ctx.t("按住说话", "Hold to talk") if listen is not None
                    else ctx.t("语音不可用：未接麦克风或未装语音模型", "Voice off: no microphone or speech model"))
        self.mic = self.add(Button(mic_area, th, mic_text, None, enabled=listen is not None,
                                   on_long_press=self._start_listening))
        status, chips_area = take_top(rest, th.spacing.target, gap)
        self.status = self.add(Label(status, th, ctx.t("可以问我：", "You can ask:"), role="small",
                                     color=th.palette.ink_muted))
        stop_area, chips_area = take_bottom(chips_area, th.spacing.target, gap)
        self.add(Button(stop_area, th, ctx.t("停止播报", "Stop speaking"), self._stop_speaking, kind="quiet"))
        texts = self.suggestions or list(STARTERS_EN if ctx.lang == "en" else STARTERS_ZH)
        count = max(1, min(len(texts), chips_area.h // (th.spacing.target + gap)))
        for rect, text in zip(split_rows(chips_area, [1] * count, gap), texts[:count], strict=False):
            self.add(Button(rect, th, text, lambda t=text: self.ask(t), kind="secondary", role="body"))

    # -- input -----------------------------------------------------------------------------------
    def ask(self, text: str) -> None:
        """A tapped question goes the same way as a spoken one: a final transcript on the bus."""
        self.ctx.terminal.bus.publish(Transcript(text, "en" if self.ctx.lang == "en" else "zh", final=True))

    def _start_listening(self) -> None:
        listen = self.ctx.actions.get("listen")
        if listen is not None:
            self.listening = True
            listen(True)
            self.status.set_text(self.ctx.t("正在听…松开结束", "Listening… release to finish"))

    def handle(self, gesture) -> bool:
        used = super().handle(gesture)
        if self.listening and type(gesture).__name__ in ("Up", "Cancel"):
            self.listening = False
            self.ctx.actions["listen"](False)
            self.status.set_text(self.ctx.t("正在识别…", "Recognising…"))
        return used

    def _stop_speaking(self) -> None:
        self.ctx.terminal.bus.publish(StopSpeaking())

    # -- events from the app ---------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        if isinstance(event, Transcript):
            if not event.final:
                self.chat.set_live(event.text)
                return
            self._say("me", event.text)
        elif isinstance(event, Answer):
            self._say("bot", event.text)
            if event.in_reply_to:
                self._answered.append(event.in_reply_to)
                del self._answered[:-MAX_MESSAGES]
            if event.suggestions:
                self.suggestions = list(event.suggestions)
                self.layout(self.rect)
        elif isinstance(event, Speak) and not (event.in_reply_to and event.in_reply_to in self._answered):
            # The voice of an answer already shown replies to the same question: shown once. Anything
            # else spoken (a guide's confirmation, "没听清") is shown as it is said.
            self._say("bot", event.text)

    def _say(self, who: str, text: str) -> None:
        self.history.append((who, text))
        del self.history[:-MAX_MESSAGES]
        self.chat.add(who, text)
        if who == "bot":
            self.status.set_text(self.ctx.t("可以继续问我：", "Ask me more:"))


SCREENS = {"assistant": AssistantScreen}

"""The exhibit information overlay: title, scrollable story, 中文/English toggle, read aloud, close.

Shown when a visitor taps an exhibit, stops in front of one, or arrives on a guided walk. It sits on
the right half of a landscape screen (the exhibit stays visible on the left) and across the lower
part of a portrait screen. The story scrolls with a wide scroll bar and page buttons — no hover,
no small targets. Contents are rebuilt on every show: a few widgets, well under a frame's time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectFrame, DirectScrolledFrame
from direct.gui.OnscreenText import OnscreenText
from panda3d.core import NodePath, TextNode

from vr_hall import ui
from vr_hall.scene import Exhibit, Scene
from vr_hall.text3d import rows, shown, wrap_cjk

LABELS = {
    "zh": {"close": "关闭", "speak": "朗读", "other": "English", "up": "上页", "down": "下页", "room": "展区"},
    "en": {"close": "Close", "speak": "Read aloud", "other": "中文", "up": "Up", "down": "Down", "room": "Room"},
}


class InfoPanel:
    """``on_speak(exhibit, lang)`` asks for narration; ``on_close()`` tells the hall it was closed."""

    def __init__(self, scene: Scene, font: Any, parent: NodePath, *, portrait: bool = False,
                 on_speak: Callable[[Exhibit, str], None] | None = None,
                 on_close: Callable[[], None] | None = None):
        self.scene = scene
        self.font = font
        self.parent = parent
        self.portrait = portrait
        self.on_speak = on_speak or (lambda _e, _l: None)
        self.on_close = on_close or (lambda: None)
        self.exhibit: Exhibit | None = None
        self.language = "zh"
        self.root: DirectFrame | None = None
        self.scroller: DirectScrolledFrame | None = None
        self.title_text: OnscreenText | None = None

    @property
    def visible(self) -> bool:
        return self.root is not None and not self.root.isHidden()

    def show(self, exhibit: Exhibit, language: str | None = None) -> None:
        self.exhibit = exhibit
        if language:
            self.language = language
        self._rebuild()

    def hide(self) -> None:
        if self.root is not None:
            self.root.destroy()
            self.root = None
            self.scroller = None
            self.title_text = None
        self.exhibit = None

    def close(self) -> None:
        self.hide()
        self.on_close()

    def toggle_language(self) -> None:
        self.language = "en" if self.language == "zh" else "zh"
        if self.exhibit is not None:
            self._rebuild()

    def scroll(self, pages: float) -> None:
        """Scroll by ``pages`` (negative = up); the scroll bar's value runs 0 (top) … 1 (bottom)."""
        if self.scroller is None:
            return
        bar = self.scroller.verticalScroll
        lo, hi = bar["range"]
        page = bar["pageSize"] or 0.25
        bar.setValue(min(hi, max(lo, bar.getValue() + pages * page)))

    bottom_portrait = 2 * ui.TARGET + ui.GAP + 24 + 20
    """Reference px from the bottom of a portrait screen to the panel's lower edge."""

    def covered_width(self) -> float:
        """Reference px of the screen's right side the panel covers (landscape)."""
        return self._size()[0] + 24

    def covered_height(self) -> float:
        """Reference px of the screen's bottom the panel covers (portrait)."""
        return self._size()[1] + self.bottom_portrait

    @property
    def scroll_value(self) -> float:
        return self.scroller.verticalScroll.getValue() if self.scroller is not None else 0.0

    # ------------------------------------------------------------------------------------- layout

    def _size(self) -> tuple[float, float]:
        """Panel width, height in reference px."""
        return (1032.0, 780.0) if self.portrait else (820.0, 800.0)

    def _rebuild(self) -> None:
        e = self.exhibit
        assert e is not None
        if self.root is not None:
            self.root.destroy()
        lang = self.language
        labels = LABELS[lang]
        w, h = self._size()
        px = ui.px
        self.root = DirectFrame(parent=self.parent, frameColor=ui.WARM_WHITE, frameSize=(px(-w / 2), px(w / 2),
                                px(-h / 2), px(h / 2)), state=DGG.NORMAL, suppressMouse=1)
        self.root.setName("info-panel")
        if self.portrait:  # above the movement pad, the exhibit stays visible at the top
            self.root.setPos(0, 0, px(h / 2 + self.bottom_portrait))
        else:  # between the exit button above and the button row below
            self.root.setPos(px(-w / 2 - 24), 0, 0)
        margin = 28
        # header: title (wrapped), the other language's title beneath it
        title = e.text("title", lang)
        subtitle = e.title_en if lang == "zh" else e.title_zh
        title = wrap_cjk(title, self.font, (w - 2 * margin - 150) / ui.TITLE)
        header = margin + rows(title) * ui.TITLE * 1.2 + 44 + 18
        DirectFrame(parent=self.root, frameColor=ui.RED, frameSize=(px(-w / 2), px(w / 2), px(h / 2 - header),
                                                                   px(h / 2)))
        DirectFrame(parent=self.root, frameColor=ui.GOLD, frameSize=(px(-w / 2), px(w / 2),
                                                                    px(h / 2 - header - 6), px(h / 2 - header)))
        top = h / 2 - margin - ui.TITLE * 0.9
        self.title_text = OnscreenText(parent=self.root, text=title, font=self.font, scale=px(ui.TITLE),
                                       fg=ui.GOLD, align=TextNode.ALeft,
                                       pos=(px(-w / 2 + margin), px(top)), mayChange=True)
        OnscreenText(parent=self.root, text=shown(subtitle, self.font), font=self.font, scale=px(28), fg=ui.WARM_WHITE,
                     align=TextNode.ALeft, pos=(px(-w / 2 + margin), px(h / 2 - header + 22)))
        ui.button(self.root, labels["close"], self.font, w / 2 - 16 - 60, h / 2 - 16 - 44, w=120, h=88,
                  command=self.close, colour=ui.RED_DARK, name="info-close")
        # body: scrollable story
        buttons_h = ui.TARGET + 2 * ui.GAP
        body_top = h / 2 - header - 6
        body_bottom = -h / 2 + buttons_h
        room = next((r for r in self.scene.rooms if r.id == e.room), None)
        room_name = (room.name_zh if lang == "zh" else room.name_en) if room else e.room
        body = f"{labels['room']}: {room_name}   {e.id.upper()}\n\n{e.text('description', lang)}"
        narration = e.text("narration", lang)
        if narration:
            body += f"\n\n“{narration}”" if lang == "zh" else f'\n\n"{narration}"'
        bar_w = 56
        text_w = w - 2 * margin - bar_w - 12
        body = wrap_cjk(body, self.font, text_w / ui.BODY)
        nrows = rows(body)
        line = ui.BODY * self.font.getLineHeight()
        canvas_h = max(body_top - body_bottom, nrows * line + 2 * margin)
        self.scroller = DirectScrolledFrame(
            parent=self.root, frameColor=ui.WARM_WHITE,
            frameSize=(px(-w / 2), px(w / 2), px(body_bottom), px(body_top)),
            canvasSize=(px(-w / 2), px(w / 2 - bar_w - 4), px(body_top - canvas_h), px(body_top)),
            scrollBarWidth=px(bar_w), manageScrollBars=True, autoHideScrollBars=True,
            verticalScroll_frameColor=(0.88, 0.84, 0.78, 1), verticalScroll_thumb_frameColor=ui.RED,
            verticalScroll_incButton_frameColor=(0.8, 0.75, 0.7, 1),
            verticalScroll_decButton_frameColor=(0.8, 0.75, 0.7, 1),
            horizontalScroll_frameColor=(0, 0, 0, 0))
        self.scroller.setName("info-body")
        OnscreenText(parent=self.scroller.getCanvas(), text=body, font=self.font, scale=px(ui.BODY), fg=ui.INK,
                     align=TextNode.ALeft, pos=(px(-w / 2 + margin), px(body_top - margin - ui.BODY)))
        # bottom row
        y = -h / 2 + ui.GAP + ui.TARGET / 2
        x = -w / 2 + margin
        specs = [(labels["other"], 170, self.toggle_language, ui.RED_DARK, "info-lang"),
                 (labels["speak"], 200 if lang == "en" else 150, lambda: self.on_speak(e, self.language), ui.RED,
                  "info-speak"),
                 (labels["up"], 120, lambda: self.scroll(-1), (0.45, 0.36, 0.3, 1), "info-up"),
                 (labels["down"], 120, lambda: self.scroll(1), (0.45, 0.36, 0.3, 1), "info-down")]
        for label, bw, cmd, colour, name in specs:
            ui.button(self.root, label, self.font, x + bw / 2, y, w=bw, command=cmd, colour=colour, name=name)
            x += bw + ui.GAP


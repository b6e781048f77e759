"""On-screen controls of the hall, made for fingers: a movement pad, tour / map / language buttons,
exit, the tour bar and the narration subtitle.

Movement buttons act while held (press starts walking or turning, release stops), and a short tap
still moves a step; every other button acts on release inside it, like the kiosk's. The HUD only
reports actions — ``on_action(name, pressed)`` — the hall decides what they do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from direct.gui import DirectGuiGlobals as DGG
from direct.gui.DirectGui import DirectButton, DirectFrame
from direct.gui.OnscreenText import OnscreenText
from direct.showbase.ShowBase import ShowBase
from panda3d.core import TextNode

from vr_hall import ui
from vr_hall.text3d import wrap_cjk

LABELS = {
    "zh": {"forward": "前进", "back": "后退", "left": "左转", "right": "右转", "tour": "导览", "map": "地图",
           "lang": "English", "exit": "退出", "pause": "暂停", "resume": "继续", "next": "下一个",
           "stop": "结束导览"},
    "en": {"forward": "Forward", "back": "Back", "left": "Left", "right": "Right", "tour": "Tour", "map": "Map",
           "lang": "中文", "exit": "Exit", "pause": "Pause", "resume": "Resume", "next": "Next",
           "stop": "End tour"},
}
HOLD = ("forward", "back", "left", "right")

Action = Callable[[str, bool], None]


class Hud:
    def __init__(self, base: ShowBase, font: Any, on_action: Action, *, portrait: bool = False,
                 title: str = "", language: str = "zh"):
        self.base = base
        self.font = font
        self.on_action = on_action
        self.portrait = portrait
        self.language = language
        self.buttons: dict[str, DirectButton] = {}
        self.root = base.aspect2d.attachNewNode("hud")
        w, h, gap = 160, ui.TARGET, ui.GAP
        # movement pad, bottom left
        x0, y0 = 24 + w / 2, 24 + h / 2
        pad = {"left": (x0, y0), "back": (x0 + w + gap, y0), "right": (x0 + 2 * (w + gap), y0),
               "forward": (x0 + w + gap, y0 + h + gap)}
        for name, (x, y) in pad.items():
            b = ui.button(base.a2dBottomLeft, "", font, x, y, w=w, name=f"hud-{name}", colour=(0.25, 0.2, 0.2, 0.88))
            b.bind(DGG.B1PRESS, lambda _p, n=name: self.on_action(n, True))
            b.bind(DGG.B1RELEASE, lambda _p, n=name: self.on_action(n, False))
            self.buttons[name] = b
        # tour / map / language, bottom right (portrait: one row up, beside 前进)
        y_right = y0 + h + gap if portrait else y0
        for k, name in enumerate(("lang", "map", "tour")):
            x = -(24 + w / 2 + k * (w + gap))
            colour = ui.RED if name == "tour" else ui.RED_DARK
            self.buttons[name] = ui.button(base.a2dBottomRight, "", font, x, y_right, w=w, colour=colour,
                                           command=lambda n=name: self.on_action(n, True), name=f"hud-{name}")
        self.buttons["exit"] = ui.button(base.a2dTopRight, "", font, -(24 + 70), -(24 + h / 2), w=140,
                                         colour=ui.RED, command=lambda: self.on_action("exit", True),
                                         name="hud-exit")
        # title and tour bar, top centre
        self.title = OnscreenText(parent=base.a2dTopCenter, text=title, font=font, scale=ui.px(40), fg=ui.WARM_WHITE,
                                  shadow=(0, 0, 0, 0.8), pos=(0, ui.px(-70)), align=TextNode.ACenter, mayChange=True)
        if portrait:  # the map and the exit button fill the top of a narrow screen
            self.title.hide()
        # tour bar: progress and stop title on top, pause / next / end below; in portrait it goes
        # under the compact map, in landscape between the map and the exit button
        half = 400
        self.tour_bar = DirectFrame(parent=base.a2dTopCenter, frameColor=(0.1, 0.06, 0.06, 0.82),
                                    frameSize=(ui.px(-half), ui.px(half), ui.px(-204), ui.px(0)),
                                    pos=(0, 0, ui.px(-290 if portrait else -24)), state=DGG.NORMAL, suppressMouse=1)
        self.tour_text = OnscreenText(parent=self.tour_bar, text="", font=font, scale=ui.px(32), fg=ui.GOLD,
                                      pos=(ui.px(-half + 20), ui.px(-52)), align=TextNode.ALeft, mayChange=True)
        x = -half + 20
        for name, bw in (("pause", 170), ("next", 190), ("stop", 230)):
            self.buttons[name] = ui.button(self.tour_bar, "", font, x + bw / 2, -80 - ui.TARGET / 2 + 4, w=bw,
                                           command=lambda n=name: self.on_action(n, True), name=f"hud-{name}",
                                           colour=ui.RED if name == "pause" else ui.RED_DARK)
            x += bw + gap
        self.tour_bar.hide()
        # narration subtitle, bottom centre
        # landscape: between the movement pad and the right-hand buttons; portrait: above them
        self.subtitle_half_width = 500 if portrait else 400
        self.subtitle_bottom = 24 + 2 * ui.TARGET + 2 * ui.GAP if portrait else 24
        self.subtitle = DirectFrame(parent=base.a2dBottomCenter, frameColor=(0.05, 0.03, 0.03, 0.78),
                                    frameSize=(ui.px(-400), ui.px(400), ui.px(-60), ui.px(60)))
        self.subtitle_text = OnscreenText(parent=self.subtitle, text="", font=font, scale=ui.px(ui.BODY + 2),
                                          fg=ui.WARM_WHITE, align=TextNode.ACenter, mayChange=True)
        self.subtitle.hide()
        self._subtitle_top = 0.0
        self.set_language(language)

    def set_language(self, language: str) -> None:
        self.language = language
        labels = LABELS[language]
        for name, b in self.buttons.items():
            if name in labels:
                b["text"] = labels[name]
        self.buttons["lang"]["text"] = labels["lang"]

    def set_paused(self, paused: bool) -> None:
        self.buttons["pause"]["text"] = LABELS[self.language]["resume" if paused else "pause"]

    def show_tour(self, name: str, index: int, count: int, stop_title: str) -> None:
        self.tour_bar.show()
        self.title.hide()
        text = f"{name} {index}/{count} · {stop_title}"
        if len(text) > 24:
            text = text[:23] + "…"
        self.tour_text.setText(text)

    def hide_tour(self) -> None:
        self.tour_bar.hide()
        if not self.portrait:
            self.title.show()

    def show_subtitle(self, text: str) -> None:
        hw = self.subtitle_half_width
        size = ui.BODY + 2
        text = wrap_cjk(text, self.font, (2 * hw - 40) / size)
        self.subtitle_text.setText(text)
        rows = text.count("\n") + 1
        half = rows * size * self.font.getLineHeight() / 2 + 16
        self.subtitle["frameSize"] = (ui.px(-hw), ui.px(hw), ui.px(-half), ui.px(half))
        self.subtitle.setPos(0, 0, ui.px(self.subtitle_bottom + half))
        self.subtitle_text.setPos(0, ui.px(half - 16 - size * 0.95))
        self._subtitle_top = self.subtitle_bottom + 2 * half
        self.subtitle.show()

    @property
    def subtitle_top(self) -> float | None:
        """Reference px from the bottom of the screen to the top of the narration bar; None when hidden."""
        return None if self.subtitle.isHidden() else self._subtitle_top

    def hide_subtitle(self) -> None:
        self.subtitle.hide()

    def destroy(self) -> None:
        for b in self.buttons.values():
            b.destroy()
        self.tour_bar.destroy()
        self.subtitle.destroy()
        self.title.destroy()
        self.root.removeNode()

"""The loading card: what the hall's window shows while the scene is still being built.

``launcher.py hall`` opens its window before building (the child process prewarms without one and
needs none): a dark screen with the hall's title, 正在加载…, a progress bar, the percentage and the
current step (the room being built). :meth:`LoadingCard.update` draws a frame at once — the build
runs on the same thread, so nothing else would. The card sits in ShowBase's ``gui-popup`` bin, over
everything else in the 2-D overlay.
"""

from __future__ import annotations

from typing import Any

from direct.gui.DirectGui import DirectFrame
from direct.gui.OnscreenText import OnscreenText
from direct.showbase.ShowBase import ShowBase
from panda3d.core import TextNode

from vr_hall import ui
from vr_hall.text3d import wrap_cjk

LABELS = {"zh": "正在加载…", "en": "Loading…"}
BACKGROUND = (0.11, 0.035, 0.04, 1.0)
CARD = (0.05, 0.03, 0.03, 0.92)
TRACK = (0.32, 0.22, 0.2, 1.0)
BAR = ui.GOLD
BAR_HALF = 400
"""Half the bar's width, reference px."""
BAR_HEIGHT = 28


class LoadingCard:
    """Full-screen loading card on ``base``'s aspect2d (the window must be open)."""

    def __init__(self, base: ShowBase, font: Any, title: str, *, language: str = "zh"):
        self.base = base
        self.font = font
        self.fraction = 0.0
        self.message = ""
        self.frames = 0
        px = ui.px
        self.root = base.aspect2d.attachNewNode("loading-card")
        self.root.setBin("gui-popup", 0)  # unsorted: drawn in scene-graph order, after the rest of render2d
        big = 4.0  # the background covers any aspect ratio (aspect2d units)
        self.background = DirectFrame(parent=self.root, frameColor=BACKGROUND, frameSize=(-big, big, -big, big))
        self.background.setName("loading-background")
        w, top, bottom = 1000, 190, -150
        self.card = DirectFrame(parent=self.root, frameColor=CARD, frameSize=(px(-w / 2), px(w / 2), px(bottom),
                                                                              px(top)))
        self.card.setName("loading-panel")
        self.accent = DirectFrame(parent=self.card, frameColor=ui.RED,
                                  frameSize=(px(-w / 2), px(w / 2), px(top - 10), px(top)))
        self.title = OnscreenText(parent=self.card, text=title, font=font, scale=px(ui.TITLE), fg=ui.GOLD,
                                  align=TextNode.ACenter, pos=(0, px(100)), mayChange=True)
        self.subtitle = OnscreenText(parent=self.card, text=LABELS.get(language, LABELS["zh"]), font=font,
                                     scale=px(ui.BODY + 4), fg=ui.WARM_WHITE, align=TextNode.ACenter,
                                     pos=(0, px(35)), mayChange=True)
        y = -30
        self.track = DirectFrame(parent=self.card, frameColor=TRACK,
                                 frameSize=(px(-BAR_HALF), px(BAR_HALF), px(y - BAR_HEIGHT / 2), px(y + BAR_HEIGHT / 2)))
        self.track.setName("loading-track")
        self.bar = DirectFrame(parent=self.card, frameColor=BAR,
                               frameSize=(0, px(2 * BAR_HALF), px(y - BAR_HEIGHT / 2), px(y + BAR_HEIGHT / 2)),
                               pos=(px(-BAR_HALF), 0, 0))
        self.bar.setName("loading-bar")
        self.percent = OnscreenText(parent=self.card, text="0%", font=font, scale=px(ui.BODY), fg=ui.GOLD,
                                    align=TextNode.ARight, pos=(px(BAR_HALF), px(y - BAR_HEIGHT / 2 - 44)),
                                    mayChange=True)
        self.step = OnscreenText(parent=self.card, text="", font=font, scale=px(ui.BODY), fg=ui.WARM_WHITE,
                                 align=TextNode.ALeft, pos=(px(-BAR_HALF), px(y - BAR_HEIGHT / 2 - 44)),
                                 mayChange=True)
        self.set_progress(0.0, "")

    def bar_rect(self) -> tuple[float, float, float, float]:
        """The bar's track in render2d units (-1…1): left, right, bottom, top (for tests)."""
        return ui.frame_rect(self.track, self.base.render2d)

    def set_progress(self, fraction: float, message: str) -> None:
        """Show ``fraction`` (0…1) and the step's ``message`` (drawn with the next frame)."""
        self.fraction = min(1.0, max(0.0, fraction))
        self.message = message
        if self.fraction <= 0.0:
            self.bar.hide()
        else:
            self.bar.show()
            self.bar.setSx(self.fraction)
        self.percent.setText(f"{self.fraction:.0%}")
        self.step.setText(wrap_cjk(message, self.font, (2 * BAR_HALF - 110) / ui.BODY, max_lines=1))

    def update(self, fraction: float, message: str) -> None:
        """Show the progress and draw a frame now (a Progress callback)."""
        self.set_progress(fraction, message)
        self.base.graphicsEngine.renderFrame()
        self.frames += 1

    def destroy(self) -> None:
        for item in (self.title, self.subtitle, self.percent, self.step, self.bar, self.track, self.accent,
                     self.card,
                     self.background):
            item.destroy()
        self.root.removeNode()


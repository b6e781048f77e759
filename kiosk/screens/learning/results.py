"""After a quiz: :class:`ResultScreen` (score, pass/fail, points and a review list) and
:class:`ReviewScreen` (one question with the right answer, yours and the explanation)."""

from __future__ import annotations

from collections.abc import Callable

import pygame

from core.models import QuizQuestion
from core.quiz import EXAM_PASS, Quiz, is_correct
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import (
    KIND_EN,
    KIND_ZH,
    LETTERS,
    MODE_EN,
    MODE_ZH,
    _answer_text,
    _option_texts,
    correct_options,
    given_options,
)
from kiosk.screens.learning.widgets import Run, TextBlock, draw_mark, runs_height
from kiosk.ui.drawing import draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, split_columns, split_rows, take_bottom, take_left, take_top
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize
from kiosk.ui.widgets import Button, Donut, Label, ScrollList


class ResultScreen(CardScreen):
    """Score, passed or not, points earned and a review list (tap a row for its explanation)."""

    def __init__(self, ctx: KioskContext, quiz: Quiz, *, points: int = 0, member_name: str | None = None,
                 result_id: int | None = None, timed_out: bool = False,
                 again: Callable[[], Screen] | None = None) -> None:
        super().__init__(ctx, "quiz_result")
        self.quiz = quiz
        self.again = again
        """Makes the next quiz for "再练一组 / 再考一次" (given by the quiz screen: this module imports none)."""
        self.points = points
        self.member_name = member_name
        self.result_id = result_id
        self.timed_out = timed_out
        self.title = ctx.t("答题结果", "Results")
        self.review: ScrollList | None = None
        self.summary: TextBlock | None = None
        self.again_button: Button | None = None

    @property
    def score(self) -> int:
        return self.quiz.score

    @property
    def total(self) -> int:
        return len(self.quiz.questions)

    def summary_runs(self) -> list[Run]:
        t = self.theme
        assert t is not None
        p = t.palette
        ctx = self.ctx
        quiz = self.quiz
        exam = quiz.mode == "exam"
        runs = [Run(ctx.t(f"{MODE_ZH[quiz.mode]}成绩", f"{MODE_EN[quiz.mode]} result"), "title", True, p.red),
                Run(ctx.t(f"答对 {self.score} / {self.total} 题", f"{self.score} of {self.total} correct"),
                    "heading", True, gap_before=t.spacing.unit)]
        if exam:
            passed = quiz.passed()
            runs.append(Run(ctx.t("考试通过" if passed else f"未通过（{round(EXAM_PASS * 100)}% 及格）",
                                  "Passed" if passed else f"Not passed ({round(EXAM_PASS * 100)}% needed)"),
                            "title", True, p.ok.text if passed else p.bad.text, gap_before=t.spacing.unit,
                            mark="ok" if passed else "bad"))
        if self.timed_out:
            runs.append(Run(ctx.t("时间到，已自动交卷", "Time was up: handed in automatically"), "body",
                            color=p.warn.text, gap_before=t.spacing.unit))
        if self.member_name:
            runs.append(Run(ctx.t(f"{self.member_name}，本次获得 {self.points} 积分",
                                  f"{self.member_name}: +{self.points} points"), "title", True, p.gold_dark,
                            gap_before=t.spacing.gap))
        else:
            runs.append(Run(ctx.t("未登录，本次成绩不计积分", "Not signed in: no points this time"), "body",
                            color=p.ink_muted, gap_before=t.spacing.gap))
        return runs

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        area = inset(self.rect, sp.pad)
        fraction = self.score / self.total if self.total else 0.0
        color = p.ok.fill if (self.quiz.passed() if self.quiz.mode == "exam" else fraction >= EXAM_PASS) else p.red
        btn_h = sp.target
        runs = self.summary_runs()
        if t.portrait:
            donut_d = round(area.w * 0.3)
            text_w = area.w - 2 * sp.pad - donut_d - sp.gap * 2
            top_h = max(donut_d, runs_height(t, runs, text_w)) + btn_h + sp.gap + 2 * sp.pad
            top, rest = take_top(area, top_h, sp.gap)
            self.cards.append(top)
            inner = inset(top, sp.pad)
            buttons, inner = take_bottom(inner, btn_h, sp.gap)
            donut_rect, text_rect = take_left(inner, donut_d, sp.gap * 2)
            list_area = rest
        else:
            left, list_area = split_columns(area, [1, 1.7], sp.gap * 2)
            self.cards.append(left)
            inner = inset(left, sp.pad)
            buttons, inner = take_bottom(inner, btn_h * 2 + sp.gap, sp.gap * 2)
            text_rect, donut_rect = take_bottom(inner, runs_height(t, runs, inner.w), sp.gap)
        self.add(Donut(donut_rect, t, fraction, center_text=f"{round(fraction * 100)}%", color=color,
                       background=p.surface))
        self.summary = self.add(TextBlock(text_rect, t, runs,
                                          valign="center" if t.portrait else "top",
                                          align="left" if t.portrait else "center"))
        cells = split_columns(buttons, [1, 1], sp.gap) if t.portrait else split_rows(buttons, [1, 1], sp.gap)
        again = ctx.t("再考一次", "New exam") if self.quiz.mode == "exam" else ctx.t("再练一组", "Practise again")
        self.again_button = self.add(Button(cells[0], t, again, self._again))
        self.add(Button(cells[1], t, ctx.t("返回学习考试", "Back to learning"), self._back, kind="secondary"))
        head, list_rect = take_top(list_area, line_height(t.font("title", True)), sp.gap)
        self.add(Label(head, t, ctx.t("答题回顾 · 点击题目查看解析", "Review · tap a question for its explanation"),
                       role="title", bold=True))
        self.review = self.add(ScrollList(list_rect, t, list(self.quiz.questions), row_height=sp.row,
                                          on_select=self._open, render_row=self._render_row))

    def _render_row(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object,
                    pressed: bool) -> None:
        t = self.theme
        assert t is not None and isinstance(item, QuizQuestion)
        p = t.palette
        if pressed:
            surface.fill(p.surface_pressed, rect)
        ok = is_correct(item, self.quiz.answers.get(item.code))
        pad = t.spacing.pad // 2 + t.spacing.unit
        d = round(t.type.title * 1.1)
        draw_mark(surface, (rect.x + pad + d // 2, rect.centery), d, ok, t)
        x = rect.x + pad + d + t.spacing.gap
        tf = t.font("small")
        trailing = self.ctx.t("解析 ›", "Why ›")
        right = rect.right - pad - t.spacing.unit
        draw_text(surface, tf, trailing, (right, rect.centery), p.red, "midright")
        right -= text_width(tf, trailing) + t.spacing.gap
        bf = t.font("body", True)
        title = self.ctx.t(f"第{index + 1}题  ", f"Q{index + 1}  ") + self.ctx.t(
            item.question_zh, item.question_en or item.question_zh)
        sub = (self.ctx.t("回答正确", "Correct") if ok else
               self.ctx.t("你的答案：", "Yours: ") + _answer_text(self.ctx, item,
                                                                given_options(item, self.quiz.answers.get(item.code))))
        h = line_height(bf) + line_height(tf)
        top = rect.centery - h // 2
        width = max(0, right - x)
        draw_text(surface, bf, ellipsize(title, width, measurer(bf)), (x, top), p.ink)
        draw_text(surface, tf, ellipsize(sub, width, measurer(tf)), (x, top + line_height(bf)),
                  p.ok.text if ok else p.bad.text)
        pygame.draw.line(surface, p.divider, (rect.x + pad, rect.bottom - 1), (rect.right - pad, rect.bottom - 1))

    def _open(self, index: int) -> None:
        if self.nav is not None and 0 <= index < self.total:
            q = self.quiz.questions[index]
            self.nav.push(ReviewScreen(self.ctx, q, self.quiz.answers.get(q.code), index, self.total))

    def _again(self) -> None:
        if self.nav is not None and self.again is not None:
            self.nav.replace(self.again())

    def _back(self) -> None:
        if self.nav is not None and not self.nav.pop():
            self.nav.home()


class ReviewScreen(CardScreen):
    """One question after the quiz: the options marked, your answer, the right one and the explanation."""

    def __init__(self, ctx: KioskContext, question: QuizQuestion, given: list[int] | bool | None, index: int,
                 total: int) -> None:
        super().__init__(ctx, "quiz_review")
        self.question = question
        self.given = given
        self.index = index
        self.total = total
        self.title = ctx.t("题目解析", "Explanation")
        self.doc: DocumentView | None = None

    def document(self) -> tuple[str, str, str]:
        ctx = self.ctx
        q = self.question
        ok = is_correct(q, self.given)
        title = ctx.t(f"第 {self.index + 1} 题 · " + ("回答正确" if ok else "回答错误"),
                      f"Question {self.index + 1} · " + ("correct" if ok else "wrong"))
        meta = ctx.t(KIND_ZH.get(q.kind, q.kind), KIND_EN.get(q.kind, q.kind)) + f" · {self.index + 1}/{self.total}"
        right, mine = correct_options(q), given_options(q, self.given)
        parts = [ctx.t(q.question_zh, q.question_en or q.question_zh)]
        texts = _option_texts(ctx, q)
        if q.kind != "truefalse":
            parts.append("\n".join(f"{LETTERS[i]}. {s}" for i, s in enumerate(texts)))
        parts.append(ctx.t("正确答案：", "Answer: ") + _answer_text(ctx, q, right))
        parts.append(ctx.t("你的答案：", "Yours: ") + _answer_text(ctx, q, mine))
        parts.append(ctx.t("解析：", "Why: ") + ctx.t(q.explanation_zh, q.explanation_en or q.explanation_zh))
        if ctx.lang != "en" and q.explanation_en:
            parts.append(q.explanation_en)
        return title, meta, "\n\n".join(parts)

    def build(self) -> None:
        t = self.theme
        assert t is not None
        area = inset(self.rect, t.spacing.pad)
        if not t.portrait:
            w = min(area.w, round(1400 * t.scale))
            area = pygame.Rect(area.centerx - w // 2, area.y, w, area.h)
        title, meta, body = self.document()
        self.doc = self.add(DocumentView(area, t, title=title, meta=meta, body=body))

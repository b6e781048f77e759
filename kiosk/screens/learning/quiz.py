"""The quiz itself (:class:`QuizScreen`): one question per page, for practice (10 questions, the
explanation after each answer) and exams (20 questions, 15 minutes, handed in automatically at 0).
Handing in saves the result and replaces this screen with the result page."""

from __future__ import annotations

import math

import pygame

from core.members import by_number
from core.models import QuizQuestion
from core.quiz import is_correct
from kiosk.context import KioskContext
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import (
    KIND_EN,
    KIND_ZH,
    MODE_EN,
    MODE_ZH,
    STATE_KEY,
    _answer_letters,
    _option_texts,
    correct_options,
)
from kiosk.screens.learning.quiz_run import QuizRun, start_quiz
from kiosk.screens.learning.results import ResultScreen
from kiosk.screens.learning.widgets import OptionButton, Run, TextBlock, runs_height
from kiosk.ui.drawing import line_height, text_width
from kiosk.ui.layout import inset, split_columns, take_bottom, take_top
from kiosk.ui.widgets import Button, Dialog, Label, ProgressBar


class QuizScreen(CardScreen):
    """One question per page. Practice shows right/wrong and the explanation after each answer; an exam
    shows a countdown, moves straight on, and hands itself in at 0."""

    #: Seconds without a touch after which this screen would like the app's idle timeout to clear the
    #: visitor (the kiosk's default of 60 s is short for a long question and its explanation). Only a
    #: hint: the app honours it if it reads ``getattr(nav.top, "idle_seconds", None)``.
    idle_seconds = 180

    def __init__(self, ctx: KioskContext, mode: str = "practice", *, seed: int | None = None,
                 run: QuizRun | None = None) -> None:
        super().__init__(ctx, "exam" if mode == "exam" else "quiz")
        self.mode = mode
        self.run = run if run is not None else start_quiz(ctx, mode, seed)
        self.title = ctx.t(MODE_ZH[mode], MODE_EN[mode])
        self.options: list[OptionButton] = []
        self.action: Button | None = None
        self.timer: Label | None = None
        self.feedback: TextBlock | None = None
        self.question_block: TextBlock | None = None
        self.progress_label: Label | None = None
        self._shown_seconds: int | None = None
        self._closing = False

    # -- state --------------------------------------------------------------------------------------
    @property
    def question(self) -> QuizQuestion:
        return self.run.question

    def _alive(self) -> bool:
        return self.ctx.visitor.state.get(STATE_KEY) is self.run and not self.run.finished

    def remaining_seconds(self) -> int | None:
        left = self.run.quiz.remaining(self.ctx.now())
        return None if left is None else max(0, math.ceil(left.total_seconds()))

    # -- layout -------------------------------------------------------------------------------------
    def _fit(self, width: int, height: int) -> tuple[str, str, list[int], int]:
        """Pick type roles so question + options fit ``height``: (question role, option role, option
        heights, question height)."""
        t = self.theme
        assert t is not None
        q = self.question
        texts = _option_texts(self.ctx, q)
        qtext = self.t(q.question_zh, q.question_en or q.question_zh)
        choice = None
        for q_role, o_role in (("heading", "title"), ("title", "title"), ("title", "button"), ("body", "button"),
                               ("body", "body"), ("small", "small")):
            qh = runs_height(t, [Run(qtext, q_role, True, spacing=1.25)], width)
            if q.kind == "truefalse":
                heights = [max(round(t.spacing.target * 1.6), line_height(t.font(o_role)) * 2)] * 2
                total = qh + t.spacing.gap * 2 + heights[0]
            else:
                heights = [OptionButton.height_for(t, s, width, o_role, q.kind) for s in texts]
                total = qh + t.spacing.gap * 2 + sum(heights) + t.spacing.gap * (len(heights) - 1)
            choice = (q_role, o_role, heights, qh)
            if total <= height:
                break
        assert choice is not None
        return choice

    def build(self) -> None:
        t = self.theme
        assert t is not None
        area = inset(self.rect, t.spacing.pad)
        if not self.run.total:
            self._build_empty(area)
            return
        if t.portrait:
            q_area, action_rect, feedback_rect = self._build_portrait_head(area)
        else:
            q_area, action_rect, feedback_rect = self._build_side_panel(area)
        q_area = self._build_kind_chip(q_area)
        opts_area, cells = self._build_question(q_area)
        if feedback_rect is None:  # portrait: the feedback goes under the options, on a card sized to it
            bottom = (cells[-1].bottom if cells else opts_area.y) + t.spacing.gap * 2
            feedback_rect = self._portrait_feedback_rect(area, bottom, action_rect)
        self.feedback = self.add(TextBlock(feedback_rect, t, self._feedback_runs(feedback_rect.w, feedback_rect.h)))
        self.action = self.add(Button(action_rect, t, self._action_text(), self._act))
        self.action.enabled = self.run.revealed or bool(self.run.selection)
        self._shown_seconds = None
        self._tick()

    def _build_empty(self, area: pygame.Rect) -> None:
        """An empty question bank: say so, and offer the way back."""
        t = self.theme
        assert t is not None
        sp, p, ctx = t.spacing, t.palette, self.ctx
        box, btn = take_top(area, round(sp.target * 2), sp.gap)
        self.add(TextBlock(box, t, [Run(ctx.t("题库暂无题目", "The question bank is empty"), "heading", True, p.red),
                                    Run(ctx.t("请联系党群工作部导入题库。", "Please ask the Party affairs office."),
                                        "body", color=p.ink_muted)]))
        self.add(Button(pygame.Rect(btn.x, btn.y, min(btn.w, sp.target * 4), sp.target), t,
                        ctx.t("返回", "Back"), self._abandon))

    def _texts(self) -> tuple[str, str]:
        """The mode's name and "question n of N", as both layouts show them."""
        run = self.run
        mode_text = self.ctx.t(MODE_ZH[self.mode], MODE_EN[self.mode])
        return mode_text, self.ctx.t(f"第 {run.index + 1} / {run.total} 题", f"Question {run.index + 1} of {run.total}")

    def _progress(self) -> float:
        """Share of the quiz done: an answered (revealed) question counts."""
        return (self.run.index + (1 if self.run.revealed else 0)) / self.run.total

    def _build_portrait_head(self, area: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect, None]:
        """Portrait: progress and timer on one line with the bar under it, the action button at the
        bottom, room kept for the feedback. Returns (question area, action rect, None: the feedback is
        placed once the options are)."""
        t = self.theme
        assert t is not None
        sp, p = t.spacing, t.palette
        mode_text, progress_text = self._texts()
        top, rest = take_top(area, sp.target, sp.unit)
        bar, rest = take_top(rest, max(sp.unit * 3, 12), sp.gap)
        action_rect, rest = take_bottom(rest, round(sp.target * 1.2), sp.gap)
        feedback_min = round(rest.h * 0.3) if self.mode != "exam" else line_height(t.font("body")) * 3
        main = pygame.Rect(rest.x, rest.y, rest.w, rest.h - feedback_min - sp.gap)
        left_txt, right_txt = split_columns(top, [1.6, 1], sp.gap)
        self.progress_label = self.add(Label(left_txt, t, f"{mode_text} · {progress_text}", role="title",
                                             bold=True, color=p.red))
        if self.mode == "exam":
            self.timer = self.add(Label(right_txt, t, "", role="title", bold=True, align="right"))
        self.add(ProgressBar(bar, t, self._progress(), show_percent=False))
        return main, action_rect, None

    def _build_side_panel(self, area: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect]:
        """Landscape: a side card with the mode, progress, bar, clock (exam), feedback and the action
        button. Returns (question area, action rect, feedback rect)."""
        t = self.theme
        assert t is not None
        sp, p = t.spacing, t.palette
        mode_text, progress_text = self._texts()
        left, side = split_columns(area, [1.8, 1], sp.gap * 2)
        self.cards.append(side)
        inner = inset(side, sp.pad)
        head, inner = take_top(inner, line_height(t.font("title", True)), sp.unit)
        self.add(Label(head, t, mode_text + ("" if self.ctx.lang == "en" else f" · {MODE_EN[self.mode]}"),
                       role="title", bold=True, color=p.red))
        prog, inner = take_top(inner, line_height(t.font("heading", True)), sp.unit)
        self.progress_label = self.add(Label(prog, t, progress_text, role="heading", bold=True))
        bar, inner = take_top(inner, max(sp.unit * 3, 12), sp.gap)
        self.add(ProgressBar(bar, t, self._progress(), show_percent=False))
        if self.mode == "exam":
            cap, inner = take_top(inner, line_height(t.font("body")), sp.unit)
            self.add(Label(cap, t, self.ctx.t("剩余时间", "Time left"), role="body", color=p.ink_muted))
            clock, inner = take_top(inner, line_height(t.font("number", True)), sp.gap)
            self.timer = self.add(Label(clock, t, "", role="number", bold=True))
        action_rect, feedback_rect = take_bottom(inner, round(sp.target * 1.2), sp.gap)
        return left, action_rect, feedback_rect

    def _build_kind_chip(self, q_area: pygame.Rect) -> pygame.Rect:
        """The question kind on a gold chip and how to answer beside it; returns the area left below."""
        t = self.theme
        assert t is not None
        sp, p, ctx, q = t.spacing, t.palette, self.ctx, self.question
        kind_text = ctx.t(KIND_ZH.get(q.kind, q.kind), KIND_EN.get(q.kind, q.kind))
        chip_font = t.font("small", True)
        chip_h = line_height(chip_font) + sp.unit * 2
        chip_row, q_area = take_top(q_area, chip_h, sp.gap)
        chip_w = text_width(chip_font, kind_text) + sp.pad
        self.add(TextBlock(pygame.Rect(chip_row.x, chip_row.y, chip_w, chip_h), t,
                           [Run(kind_text, "small", True, p.ink)], background=p.gold, padding=sp.unit,
                           align="center", valign="center"))
        hint = {"single": ctx.t("选一个答案，再点“确定”", "Pick one answer, then Confirm"),
                "multi": ctx.t("可选多项，选好后点“确定”", "Pick all that apply, then Confirm"),
                "truefalse": ctx.t("判断对错，再点“确定”", "True or false? Then Confirm")}.get(q.kind, "")
        self.add(Label(pygame.Rect(chip_row.x + chip_w + sp.gap, chip_row.y, chip_row.w - chip_w - sp.gap, chip_h),
                       t, hint, role="small", color=p.ink_muted))
        return q_area

    def _build_question(self, q_area: pygame.Rect) -> tuple[pygame.Rect, list[pygame.Rect]]:
        """The question and its option buttons in type sizes that fit (``_fit``), marked right/wrong once
        revealed. Returns (the options' area, each option's cell)."""
        t = self.theme
        assert t is not None
        sp, ctx, q, run = t.spacing, self.ctx, self.question, self.run
        q_role, o_role, heights, qh = self._fit(q_area.w, q_area.h)
        qtext = ctx.t(q.question_zh, q.question_en or q.question_zh)
        q_rect, opts_area = take_top(q_area, min(qh, q_area.h), sp.gap * 2)
        self.question_block = self.add(TextBlock(q_rect, t, [Run(qtext, q_role, True, spacing=1.25)]))
        texts = _option_texts(ctx, q)
        right = set(correct_options(q))
        self.options = []
        if q.kind == "truefalse":
            cells = split_columns(pygame.Rect(opts_area.x, opts_area.y, opts_area.w, heights[0]), [1, 1], sp.gap)
        else:
            cells, y = [], opts_area.y
            for h in heights:
                cells.append(pygame.Rect(opts_area.x, y, opts_area.w, h))
                y += h + sp.gap
        for i, (text, cell) in enumerate(zip(texts, cells, strict=False)):
            verdict = None
            if run.revealed:
                verdict = "correct" if i in right else ("wrong" if i in run.selection else "other")
            self.options.append(self.add(OptionButton(
                cell, t, i, text, (lambda i=i: self._pick(i)), kind=q.kind,
                role="title" if q.kind == "truefalse" and o_role != "small" else o_role,
                selected=i in run.selection, verdict=verdict)))
        return opts_area, cells

    def _portrait_feedback_rect(self, area: pygame.Rect, bottom: int, action_rect: pygame.Rect) -> pygame.Rect:
        """Portrait: the room between the options (ending at ``bottom``) and the action button; once an
        answer is revealed, a card sized to the feedback."""
        t = self.theme
        assert t is not None
        sp = t.spacing
        room = pygame.Rect(area.x, bottom, area.w, max(0, action_rect.y - sp.gap - bottom))
        if not self.run.revealed:
            return room
        runs = self._feedback_runs(room.w - 2 * sp.pad, room.h - 4 * sp.unit)
        box = pygame.Rect(room.x, room.y, room.w, min(room.h, runs_height(t, runs, room.w - 2 * sp.pad)
                                                      + 4 * sp.unit))
        self.cards.append(box)
        return inset(box, sp.pad, sp.unit * 2)

    def _feedback_runs(self, width: int, height: int) -> list[Run]:
        """What the feedback area says; in Chinese the English explanation follows when there is room."""
        t = self.theme
        assert t is not None
        p = t.palette
        ctx = self.ctx
        run = self.run
        q = self.question
        if not run.revealed:
            if self.mode == "exam":
                text = ctx.t("考试中不显示对错，交卷后可查看每题解析。",
                             "No right/wrong during the exam: explanations follow on the result page.")
            else:
                text = ctx.t("答题后显示正误和解析。", "The answer and its explanation show after you answer.")
            return [Run(text, "body", color=p.ink_muted)]
        ok = is_correct(q, self.run.quiz.answers.get(q.code))
        verdict = ctx.t("回答正确！", "Correct!") if ok else ctx.t("回答错误", "Not quite")
        runs = [Run(verdict, "title", True, p.ok.text if ok else p.bad.text, mark="ok" if ok else "bad"),
                Run(ctx.t("正确答案：", "Answer: ") + _answer_letters(ctx, q, correct_options(q)), "body", True,
                    gap_before=t.spacing.unit)]
        explanation = ctx.t(q.explanation_zh, q.explanation_en or q.explanation_zh)
        if explanation:
            why = Run(ctx.t("解析：", "Why: ") + explanation, "body", gap_before=t.spacing.unit)
            if runs_height(t, [*runs, why], width) > height:  # a long explanation in a narrow panel
                why = Run(why.text, "small", gap_before=t.spacing.unit)
            runs.append(why)
        if ctx.lang != "en" and q.explanation_en:
            more = [*runs, Run(q.explanation_en, "small", color=p.ink_muted, gap_before=t.spacing.unit)]
            if runs_height(t, more, width) <= height:
                runs = more
        return runs

    def _action_text(self) -> str:
        ctx = self.ctx
        run = self.run
        if self.mode == "practice" and run.revealed:
            return ctx.t("查看成绩", "See results") if run.last else ctx.t("下一题", "Next")
        if self.mode == "exam" and run.last:
            return ctx.t("确定并交卷", "Confirm & hand in")
        return ctx.t("确定", "Confirm")

    # -- input --------------------------------------------------------------------------------------
    def _pick(self, index: int) -> None:
        run = self.run
        if run.revealed or not self._alive():
            return
        if self.question.kind == "multi":
            run.selection = sorted(set(run.selection) ^ {index})
        else:
            run.selection = [index]
        for opt in self.options:
            opt.set_selected(opt.index in run.selection)
        if self.action is not None:
            self.action.enabled = bool(run.selection)

    def _act(self) -> None:
        run = self.run
        if not self._alive():
            return
        if run.revealed:
            self._advance()
            return
        if not run.selection:
            return
        q = self.question
        given: list[int] | bool = (run.selection[0] == 0) if q.kind == "truefalse" else list(run.selection)
        run.quiz.answer(q, given)
        if self.mode == "practice":
            run.revealed = True
            self.rebuild()
        else:
            self._advance()

    def _advance(self) -> None:
        run = self.run
        if run.last:
            self.finish()
            return
        run.index += 1
        run.selection = []
        run.revealed = False
        self.rebuild()

    def finish(self) -> None:
        """Hand the quiz in: save it (for the identified member, else anonymously) and show the result."""
        run = self.run
        if run.finished:
            return
        run.finished = True
        ctx = self.ctx
        if ctx.visitor.state.get(STATE_KEY) is run:
            del ctx.visitor.state[STATE_KEY]
        timed_out = run.quiz.timed_out(ctx.now())
        with ctx.session() as s:
            member = None
            if ctx.visitor.member_number:
                member = by_number(s, ctx.visitor.member_number)
            result = run.quiz.save(s, member, ctx.now(), ctx.terminal.terminal_id)
            points, result_id = result.points, result.id
        mode = run.quiz.mode
        screen = ResultScreen(ctx, run.quiz, points=points, member_name=ctx.visitor.member_name if member else None,
                              result_id=result_id, timed_out=timed_out, again=lambda: QuizScreen(ctx, mode))
        if self.nav is not None:
            self.nav.replace(screen)

    def on_back(self) -> bool:
        if not self._alive() or self.nav is None or self.theme is None:
            return False
        ctx = self.ctx
        nav = self.nav
        nav.show_dialog(Dialog(self.theme, ctx.t("退出答题？", "Leave the quiz?"),
                               ctx.t("本次答题尚未完成，退出后不保存成绩。", "It is not finished; nothing will be saved."),
                               [(ctx.t("继续答题", "Keep going"), None), (ctx.t("退出", "Leave"), self._abandon)]))
        return True

    def _abandon(self) -> None:
        if self.ctx.visitor.state.get(STATE_KEY) is self.run:
            del self.ctx.visitor.state[STATE_KEY]
        if self.nav is not None:
            self.nav.pop()

    # -- time ---------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.timer is None or self.theme is None:
            return
        secs = self.remaining_seconds()
        if secs is None or secs == self._shown_seconds:
            return
        self._shown_seconds = secs
        p = self.theme.palette
        text = f"{secs // 60:02d}:{secs % 60:02d}"
        if self.theme.portrait:
            text = self.ctx.t(f"剩余 {text}", f"{text} left")
        self.timer.set_text(text)
        self.timer.color = p.bad.text if secs <= 60 else (p.warn.text if secs <= 180 else p.ink)
        self.timer.dirty = True

    def update(self, dt: float) -> None:
        super().update(dt)
        if self._closing:
            return
        if not self._alive():
            if not self.run.finished and self.nav is not None:  # the idle timeout cleared the visitor
                self._closing = True
                self.nav.home()
            return
        if not self.run.total:
            return
        self._tick()
        if self.mode == "exam" and self.run.quiz.timed_out(self.ctx.now()):
            self.finish()

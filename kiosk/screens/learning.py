"""学习考试 — Learning & exams: articles (学习园地), practice quizzes, timed exams, history and the leaderboard.

Screens (each takes the :class:`~kiosk.context.KioskContext` first):

- :class:`LearningScreen` — the hub: who is identified, 登录 / 退出, and tiles for the rest.
- :class:`LoginScreen` — member number (digits, "M" prefixed) then PIN on the numeric keypad, checked
  with :func:`core.secrets.verify_pin`. Identification is only needed for history and points.
- :class:`ArticleListScreen` / :class:`ArticleScreen` — published articles; reading one to the end lets an
  identified member collect its points (:func:`core.quiz.award_reading`).
- :class:`QuizScreen` — one question per page for practice (10 questions, explanation after each answer)
  and exams (20 questions, 15 minutes, finished automatically at 0). The quiz in progress lives in
  ``ctx.visitor.state`` so the idle timeout that clears the visitor also drops a half-finished quiz.
- :class:`ResultScreen` (+ :class:`ReviewScreen`) — score, pass/fail, points and a per-question review.
- :class:`HistoryScreen` and :class:`LeaderboardScreen`.

``SCREENS`` maps the names the screenshot command uses to callables taking ``ctx``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pygame
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.content import visible
from core.models import Branch, ContentItem, Member, QuizQuestion, QuizResult
from core.quiz import (
    EXAM_PASS,
    BoardRow,
    Quiz,
    award_reading,
    history,
    is_correct,
    leaderboard,
    pick_questions,
)
from core.secrets import verify_pin
from kiosk.context import KioskContext
from kiosk.document import DocumentView
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.layout import inset, split_columns, split_rows, take_bottom, take_left, take_top, tile_grid
from kiosk.ui.screens import Screen
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets import (
    Button,
    Dialog,
    Donut,
    Label,
    ListItem,
    NumericKeypad,
    ProgressBar,
    ScrollList,
    Tile,
    Widget,
)
from kiosk.ui.widgets.button import Pressable

PRACTICE_COUNT = 10
EXAM_COUNT = 20
EXAM_MINUTES = 15
#: Seed of the quizzes the screenshot command renders, so its pictures are reproducible.
SCREENSHOT_SEED = 2024
#: Key of the quiz in progress in ``ctx.visitor.state``.
STATE_KEY = "learning.quiz"
#: Wrong PINs allowed on one login screen before it gives up.
MAX_PIN_TRIES = 5
#: Chinese reading speed used to estimate an article's reading time (characters per minute).
READ_CHARS_PER_MINUTE = 200

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
KIND_ZH = {"single": "单选题", "multi": "多选题", "truefalse": "判断题"}
KIND_EN = {"single": "Single choice", "multi": "Multiple choice", "truefalse": "True or false"}
MODE_ZH = {"practice": "练习", "exam": "模拟考试", "reading": "阅读文章"}
MODE_EN = {"practice": "Practice", "exam": "Exam", "reading": "Reading"}


# ------------------------------------------------------------------------------------------- data helpers
def member_candidates(typed: str) -> list[str]:
    """Member numbers to try for what was typed: ``"0101"`` → ``["M0101", "0101"]``; ``"m0101"`` → ``["M0101"]``."""
    text = typed.strip().upper()
    if not text:
        return []
    if text.isdigit():
        return [f"M{text}", text]
    return [text]


def find_member(session: Session, typed: str) -> Member | None:
    for number in member_candidates(typed):
        member = session.scalars(select(Member).where(Member.number == number, Member.active.is_(True))).first()
        if member is not None:
            return member
    return None


def member_points(session: Session, member_id: int) -> int:
    total = session.scalar(select(func.coalesce(func.sum(QuizResult.points), 0))
                           .where(QuizResult.member_id == member_id))
    return int(total or 0)


def reading_minutes(body: str) -> int:
    return max(1, round(len(body) / READ_CHARS_PER_MINUTE))


def correct_options(question: QuizQuestion) -> list[int]:
    """The option indices that are right (true/false: 0 = 正确, 1 = 错误)."""
    if question.kind == "truefalse":
        return [0 if question.answer and question.answer[0] is True else 1]
    return sorted(int(i) for i in question.answer)


def given_options(question: QuizQuestion, given: list[int] | bool | None) -> list[int]:
    """A stored answer as option indices (empty when unanswered)."""
    if given is None:
        return []
    if question.kind == "truefalse":
        return [0 if given is True else 1] if isinstance(given, bool) else []
    return sorted(int(i) for i in given) if isinstance(given, list) else []


def _option_texts(ctx: KioskContext, question: QuizQuestion) -> list[str]:
    if question.kind == "truefalse":
        return [ctx.t("正确", "True"), ctx.t("错误", "False")]
    zh = list(question.options_zh or [])
    en = list(question.options_en or [])
    return [ctx.t(z, en[i] if i < len(en) else "") for i, z in enumerate(zh)]


def _answer_text(ctx: KioskContext, question: QuizQuestion, indices: Sequence[int]) -> str:
    if not indices:
        return ctx.t("未作答", "not answered")
    texts = _option_texts(ctx, question)
    if question.kind == "truefalse":
        return texts[indices[0]]
    return ctx.t("；", "; ").join(f"{LETTERS[i]}. {texts[i]}" for i in indices if i < len(texts))


def _answer_letters(ctx: KioskContext, question: QuizQuestion, indices: Sequence[int]) -> str:
    """The short form (the options are on screen): "A、C、D", or 正确/错误."""
    if question.kind == "truefalse" or not indices:
        return _answer_text(ctx, question, indices)
    return ctx.t("、", ", ").join(LETTERS[i] for i in indices)


@dataclass
class QuizRun:
    """One visitor's quiz in progress, kept in ``ctx.visitor.state[STATE_KEY]``."""

    quiz: Quiz
    index: int = 0
    selection: list[int] = field(default_factory=list)
    revealed: bool = False  # practice: the current question's answer and explanation are shown
    finished: bool = False

    @property
    def question(self) -> QuizQuestion:
        return self.quiz.questions[self.index]

    @property
    def total(self) -> int:
        return len(self.quiz.questions)

    @property
    def last(self) -> bool:
        return self.index >= self.total - 1


def start_quiz(ctx: KioskContext, mode: str, seed: int | None = None) -> QuizRun:
    """Pick the questions and put a new quiz in the visitor's state (replacing any unfinished one)."""
    if mode not in ("practice", "exam"):
        raise ValueError(f"mode must be practice or exam, not {mode!r}")
    count = EXAM_COUNT if mode == "exam" else PRACTICE_COUNT
    with ctx.session() as s:
        questions = pick_questions(s, count, seed)
    limit = timedelta(minutes=EXAM_MINUTES) if mode == "exam" else None
    run = QuizRun(Quiz(questions, mode, ctx.now(), time_limit=limit))
    ctx.visitor.state[STATE_KEY] = run
    return run


def current_run(ctx: KioskContext) -> QuizRun | None:
    run = ctx.visitor.state.get(STATE_KEY)
    return run if isinstance(run, QuizRun) and not run.finished else None


# ------------------------------------------------------------------------------------------- small widgets
def draw_mark(surface: pygame.Surface, center: tuple[int, int], diameter: int, ok: bool, theme: Theme,
              *, color: RGB | None = None, filled: bool = True) -> None:
    """A ✓ (ok) or ✗ in a disc, drawn with lines so no font can turn it into tofu."""
    p = theme.palette
    cx, cy = center
    r = max(6, diameter // 2)
    fill = color or (p.ok.fill if ok else p.bad.fill)
    stroke = p.on_red
    if filled:
        pygame.draw.circle(surface, fill, center, r)
    else:
        stroke = fill
    w = max(3, r // 4)
    if ok:
        pts = [(cx - r * 0.48, cy + r * 0.02), (cx - r * 0.12, cy + r * 0.38), (cx + r * 0.5, cy - r * 0.36)]
        pygame.draw.lines(surface, stroke, False, pts, w)
    else:
        k = r * 0.4
        pygame.draw.line(surface, stroke, (cx - k, cy - k), (cx + k, cy + k), w)
        pygame.draw.line(surface, stroke, (cx - k, cy + k), (cx + k, cy - k), w)


@dataclass(frozen=True)
class Run:
    """A run of text in a :class:`TextBlock`: wrapped to the block's width, in one role and colour."""

    text: str
    role: str = "body"
    bold: bool = False
    color: RGB | None = None
    gap_before: int = 0
    mark: str | None = None  # "ok" | "bad": a ✓/✗ disc before the first line
    spacing: float = 1.3


@dataclass(frozen=True)
class _Line:
    text: str
    run: Run
    y: int
    h: int
    indent: int
    mark: str | None


def layout_runs(theme: Theme, runs: Sequence[Run], width: int) -> tuple[list[_Line], int]:
    """Wrap every run; return the lines (y relative to the block top) and the total height."""
    out: list[_Line] = []
    y = 0
    for run in runs:
        font = theme.font(run.role, run.bold)
        lh = line_height(font, run.spacing)
        indent = round(line_height(font) * 1.1) + theme.spacing.unit if run.mark else 0
        y += run.gap_before
        for i, line in enumerate(wrap_text(run.text, max(1, width - indent), measurer(font))):
            out.append(_Line(line, run, y, lh, indent, run.mark if i == 0 else None))
            y += lh
    return out, y


def runs_height(theme: Theme, runs: Sequence[Run], width: int) -> int:
    return layout_runs(theme, runs, width)[1]


class TextBlock(Widget):
    """Several wrapped runs of text stacked top-down (optionally on a card); what does not fit ends in "…"."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, runs: Sequence[Run] = (),
                 *, background: RGB | None = None, border: RGB | None = None, padding: int = 0,
                 valign: str = "top", align: str = "left") -> None:
        super().__init__(rect, theme)
        self.runs = list(runs)
        self.background = background
        self.border = border
        self.padding = padding
        self.valign = valign
        self.align = align

    def set_runs(self, runs: Sequence[Run]) -> None:
        if list(runs) != self.runs:
            self.runs = list(runs)
            self.dirty = True

    @property
    def inner(self) -> pygame.Rect:
        return inset(self.rect, self.padding)

    def text(self) -> str:
        return "\n".join(r.text for r in self.runs)

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        if self.background is not None:
            card(surface, self.rect, self.background, t.spacing.radius, border=self.border)
        box = self.inner
        lines, total = layout_runs(t, self.runs, box.w)
        fitting = [ln for ln in lines if ln.y + ln.h <= box.h] or lines[:1]
        cut = len(fitting) < len(lines)
        top = box.y
        if self.valign == "center":
            top = box.y + max(0, (box.h - min(total, box.h)) // 2)
        for i, ln in enumerate(fitting):
            font = t.font(ln.run.role, ln.run.bold)
            text = ln.text
            if cut and i == len(fitting) - 1:
                text = ellipsize(text, box.w - ln.indent, measurer(font), force=True)
            color = ln.run.color or p.ink
            y = top + ln.y + (ln.h - line_height(font)) // 2
            x = box.x
            if self.align == "center":
                x = box.centerx - (ln.indent + text_width(font, text)) // 2
            draw_text(surface, font, text, (x + ln.indent, y), color, "topleft")
            if ln.mark:
                d = line_height(font)
                draw_mark(surface, (x + d // 2, y + d // 2), d, ln.mark == "ok", t)


class OptionButton(Pressable):
    """One answer option: a letter (or ✓/✗ for true/false), wrapped text, and its selected/verdict look."""

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int], theme: Theme, index: int, text: str,
                 on_tap: Callable[[], object] | None, *, kind: str = "single", role: str = "button",
                 selected: bool = False, verdict: str | None = None) -> None:
        super().__init__(rect, theme, on_tap, enabled=verdict is None)
        self.index = index
        self.text = text
        self.kind = kind
        self.role = role
        self.selected = selected
        self.verdict = verdict  # None (answering) | "correct" | "wrong" | "other"

    @staticmethod
    def badge_size(theme: Theme) -> int:
        return round(theme.type.title * 1.3)

    @classmethod
    def text_width_for(cls, theme: Theme, width: int, kind: str) -> int:
        t = theme
        if kind == "truefalse":
            return width - 2 * t.spacing.pad
        return width - 2 * t.spacing.pad - cls.badge_size(t) - t.spacing.gap - cls.badge_size(t) // 2 - t.spacing.unit

    @classmethod
    def height_for(cls, theme: Theme, text: str, width: int, role: str, kind: str) -> int:
        font = theme.font(role)
        lines = wrap_text(text, max(1, cls.text_width_for(theme, width, kind)), measurer(font))
        return max(theme.spacing.target, len(lines) * line_height(font, 1.2) + 3 * theme.spacing.unit)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def _colors(self) -> tuple[RGB, RGB, int, RGB, RGB]:
        """(fill, border, border width, badge fill, badge ink)."""
        p = self.theme.palette
        if self.verdict == "correct":
            return mix(p.surface, p.ok.fill, 0.12), p.ok.fill, 4, p.ok.fill, p.ok.on_fill
        if self.verdict == "wrong":
            return mix(p.surface, p.bad.fill, 0.10), p.bad.fill, 4, p.bad.fill, p.bad.on_fill
        if self.selected:
            return mix(p.surface, p.red, 0.08), p.red, 4, p.red, p.on_red
        fill = p.surface_pressed if self.pressed else p.surface
        return fill, p.divider, 2, p.bg, p.ink

    def draw(self, surface: pygame.Surface) -> None:
        t = self.theme
        p = t.palette
        fill, border, bw, badge_fill, badge_ink = self._colors()
        r = self.rect
        off = max(2, t.spacing.radius // 4)
        body = pygame.Rect(r.x, r.y + (off if self.pressed else 0), r.w, r.h - off)
        shadow = None if self.pressed or self.verdict else mix(p.bg, (0, 0, 0), 0.14)
        card(surface, body, fill, t.spacing.radius, shadow=shadow, border=border, border_width=bw)
        ink = p.ink_muted if self.verdict == "other" else p.ink
        font = t.font(self.role, bold=self.selected or self.verdict in ("correct", "wrong"))
        bd = self.badge_size(t)
        if self.kind == "truefalse":
            mark_d = bd
            tw = text_width(font, self.text)
            x0 = body.centerx - (mark_d + t.spacing.gap + tw) // 2
            cy = body.centery
            mark_color = badge_fill if (self.selected or self.verdict in ("correct", "wrong")) else (
                p.ok.fill if self.index == 0 else p.bad.fill)
            draw_mark(surface, (x0 + mark_d // 2, cy), mark_d, self.index == 0, t, color=mark_color)
            draw_text(surface, font, self.text, (x0 + mark_d + t.spacing.gap, cy), ink, "midleft")
            return
        x = body.x + t.spacing.pad
        badge = pygame.Rect(x, body.centery - bd // 2, bd, bd)
        radius = bd // 2 if self.kind == "single" else max(6, bd // 5)
        pygame.draw.rect(surface, badge_fill, badge, border_radius=radius)
        if badge_fill == p.bg:
            pygame.draw.rect(surface, p.ink_muted, badge, 2, border_radius=radius)
        draw_text(surface, t.font("title", True), LETTERS[self.index], badge.center, badge_ink, "center")
        text_x = badge.right + t.spacing.gap
        width = self.text_width_for(t, r.w, self.kind)
        lines = wrap_text(self.text, max(1, width), measurer(font))
        lh = line_height(font, 1.2)
        y = body.centery - len(lines) * lh // 2
        for line in lines:
            draw_text(surface, font, line, (text_x, y + (lh - line_height(font)) // 2), ink, "topleft")
            y += lh
        if self.verdict in ("correct", "wrong"):
            md = bd * 3 // 4
            draw_mark(surface, (body.right - t.spacing.pad - md // 2, body.centery), md, self.verdict == "correct", t)


class CardScreen(Screen):
    """A screen whose background has white cards behind groups of widgets (``self.cards``)."""

    def __init__(self, ctx: KioskContext, name: str | None = None) -> None:
        super().__init__(name)
        self.ctx = ctx
        self.cards: list[pygame.Rect] = []

    def layout(self, rect: pygame.Rect) -> None:
        self.cards = []
        super().layout(rect)

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        t = self.theme
        assert t is not None
        for c in self.cards:
            card(surface, c, t.palette.surface, t.spacing.radius, shadow=mix(t.palette.bg, (0, 0, 0), 0.10))

    def t(self, zh: str, en: str | None = None) -> str:
        return self.ctx.t(zh, en)

    def unit(self, zh: str, en: str | None = None) -> str | None:
        """A unit after a number: the Chinese one, or in English ``en`` (None: no unit)."""
        return en if self.ctx.lang == "en" else zh

    def other(self, zh: str, en: str) -> str:
        """The subtitle language: English under Chinese, Chinese under English."""
        return zh if self.ctx.lang == "en" else en

    def rebuild(self) -> None:
        self.layout(self.rect)


# ------------------------------------------------------------------------------------------- hub
class LearningScreen(CardScreen):
    """学习考试 hub: identity bar (登录 / 退出), resume strip, and tiles for articles, practice, exam,
    history and the leaderboard."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "learning")
        self.title = ctx.t("学习考试", "Learning & exams")
        self.tiles: dict[str, Tile] = {}
        self.login_button: Button | None = None
        self.resume_button: Button | None = None
        self._seen: tuple[object, ...] = ()
        self._fresh = False

    def _identity_key(self) -> tuple[object, ...]:
        run = current_run(self.ctx)
        return (self.ctx.visitor.member_number, id(run) if run else None, run.index if run else None)

    def build(self) -> None:
        t = self.theme
        assert t is not None
        ctx = self.ctx
        p = t.palette
        self._seen = self._identity_key()
        self._fresh = True
        area = inset(self.rect, t.spacing.pad)
        sp = t.spacing
        number = ctx.visitor.member_number
        articles = points = 0
        branch = ""
        rank: int | None = None
        with ctx.session() as s:
            articles = len(visible(s, "article", ctx.now()))
            if number:
                member = s.scalars(select(Member).where(Member.number == number)).first()
                if member is not None:
                    points = member_points(s, member.id)
                    b = s.get(Branch, member.branch_id)
                    branch = ctx.t(b.name_zh, b.name_en or b.name_zh) if b else ""
                    rank = next((r.rank for r in leaderboard(s, limit=1000) if r.number == number), None)
        btn_w = max(sp.target * 2, round(260 * t.scale))
        info_w = area.w - 2 * sp.pad - btn_w - sp.gap
        if number:
            name = ctx.visitor.member_name or number
            runs = [Run(f"{name}（{number}）" + (f" · {branch}" if branch else ""), "title", True),
                    Run(ctx.t(f"已登录 · 累计积分 {points} 分", f"Signed in · {points} points"), "small",
                        color=p.ink_muted)]
        else:
            runs = [Run(ctx.t("未登录 · 练习无需登录", "Not signed in · practice needs no sign-in"), "title", True),
                    Run(ctx.t("登录后可记录成绩、累计积分", "Sign in to keep your results and earn points"),
                        "small", color=p.ink_muted)]
        bar_h = max(sp.target, runs_height(t, runs, info_w)) + 2 * sp.unit * 2
        bar, rest = take_top(area, bar_h, sp.gap)
        self.cards.append(bar)
        inner = pygame.Rect(bar.x + sp.pad, bar.y + sp.unit * 2, bar.w - sp.pad - sp.unit * 2, bar.h - sp.unit * 4)
        info_rect = pygame.Rect(inner.x, inner.y, info_w, inner.h)
        btn_rect = pygame.Rect(inner.right - btn_w, inner.centery - sp.target // 2, btn_w, sp.target)
        if number:
            self.login_button = self.add(Button(btn_rect, t, ctx.t("退出登录", "Sign out"), self._logout,
                                                kind="secondary"))
        else:
            self.login_button = self.add(Button(btn_rect, t, ctx.t("党员登录", "Sign in"), self._login))
        self.add(TextBlock(info_rect, t, runs, valign="center"))
        run = current_run(ctx)
        self.resume_button = None
        if run is not None:
            strip, rest = take_top(rest, sp.target, sp.gap)
            mode = ctx.t(MODE_ZH[run.quiz.mode], MODE_EN[run.quiz.mode])
            label = ctx.t(f"继续未完成的{mode}：第 {run.index + 1}/{run.total} 题  ›",
                          f"Resume your {mode.lower()}: question {run.index + 1}/{run.total}  ›")
            self.resume_button = self.add(Button(strip, t, label, self._resume, kind="secondary"))
        specs: list[tuple[str, str, str, str, str, object, str | None, Callable[[], object]]] = [
            ("articles", "学习园地", "Articles", "学", "读文章 领积分", articles, self.unit("篇"), self._articles),
            ("practice", "练习答题", "Practice", "练", "即时解析", PRACTICE_COUNT, ctx.t("题", "Q"),
             self._practice),
            ("exam", "模拟考试", "Exam", "考", f"限时{EXAM_MINUTES}分钟", EXAM_COUNT, ctx.t("题", "Q"),
             self._exam),
            ("history", "我的记录", "My history", "记", "成绩与积分", points if number else None,
             ctx.t("分", "pts"), self._history),
            ("leaderboard", "积分榜", "Leaderboard", "榜", "学习之星",
             (rank if ctx.lang != "en" else f"#{rank}") if rank else None, self.unit("名"),
             self._leaderboard),
        ]
        if t.portrait:
            rects = tile_grid(rest, len(specs), gap=sp.gap, min_size=sp.target, cols=1)
        else:  # the three learning tiles on top, history and leaderboard (wider) below
            upper, lower = split_rows(rest, [1.25, 1], sp.gap)
            rects = split_columns(upper, [1, 1, 1], sp.gap) + split_columns(lower, [1, 1], sp.gap)
        accents = {"exam": p.red, "practice": p.red, "articles": p.red, "history": p.gold, "leaderboard": p.gold}
        self.tiles = {}
        for rect, (key, zh, en, icon, note_zh, num, unit, cb) in zip(rects, specs, strict=True):
            sub = f"{self.other(zh, en)} · {note_zh}" if ctx.lang == "zh" else zh
            self.tiles[key] = self.add(Tile(rect, t, ctx.t(zh, en), sub, icon=icon, number=num,
                                            unit=unit if num is not None else None, on_tap=cb,
                                            accent=accents[key]))

    def enter(self) -> None:
        if not self._fresh:  # points, rank and the resume strip may have changed on the screens above
            self.rebuild()
        self._fresh = False

    def exit(self) -> None:
        self._fresh = False

    def update(self, dt: float) -> None:
        super().update(dt)
        self._fresh = False
        if self._identity_key() != self._seen:  # the idle timeout cleared the visitor
            self.rebuild()

    # -- actions ------------------------------------------------------------------------------------
    def _login(self, then: Callable[[], object] | None = None) -> None:
        assert self.nav is not None
        self.nav.push(LoginScreen(self.ctx, then=then))

    def _logout(self) -> None:
        v = self.ctx.visitor
        v.member_number = v.member_name = None
        if self.nav is not None:
            self.nav.notify(self.t("已退出登录", "Signed out"), tag=self.t("提示", "Info"), duration=2.5)
        self.rebuild()

    def _resume(self) -> None:
        run = current_run(self.ctx)
        if run is not None and self.nav is not None:
            self.nav.push(QuizScreen(self.ctx, run.quiz.mode, run=run))

    def _articles(self) -> None:
        assert self.nav is not None
        self.nav.push(ArticleListScreen(self.ctx))

    def _practice(self) -> None:
        assert self.nav is not None
        self.nav.push(QuizScreen(self.ctx, "practice"))

    def _exam(self) -> None:
        assert self.nav is not None and self.theme is not None
        ctx = self.ctx
        msg = ctx.t(f"共 {EXAM_COUNT} 题，限时 {EXAM_MINUTES} 分钟，时间到自动交卷。交卷后显示成绩和解析。",
                    f"{EXAM_COUNT} questions in {EXAM_MINUTES} minutes; it is handed in automatically when time "
                    "runs out. The score and explanations follow.")
        if not ctx.visitor.member_number:
            msg += ctx.t("（未登录：成绩不计积分）", " (Not signed in: no points.)")
        nav = self.nav
        self.nav.show_dialog(Dialog(self.theme, ctx.t("开始模拟考试？", "Start the exam?"), msg,
                                    [(ctx.t("取消", "Cancel"), None),
                                     (ctx.t("开始考试", "Start"), lambda: nav.push(QuizScreen(ctx, "exam")))]))

    def _history(self) -> None:
        assert self.nav is not None
        if self.ctx.visitor.member_number:
            self.nav.push(HistoryScreen(self.ctx))
        else:
            ctx, nav = self.ctx, self.nav
            self._login(then=lambda: nav.push(HistoryScreen(ctx)))

    def _leaderboard(self) -> None:
        assert self.nav is not None
        self.nav.push(LeaderboardScreen(self.ctx))


# ------------------------------------------------------------------------------------------- login
class LoginScreen(CardScreen):
    """党员登录: member number (the digits of "M0101", or all of it) then the PIN, both on the keypad."""

    def __init__(self, ctx: KioskContext, then: Callable[[], object] | None = None) -> None:
        super().__init__(ctx, "login")
        self.title = ctx.t("党员登录", "Member sign-in")
        self.then = then
        self.step = "number"  # "number" | "pin"
        self.number: str | None = None  # the member number found in step 1
        self.failures = 0
        self.message = ""
        self.message_bad = False
        self.keypad: NumericKeypad | None = None
        self.info: TextBlock | None = None

    def _runs(self) -> list[Run]:
        ctx = self.ctx
        assert self.theme is not None
        p = self.theme.palette
        if self.step == "number":
            step = ctx.t("第 1 步 / 共 2 步：党员编号", "Step 1 of 2: member number")
            how = ctx.t("请输入党员编号中的数字，如 M0101 输入 0101", "Type the digits of your member number, "
                        "e.g. 0101 for M0101")
        else:
            step = ctx.t("第 2 步 / 共 2 步：PIN 密码", "Step 2 of 2: PIN")
            how = ctx.t(f"党员编号 {self.number}，请输入您的 PIN", f"Member {self.number}: enter your PIN")
        runs = [Run(step, "heading", True, p.red), Run(how, "body", gap_before=self.theme.spacing.gap)]
        if self.message:
            color = p.bad.text if self.message_bad else p.ok.text
            runs.append(Run(self.message, "body", True, color, gap_before=self.theme.spacing.gap,
                            mark="bad" if self.message_bad else None))
        runs.append(Run(ctx.t("练习答题无需登录。登录后可查看成绩记录、累计学习积分。未设置 PIN 的党员请联系党群工作部。",
                              "Practice needs no sign-in. Sign in to see your results and earn points. "
                              "No PIN yet? Ask the Party affairs office (党群工作部)."),
                        "small", color=p.ink_muted, gap_before=self.theme.spacing.gap * 2))
        return runs

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        area = inset(self.rect, sp.pad)
        pad_w = min(area.w, round(560 * t.scale) + 2 * sp.target)
        pad_h = min(round(pad_w * 1.35), area.h if not t.portrait else round(area.h * 0.62))
        if t.portrait:
            info_rect, rest = take_top(area, area.h - pad_h - sp.gap * 2, sp.gap * 2)
            box = pygame.Rect(0, 0, pad_w, pad_h)
            box.midtop = (rest.centerx, rest.y)
        else:
            left, right = split_columns(area, [1.25, 1], sp.gap * 3)
            info_rect = left
            box = pygame.Rect(0, 0, min(pad_w, right.w), min(pad_h, right.h))
            box.center = right.center
        self.cards.append(info_rect)
        self.info = self.add(TextBlock(info_rect, t, self._runs(), padding=sp.pad))
        if self.step == "number":
            self.keypad = self.add(NumericKeypad(box, t, max_length=6, on_submit=self._submit_number,
                                                 on_change=self._typing, placeholder=self.t("如 0101", "e.g. 0101")))
        else:
            self.keypad = self.add(NumericKeypad(box, t, max_length=6, masked=True, on_submit=self._submit_pin,
                                                 on_change=self._typing))

    def _say(self, text: str, bad: bool = True) -> None:
        self.message, self.message_bad = text, bad
        if self.info is not None:
            self.info.set_runs(self._runs())

    def _typing(self, value: str) -> None:
        if self.step == "number" and value:
            self._say(self.t(f"党员编号：{member_candidates(value)[0]}", f"Member number: "
                             f"{member_candidates(value)[0]}"), bad=False)
        elif self.message_bad:
            self._say("")

    def _submit_number(self, value: str) -> None:
        with self.ctx.session() as s:
            member = find_member(s, value)
            found = member is not None
            has_pin = bool(member and member.pin_hash)
            number = member.number if member else member_candidates(value)[0]
        assert self.keypad is not None
        if not found:
            self.keypad.clear()
            self._say(self.t(f"未找到党员编号 {number}，请核对后重新输入", f"No member {number}; please check"))
            return
        if not has_pin:
            self.keypad.clear()
            self._say(self.t(f"党员编号 {number} 尚未设置 PIN，请联系党群工作部设置",
                             f"Member {number} has no PIN yet: please ask the Party affairs office (党群工作部)"))
            return
        self.number = number
        self.step = "pin"
        self.message = ""
        self.rebuild()

    def _submit_pin(self, pin: str) -> None:
        assert self.keypad is not None and self.nav is not None
        with self.ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == self.number)).first()
            ok = member is not None and verify_pin(pin, member.pin_hash)
            name = member.name if member else ""
            number = member.number if member else None
        if not ok:
            self.failures += 1
            self.keypad.clear()
            left = MAX_PIN_TRIES - self.failures
            if left <= 0:
                self.nav.pop()
                self.nav.notify(self.t("PIN 错误次数过多，请稍后再试或联系党群工作部",
                                       "Too many wrong PINs; try again later"), tag=self.t("登录失败", "Sign-in"))
                return
            self._say(self.t(f"PIN 不正确，还可以再试 {left} 次", f"Wrong PIN; {left} tries left"))
            return
        v = self.ctx.visitor
        v.member_number, v.member_name = number, name
        then = self.then
        self.nav.pop()
        self.nav.notify(self.t(f"欢迎您，{name}同志", f"Welcome, {name}"), tag=self.t("已登录", "Signed in"),
                        duration=3.0)
        if then is not None:
            then()

    def on_back(self) -> bool:
        if self.step == "pin":
            self.step, self.number, self.message = "number", None, ""
            self.rebuild()
            return True
        return False


# ------------------------------------------------------------------------------------------- articles
@dataclass(frozen=True)
class ArticleRow:
    id: int
    guid: str
    title: str
    category: str
    minutes: int
    points: int
    published: object
    done: bool


def _read_guids(session: Session, member_number: str | None) -> set[str]:
    if not member_number:
        return set()
    member = session.scalars(select(Member).where(Member.number == member_number)).first()
    if member is None:
        return set()
    rows = session.scalars(select(QuizResult).where(QuizResult.member_id == member.id,
                                                    QuizResult.mode == "reading"))
    return {str(r.answers.get("article")) for r in rows}


class ArticleListScreen(CardScreen):
    """学习园地: published articles with category, reading minutes and points."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "articles")
        self.title = ctx.t("学习园地", "Articles")
        self.rows: list[ArticleRow] = []
        self.list: ScrollList | None = None
        self._member: str | None = None

    def load(self) -> list[ArticleRow]:
        ctx = self.ctx
        with ctx.session() as s:
            done = _read_guids(s, ctx.visitor.member_number)
            return [ArticleRow(a.id, a.guid, ctx.t(a.title_zh, a.title_en or a.title_zh), a.category,
                               reading_minutes(a.body), a.points, a.published_at, a.guid in done)
                    for a in visible(s, "article", ctx.now())]

    def build(self) -> None:
        t = self.theme
        assert t is not None
        p = t.palette
        ctx = self.ctx
        self.rows = self.load()
        self._member = ctx.visitor.member_number
        area = inset(self.rect, t.spacing.pad)
        hint = (ctx.t("阅读全文后可领取积分", "Read an article to the end to collect its points")
                if ctx.visitor.member_number else
                ctx.t("登录后阅读全文可领取积分", "Sign in, then read an article to the end to collect its points"))
        runs = [Run(ctx.t(f"学习园地 · 共 {len(self.rows)} 篇", f"Articles · {len(self.rows)}"), "heading", True,
                    p.red), Run(hint, "small", color=p.ink_muted)]
        head, rest = take_top(area, runs_height(t, runs, area.w), t.spacing.gap)
        self.add(TextBlock(head, t, runs))
        items = []
        for r in self.rows:
            meta = " · ".join(x for x in (r.category, ctx.t(f"约 {r.minutes} 分钟", f"~{r.minutes} min"),
                                              ctx.date_text(r.published)) if x)
            if r.points:
                trailing = ctx.t("已领积分", "collected") if r.done else ctx.t(f"+{r.points} 积分", f"+{r.points} pts")
            else:
                trailing = None
            items.append(ListItem(r.title, meta, trailing, p.ok.text if r.done else p.gold_dark))
        self.list = self.add(ScrollList(rest, t, items, row_height=round(t.spacing.row * 1.1), on_select=self._open,
                                        empty_text=ctx.t("暂无学习文章", "No articles yet")))

    def enter(self) -> None:
        """Back from an article (or a sign-in): show collected points, keeping the scroll position."""
        if self.list is None or (self.load() == self.rows and self._member == self.ctx.visitor.member_number):
            return
        offset = self.list.offset
        self.rebuild()
        if self.list is not None:
            self.list.offset = offset
            self.list.set_items(self.list.items, keep_offset=True)  # clamps the offset

    def _open(self, index: int) -> None:
        if self.nav is not None and 0 <= index < len(self.rows):
            self.nav.push(ArticleScreen(self.ctx, self.rows[index].id))


class ArticleScreen(CardScreen):
    """One article (DocumentView). An identified member who has scrolled to the end collects its points."""

    def __init__(self, ctx: KioskContext, article_id: int) -> None:
        super().__init__(ctx, "article")
        self.title = ctx.t("学习园地", "Articles")
        self.article_id = article_id
        self.doc: DocumentView | None = None
        self.award_button: Button | None = None
        self.status: TextBlock | None = None
        self.reached_end = False
        self.awarded = False
        with ctx.session() as s:
            a = s.get(ContentItem, article_id)
            if a is None:
                raise LookupError(f"no article {article_id}")
            self.guid = a.guid
            self.heading = ctx.t(a.title_zh, a.title_en or a.title_zh)
            body = a.body if ctx.lang != "en" or not a.body_en else f"{a.body_en}\n\n{a.body}"
            self.body = body
            self.category = a.category
            self.points = a.points
            self.minutes = reading_minutes(a.body)
            self.published = a.published_at
            self.image_path = a.image_path
            self.awarded = a.guid in _read_guids(s, ctx.visitor.member_number)

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        ctx = self.ctx
        area = inset(self.rect, sp.pad)
        if t.portrait:
            bar, doc_rect = take_bottom(area, sp.target + 2 * sp.unit * 2, sp.gap)
            self.cards.append(bar)
            inner = inset(bar, sp.unit * 2)
            btn_w = max(round(inner.w * 0.42), 2 * sp.target)
            status_rect = pygame.Rect(inner.x + sp.unit, inner.y, inner.w - btn_w - sp.gap - sp.unit, inner.h)
            btn_rect = pygame.Rect(inner.right - btn_w, inner.y, btn_w, inner.h)
        else:
            side_w = round(area.w * 0.27)
            doc_rect = pygame.Rect(area.x, area.y, area.w - side_w - sp.gap * 2, area.h)
            side = pygame.Rect(doc_rect.right + sp.gap * 2, area.y, side_w, area.h)
            self.cards.append(side)
            inner = inset(side, sp.pad)
            btn_rect, status_rect = take_bottom(inner, round(sp.target * 1.2), sp.gap)
        meta = " · ".join(x for x in (self.category, ctx.date_text(self.published),
                                      ctx.t(f"约 {self.minutes} 分钟", f"~{self.minutes} min"),
                                      ctx.t(f"{self.points} 积分", f"{self.points} points") if self.points else "")
                          if x)
        self.doc = self.add(DocumentView(doc_rect, t, title=self.heading, meta=meta, body=self.body,
                                         image_path=self.image_path))
        self.status = self.add(TextBlock(status_rect, t, [], valign="center" if t.portrait else "top"))
        self.award_button = self.add(Button(btn_rect, t, "", self._award))
        self.reached_end = self.reached_end or self.doc.max_offset <= 1
        self._sync()

    def _sync(self) -> None:
        t = self.theme
        assert t is not None and self.award_button is not None and self.status is not None
        p = t.palette
        ctx = self.ctx
        b = self.award_button
        runs: list[Run] = []
        if not t.portrait:
            runs = [Run(self.category or ctx.t("学习文章", "Article"), "title", True, p.red),
                    Run(ctx.t(f"约 {self.minutes} 分钟读完", f"About {self.minutes} min to read"), "body",
                        color=p.ink_muted, gap_before=t.spacing.gap)]
            if self.points:
                runs.append(Run(ctx.t(f"本文积分 {self.points} 分", f"Worth {self.points} points"), "title", True,
                                p.gold_dark, gap_before=t.spacing.gap))
        b.visible = bool(self.points)
        identified = bool(ctx.visitor.member_number)
        if not self.points:
            note = ctx.t("本文不设积分", "No points for this article")
        elif not identified:
            note = ctx.t("登录后阅读全文可领取积分", "Sign in to collect the points")
            b.set_text(ctx.t("登录领积分", "Sign in"))
            b.kind, b.enabled = "secondary", True
        elif self.awarded:
            note = ctx.t("本文积分已领取", "Points collected")
            b.set_text(ctx.t("已领取", "Collected"))
            b.kind, b.enabled = "primary", False
        elif not self.reached_end:
            note = ctx.t("请读到文末再领取积分", "Read to the end to collect the points")
            b.set_text(ctx.t(f"领取 {self.points} 积分", f"Collect {self.points}"))
            b.kind, b.enabled = "primary", False
        else:
            note = ctx.t("已读完，请领取积分", "Done reading: collect your points")
            b.set_text(ctx.t(f"领取 {self.points} 积分", f"Collect {self.points}"))
            b.kind, b.enabled = "primary", True
        runs.append(Run(note, "body", color=p.ink_muted if t.portrait else p.ink, gap_before=0 if t.portrait
                        else t.spacing.gap * 2))
        self.status.set_runs(runs)
        b.dirty = True

    def update(self, dt: float) -> None:
        super().update(dt)
        if self.doc is not None and not self.reached_end and self.doc.offset >= self.doc.max_offset - 2:
            self.reached_end = True
            self._sync()

    def enter(self) -> None:
        if self.award_button is not None:
            with self.ctx.session() as s:
                self.awarded = self.guid in _read_guids(s, self.ctx.visitor.member_number)
            self._sync()

    def _award(self) -> None:
        nav = self.nav
        assert nav is not None
        ctx = self.ctx
        if not ctx.visitor.member_number:
            nav.push(LoginScreen(ctx))
            return
        with ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == ctx.visitor.member_number)).first()
            article = s.get(ContentItem, self.article_id)
            given = award_reading(s, member, article, ctx.now(), ctx.terminal.terminal_id) if member and article else 0
        self.awarded = True
        if given:
            nav.notify(ctx.t(f"获得 {given} 积分：{self.heading}", f"+{given} points: {self.heading}"),
                       tag=ctx.t("积分 +" + str(given), f"+{given}"), duration=3.0)
        else:
            nav.notify(ctx.t("本文积分已领取过", "Points already collected"), tag=ctx.t("提示", "Info"), duration=3.0)
        self._sync()


# ------------------------------------------------------------------------------------------- quiz
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
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        run = self.run
        area = inset(self.rect, sp.pad)
        if not run.total:
            box, btn = take_top(area, round(sp.target * 2), sp.gap)
            self.add(TextBlock(box, t, [Run(ctx.t("题库暂无题目", "The question bank is empty"), "heading", True, p.red),
                                        Run(ctx.t("请联系党群工作部导入题库。", "Please ask the Party affairs office."),
                                            "body", color=p.ink_muted)]))
            self.add(Button(pygame.Rect(btn.x, btn.y, min(btn.w, sp.target * 4), sp.target), t,
                            ctx.t("返回", "Back"), self._abandon))
            return
        q = self.question
        exam = self.mode == "exam"
        mode_text = ctx.t(MODE_ZH[self.mode], MODE_EN[self.mode])
        progress_text = ctx.t(f"第 {run.index + 1} / {run.total} 题", f"Question {run.index + 1} of {run.total}")
        kind_text = ctx.t(KIND_ZH.get(q.kind, q.kind), KIND_EN.get(q.kind, q.kind))
        bar_h = max(sp.unit * 3, 12)
        if t.portrait:
            top, rest = take_top(area, sp.target, sp.unit)
            bar, rest = take_top(rest, bar_h, sp.gap)
            action_rect, rest = take_bottom(rest, round(sp.target * 1.2), sp.gap)
            feedback_min = round(rest.h * 0.3) if not exam else line_height(t.font("body")) * 3
            main = pygame.Rect(rest.x, rest.y, rest.w, rest.h - feedback_min - sp.gap)
            left_txt, right_txt = split_columns(top, [1.6, 1], sp.gap)
            self.progress_label = self.add(Label(left_txt, t, f"{mode_text} · {progress_text}", role="title",
                                                 bold=True, color=p.red))
            if exam:
                self.timer = self.add(Label(right_txt, t, "", role="title", bold=True, align="right"))
            self.add(ProgressBar(bar, t, (run.index + (1 if run.revealed else 0)) / run.total, show_percent=False))
            q_area = main
            feedback_rect = None  # placed after the options
        else:
            left, side = split_columns(area, [1.8, 1], sp.gap * 2)
            self.cards.append(side)
            inner = inset(side, sp.pad)
            head, inner = take_top(inner, line_height(t.font("title", True)), sp.unit)
            self.add(Label(head, t, mode_text + ("" if ctx.lang == "en" else f" · {MODE_EN[self.mode]}"),
                           role="title", bold=True, color=p.red))
            prog, inner = take_top(inner, line_height(t.font("heading", True)), sp.unit)
            self.progress_label = self.add(Label(prog, t, progress_text, role="heading", bold=True))
            bar, inner = take_top(inner, bar_h, sp.gap)
            self.add(ProgressBar(bar, t, (run.index + (1 if run.revealed else 0)) / run.total, show_percent=False))
            if exam:
                cap, inner = take_top(inner, line_height(t.font("body")), sp.unit)
                self.add(Label(cap, t, ctx.t("剩余时间", "Time left"), role="body", color=p.ink_muted))
                clock, inner = take_top(inner, line_height(t.font("number", True)), sp.gap)
                self.timer = self.add(Label(clock, t, "", role="number", bold=True))
            action_rect, feedback_rect = take_bottom(inner, round(sp.target * 1.2), sp.gap)
            q_area = left
        # kind chip + question + options
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
        if feedback_rect is None:  # portrait: the feedback goes under the options, on a card sized to it
            bottom = (cells[-1].bottom if cells else opts_area.y) + sp.gap * 2
            room = pygame.Rect(area.x, bottom, area.w, max(0, action_rect.y - sp.gap - bottom))
            if run.revealed:
                runs = self._feedback_runs(room.w - 2 * sp.pad, room.h - 4 * sp.unit)
                box = pygame.Rect(room.x, room.y, room.w, min(room.h, runs_height(t, runs, room.w - 2 * sp.pad)
                                                              + 4 * sp.unit))
                self.cards.append(box)
                feedback_rect = inset(box, sp.pad, sp.unit * 2)
            else:
                feedback_rect = room
        self.feedback = self.add(TextBlock(feedback_rect, t, self._feedback_runs(feedback_rect.w, feedback_rect.h)))
        self.action = self.add(Button(action_rect, t, self._action_text(), self._act))
        self.action.enabled = run.revealed or bool(run.selection)
        self._shown_seconds = None
        self._tick()

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
                member = s.scalars(select(Member).where(Member.number == ctx.visitor.member_number)).first()
            result = run.quiz.save(s, member, ctx.now(), ctx.terminal.terminal_id)
            points, result_id = result.points, result.id
        screen = ResultScreen(ctx, run.quiz, points=points, member_name=ctx.visitor.member_name if member else None,
                              result_id=result_id, timed_out=timed_out)
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


# ------------------------------------------------------------------------------------------- results
class ResultScreen(CardScreen):
    """Score, passed or not, points earned and a review list (tap a row for its explanation)."""

    def __init__(self, ctx: KioskContext, quiz: Quiz, *, points: int = 0, member_name: str | None = None,
                 result_id: int | None = None, timed_out: bool = False) -> None:
        super().__init__(ctx, "quiz_result")
        self.quiz = quiz
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
        if self.nav is not None:
            self.nav.replace(QuizScreen(self.ctx, self.quiz.mode))

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


# ------------------------------------------------------------------------------------------- history & board
class HistoryScreen(CardScreen):
    """我的记录: the identified member's results and points (asks to sign in otherwise)."""

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "history")
        self.title = ctx.t("我的记录", "My history")
        self.list: ScrollList | None = None
        self.summary: dict[str, int] = {}
        self._member: str | None = None

    def load(self) -> tuple[list[ListItem], dict[str, int]]:
        ctx = self.ctx
        t = self.theme
        assert t is not None
        p = t.palette
        items: list[ListItem] = []
        summary = {"points": 0, "exams": 0, "best": 0, "practice": 0}
        with ctx.session() as s:
            member = s.scalars(select(Member).where(Member.number == ctx.visitor.member_number)).first()
            if member is None:
                return items, summary
            rows = history(s, member, limit=100)
            titles = {a.guid: ctx.t(a.title_zh, a.title_en or a.title_zh)
                      for a in s.scalars(select(ContentItem).where(ContentItem.kind == "article"))}
            summary["points"] = member_points(s, member.id)
        for r in rows:
            when = ctx.date_text(r.finished_at, with_time=True)
            pts = ctx.t(f"+{r.points} 积分", f"+{r.points} pts")
            if r.mode == "reading":
                title = ctx.t("阅读文章：", "Read: ") + titles.get(str(r.answers.get("article")), "")
                items.append(ListItem(title, when, pts, p.gold_dark))
                continue
            pct = round(100 * r.score / r.total) if r.total else 0
            mode = ctx.t(MODE_ZH.get(r.mode, r.mode), MODE_EN.get(r.mode, r.mode))
            title = ctx.t(f"{mode}  答对 {r.score}/{r.total}（{pct}%）", f"{mode}  {r.score}/{r.total} ({pct}%)")
            if r.mode == "exam":
                summary["exams"] += 1
                summary["best"] = max(summary["best"], pct)
                passed = r.total and r.score / r.total >= EXAM_PASS
                title += ctx.t("  通过" if passed else "  未通过", "  passed" if passed else "  not passed")
            else:
                summary["practice"] += 1
            items.append(ListItem(title, when, pts, p.gold_dark))
        return items, summary

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        area = inset(self.rect, sp.pad)
        self._member = ctx.visitor.member_number
        self.list = None
        if not self._member:
            box = pygame.Rect(0, 0, min(area.w, round(900 * t.scale)), round(sp.target * 4.5))
            box.center = area.center
            self.cards.append(box)
            inner = inset(box, sp.pad)
            btn, text = take_bottom(inner, sp.target, sp.gap)
            self.add(TextBlock(text, t, [Run(ctx.t("请先登录", "Please sign in"), "heading", True, p.red),
                                         Run(ctx.t("登录后可查看您的答题成绩和积分记录",
                                                   "Sign in to see your results and points"), "body",
                                             color=p.ink_muted)], align="center"))
            nav = self.nav
            self.add(Button(btn, t, ctx.t("党员登录", "Sign in"),
                            lambda: nav.push(LoginScreen(ctx)) if nav else None))
            return
        items, self.summary = self.load()
        stats_h = round(sp.target * 1.9)
        stats, rest = take_top(area, stats_h, sp.gap)
        name = ctx.visitor.member_name or self._member
        specs = [(ctx.t("累计积分", "Points"), name, self.summary["points"], self.unit("分")),
                 (ctx.t("考试次数", "Exams"), "Exams", self.summary["exams"], self.unit("次")),
                 (ctx.t("最好成绩", "Best exam"), "Best exam", f"{self.summary['best']}%" if self.summary["exams"]
                  else "—", None),
                 (ctx.t("练习次数", "Practice"), "Practice", self.summary["practice"], self.unit("次"))]
        cols = 2 if t.portrait else 4
        if t.portrait:
            stats, rest = take_top(area, stats_h * 2 + sp.gap, sp.gap)
        for rect, (title, sub, num, unit) in zip(tile_grid(stats, 4, gap=sp.gap, min_size=sp.target, cols=cols),
                                                 specs, strict=True):
            self.add(Tile(rect, t, title, sub if ctx.lang == "zh" else None, icon=title[:1], number=num, unit=unit,
                          accent=p.gold if title == specs[0][0] else p.red))
        self.list = self.add(ScrollList(rest, t, items, row_height=sp.row,
                                        empty_text=ctx.t("还没有记录，去练习答题吧", "No results yet")))

    def enter(self) -> None:
        if self.ctx.visitor.member_number != self._member:
            self.rebuild()

    def update(self, dt: float) -> None:
        super().update(dt)
        if self.ctx.visitor.member_number != self._member:
            self.rebuild()


class LeaderboardScreen(CardScreen):
    """积分榜: rank, name, branch, points; the identified visitor's row is highlighted."""

    LIMIT = 30

    def __init__(self, ctx: KioskContext) -> None:
        super().__init__(ctx, "leaderboard")
        self.title = ctx.t("积分榜", "Leaderboard")
        self.rows: list[BoardRow] = []
        self.list: ScrollList | None = None

    def build(self) -> None:
        t = self.theme
        assert t is not None
        sp = t.spacing
        p = t.palette
        ctx = self.ctx
        with ctx.session() as s:
            self.rows = leaderboard(s, limit=self.LIMIT)
        area = inset(self.rect, sp.pad)
        if not t.portrait:
            w = min(area.w, round(1500 * t.scale))
            area = pygame.Rect(area.centerx - w // 2, area.y, w, area.h)
        me = self.my_row()
        note = (ctx.t(f"您目前排名第 {me.rank} 位，{me.points} 积分", f"You are #{me.rank} with {me.points} points")
                if me else ctx.t("学习文章、练习答题和模拟考试都可以获得积分",
                                 "Earn points by reading articles, practising and taking exams"))
        runs = [Run(ctx.t(f"学习积分榜 · 前 {self.LIMIT} 名", f"Top {self.LIMIT} learners"), "heading", True, p.red),
                Run(note, "small", color=p.ink_muted)]
        head, rest = take_top(area, runs_height(t, runs, area.w), sp.gap)
        self.add(TextBlock(head, t, runs))
        self.list = self.add(ScrollList(rest, t, self.rows, row_height=sp.row, render_row=self._render_row,
                                        empty_text=ctx.t("还没有积分记录，快来答题吧！", "No points yet")))
        if me is not None:
            self.list.scroll_to(max(0, self.rows.index(me) - 2))

    def my_row(self) -> BoardRow | None:
        number = self.ctx.visitor.member_number
        return next((r for r in self.rows if number and r.number == number), None)

    def _render_row(self, surface: pygame.Surface, rect: pygame.Rect, index: int, item: object,
                    pressed: bool) -> None:
        t = self.theme
        assert t is not None and isinstance(item, BoardRow)
        p = t.palette
        sp = t.spacing
        mine = item.number == self.ctx.visitor.member_number
        if mine:
            surface.fill(mix(p.surface, p.gold, 0.35), rect)
            pygame.draw.rect(surface, p.red, (rect.x, rect.y, max(6, sp.unit), rect.h))
        pad = sp.pad // 2 + sp.unit
        d = round(t.type.title * 1.3)
        center = (rect.x + pad + d // 2 + sp.unit, rect.centery)
        medals = {1: p.gold, 2: (200, 200, 204), 3: (214, 150, 92)}
        if item.rank in medals:
            pygame.draw.circle(surface, medals[item.rank], center, d // 2)
        draw_text(surface, t.font("title", True), str(item.rank), center, p.ink, "center")
        x = center[0] + d // 2 + sp.gap
        pf, uf = t.font("title", True), t.font("small")
        unit = self.ctx.t("分", "pts")
        right = rect.right - pad - sp.unit
        draw_text(surface, uf, unit, (right, rect.centery), p.ink_muted, "midright")
        right -= text_width(uf, unit) + sp.unit
        draw_text(surface, pf, str(item.points), (right, rect.centery), p.red, "midright")
        right -= text_width(pf, str(item.points)) + sp.gap
        bf, sf = t.font("body", True), t.font("small")
        name = item.name + (self.ctx.t("（我）", " (me)") if mine else "")
        h = line_height(bf) + line_height(sf)
        top = rect.centery - h // 2
        width = max(0, right - x)
        draw_text(surface, bf, ellipsize(name, width, measurer(bf)), (x, top), p.ink)
        draw_text(surface, sf, ellipsize(f"{item.branch} · {item.number}", width, measurer(sf)),
                  (x, top + line_height(bf)), p.ink_muted)
        pygame.draw.line(surface, p.divider, (rect.x + pad, rect.bottom - 1), (rect.right - pad, rect.bottom - 1))


# ------------------------------------------------------------------------------------------- screenshot entries
def practice_screen(ctx: KioskContext) -> QuizScreen:
    """A practice quiz with a fixed seed (reproducible screenshots)."""
    return QuizScreen(ctx, "practice", seed=SCREENSHOT_SEED)


def exam_screen(ctx: KioskContext) -> QuizScreen:
    """An exam with a fixed seed (reproducible screenshots)."""
    return QuizScreen(ctx, "exam", seed=SCREENSHOT_SEED)


def demo_result_screen(ctx: KioskContext) -> ResultScreen:
    """The result page of a fixed exam answered right except every sixth question (nothing is saved)."""
    with ctx.session() as s:
        questions = pick_questions(s, EXAM_COUNT, SCREENSHOT_SEED)
    quiz = Quiz(questions, "exam", ctx.now() - timedelta(minutes=11), time_limit=timedelta(minutes=EXAM_MINUTES))
    for i, q in enumerate(questions):
        right = correct_options(q)
        wrong = [(right[0] + 1) % max(2, len(q.options_zh or [0, 1]))]
        pick = wrong if i % 6 == 2 else right
        quiz.answer(q, (pick[0] == 0) if q.kind == "truefalse" else pick)
    member = ctx.visitor.member_name if ctx.visitor.member_number else None
    return ResultScreen(ctx, quiz, points=quiz.points if member else 0, member_name=member)


def first_article_screen(ctx: KioskContext) -> ArticleScreen:
    with ctx.session() as s:
        articles = visible(s, "article", ctx.now())
        if not articles:
            raise LookupError("no published article")
        article_id = articles[0].id
    return ArticleScreen(ctx, article_id)


SCREENS: dict[str, Callable[[KioskContext], Screen]] = {
    "learning": LearningScreen,
    "login": LoginScreen,
    "articles": ArticleListScreen,
    "article": first_article_screen,
    "quiz": practice_screen,
    "exam": exam_screen,
    "quiz_result": demo_result_screen,
    "history": HistoryScreen,
    "leaderboard": LeaderboardScreen,
}

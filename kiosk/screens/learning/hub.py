"""学习考试 hub (:class:`LearningScreen`): who is identified, 登录 / 退出, a strip to resume an
unfinished quiz, and the tiles that open the other learning screens."""

from __future__ import annotations

from collections.abc import Callable

import pygame

from core.content import visible
from core.members import by_number, points_total
from core.quiz import leaderboard
from kiosk.context import KioskContext
from kiosk.screens.learning.articles import ArticleListScreen
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import (
    EXAM_COUNT,
    EXAM_MINUTES,
    MODE_EN,
    MODE_ZH,
    PRACTICE_COUNT,
)
from kiosk.screens.learning.login import LoginScreen
from kiosk.screens.learning.quiz import QuizScreen
from kiosk.screens.learning.quiz_run import current_run
from kiosk.screens.learning.records import HistoryScreen, LeaderboardScreen
from kiosk.screens.learning.widgets import Run, TextBlock, runs_height
from kiosk.ui.layout import inset, split_columns, split_rows, take_top, tile_grid
from kiosk.ui.widgets import Button, Dialog, Tile


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
                member = by_number(s, number)
                if member is not None:
                    points = points_total(s, member)
                    b = member.branch
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

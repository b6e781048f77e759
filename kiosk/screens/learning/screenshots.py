"""Entries for the screenshot command (and ``SCREENS``) that need a fixed set-up: quizzes with a fixed
seed, a finished exam that is never saved, and the first published article — so the pictures are
reproducible."""

from __future__ import annotations

from datetime import timedelta

from core.content import visible
from core.quiz import Quiz, pick_questions
from kiosk.context import KioskContext
from kiosk.screens.learning.articles import ArticleScreen
from kiosk.screens.learning.common import EXAM_COUNT, EXAM_MINUTES, SCREENSHOT_SEED, correct_options
from kiosk.screens.learning.quiz import QuizScreen
from kiosk.screens.learning.results import ResultScreen


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
    return ResultScreen(ctx, quiz, points=quiz.points if member else 0, member_name=member,
                        again=lambda: QuizScreen(ctx, "exam"))


def first_article_screen(ctx: KioskContext) -> ArticleScreen:
    with ctx.session() as s:
        articles = visible(s, "article", ctx.now())
        if not articles:
            raise LookupError("no published article")
        article_id = articles[0].id
    return ArticleScreen(ctx, article_id)

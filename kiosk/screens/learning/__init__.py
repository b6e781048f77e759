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

One module per screen (or pair of screens), so each stays small enough to read at once:
``hub``, ``login``, ``articles``, ``quiz``, ``results``, ``records`` (history and leaderboard); shared
pieces in ``common`` (constants, data helpers), ``quiz_run`` (the quiz in progress), ``widgets`` and
``card_screen``; fixed set-ups for the screenshot command in ``screenshots``. This package re-exports
their public names, so ``kiosk.screens.learning.QuizScreen`` and the like keep working.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.context import KioskContext
from kiosk.screens.learning.articles import ArticleListScreen, ArticleRow, ArticleScreen
from kiosk.screens.learning.card_screen import CardScreen
from kiosk.screens.learning.common import (
    EXAM_COUNT,
    EXAM_MINUTES,
    KIND_EN,
    KIND_ZH,
    LETTERS,
    MAX_PIN_TRIES,
    MODE_EN,
    MODE_ZH,
    PRACTICE_COUNT,
    READ_CHARS_PER_MINUTE,
    SCREENSHOT_SEED,
    STATE_KEY,
    correct_options,
    given_options,
    member_candidates,
    reading_minutes,
)
from kiosk.screens.learning.hub import LearningScreen
from kiosk.screens.learning.login import LoginScreen
from kiosk.screens.learning.quiz import QuizScreen
from kiosk.screens.learning.quiz_run import QuizRun, current_run, start_quiz
from kiosk.screens.learning.records import HistoryScreen, LeaderboardScreen
from kiosk.screens.learning.results import ResultScreen, ReviewScreen
from kiosk.screens.learning.screenshots import (
    demo_result_screen,
    exam_screen,
    first_article_screen,
    practice_screen,
)
from kiosk.screens.learning.widgets import OptionButton, Run, TextBlock, draw_mark, layout_runs, runs_height
from kiosk.ui.screens import Screen

__all__ = [
    "EXAM_COUNT",
    "EXAM_MINUTES",
    "KIND_EN",
    "KIND_ZH",
    "LETTERS",
    "MAX_PIN_TRIES",
    "MODE_EN",
    "MODE_ZH",
    "PRACTICE_COUNT",
    "READ_CHARS_PER_MINUTE",
    "SCREENS",
    "SCREENSHOT_SEED",
    "STATE_KEY",
    "ArticleListScreen",
    "ArticleRow",
    "ArticleScreen",
    "CardScreen",
    "HistoryScreen",
    "LeaderboardScreen",
    "LearningScreen",
    "LoginScreen",
    "OptionButton",
    "QuizRun",
    "QuizScreen",
    "ResultScreen",
    "ReviewScreen",
    "Run",
    "TextBlock",
    "correct_options",
    "current_run",
    "demo_result_screen",
    "draw_mark",
    "exam_screen",
    "first_article_screen",
    "given_options",
    "layout_runs",
    "member_candidates",
    "practice_screen",
    "reading_minutes",
    "runs_height",
    "start_quiz",
]

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

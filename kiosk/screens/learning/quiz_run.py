"""The quiz in progress (:class:`QuizRun`), kept in ``ctx.visitor.state`` so that the idle timeout that
clears the visitor also drops a half-finished quiz; the hub (resume strip) and the quiz screen both
read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from core.models import QuizQuestion
from core.quiz import Quiz, pick_questions
from kiosk.context import KioskContext
from kiosk.screens.learning.common import EXAM_COUNT, EXAM_MINUTES, PRACTICE_COUNT, STATE_KEY


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

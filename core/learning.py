"""Quiz questions by code, for a quiz answered over more than one request (the members' web app, #20).

The kiosk holds a ``core.quiz.Quiz`` in memory for one visitor; a web page only remembers the question
codes (in its signed session) and rebuilds the quiz from them when the answers arrive, then saves it
through ``Quiz.save`` — the same table and points the kiosk leaderboard reads.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import QuizQuestion


def questions_by_code(session: Session, codes: list[str]) -> list[QuizQuestion]:
    """The questions with these codes, in the order given (unknown codes are left out)."""
    found = {q.code: q for q in session.scalars(select(QuizQuestion).where(QuizQuestion.code.in_(codes)))}
    return [found[c] for c in codes if c in found]

"""Practice quizzes and timed exams from the question bank, results, points (积分) and the leaderboard.

A quiz is a plain object held by the kiosk screen for one visitor; nothing is written until it is
finished, so an idle timeout that clears the visitor's state loses nothing that was promised. Points:
practice 1 per correct answer; an exam 2 per correct answer plus 10 for a score of 90% or more; reading
an article gives that article's points once per member.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Branch, ContentItem, Member, QuizQuestion, QuizResult, new_uuid
from core.outbox import enqueue, quiz_result_payload

EXAM_PASS = 0.6
EXAM_BONUS_AT = 0.9


def is_correct(question: QuizQuestion, given: list[int] | bool | None) -> bool:
    """Single/multi: the exact set of option indices; true/false: the boolean."""
    if given is None:
        return False
    if question.kind == "truefalse":
        return isinstance(given, bool) and [given] == list(question.answer)
    if isinstance(given, bool):
        return False
    return sorted(set(given)) == sorted(question.answer)


def pick_questions(session: Session, count: int, seed: int | None = None,
                   tags: list[str] | None = None) -> list[QuizQuestion]:
    """A random selection mixing the three kinds in proportion to the bank."""
    pool = list(session.scalars(select(QuizQuestion).order_by(QuizQuestion.code)))
    if tags:
        pool = [q for q in pool if set(tags) & set(q.tags)] or pool
    rng = random.Random(seed)
    return rng.sample(pool, min(count, len(pool)))


@dataclass
class Quiz:
    """One visitor's quiz in progress."""

    questions: list[QuizQuestion]
    mode: str  # "practice" | "exam"
    started_at: datetime
    time_limit: timedelta | None = None
    answers: dict[str, list[int] | bool] = field(default_factory=dict)

    def answer(self, question: QuizQuestion, given: list[int] | bool) -> bool:
        self.answers[question.code] = given
        return is_correct(question, given)

    def remaining(self, now: datetime) -> timedelta | None:
        if self.time_limit is None:
            return None
        return max(self.started_at + self.time_limit - now, timedelta(0))

    def timed_out(self, now: datetime) -> bool:
        left = self.remaining(now)
        return left is not None and left <= timedelta(0)

    @property
    def score(self) -> int:
        return sum(1 for q in self.questions if is_correct(q, self.answers.get(q.code)))

    @property
    def points(self) -> int:
        if self.mode == "practice":
            return self.score
        bonus = 10 if self.questions and self.score / len(self.questions) >= EXAM_BONUS_AT else 0
        return 2 * self.score + bonus

    def passed(self) -> bool:
        return bool(self.questions) and self.score / len(self.questions) >= EXAM_PASS

    def save(self, session: Session, member: Member | None, now: datetime, terminal_id: str) -> QuizResult:
        """Store the finished quiz (anonymous visitors get a result but no points on the board)."""
        result = QuizResult(uuid=new_uuid(), member_id=member.id if member else None, mode=self.mode,
                            started_at=self.started_at, finished_at=now, score=self.score, total=len(self.questions),
                            points=self.points if member else 0, answers=dict(self.answers),
                            terminal_id=terminal_id)
        session.add(result)
        enqueue(session, "quiz_result", quiz_result_payload(result, member))  # same transaction
        session.commit()
        return result


def articles_read(session: Session, member: Member | None) -> set[str]:
    """Guids of the articles ``member`` has collected reading points for (empty for an anonymous visitor).

    Why here: the article list ticks these, the article page offers its points only when absent, and
    ``award_reading`` gives points once — all three must read the same rows the same way."""
    if member is None:
        return set()
    rows = session.scalars(select(QuizResult).where(QuizResult.member_id == member.id,
                                                    QuizResult.mode == "reading"))
    return {str(guid) for r in rows if (guid := (r.answers or {}).get("article")) is not None}


def award_reading(session: Session, member: Member, article: ContentItem, now: datetime,
                  terminal_id: str) -> int:
    """Give an article's points once per member; returns the points given (0 when already given)."""
    if article.guid in articles_read(session, member) or article.points <= 0:
        return 0
    result = QuizResult(uuid=new_uuid(), member_id=member.id, mode="reading", started_at=now, finished_at=now,
                        score=0, total=0, points=article.points, answers={"article": article.guid},
                        terminal_id=terminal_id)
    session.add(result)
    enqueue(session, "quiz_result", quiz_result_payload(result, member))  # same transaction
    session.commit()
    return article.points


def history(session: Session, member: Member, limit: int = 50) -> list[QuizResult]:
    return list(session.scalars(select(QuizResult).where(QuizResult.member_id == member.id)
                                .order_by(QuizResult.finished_at.desc()).limit(limit)))


@dataclass(frozen=True)
class BoardRow:
    rank: int
    number: str
    name: str
    branch: str
    points: int


def leaderboard(session: Session, limit: int = 10, since: datetime | None = None) -> list[BoardRow]:
    """Members by points (积分), highest first; ties share a rank."""
    total = func.sum(QuizResult.points).label("points")
    query = (select(Member.number, Member.name, Branch.name_zh, total)
             .join(QuizResult, QuizResult.member_id == Member.id).join(Branch, Member.branch_id == Branch.id)
             .group_by(Member.number, Member.name, Branch.name_zh).order_by(total.desc(), Member.number)
             .limit(limit))
    if since is not None:
        query = query.where(QuizResult.finished_at >= since)
    rows, out, rank, last = session.execute(query).all(), [], 0, None
    for i, (number, name, branch, points) in enumerate(rows, start=1):
        if points != last:
            rank, last = i, points
        out.append(BoardRow(rank, number, name, branch, int(points or 0)))
    return out

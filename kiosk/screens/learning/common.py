"""Constants and helpers every learning screen shares: quiz sizes and limits, the spellings of a typed
member number, and how an answer is worded (the data itself comes from ``core``). Kept apart so the screens, which import each other, all
depend on one module that depends on none of them."""

from __future__ import annotations

from collections.abc import Sequence

from core.models import QuizQuestion
from kiosk.context import KioskContext

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

"""Answering a question from the knowledge base: pick the best entry, or decline honestly with suggestions.

Why decline: a kiosk that answers every question with its nearest entry tells a visitor who asked about the
weather how to pay Party dues. Below the confidence threshold the assistant says it does not know and offers
the questions it does know that come closest (each candidate's first phrasing, in the visitor's language).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.knowledge import KnowledgeEntry
from robot_assistant.qa.retriever import Hit, Retriever
from robot_assistant.qa.text import Language, detect_language

#: Measured on the dev split of content/demo/qa_devset.yaml: the lowest threshold that still declines ≥ 90%
#: of the out-of-scope questions (see bench/qa_bench.py).
DEFAULT_THRESHOLD = 0.52
#: Candidates below this are not even offered as suggestions; next to an answer, related questions must also
#: score at least RELATED_SHARE of the answer's score.
SUGGESTION_FLOOR = 0.15
RELATED_SHARE = 0.5

DECLINE = {
    "zh": "抱歉，这个问题我还不会回答。",
    "en": "Sorry, I can't answer that yet.",
}
SUGGEST = {
    "zh": "您可以试着问我：{}",
    "en": " You could ask me: {}",
}
SEPARATOR = {"zh": "；", "en": "; "}


def question_in(entry: KnowledgeEntry, language: Language) -> str:
    """The entry's first phrasing in ``language`` (Chinese when it has no English one)."""
    if language == "en" and entry.questions_en:
        return entry.questions_en[0]
    return entry.questions_zh[0]


def answer_in(entry: KnowledgeEntry, language: Language) -> tuple[str, Language]:
    """The entry's answer in ``language`` when it has one, else the Chinese answer (and "zh")."""
    if language == "en" and entry.answer_en.strip():
        return entry.answer_en.strip(), "en"
    return entry.answer_zh.strip(), "zh"


def starter_entries(entries: Sequence[KnowledgeEntry], n: int = 3) -> list[KnowledgeEntry]:
    """The first entry of each of the first ``n`` topics: what a greeting or a hopeless question suggests."""
    seen: dict[str, KnowledgeEntry] = {}
    for e in entries:
        seen.setdefault(e.topic, e)
    return list(seen.values())[:n]


@dataclass(frozen=True)
class QAResult:
    question: str
    language: Language
    """Language of ``text`` (the question's, unless the entry has no answer in it)."""
    text: str
    """The answer, or the decline message (with suggestions spelled out, for speech)."""
    entry: KnowledgeEntry | None
    """None when declined."""
    score: float
    suggestions: tuple[str, ...]
    hits: tuple[Hit, ...]

    @property
    def declined(self) -> bool:
        return self.entry is None


class QA:
    """A retriever plus the decision to answer or decline."""

    def __init__(
        self,
        retriever: Retriever,
        threshold: float = DEFAULT_THRESHOLD,
        suggestions: int = 3,
        fallback: Sequence[KnowledgeEntry] = (),
    ):
        self.retriever = retriever
        self.threshold = threshold
        self.n_suggestions = suggestions
        #: Offered when nothing comes close (a question about the weather): "what can you answer?" and the like.
        self.fallback = list(fallback)

    def answer(self, question: str) -> QAResult:
        language = detect_language(question)
        hits = tuple(self.retriever.search(question, self.n_suggestions + 1))
        best = hits[0] if hits else None
        if best is not None and best.score >= self.threshold:
            text, text_language = answer_in(best.entry, language)
            floor = max(SUGGESTION_FLOOR, RELATED_SHARE * best.score)
            related = [h.entry for h in hits[1:] if h.score >= floor]
            return QAResult(question, text_language, text, best.entry, best.score,
                            self._suggest(related, language), hits)
        related = [h.entry for h in hits if h.score >= SUGGESTION_FLOOR] or self.fallback
        suggestions = self._suggest(related, language)
        text = DECLINE[language]
        if suggestions:
            text += SUGGEST[language].format(SEPARATOR[language].join(suggestions))
        return QAResult(question, language, text, None, best.score if best else 0.0, suggestions, hits)

    def _suggest(self, entries: Sequence[KnowledgeEntry], language: Language) -> tuple[str, ...]:
        return tuple(dict.fromkeys(question_in(e, language) for e in entries))[: self.n_suggestions]

"""Knowledge-base Q&A and the assistant's brain: retrieval (BM25 over jieba words, character and pinyin
bigrams, synonyms; optional embedding reranking), answers in the question's language, honest declines, and
``Brain.handle_text`` which turns an utterance into a reply and an event.

Heavy libraries load lazily: jieba on the first question (or ``Analyzer.warm_up``), torch and transformers
only when an embedding model is configured.
"""

from typing import Any

from robot_assistant.qa.answer import QA, QAResult
from robot_assistant.qa.places import Place, PlaceCatalog, PlaceMatch
from robot_assistant.qa.retriever import Hit, LexicalRetriever, LexicalSettings, Retriever
from robot_assistant.qa.synonyms import Synonyms
from robot_assistant.qa.text import detect_language

__all__ = [
    "QA",
    "Brain",
    "BrainResult",
    "BrainSettings",
    "Hit",
    "LexicalRetriever",
    "LexicalSettings",
    "Place",
    "PlaceCatalog",
    "PlaceMatch",
    "QAResult",
    "Retriever",
    "Synonyms",
    "detect_language",
]


def __getattr__(name: str) -> Any:
    # The brain imports robot_assistant.intents, which imports this package: load it on first use.
    if name in ("Brain", "BrainResult", "BrainSettings"):
        from robot_assistant.qa import brain

        return getattr(brain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

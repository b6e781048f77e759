"""Lexical and semantic evidence fused into one score, and one decline threshold on it.

Why calibrated score fusion and not reciprocal-rank fusion: the decline decision needs a score that
means the same for every question ("below 0.4: say you don't know"), and rank fusion throws the scores
away. BM25 scores are already normalised per query to about [0, 1] (``LexicalRetriever.scores``); a
cosine is mapped linearly from ``low`` (no evidence, 0) to ``high`` (sure, 1). The fused score is
``(1 - weight) × lexical + weight × meaning``; entries are ranked on it uncapped (two "sure" entries are
still ordered), and a hit reports it capped at 1 for the threshold. The four numbers and the threshold were chosen on the dev
split of the dev set only (bench/qa_bench.py --tune); the held-out parts report.

The semantic side embeds the question after the lexical side's recognition-error correction (a span that
sounds like a knowledge-base word but is not a word itself: 入当 → 入党, 遵一 → 遵义), since an encoder
cannot know that 入当 was meant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robot_assistant.qa.retriever import Hit, LexicalRetriever, top_hits
from robot_assistant.qa.semantic import SemanticRetriever


@dataclass(frozen=True)
class FusionSettings:
    """Chosen on the dev split (bench/qa_bench.py --tune)."""

    weight: float = 0.7
    """Share of the meaning score in the fused score."""
    low: float = 0.2
    """A cosine at or below this is no evidence."""
    high: float = 0.9
    """A cosine at or above this is full evidence."""
    decline_margin: float = -0.1
    """Declined outright when the closest out-of-scope example is at least this much closer in meaning than
    the closest knowledge-base phrasing (negative: declined even when slightly farther)."""
    threshold: float = 0.56
    """The answer/decline threshold on the fused score."""


def corrected(lexical: LexicalRetriever, text: str) -> str:
    """``text`` with each span that sounds like a knowledge-base word (and is no word itself) replaced by
    that word, longest spans first; the text unchanged when nothing sounds alike."""
    pairs = sorted(lexical.sound_alike_pairs(text), key=lambda p: -len(p[0]))
    done: set[str] = set()
    for span, word in pairs:
        if span not in done and span in text:
            text = text.replace(span, word)
            done.add(span)
    return text


class FusedRetriever:
    """BM25 (words, bigrams, pinyin) + sentence meaning, fused per entry."""

    def __init__(self, lexical: LexicalRetriever, semantic: SemanticRetriever,
                 settings: FusionSettings = FusionSettings()):
        if [e.id for e in lexical.entries] != [e.id for e in semantic.entries]:
            raise ValueError("the lexical and semantic retrievers must index the same entries in the same order")
        self.lexical = lexical
        self.semantic = semantic
        self.settings = settings
        self.entries = lexical.entries
        if semantic.prepare is None:
            semantic.prepare = lambda text: corrected(lexical, text)

    def meaning(self, cosines: np.ndarray) -> np.ndarray:
        """0 at ``low`` and below, 1 at ``high``; above ``high`` it keeps rising, so that two entries that
        both pass "sure" are still ordered (the score a hit reports is capped at 1)."""
        s = self.settings
        return np.maximum((cosines - s.low) / max(s.high - s.low, 1e-6), 0.0)

    def parts(self, text: str) -> tuple[np.ndarray, np.ndarray, float]:
        """(lexical score per entry, raw cosine per entry, cosine of the closest out-of-scope example):
        what the decision is made of, for calibration and diagnostics."""
        vector = self.semantic.embed(text)
        return self.lexical.scores(text), self.semantic.scores(text, vector), self.semantic.out_of_scope(vector)

    def fuse(self, lexical: np.ndarray, cosines: np.ndarray) -> np.ndarray:
        w = self.settings.weight
        return (1.0 - w) * lexical + w * self.meaning(cosines)

    def declines(self, cosines: np.ndarray, out_of_scope: float) -> bool:
        """True when the question means something the assistant is not for (closer to an out-of-scope
        example than to the knowledge base, by the margin)."""
        return bool(len(cosines)) and out_of_scope - float(cosines.max()) > self.settings.decline_margin

    def scores(self, text: str) -> np.ndarray:
        lexical, cosines, out = self.parts(text)
        if self.declines(cosines, out):
            return np.zeros(len(self.entries), dtype=np.float32)
        return self.fuse(lexical, cosines)

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return top_hits(self.entries, self.scores(query), k, cap=1.0)

"""What the assistant is not for: examples of questions to decline, by theme, scored like knowledge-base entries.

Why themes scored like entries: a sentence encoder puts "省博物馆几点开门" near "展厅几点开门" and "银行卡密码忘了"
near "PIN码忘了" — the knowledge base's own score cannot tell them apart. Each theme of
``out_of_scope.txt`` (weather, other passwords, other buildings' hours …) is scored exactly as an entry is:
BM25 over its examples (the same analyzer, so 博物馆 counts as a word the knowledge base lacks) fused with the
cosine of its closest example. When the best theme scores about as well as the best entry, the question is
declined (``robot_assistant.qa.fusion``). Matching on both words and meaning lets a theme's words combine:
"博物馆" from one example and "几点开门" from another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.knowledge import KnowledgeEntry
from robot_assistant.qa.retriever import LexicalRetriever
from robot_assistant.qa.semantic import (
    CENTROID_WEIGHT,
    GroupCosines,
    SentenceEncoder,
    embed_cached,
    encoder_parts,
)
from robot_assistant.qa.text import CJK_RUN

OUT_OF_SCOPE = Path(__file__).with_name("out_of_scope.txt")


@dataclass(frozen=True)
class Theme:
    name: str
    examples: tuple[str, ...]


def load_themes(path: Path = OUT_OF_SCOPE) -> list[Theme]:
    """One question per line; a ``#`` comment line names the theme of the examples after it (the last comment
    before a run of examples is its name); blank lines are skipped."""
    themes: list[Theme] = []
    name, examples = "", []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if examples:
                themes.append(Theme(name or f"theme {len(themes) + 1}", tuple(examples)))
                examples = []
            name = line.lstrip("#- ").strip()
        else:
            examples.append(line)
    if examples:
        themes.append(Theme(name or f"theme {len(themes) + 1}", tuple(examples)))
    return themes


def load_examples(path: Path = OUT_OF_SCOPE) -> list[str]:
    """Every example, in file order."""
    return [q for t in load_themes(path) for q in t.examples]


class OutOfScope:
    """The decline themes, indexed for words (BM25 with the knowledge base's analyzer and settings) and for
    meaning (the examples embedded once, cached on disk like the phrasings)."""

    def __init__(self, themes: Sequence[Theme], like: LexicalRetriever, encoder: SentenceEncoder,
                 cache_dir: Path | None = None):
        self.themes = [t for t in themes if t.examples]
        pseudo = []
        for n, t in enumerate(self.themes):
            zh = [q for q in t.examples if CJK_RUN.search(q)]
            en = [q for q in t.examples if not CJK_RUN.search(q)]
            pseudo.append(KnowledgeEntry(id=f"decline-{n:03d}", topic="out-of-scope", questions_zh=zh or [t.name],
                                         questions_en=en, answer_zh="-"))
        self.lexical = LexicalRetriever(pseudo, like.analyzer, like.synonyms, like.settings)
        self.kb_lexical = like
        texts = [q for t in self.themes for q in t.examples]
        self.matrix = embed_cached(encoder, texts, cache_dir) if texts else np.zeros((0, 512), np.float32)
        owner = np.repeat(np.arange(len(self.themes)), [len(t.examples) for t in self.themes])
        self._starts = np.flatnonzero(np.r_[True, np.diff(owner) != 0]) if len(owner) else owner
        self._pool = GroupCosines(self.matrix, self._starts, CENTROID_WEIGHT, encoder_parts(encoder))

    def __len__(self) -> int:
        return len(self.themes)

    def lexical_scores(self, text: str, heard_as: str | None = None) -> np.ndarray:
        """BM25 of each theme, normalised per query as the knowledge base's is; zero when every word of the
        question is a knowledge-base word. Why: a theme's words are evidence of a topic the knowledge base
        lacks (邮局 in "邮局几点开门"); words both share ("几点开门") say nothing, yet they matched a theme's many
        examples so well that the knowledge base's own phrasing "几点开门" was declined. Measured on the
        knowledge base's phrasings held out 5-fold, each way with its own best fusion numbers: 86.2% -> 86.7%
        answered right, dev in-scope 96.3% -> 96.6%, dev declined 95.5% both, left-out examples 92.2% -> 91.9%."""
        if not self.kb_lexical.unknown_words(text if heard_as is None else heard_as):
            return np.zeros(len(self.themes), dtype=np.float32)
        return self.lexical.scores(text)

    def cosines(self, vector: np.ndarray) -> np.ndarray:
        """Each theme's cosine to the embedded question, pooled as an entry's is: its closest example's and its
        centroid's (``robot_assistant.qa.semantic.CENTROID_WEIGHT``)."""
        if not len(self.matrix):
            return np.zeros(0, np.float32)
        return self._pool(vector)

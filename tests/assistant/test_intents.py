"""Intents and slots from text (Chinese, English, speech-recognition errors), place matching, and the brain's
replies and events."""

from __future__ import annotations

import pytest

from core.events import Answer, GuideTo, OpenScreen, SignInRequested, Speak, StopSpeaking, event_from_dict
from core.knowledge import load_knowledge
from robot_assistant.intents import IntentParser, match_screen
from robot_assistant.qa.brain import Brain
from robot_assistant.qa.places import PlaceCatalog
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "content" / "demo" / "knowledge.yaml"
SCENE = ROOT / "scenes" / "hall.yaml"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="module")
def places(kb) -> PlaceCatalog:
    return PlaceCatalog.from_scene(SCENE, kb.entries)


@pytest.fixture(scope="module")
def parser(places) -> IntentParser:
    return IntentParser(places)


@pytest.fixture(scope="module")
def brain(kb) -> Brain:
    return Brain.build(kb.entries, SCENE)


# ------------------------------------------------------------------------------------------------ places


@pytest.mark.parametrize(
    ("spoken", "place"),
    [
        ("北斗展区", "beidou"), ("北豆展区", "beidou"), ("北斗", "beidou"), ("北斗科技馆", "beidou"),
        ("党史长廊", "history"), ("党史长郎", "history"), ("星火成果厅", "achievements"), ("成果展区", "achievements"),
        ("遵义会议", "h04"), ("遵一会议", "h04"), ("红船", "h02"), ("南湖红船", "h02"), ("卫星模型", "b03"),
        ("看看北斗卫星模型吧", "b03"), ("荣誉墙", "a07"), ("长征", "h05"), ("二万五千里长征", "h05"), ("井刚山", "h03"),
        ("the BeiDou room", "beidou"), ("party history gallery", "history"), ("the Zunyi Meeting", "h04"),
        ("the red boat", "h02"), ("the satellite model", "b03"), ("the Long March", "h05"), ("wall of honour", "a07"),
    ],
)
def test_place_names_match_fuzzily(places, spoken, place):
    m = places.match(spoken)
    assert m is not None and m.place.id == place, m


@pytest.mark.parametrize("spoken", ["天气", "厕所", "展厅", "VR展厅", "党建新闻", "news", "the restroom", "weather",
                                    "企业党建业绩展示区"])
def test_no_place_for_other_words(places, spoken):
    assert places.match(spoken) is None


def test_aliases_come_from_titles_and_tags_that_name_one_place(places):
    h01 = places.by_id("h01")
    assert h01 is not None and {"开天辟地", "中国共产党诞生", "中共一大"} <= set(h01.aliases)
    assert "党史" not in h01.aliases  # tag shared by every history exhibit
    assert "北斗展区" in places.by_id("beidou").aliases


# ----------------------------------------------------------------------------------------------- intents


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("带我去北斗展区", "guide", {"target": "beidou", "target_kind": "room"}),
        ("带我去北豆展区", "guide", {"target": "beidou"}),
        ("代我去北豆展区", "guide", {"target": "beidou"}),  # 代 heard for 带
        ("遵一会议在哪里", "guide", {"target": "h04", "target_kind": "exhibit"}),
        ("请带我去看看遵义会议吧", "guide", {"target": "h04"}),
        ("我想看红船", "guide", {"target": "h02"}),
        ("党史长郎怎么走", "guide", {"target": "history"}),
        ("take me to the BeiDou room", "guide", {"target": "beidou"}),
        ("Can you take me to the satellite model?", "guide", {"target": "b03"}),
        ("Where is the Party History Gallery?", "guide", {"target": "history"}),
        ("看看新闻", "open_screen", {"screen": "news"}),
        ("看看新文", "open_screen", {"screen": "news"}),  # 新文 heard for 新闻
        ("打开通知公告", "open_screen", {"screen": "notices"}),
        ("打开学习考试", "open_screen", {"screen": "learning"}),
        ("我想看数据看板", "open_screen", {"screen": "dashboard"}),
        ("打开三会一课", "open_screen", {"screen": "meetings"}),
        ("打开便民服务", "open_screen", {"screen": "services"}),
        ("打开党费计算器", "open_screen", {"screen": "dues"}),
        ("去VR展厅", "open_screen", {"screen": "hall"}),
        ("回到首页", "open_screen", {"screen": "home"}),
        ("打开党建地图", "open_screen", {"screen": "map"}),
        ("帮我打开党建地图，我想看看支部位置", "open_screen", {"screen": "map"}),
        ("Show me the map.", "open_screen", {"screen": "map"}),
        ("打开办事指南", "open_screen", {"screen": "office"}),
        ("看看积分榜", "open_screen", {"screen": "leaderboard"}),
        ("show me the news", "open_screen", {"screen": "news"}),
        ("open the dashboard", "open_screen", {"screen": "dashboard"}),
        ("go to the meetings", "open_screen", {"screen": "meetings"}),
        ("我要签到", "sign_in", {}),
        ("签到", "sign_in", {}),
        ("帮我签个到", "sign_in", {}),
        ("我来打卡", "sign_in", {}),
        ("我要前到", "sign_in", {}),  # 前到 heard for 签到
        ("sign me in", "sign_in", {}),
        ("I want to check in, please", "sign_in", {}),
        ("停", "stop", {}), ("别说了", "stop", {}), ("暂停讲解", "stop", {}), ("stop", "stop", {}),
        ("Stop talking please", "stop", {}),
        ("再说一遍", "repeat", {}), ("我没听清", "repeat", {}), ("say that again", "repeat", {}),
        ("pardon?", "repeat", {}),
        ("你好", "greet", {}), ("您好，小助手", "greet", {}), ("hello", "greet", {}), ("Good morning!", "greet", {}),
        ("谢谢", "thanks", {}), ("thank you", "thanks", {}), ("再见", "goodbye", {}), ("bye", "goodbye", {}),
    ],
)
def test_commands(parser, text, intent, slots):
    u = parser.parse(text)
    assert u.intent == intent, u
    assert slots.items() <= u.slots.items()


@pytest.mark.parametrize(
    "text",
    [
        "怎么刷脸签到？", "刷脸识别不出来怎么办", "讲解怎么暂停？", "中共一大在哪里召开的", "通讯录在哪里",
        "开国大典是哪一天？", "看看党费怎么算", "党建资讯怎么看", "How do I sign in with my face?",
        "what is BeiDou?", "Where is the restroom?", "今天天气怎么样", "参观展厅要花多长时间", "刷脸签到要站多远",
        "人脸没录过能刷脸签到吗", "签到前得先找谁采集人脸", "能不能输工号签到", "Can I sign in without face recognition?",
        "How do I use the kiosk to register my attendance?", "有没有人知道展厅周末开不开，想周六去打卡",
        "人脸特征会不会用于签到以外的用途", "刷脸签到 步骤", "Meeting sign in, I stand where?",
        "人脸特征除了签到还会拿去干别的不", "Face not enrolled yet, how I sign in meanwhile?",
        # an opening inside a word (开国, 开放) is no command
        "开国大典 日期", "开放融合是北斗精神里的吗",
        # "where is" a screen's name that half matches an exhibit's tag: the map screen, the hall's address
        "地图在哪", "Where's the branch map?", "党建展厅在什么地方", "How do I get to the party-building hall?",
        # a question after "visit …"
        "Visit the hall need money? Need book before?",
        # a place name's syllables scattered through the sentence (党…史 of 党史长廊)
        "企业党建业绩展示区怎么去",
    ],
)
def test_questions_stay_questions(parser, text):
    assert parser.parse(text).intent == "ask"


def test_greeting_before_a_question_is_dropped(parser):
    u = parser.parse("你好，请问党费怎么交？")
    assert u.intent == "ask" and u.query == "党费怎么交"
    u = parser.parse("Hello, how do I pay my dues?")
    assert u.intent == "ask" and u.language == "en" and u.query.startswith("how do i pay")


def test_match_screen_prefers_the_longest_name():
    assert match_screen("党费计算器").name == "dues"
    assert match_screen("数据看板").name == "dashboard"
    assert match_screen("天气") is None


# ------------------------------------------------------------------------------------------------- brain


def test_brain_answers_a_question_with_an_answer_event(brain):
    r = brain.handle_text("党费可以在手机上交吗")
    assert r.intent == "ask" and r.entry_id == "kb068" and r.language == "zh"
    assert isinstance(r.event, Answer) and r.event.source_id == "kb068" and r.event.text == r.answer
    assert r.events == (r.event,)
    assert event_from_dict(r.event.to_dict()) == r.event


def test_brain_declines_honestly(brain):
    r = brain.handle_text("明天会下雨吗")
    assert r.declined and r.entry_id is None
    assert r.answer.startswith("抱歉，这个问题我还不会回答")
    assert isinstance(r.event, Answer) and r.event.source_id is None and r.event.suggestions == r.suggestions
    assert r.suggestions


def test_brain_guides_and_confirms_in_the_visitors_language(brain):
    r = brain.handle_text("带我去北豆展区")
    assert r.intent == "guide" and r.event == GuideTo("beidou")
    assert "北斗科技馆" in r.answer and r.slots["target"] == "beidou"
    assert r.events == (GuideTo("beidou"), Speak(r.answer, "zh"))
    r = brain.handle_text("Take me to the Zunyi Meeting")
    assert r.event == GuideTo("h04") and r.language == "en" and "Zunyi" in r.answer


def test_brain_opens_screens_signs_in_and_stops(brain):
    assert brain.handle_text("看看新闻").event == OpenScreen("news")
    assert brain.handle_text("show me the notices").event == OpenScreen("notices")
    assert isinstance(brain.handle_text("我要签到").event, SignInRequested)
    stop = brain.handle_text("别说了")
    assert isinstance(stop.event, StopSpeaking) and stop.answer == "" and stop.events == (stop.event,)


def test_brain_repeats_the_last_reply(brain):
    first = brain.handle_text("What is BeiDou?")
    again = brain.handle_text("say that again")
    assert again.intent == "repeat" and again.event == first.event and again.answer == first.answer
    brain.handle_text("带我去荣誉墙")
    again = brain.handle_text("再说一遍")
    assert isinstance(again.event, Speak) and "荣誉墙" in again.answer


def test_brain_greets_with_suggestions(brain):
    r = brain.handle_text("你好")
    assert r.intent == "greet" and isinstance(r.event, Answer) and len(r.suggestions) == 3
    r = brain.handle_text("thanks")
    assert r.intent == "thanks" and r.language == "en" and r.event.language == "en"

"""What a visitor wants, from one utterance: ask, go somewhere, open a screen, sign in, stop, repeat, or chat.

Why rules, not a classifier: the commands are few and their wording is formulaic (带我去…, 打开…, 我要签到,
take me to…), a wrong command is worse than a question answered (the camera walks off, the screen changes),
and every rule here can be read and tested. Anything that is not clearly a command is a question for the
knowledge base. Commands are recognised in pinyin as well as in characters, so a recogniser's homophone
(代我去北豆展区) still works; place names are matched by ``robot_assistant.qa.places``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from robot_assistant.qa.pinyin import Unit, find, keys, units
from robot_assistant.qa.places import Place, PlaceCatalog
from robot_assistant.qa.text import Language, detect_language, normalize
from robot_assistant.qa.tokenize import Analyzer

Intent = Literal["ask", "guide", "open_screen", "sign_in", "stop", "repeat", "greet", "thanks", "goodbye"]
INTENTS: tuple[Intent, ...] = ("ask", "guide", "open_screen", "sign_in", "stop", "repeat", "greet", "thanks",
                               "goodbye")


@dataclass(frozen=True)
class Screen:
    """A kiosk screen a voice command can open (``name`` is the kiosk's screen name)."""

    name: str
    title_zh: str
    title_en: str
    words_zh: tuple[str, ...]
    words_en: tuple[str, ...]

    def title(self, language: Language) -> str:
        return self.title_en if language == "en" else self.title_zh


#: Longer, more specific words first within a screen; the longest match across screens wins.
SCREENS: tuple[Screen, ...] = (
    Screen("news", "党建资讯", "News", ("党建资讯", "党建新闻", "党建动态", "新闻", "资讯"), ("news",)),
    Screen("notices", "通知公告", "Notices", ("通知公告", "通知", "公告"),
           ("notices", "notice", "announcements", "announcement")),
    Screen("learning", "学习考试", "Learning", ("学习考试", "在线学习", "学习", "考试", "答题", "做题", "测验", "题库"),
           ("learning", "study", "quiz", "quizzes", "exam", "exams", "courses")),
    Screen("dues", "党费计算", "Dues calculator", ("党费计算器", "党费计算", "算党费", "党费"),
           ("dues calculator", "party dues", "dues")),
    Screen("contacts", "通讯录", "Contacts", ("通讯录", "联系人", "联系方式"), ("contacts", "contact list", "phone book")),
    Screen("services", "便民服务", "Services", ("便民服务", "服务"), ("services", "service")),
    Screen("dashboard", "数据看板", "Dashboard", ("数据看板", "数据大屏", "看板", "统计", "数据"),
           ("dashboard", "statistics", "stats", "data")),
    Screen("meetings", "三会一课", "Meetings", ("三会一课", "会议列表", "会议安排", "会议"), ("meetings", "meeting")),
    Screen("map", "党建地图", "Party map", ("党建地图", "支部地图", "组织地图", "地图"),
           ("party map", "branch map", "map")),
    Screen("office", "办公时间与指南", "Office hours & guides", ("办公时间与指南", "办事指南", "办公时间"),
           ("office hours", "guides")),
    Screen("leaderboard", "积分榜", "Leaderboard", ("积分排行榜", "积分排行", "排行榜", "积分榜"),
           ("leaderboard", "ranking", "rankings")),
    Screen("hall", "VR展厅", "VR hall", ("vr展厅", "虚拟展厅", "全景展厅", "展厅", "展馆"),
           ("vr hall", "virtual hall", "exhibition hall", "hall", "exhibition", "vr")),
    Screen("home", "首页", "Home", ("首页", "主页", "主界面", "主菜单"), ("home screen", "home", "main menu")),
)


@dataclass(frozen=True)
class Understanding:
    """The parsed utterance. ``query`` is what the intent acts on: the question to answer (greetings and
    polite words removed), or the words naming the place or screen."""

    intent: Intent
    language: Language
    text: str
    query: str
    slots: dict[str, str] = field(default_factory=dict)
    place: Place | None = None
    screen: Screen | None = None
    score: float | None = None
    """How well the place name matched (guide only)."""


# ---------------------------------------------------------------------------------------------- patterns

_PUNCT = re.compile(r"[\s,，.。!！?？、;；:：~～…\"'“”‘’()（）]+")
#: Marks of a question about something, which a command never has (怎么签到 is a question, 我要签到 a command).
_QUESTION_ZH = re.compile(r"怎么|怎样|如何|为什么|为啥|什么|啥|咋|哪|几|多少|多久|多长|是否|能不能.*吗|可以.*吗|失败|不了|不上|不出来|不成功|忘|记不")
_QUESTION_EN = re.compile(r"^(how|what|why|where|when|which|who|is|are|does|do)\b|\b(fail|failed|doesn't|does not|"
                          r"can't|cannot|forgot|not work)")
#: A question *about* signing in, not a command to do it: yes/no questions ("人脸没录过能刷脸签到吗", "can I sign
#: in without my face?"), who, how far. On the knowledge base's 2,518 phrasings the question test alone opened
#: the sign-in screen for 12 questions about signing in (会议签到要站多远, 能不能输工号签到 …). An A-not-A
#: question (开不开, 有没有, 会不会, …干别的不) and steps are questions too: with 2,350 more phrasings, "想周六去打卡"
#: in a question about weekend hours and "会不会用于签到以外的用途" opened the sign-in screen.
_ABOUT_SIGN_IN_ZH = re.compile(r"吗|呢|谁|能不能|可不可以|多远|多长|想不起|还没|步骤|流程|(.)[不没]\1|不\W*$")
_ABOUT_SIGN_IN_EN = re.compile(r"\b(how|can i|walk me through|step by step|without|where|what)\b")

_POLITE_ZH = re.compile(r"^(?:请问|请你|请|麻烦你|麻烦|小助手|助手|机器人|喂|嗯|那个|你好|您好|嗨|哈喽)+")
_POLITE_EN = re.compile(r"^(?:(?:please|hey|hi|hello|ok|okay|robot|assistant|excuse me|so|um|uh)[\s,!.]*)+")
_TAIL_ZH = re.compile(r"(?:吧|呢|啊|呀|嘛|哦|啦|好吗|行吗|可以吗|谢谢)+$")

_GREET_ZH = re.compile(r"^(?:你好|您好|嗨|哈喽|哈罗|早上好|上午好|中午好|下午好|晚上好|早安|大家好|你好呀|你好啊)+")
_GREET_EN = re.compile(r"^(?:hello|hi|hey|good (?:morning|afternoon|evening)|greetings)\b[\s,!.]*")
_THANKS_ZH = re.compile(r"^(?:谢谢你?|谢谢您|多谢|感谢你?|感谢您|谢啦|谢了|非常感谢|太感谢了)")
_THANKS_EN = re.compile(r"^(?:thanks|thank you|thank you very much|many thanks|cheers)\b[\s,!.]*")
_BYE_ZH = re.compile(r"^(?:再见|拜拜|回头见|下次见|我走了)")
_BYE_EN = re.compile(r"^(?:bye|goodbye|good bye|see you|bye bye)\b[\s,!.]*")

_STOP_ZH = re.compile(r"^(?:先)?(?:停|停下|停下来|停一下|停止|暂停|别说了|不要说了|别讲了|不要讲了|闭嘴|安静|安静一下|"
                      r"够了|行了|好了|停止讲解|暂停讲解|停止播放|别念了)(?:吧|啦|了|一下|吧你)*$")
_STOP_ANYWHERE_ZH = ("别说了", "不要说了", "别讲了", "不要讲了", "闭嘴", "停止讲解", "暂停讲解", "停止播放")
_STOP_EN = re.compile(r"^(?:stop|stop talking|stop it|stop now|be quiet|quiet|shut up|pause|enough|that's enough|"
                      r"silence|cancel|hush)(?: please| now)?$")
_REPEAT_ZH = ("再说一遍", "再说一次", "再讲一遍", "再讲一次", "重复一遍", "重复一下", "重复一次", "没听清", "没听懂",
              "刚才说什么", "你说什么", "再来一遍", "再说一下")
_REPEAT_EN = re.compile(r"\b(?:repeat|say (?:that|it) again|come again|pardon|what did you say|one more time|"
                        r"didn't catch)\b")

_SIGN_IN_ZH = ("签到", "签个到", "打卡", "报到", "刷脸签到")
_SIGN_IN_EN = re.compile(r"\b(?:sign (?:me )?in|check (?:me )?in|register (?:my )?attendance|mark (?:me|my attendance))\b")

#: "Go / show" openings; the rest of the sentence names a place or a screen. Longest first.
_GO_ZH = ("带我去看看", "带我去看", "带我去", "带我到", "带我看看", "带我看", "带我参观", "领我去", "陪我去", "我要去", "我想去",
          "我要看看", "我要看", "我想看看", "我想看", "我想参观", "给我看看", "给我看", "帮我打开", "打开", "进入", "切换到",
          "转到", "跳转到", "跳到", "导航到", "前往", "回到", "返回", "看看", "看一下", "看一看", "查看", "显示", "浏览",
          "参观", "去", "到", "开")
#: Openings that name a screen action: with these a screen's name beats a place of the same name (打开三会一课).
_OPEN_ZH = frozenset(("帮我打开", "打开", "进入", "切换到", "转到", "跳转到", "跳到", "回到", "返回", "查看", "显示", "浏览", "开"))
_OPEN_EN = re.compile(r"^(?:open|open up|switch to|display|view|back to|go back to)\b")
_GO_EN = re.compile(r"^(?:can you |could you |would you |i want to |i'd like to |i would like to |let's |let me )?"
                    r"(?:take me to|bring me to|guide me to|lead me to|walk me to|show me the way to|go to|go back to|"
                    r"navigate to|head to|visit|see|show me|show|open|open up|switch to|display|view|back to)\s+(.+)$")
_WHERE_ZH = re.compile(r"^(?:怎么去|怎么到|如何去|去)?(.+?)(?:在哪里|在哪儿|在哪|在什么位置|在什么地方|怎么走|怎么去|怎么过去|怎么到)$")
_WHERE_EN = re.compile(r"^(?:where is|where's|where are|how do i get to|how can i get to|how to get to|"
                       r"which way to|the way to)\s+(.+?)$")


#: A place match at least this good beats a screen named in the same words.
EXACT_PLACE = 0.95


def _bare(text: str) -> str:
    return _PUNCT.sub("", normalize(text))


def _starts_with_zh(text: str, word: str, heard: list[Unit] | None = None) -> int | None:
    """Length of the prefix of ``text`` that says ``word`` (in characters, or in pinyin for words of 2+
    characters, so a homophone opening like 代我去 counts), else None; ``heard`` = units(text) if known."""
    if text.startswith(word):
        return len(word)
    if len(word) < 2:
        return None
    heard = units(text) if heard is None else heard
    want = keys(word)
    if len(heard) >= len(want) and tuple(u.key for u in heard[: len(want)]) == want:
        return heard[len(want) - 1].end
    return None


def _contains_zh(text: str, word: str, heard: list[Unit] | None = None) -> bool:
    """``word`` occurs in ``text``, in characters or (2+ characters) in pinyin; ``heard`` = units(text) if known."""
    if word in text:
        return True
    return len(word) >= 2 and bool(find(heard if heard is not None else units(text), keys(word)))


def match_screen(text: str) -> Screen | None:
    """The screen whose name occurs in ``text`` (longest name wins), matching Chinese in pinyin too."""
    norm = normalize(text)
    bare = _bare(norm)
    heard = units(bare)
    best: tuple[int, Screen] | None = None
    for screen in SCREENS:
        for word in screen.words_zh:
            if _contains_zh(bare, word, heard) and (best is None or len(word) > best[0]):
                best = (len(word), screen)
        for word in screen.words_en:
            if re.search(rf"\b{re.escape(word)}\b", norm) and (best is None or len(word) > best[0]):
                best = (len(word), screen)
    return best[1] if best else None


class IntentParser:
    """Parses utterances; ``places`` resolves spoken names of rooms and exhibits (guide needs it).

    Chinese is cut into words (jieba, with the place and screen names as words of its own; ``cache_dir`` for
    its dictionary cache) so that an opening counts only where a word ends: 开 opens a screen in 开VR展厅 but
    not in 开国大典 or 开放融合, 去 goes somewhere in 去北斗展区 but not in 去年. jieba is loaded on the first
    Chinese command, not here.
    """

    def __init__(self, places: PlaceCatalog | None = None, cache_dir: Path | None = None):
        self.places = places
        names = [a for p in (places.places if places else ()) for a in (p.name_zh, *p.aliases)]
        self.analyzer = Analyzer([*names, *(w for s in SCREENS for w in s.words_zh)], cache_dir)

    def parse(self, text: str) -> Understanding:
        language = detect_language(text)
        if language == "en":
            return self._parse_en(text)
        return self._parse_zh(text)

    # ------------------------------------------------------------------------------------------ Chinese

    def _parse_zh(self, text: str) -> Understanding:
        bare = _bare(text)

        def result(intent: Intent, query: str = "", **kw) -> Understanding:
            return Understanding(intent, "zh", text, query, **kw)

        greeted = _GREET_ZH.match(bare)
        if greeted:
            rest = _TAIL_ZH.sub("", bare[greeted.end() :])
            if not rest or re.fullmatch(r"(?:小助手|助手|机器人)+", rest):
                return result("greet")
            bare = rest
        for pattern, intent in ((_THANKS_ZH, "thanks"), (_BYE_ZH, "goodbye")):
            m = pattern.match(bare)
            if m and len(_TAIL_ZH.sub("", bare[m.end() :])) <= 4:
                return result(intent)
        command = _TAIL_ZH.sub("", _POLITE_ZH.sub("", bare)) or bare
        if _STOP_ZH.match(command) or (any(w in bare for w in _STOP_ANYWHERE_ZH) and not _QUESTION_ZH.search(bare)):
            return result("stop")
        if len(bare) <= 12 and any(w in bare for w in _REPEAT_ZH):
            return result("repeat")
        heard = units(command)
        if any(_contains_zh(command, w, heard) for w in _SIGN_IN_ZH) and not (_QUESTION_ZH.search(command)
                                                                     or _ABOUT_SIGN_IN_ZH.search(command)):
            return result("sign_in", command)
        found = self._go_zh(command, heard)
        if found is not None:
            return found
        return result("ask", _POLITE_ZH.sub("", bare) or bare)

    def _go_zh(self, command: str, heard: list[Unit]) -> Understanding | None:
        """guide / open_screen for "带我去X", "打开X", "X在哪里", "X怎么走"; None when X is no place or screen."""
        target, where, open_screen = None, False, False
        for opening in _GO_ZH:
            n = _starts_with_zh(command, opening, heard)
            if n is not None and command[n:]:
                if n not in self.analyzer.boundaries(command):
                    continue  # 开国大典, 开放, 去年, 到底: the opening is part of a word
                target, open_screen = command[n:], opening in _OPEN_ZH
                break
        if target is None:
            m = _WHERE_ZH.match(command)
            if not m:
                return None
            target, where = m.group(1), True
        if _QUESTION_ZH.search(target):
            return None
        return self._resolve(command, target, "zh", where, open_screen)

    # ------------------------------------------------------------------------------------------ English

    def _parse_en(self, text: str) -> Understanding:
        norm = normalize(text).strip(" .!?,")

        def result(intent: Intent, query: str = "", **kw) -> Understanding:
            return Understanding(intent, "en", text, query, **kw)

        greeted = _GREET_EN.match(norm)
        if greeted:
            rest = norm[greeted.end() :].strip(" .!?,")
            if not rest or rest in ("there", "robot", "assistant"):
                return result("greet")
            norm = rest
        for pattern, intent in ((_THANKS_EN, "thanks"), (_BYE_EN, "goodbye")):
            m = pattern.match(norm)
            if m and len(norm[m.end() :].split()) <= 3:
                return result(intent)
        command = _POLITE_EN.sub("", norm).strip(" .!?,") or norm
        if _STOP_EN.match(command):
            return result("stop")
        if len(command.split()) <= 8 and _REPEAT_EN.search(command):
            return result("repeat")
        if _SIGN_IN_EN.search(command) and not (_QUESTION_EN.search(command) or _ABOUT_SIGN_IN_EN.search(command)):
            return result("sign_in", command)
        m = _GO_EN.match(command)
        where = False
        if not m:
            m = _WHERE_EN.match(command)
            where = True
        if m and "?" not in m.group(1).strip(" .!?,"):  # "Visit the hall need money? Need book before?" asks
            opening = m.group(0)[: m.start(1)].strip()
            opening = re.sub(r"^(?:can you|could you|would you|i want to|i'd like to|i would like to|let's|let me)\s+", "",
                             opening)
            found = self._resolve(command, m.group(1).strip(" .!?,"), "en", where, bool(_OPEN_EN.match(opening)))
            if found is not None:
                return found
        return result("ask", command)

    # --------------------------------------------------------------------------------------------- both

    def _resolve(
        self, command: str, target: str, language: Language, where: bool, open_screen: bool = False
    ) -> Understanding | None:
        """A place or a screen. A screen's name wins over a partly matching place ("go to the meetings" is the
        meetings screen, not the Zunyi Meeting exhibit), and over any place after an "open" verb (打开三会一课).
        "Where is" goes only to places, and only to one it names exactly when a screen has the same name: 地图在哪
        or 党建展厅在什么地方 is a question (the map screen, the hall's address) for the knowledge base, not a walk
        to an exhibit whose tag half matches."""
        match = self.places.match(target) if self.places is not None else None
        screen = match_screen(target)
        if where and screen is not None and (match is None or match.score < EXACT_PLACE):
            return None
        if where:
            screen = None
        if match is not None and (screen is None or (match.score >= EXACT_PLACE and not open_screen)):
            place = match.place
            slots = {"target": place.id, "target_kind": place.kind, "target_name": place.name(language)}
            if where:  # "X在哪" asks where it is as well as to go there: the brain answers both
                slots["question"] = "where"
            return Understanding("guide", language, command, target, slots, place=place, score=match.score)
        if screen is not None:
            return Understanding("open_screen", language, command, target, {"screen": screen.name}, screen=screen)
        return None

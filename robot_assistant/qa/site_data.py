"""Answers from the site's live data: this week's and next meetings per branch, the latest news.

Why: "第一支部这周有什么会" has an answer only the database knows (the knowledge base can say what a
支委会 is, not when B01's is). The brain asks these small lookups when a question asks for a schedule or
for news, through core's services (``core.meetings.upcoming``, ``core.content.visible``); the answer
says where it comes from (the terminal's 会议安排 / 党建资讯) and the kiosk opens that screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from robot_assistant.qa.text import detect_language

_MEETING = re.compile(r"开会|会议|什么会|啥会|几个会|会吗|党课|支委会|党小组会|党员大会|三会一课|meeting|lesson|session", re.IGNORECASE)
#: A schedule question names when: a time frame ("这周", "next") …
_TIMEFRAME = re.compile(r"这周|本周|这个星期|这星期|今天|今晚|明天|后天|下周|下星期|下次|下一次|下个|近期|最近|这几天|日程|"
                        r"this week|today|tonight|tomorrow|\bnext\b|upcoming|coming up|schedule", re.IGNORECASE)
#: … or asks which meetings there are ("有什么会") …
_WHICH = re.compile(r"有什么会|有啥会|有会吗|有没有会|有几个会|any meetings?\b", re.IGNORECASE)
#: … or asks when of one's own branch ("我们支部什么时候开会").
_ASK_TIME = re.compile(r"什么时候|啥时候|几点|哪天|几号|when (is|are|will|does|do)\b|when's|what time|which day|what day",
                       re.IGNORECASE)
_OWN = re.compile(r"支部|我们|咱们|咱|我的|branch|\bour\b|\bmy\b", re.IGNORECASE)
#: Not a schedule question: what a meeting is or how often it is held (the rules, in the knowledge base),
#: signing in, notices, a meeting of history (遵义会议, "when was … held"), or a meeting as a time reference
#: ("before my next meeting"). Measured on the knowledge base's 2,518 phrasings: the looser test (a meeting
#: word and any of 有什么/安排/when …) took 25 of them from their entries, "遵义会议有什么历史意义" among them.
_NOT_SCHEDULE = re.compile(r"是什么|什么是|what is|what's a|多久|多长时间|几次|how often|how many times|签到|刷脸|sign in|"
                           r"check in|通知|notice|历史|意义|召开的|\bwas\b|\bwere\b|\bdid\b|\bheld\b|approved|"
                           r"last (week|month|year)|\bago\b|上周|上个月|去年|(before|after|until) (my|the|our|a) (next )?meeting|"
                           r"开会(之前|以前|前|之后|后)|主持|表决|多少人|attendance|"
                           r"where (can|could|might|do|should) i (view|see|find|check)", re.IGNORECASE)
_NEWS = re.compile(r"新闻|资讯|动态|最新消息|news|headlines", re.IGNORECASE)
_LATEST = re.compile(r"最新|最近|新的|今天|有什么|有啥|latest|recent|new\b|today|what's", re.IGNORECASE)
_WHERE = re.compile(r"在哪|哪里|哪儿|怎么看|从哪|where|how do i|how can i", re.IGNORECASE)
#: The news as a source of something else ("我看新闻说要召开全国代表大会…", "I saw in the news that…"): a
#: question about that, for the knowledge base, not a request for headlines.
_HEARSAY = re.compile(r"(新闻|资讯)(里|上|中)?(说|讲|提到|报道)|in the news|on the news|news (said|says|that)",
                      re.IGNORECASE)
#: Asking for the headlines is short; longer questions that mention the news ask something else
#: (measured on the knowledge base's phrasings: the two it took from their entries had 36 and 56 characters).
NEWS_MAX_CHARS, NEWS_MAX_WORDS = 24, 14
_TYPES = {"支部党员大会": ("党员大会", "general meeting"), "支委会": ("支委会", "committee"),
          "党小组会": ("党小组会", "group meeting"), "党课": ("党课", "lesson")}
_CN_ORDINAL = "一二三四五六七八九十"
WEEKDAYS_ZH = "一二三四五六日"


@dataclass(frozen=True)
class Lookup:
    kind: str
    """meetings | news"""
    text: str
    screen: str
    """The kiosk screen that shows the same data."""


def branch_aliases(code: str, name_zh: str, name_en: str) -> list[str]:
    """Ways a visitor names a branch: 第一党支部（机关）→ 第一党支部, 第一支部, 一支部, 机关, B01, Branch 1 …"""
    out = [code, name_zh, name_en]
    m = re.match(r"(第?([一二三四五六七八九十]+))党?支部(?:（(.+?)）)?", name_zh)
    if m:
        n = m.group(2)
        out += [f"第{n}党支部", f"第{n}支部", f"{n}支部"]
        if m.group(3):
            out += [m.group(3), m.group(3).replace("离退休", "退休")]
    e = re.match(r"Branch (\d+)(?: \((.+?)\))?", name_en)
    if e:
        out += [f"Branch {e.group(1)}", f"branch {e.group(1)}"]
        if e.group(2):
            out += [e.group(2), e.group(2).split(" ")[0]]
            if e.group(2).lower().startswith("retire"):
                out += ["retirees", "retired"]
    return [a for a in dict.fromkeys(out) if a]


def is_schedule_question(text: str) -> bool:
    """True when ``text`` asks when meetings are (answered from the database), not what they are."""
    if not _MEETING.search(text) or _NOT_SCHEDULE.search(text):
        return False
    return bool(_TIMEFRAME.search(text) or _WHICH.search(text) or (_OWN.search(text) and _ASK_TIME.search(text)))


def is_news_question(text: str) -> bool:
    """True when ``text`` asks for the latest news (answered with the headlines). "Where do I read the news"
    and questions that only mention the news are the knowledge base's."""
    if not (_NEWS.search(text) and _LATEST.search(text)) or _WHERE.search(text) or _HEARSAY.search(text):
        return False
    return len(text.split()) <= NEWS_MAX_WORDS if detect_language(text) == "en" else len(text) <= NEWS_MAX_CHARS


class SiteData:
    """Meetings and news through a session factory (the kiosk's database); ``now`` for tests."""

    def __init__(self, session: Callable[[], Any], tz: ZoneInfo, now: Callable[[], datetime] | None = None):
        self.session = session
        self.tz = tz
        self.now = now or (lambda: datetime.now(tz))

    def answer(self, text: str, language: str) -> Lookup | None:
        if is_schedule_question(text):
            return self.meetings(text, language)
        if is_news_question(text):
            return self.news(language)
        return None

    def _branch(self, text: str, branches: list[Any]) -> Any | None:
        low = text.lower()
        best = None
        for b in branches:
            for alias in branch_aliases(b.code, b.name_zh, b.name_en or ""):
                if alias.lower() in low and (best is None or len(alias) > best[0]):
                    best = (len(alias), b)
        return best[1] if best else None

    def meetings(self, text: str, language: str) -> Lookup:
        from core.meetings import upcoming
        from core.models import Branch

        now = self.now()
        wanted = next((t for t, (zh, en) in _TYPES.items() if zh in text or en in text.lower()), None)
        with self.session() as s:
            branch = self._branch(text, list(s.scalars(select(Branch))))
            rows = [m for m in upcoming(s, now, limit=200)
                    if (branch is None or m.branch_id == branch.id) and (wanted is None or m.type == wanted)]
            week_end = (now.astimezone(self.tz) + timedelta(days=7 - now.astimezone(self.tz).weekday())).replace(
                hour=0, minute=0, second=0, microsecond=0)
            this_week = [m for m in rows if m.starts_at.astimezone(self.tz) < week_end]
            shown = this_week[:4] if this_week else rows[:1]
            lines = [self._line(m, language) for m in shown]
            who_zh = branch.name_zh if branch else "各支部"
            who_en = (branch.name_en or branch.code) if branch else "the branches"
        what_zh = wanted or "会议"
        if not lines:
            zh = f"{who_zh}近期没有安排{what_zh}。以上来自终端的“会议安排”。"
            en = f"There is no {wanted or 'meeting'} scheduled for {who_en}. From this terminal's Meetings screen."
        elif this_week:
            zh = f"{who_zh}本周的{what_zh}：" + "；".join(lines) + "。以上来自终端的“会议安排”。"
            en = f"This week for {who_en}: " + "; ".join(lines) + ". From this terminal's Meetings screen."
        else:
            zh = f"{who_zh}本周没有{what_zh}，下一次是：{lines[0]}。以上来自终端的“会议安排”。"
            en = f"Nothing this week for {who_en}; the next one is {lines[0]}. From this terminal's Meetings screen."
        return Lookup("meetings", zh if language == "zh" else en, "meetings")

    def _line(self, m: Any, language: str) -> str:
        t = m.starts_at.astimezone(self.tz)
        if language == "zh":
            return (f"{t.month}月{t.day}日（周{WEEKDAYS_ZH[t.weekday()]}）{t:%H:%M} {m.title_zh}，"
                    f"地点{m.place_zh or '待定'}")
        return f"{m.title_en or m.title_zh} on {t:%a %d %b at %H:%M}" + (f" ({m.place_zh})" if m.place_zh else "")

    def news(self, language: str) -> Lookup:
        from core.content import visible

        with self.session() as s:
            items = visible(s, "news", self.now(), limit=3)
            heads = [((i.title_en or i.title_zh) if language == "en" else i.title_zh,
                      i.published_at.astimezone(self.tz)) for i in items]
        if not heads:
            return Lookup("news", "暂时还没有党建资讯。" if language == "zh" else "There is no news yet.", "news")
        if language == "zh":
            text = "最新的党建资讯：" + "；".join(f"{t.month}月{t.day}日，{h}" for h, t in heads) + "。详见“党建资讯”。"
        else:
            text = "Latest news: " + "; ".join(f"{h} ({t:%d %b})" for h, t in heads) + ". See the News screen."
        return Lookup("news", text, "news")

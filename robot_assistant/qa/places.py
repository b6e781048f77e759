"""Rooms and exhibits of the VR hall by name, matched fuzzily so "带我去北豆展区" still finds 北斗科技馆.

Why pinyin and a longest-common-subsequence score: a spoken name arrives through speech recognition, which
writes homophones (北豆, 遵一会议) and drops or adds a character, and visitors shorten names (北斗展区 for
北斗科技馆, 红船 for 南湖红船). Names are compared as sequences of folded pinyin syllables after generic
words (展区, 展厅, 馆, room, hall...) are removed from both sides. Aliases come from the scene (titles, split
at their dashes and colons) and from knowledge-base tags that belong to exactly one room or exhibit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.knowledge import KnowledgeEntry
from robot_assistant.qa.pinyin import keys
from robot_assistant.qa.text import CJK_CHAR, normalize
from robot_assistant.qa.tokenize import stem, words_of

#: Words that name a kind of place, not a place: removed from a name before comparing.
GENERIC_ZH = ("科技馆", "成果厅", "展览馆", "展区", "展厅", "展馆", "展项", "展品", "展板", "展柜", "展台", "展览", "长廊",
              "那边", "那里", "这里", "馆", "厅", "区")
GENERIC_EN = words_of(
    "the a an of to in at on and or for with by room hall gallery exhibit exhibition exhibits area section zone display stand "
    "please me us i that this there"
)
#: Spoken padding around a place name: leading verbs and trailing particles.
_LEAD_ZH = re.compile(r"^(?:去看看|去看一下|看一看|看一下|看看|参观一下|参观|逛逛|逛一逛|瞧瞧|看|去|到|那个|这个|一下)+")
_TAIL_ZH = re.compile(r"(?:的位置|位置|看看|看一下|参观一下|参观|一下|好吗|行吗|可以吗|好不好|吧|呢|啊|呀|嘛|哦|了|的)+$")
_SPLIT_TITLE = re.compile(r"——|—|:|：|与")
_QUOTES = re.compile(r"[\"“”‘’]")
_QUOTED = re.compile(r"[“\"]([^”\"]{2,})[”\"]")


@dataclass(frozen=True)
class Place:
    """A room or an exhibit the hall's camera can walk a visitor to."""

    id: str
    kind: Literal["room", "exhibit"]
    name_zh: str
    name_en: str
    room: str | None = None
    aliases: tuple[str, ...] = ()

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    score: float
    """In [0, 1]: 1 when the spoken name and an alias agree syllable for syllable."""
    alias: str


def _core_zh(text: str) -> str:
    text = normalize(text)
    text = re.sub(r"[\s\"'“”‘’《》「」()（）,，.。!！?？、]", "", text)
    text = text.replace("+", "")
    for _ in range(2):
        text = _TAIL_ZH.sub("", _LEAD_ZH.sub("", text))
    for word in GENERIC_ZH:
        text = text.replace(word, "")
    return text


def _core_en(text: str) -> tuple[str, ...]:
    words = re.findall(r"[a-z0-9]+", normalize(text).replace("'s", ""))
    return tuple(stem(w) for w in words if w not in GENERIC_EN and not w.isdigit())


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (tolerates a dropped, added or misheard syllable)."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _common(spoken: Sequence[str], alias: Sequence[str]) -> int:
    """Units of the alias heard together: the longest common subsequence within any stretch of what was said
    one unit longer than the alias. Across the whole sentence, 企业党建业绩展示区 shared 党…史 with 党史长廊 and
    walked a visitor to the wrong room; a name is said in one piece, give or take a syllable."""
    width = len(alias) + 1
    if len(spoken) <= width:
        return _lcs(spoken, alias)
    return max(_lcs(spoken[i : i + width], alias) for i in range(len(spoken) - width + 1))


def _similarity(spoken: Sequence[str], alias: Sequence[str], min_common: int = 1) -> float:
    """0.6 × share of the alias heard + 0.4 × share of what was said that the alias explains. Fewer than
    ``min_common`` shared units (unless the alias is that short) is no match: one Chinese syllable in common
    means nothing, one English word may."""
    common = _common(spoken, alias)
    if not common or common < min(min_common, len(alias)):
        return 0.0
    return 0.6 * common / len(alias) + 0.4 * common / len(spoken)


@dataclass
class PlaceCatalog:
    """All places of a hall, with aliases, and the fuzzy matcher over them."""

    places: list[Place]
    #: Below this similarity a name is not taken as a match.
    threshold: float = 0.68
    _zh: list[tuple[tuple[str, ...], str, Place]] = field(default_factory=list, init=False, repr=False)
    _en: list[tuple[tuple[str, ...], str, Place]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for place in self.places:
            for alias in dict.fromkeys((place.name_zh, place.name_en, *place.aliases)):
                if not alias:
                    continue
                if CJK_CHAR.search(alias):
                    core = _core_zh(alias)
                    if core:
                        self._zh.append((keys(core), alias, place))
                else:
                    core_en = _core_en(alias)
                    if core_en:
                        self._en.append((core_en, alias, place))

    def by_id(self, place_id: str) -> Place | None:
        return next((p for p in self.places if p.id == place_id), None)

    def match(self, spoken: str) -> PlaceMatch | None:
        """The place ``spoken`` names best, or None when nothing reaches ``threshold``.

        Ties go to the alias heard more completely, then to rooms (北斗 alone means the BeiDou room, not one of
        its nine exhibits).
        """
        best: tuple[tuple[float, float, int], PlaceMatch] | None = None
        candidates: Iterable[tuple[tuple[str, ...], str, Place]]
        if CJK_CHAR.search(spoken):
            said, candidates, min_common = keys(_core_zh(spoken)), self._zh, 2
        else:
            said, candidates, min_common = _core_en(spoken), self._en, 1
        if not said:
            return None
        for alias_keys, alias, place in candidates:
            score = _similarity(said, alias_keys, min_common)
            if score < self.threshold:
                continue
            rank = (round(score, 6), _common(said, alias_keys) / len(alias_keys), place.kind == "room")
            if best is None or rank > best[0]:
                best = (rank, PlaceMatch(place, score, alias))
        return best[1] if best else None

    @classmethod
    def from_scene(cls, scene: Path, knowledge: Iterable[KnowledgeEntry] = (), threshold: float = 0.68) -> PlaceCatalog:
        """Read rooms and published exhibits from a hall scene file (only ids, names and titles are used);
        SceneError when the file is wrong.

        Knowledge-base tags become aliases when they belong to one place only: 北斗展区 (tag of the entry about
        the BeiDou room) or 红船精神 (tag of the Red Boat exhibit's entry); 党史, shared by twelve exhibits, does not.
        """
        from vr_hall.scene import load_scene  # schema only, no Panda3D: site facts filled, published exhibits

        hall = load_scene(scene, check_media=False)
        aliases: dict[str, list[str]] = {}
        owners: dict[str, set[str]] = {}
        for entry in knowledge:
            target = entry.exhibit or entry.room
            if target:
                for tag in entry.tags:
                    owners.setdefault(tag, set()).add(target)
        for tag, targets in owners.items():
            if len(targets) == 1:
                aliases.setdefault(next(iter(targets)), []).append(tag)
        places = []
        for room in hall.rooms:
            places.append(Place(room.id, "room", room.name_zh or room.id, room.name_en or "", None,
                                tuple(aliases.get(room.id, []))))
        for ex in hall.exhibits:
            title_zh, title_en = ex.title_zh or ex.id, ex.title_en or ""
            parts = [_QUOTES.sub("", p).strip() for t in (title_zh, title_en) for p in _SPLIT_TITLE.split(t)]
            parts += _QUOTED.findall(title_zh)
            extra = [p for p in parts if len(p) >= 2 and p not in (title_zh, title_en)]
            places.append(Place(ex.id, "exhibit", title_zh, title_en, ex.room,
                                tuple(dict.fromkeys([*extra, *aliases.get(ex.id, [])]))))
        return cls(places, threshold)

"""Finding the knowledge-base entry that answers a question: the Retriever interface and the lexical retriever.

Why lexical by default: on the site's bilingual FAQ, BM25 over jieba words beat an English sentence-embedding
model by far on Chinese questions (85% vs 53% top-1 in the design measurements), runs in well under a
millisecond, and needs no model folder. Scores are normalised per query into [0, 1] so that one confidence
threshold separates "I know this" from "I should say I don't" for every question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from core.knowledge import KnowledgeEntry
from robot_assistant.qa.bm25 import BM25Index
from robot_assistant.qa.pinyin import strict_key
from robot_assistant.qa.synonyms import Synonyms
from robot_assistant.qa.text import CJK_RUN, detect_language, normalize
from robot_assistant.qa.tokenize import Analyzer, stem, words_of


class Hit(NamedTuple):
    """One ranked answer candidate. ``score`` is higher-is-better, in [0, 1] for the built-in retrievers."""

    entry: KnowledgeEntry
    score: float


@runtime_checkable
class Retriever(Protocol):
    """Anything that ranks knowledge-base entries for a question (lexical, embedding, a remote service...)."""

    def search(self, query: str, k: int = 5) -> list[Hit]:
        """The best ``k`` entries for ``query``, best first (fewer when fewer match at all)."""
        ...



@dataclass(frozen=True)
class LexicalSettings:
    """Weights of the lexical retriever; the defaults were tuned on the dev split of qa_devset.yaml."""

    k1: float = 1.2
    b: float = 0.75
    #: Weight of each term kind: jieba/English words, Chinese character bigrams, folded-pinyin bigrams.
    words: float = 1.0
    bigrams: float = 0.3
    pinyin: float = 0.2
    #: Weight of the answer text relative to the questions and tags.
    answers: float = 0.3
    #: Query weight of a synonym of a word said, and of a knowledge-base word that sounds like one said.
    synonym_weight: float = 0.4
    sound_alike_weight: float = 0.8


class _Query(NamedTuple):
    """Weighted terms per kind (words, bigrams, pinyin), and the terms actually said (for the ideal score)."""

    terms: dict[str, dict[str, float]]
    said: dict[str, dict[str, float]]


def _add(bag: dict[str, float], terms: Iterable[str], weight: float) -> None:
    for t in terms:
        if bag.get(t, 0.0) < weight:
            bag[t] = weight


KINDS = ("words", "bigrams", "pinyin")
#: Question frames with nothing to look up: a query made only of these ("where is", "怎么") matches nothing.
_FRAME = words_of("how when where why which many much long often take go 怎么 怎样 如何 什么 哪里 哪儿 哪 多少 几 "
                  "为什么 是 有 吗 在 要 能 可以 会 去 到 带我去 打开 看看")
FRAME_WORDS = _FRAME | {stem(w) for w in _FRAME}
#: Characters that make a span a phrase, not a misheard word: particles, pronouns (你是 is not 历史 misheard:
#: "你是谁" was corrected to "历史谁"), and the function words that sound like domain words once folded
#: (是个 → 四个, 活动是 → 活动室, 几级 → 积极, 里说 → 利索).
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_PARTICLES = frozenset("的了吗呢吧啊呀么着过得地你我他她它您咱谁是个这那哪就都也还又和跟与把让给从向几里该")


class LexicalRetriever:
    """BM25 over each entry's questions and tags (and, at a low weight, its answers), per language.

    Each entry is four documents: Chinese questions + tags, English questions, Chinese answer, English answer.
    Keeping the languages apart matters: an entry with six Chinese phrasings would otherwise be a long document
    in which one English word counts for little. Three term kinds are scored and summed: words, character
    bigrams (a fallback when jieba cuts the question differently from the stored phrasing) and folded-pinyin
    bigrams (speech-recognition homophones). The query is expanded by the synonym list and by sound-alike
    correction: a span of the question whose pinyin equals a word of the knowledge base (北豆 → 北斗,
    遵一 → 遵义) adds that word.
    """

    def __init__(
        self,
        entries: Sequence[KnowledgeEntry],
        analyzer: Analyzer | None = None,
        synonyms: Synonyms | None = None,
        settings: LexicalSettings = LexicalSettings(),
        extra_text: Mapping[str, Sequence[str]] | None = None,
    ):
        self.entries = list(entries)
        self.synonyms = synonyms if synonyms is not None else Synonyms()
        self.analyzer = analyzer if analyzer is not None else Analyzer(self._user_words(entries, self.synonyms))
        self.settings = settings
        extra = extra_text or {}
        s = settings
        fields = {
            "zh": ["\n".join([*e.questions_zh, *e.tags, *extra.get(e.id, ())]) for e in self.entries],
            "en": ["\n".join(e.questions_en) for e in self.entries],
            "zh_answer": [e.answer_zh for e in self.entries],
            "en_answer": [e.answer_en for e in self.entries],
        }
        tokenizers = {"words": self.analyzer.words, "bigrams": self.analyzer.bigrams,
                      "pinyin": self.analyzer.pinyin_bigrams}
        #: (field weight, kind, index) for every index scored.
        self._indexes: list[tuple[float, str, BM25Index]] = []
        self._question_indexes: dict[str, list[BM25Index]] = {k: [] for k in KINDS}
        for field, docs in fields.items():
            answer = field.endswith("answer")
            for kind in KINDS:
                if kind == "pinyin" and field != "zh":
                    continue
                index = BM25Index([tokenizers[kind](d) for d in docs], s.k1, s.b)
                self._indexes.append((s.answers if answer else 1.0, kind, index))
                if not answer:
                    self._question_indexes[kind].append(index)
        self._known_words = {t for _, kind, index in self._indexes if kind == "words" for t in index.idf}
        # Sound-alike lookup: pinyin of every Chinese word (2–4 characters) of the questions and tags, the most
        # used first. Why: phrasings written as a recogniser mis-hears them put 挡费 beside 党费 under one
        # sound; 党飞 must become the word the knowledge base uses most (党费), not a one-off mis-hearing.
        uses: dict[str, int] = {}
        for _, kind, index in self._indexes:
            if kind == "words":
                for term in index.idf:
                    uses[term] = uses.get(term, 0) + index.document_frequency(term)
        by_sound: dict[tuple[str, ...], set[str]] = {}
        for index in self._question_indexes["words"]:
            for term in index.idf:
                if 2 <= len(term) <= 4 and CJK_RUN.fullmatch(term):
                    by_sound.setdefault(tuple(strict_key(c) for c in term), set()).add(term)
        self._by_sound = {k: sorted(v, key=lambda t: (-uses.get(t, 0), t)) for k, v in by_sound.items()}
        self._uses = uses
        self._casing: dict[str, str] | None = None  # built on first use (``cased``)
        #: Names a mis-hearing may be put right to across the question's word boundaries and over a function
        #: word (发展对向 → 发展对象 needs the first, 二是大 → 二十大 the second): the knowledge base's tags of three or
        #: more characters (二十大, 三会一课) and two-character ones jieba does not know. Two-character tags that
        #: are jieba words are left out: with them, 党是 became 党史 and 不交 补交 in dozens of phrasings.
        self._names = {t for e in self.entries for t in e.tags if CJK_RUN.fullmatch(t)
                       and (len(t) >= 3 or not self.analyzer.is_common_word(t, min_freq=1))}
        #: Every two-character tag: written across a cut only where nothing is cut in half (长正是 → 长征是).
        self._tags2 = {t for e in self.entries for t in e.tags if len(t) == 2 and CJK_RUN.fullmatch(t)}
        #: Words the answers and tags use: never taken for mis-hearings, whereas a word only a phrasing has may
        #: be one written on purpose (之部 for 支部), and is corrected to a more used word that sounds alike.
        self._answer_words = {w for e in self.entries for text in (e.answer_zh, *e.tags) for w in self.analyzer.words(text)}

    @staticmethod
    def _user_words(entries: Iterable[KnowledgeEntry], synonyms: Synonyms) -> list[str]:
        return [t for e in entries for t in e.tags] + synonyms.terms()

    def sound_alikes(self, text: str) -> list[str]:
        """Knowledge-base words that sound like a span of ``text`` (see ``sound_alike_pairs``)."""
        return list(dict.fromkeys(word for _, word in self.sound_alike_pairs(text)))

    def sound_alike_pairs(self, text: str) -> list[tuple[str, str]]:
        """Knowledge-base words that sound like a 2–4 character span of ``text`` but are written differently.

        Only spans that look like recognition errors are replaced: not a word of an answer or a tag, not a
        common word of jieba's dictionary (纪念 must not turn into 几年), and no particle in a two-character
        span (去的 is not 取得); a word that only phrasings use is replaced only by a more used one. Measured
        with the knowledge base's mis-heard phrasings (之部, 挡费 …) taken as words, so that they were never
        corrected: dev's recognition-error questions 20 of 22 right; corrected, 22 of 22 (dev in-scope
        96.3% -> 97.0%, phrasings held out 5-fold 92.0% -> 92.1%).

        A span must also stand between word boundaries of the question (jieba's cut without its HMM, so an
        unknown word falls apart into characters), hold no function word (是, 个, 几, 里 …: 是个 is not 四个),
        and be replaced only by a real word (an answer's or tag's, or jieba's), never by a mis-hearing a
        phrasing has (管是). Without these, 1,582 of the knowledge base's 2,984 Chinese phrasings were
        changed on their way to the encoder (这个展馆是谁 -> 这个展管是谁, 早上几点 -> 早上级点); with them 242
        are, each a mis-hearing put right. USE alone over the phrasings held out 5-fold: 86.0% -> 89.1% right,
        dev in-scope 91.9% -> 94.9%; fused (USE): 91.1 / 97.0 / 98.5 / 92.0 -> 92.0 / 97.3 / 98.5 / 91.4
        (phrasings, dev in-scope, dev declined, left-out examples declined).

        A span may go across a cut or over a function word when the word it becomes is a name of the knowledge
        base (``_names``: 二是大 → 二十大, 发展对向 → 发展对象): of the 3,492 Chinese phrasings and dev questions,
        293 → 300 changed, each of the 7 new ones a mis-hearing put right, and the 6 that had become 三会议可
        (会一 → 会议 inside a replaced 三会一课) now read 三会一课.

        Nor may a span cut in half a word the knowledge base uses more than the correction (开支部会 holds 支部:
        部会 is not 不会; 大屏上 is not 大评上), unless the correction is a name (十八打开始 is 十八大开始); 该 is a
        function word (该尽 is not 改进); and a word jieba knows, however rarely (死机, 总支, 打车, 钟点), becomes
        only a name. Of the 3,877 Chinese phrasings and dev questions (the fourth dev part added), 354 → 337
        changed: 17 wrong corrections fewer, 2 right ones lost (互连网, 思南).

        A two-character tag jieba knows (长征, 暂停) is written across a cut too, where the span holds no
        function word and cuts no knowledge-base word in half: 长正是 (长/正是) is 长征是, 赞停 暂停, but 守纪律
        never 手机律 nor 起义打完 起一大完; 3 more texts changed, each a mis-hearing put right.
        """
        out: list[tuple[str, str]] = []
        for run in CJK_RUN.findall(normalize(text)):
            keys = [strict_key(c) for c in run]
            cuts = self.analyzer.boundaries(run)
            words = self._kb_words_in(run)
            for n in (4, 3, 2):
                for i in range(len(run) - n + 1):
                    span = run[i : i + n]
                    candidates = self._by_sound.get(tuple(keys[i : i + n]), ())
                    if (not candidates or span in self._answer_words
                            or self.analyzer.is_common_word(span)):
                        continue  # most spans sound like no knowledge-base word: nothing more to weigh
                    # across a word or over a function word only to a name the knowledge base is tagged with:
                    # 长正是 (长/正是) is 长征是, 二是大 is 二十大, but 展馆是 never 展管是
                    particle = any(c in _PARTICLES for c in span)
                    across = i not in cuts or i + n not in cuts
                    # a word jieba knows, if rarely (死机, 总支, 打车, 钟点), only to a name (思南 → 司南, 格罗纳斯)
                    loose = across or particle or self.analyzer.is_common_word(span, min_freq=10)
                    if loose and i and span[0] == "儿":  # the 儿 of 名儿, 哪儿 belongs to the word before
                        continue
                    # a word the knowledge base uses that the span cuts in half must be used less than the
                    # correction, or the correction be a name: 开支部会 holds 支部, so 部会 is not 不会; 党只部分 is
                    # 党支部分 (部分 is used less than 支部); 十八打开始 is 十八大开始 (十八大 is a name, whatever 打开)
                    halved = max((self._uses.get(run[a:b], 0) for a, b in words
                                  if a < i < b < i + n or i < a < i + n < b), default=-1)
                    known = self._uses.get(span, 0)
                    for w in candidates:
                        if w == span or not self._is_real_word(w):
                            continue
                        name = w in self._names
                        if self._uses.get(w, 0) <= max(known, -1 if name else halved):
                            continue
                        # a two-character tag jieba knows goes across a cut only if nothing is halved (长正是)
                        if loose and not name and not (w in self._tags2 and across and not particle and halved < 0):
                            continue
                        out.append((span, w))
        return out

    def _kb_words_in(self, run: str) -> list[tuple[int, int]]:
        """(start, end) of each word of two to four characters in ``run`` that the knowledge base uses: an
        answer's or tag's, or a phrasing's in at least two phrasings (支部, 大屏)."""
        return [(i, i + n) for n in (2, 3, 4) for i in range(len(run) - n + 1)
                if run[i : i + n] in self._answer_words or self._uses.get(run[i : i + n], 0) >= 2]

    def _is_real_word(self, word: str) -> bool:
        """A word a correction may write: one of the answers' and tags' or of jieba's dictionary, never a
        mis-hearing that only a phrasing has (管是, 当建)."""
        return word in self._answer_words or self.analyzer.is_common_word(word, min_freq=1)

    def cased(self, text: str) -> str:
        """``text`` typed all in lower case, with each word written as the knowledge base's English writes it
        inside a sentence (beidou → BeiDou, gps → GPS, pin → PIN). Why: the sentence encoder is case-sensitive,
        and a kiosk keyboard types lower case: of dev's 159 English questions, 157 were right as written and 154
        in lower case ("how precise is beidou positioning?" went to the centimetre entry). A text with a capital
        is left as written: casing its other words too cost 0.1 point of the phrasings held out."""
        if self._casing is None:
            forms: dict[str, dict[str, int]] = {}
            for e in self.entries:
                for q in (*e.questions_en, e.answer_en):
                    for n, m in enumerate(_LATIN_WORD.finditer(q)):
                        w = m.group()
                        if n or w.lower() != w:  # a capital at a sentence's start says nothing
                            forms.setdefault(w.lower(), {}).setdefault(w, 0)
                            forms[w.lower()][w] += 1 if n else 0
            self._casing = {"i": "I"}
            for low, seen in forms.items():
                best = max(seen, key=lambda f: seen[f])
                # an acronym (GPS, BeiDou, PIN) or a name written so nearly always (Party 500 : party 89, Zunyi,
                # China), not a word also written in lower case (Big Dipper 5 : big 3) or seldom seen (Energy 2)
                acronym = best[1:] != best[1:].lower() and seen[best] >= 2
                if len(low) > 1 and best != low and (acronym or seen[best] >= max(5, 4 * seen.get(low, 0))):
                    self._casing[low] = best
        if any(c.isupper() for c in text):  # typed with capitals: as its writer meant it
            return text
        casing = self._casing
        return _LATIN_WORD.sub(lambda m: casing.get(m.group(), m.group()), text)

    def unknown_words(self, text: str) -> list[str]:
        """The content words of ``text`` that no question, tag or answer of the knowledge base has (question
        frames like 怎么 or "where" are not content)."""
        return [w for w in self.analyzer.words(text) if w not in self._known_words and w not in FRAME_WORDS]

    def _query(self, text: str) -> _Query:
        a, s = self.analyzer, self.settings
        said = {
            "words": dict.fromkeys(a.words(text), 1.0),
            "bigrams": dict.fromkeys(a.bigrams(text), 1.0),
            "pinyin": dict.fromkeys(a.pinyin_bigrams(text), 1.0),
        }
        terms = {k: dict(v) for k, v in said.items()}
        # A synonym in the other language would match the other language's phrasings of unrelated entries
        # (an English "BeiDou" question expanded to 北斗 favours the entry that says 北斗 most), so expansions
        # stay in the question's language.
        chinese = detect_language(text) == "zh"
        synonyms = [t for t in self.synonyms.expansions(text) if bool(CJK_RUN.search(t)) == chinese]
        for extra, weight in ((synonyms, s.synonym_weight), (self.sound_alikes(text), s.sound_alike_weight)):
            for term in extra:
                _add(terms["words"], a.words(term), weight)
                _add(terms["bigrams"], a.bigrams(term), weight)
        return _Query(terms, said)

    def _ideal(self, kind: str, said: Mapping[str, float]) -> float:
        """Ideal score of the said terms: each at its idf where the questions know it (rarest side), else unknown."""
        indexes = self._question_indexes[kind]
        unknown = indexes[0].idf_unknown
        total = 0.0
        for term, weight in said.items():
            known = [ix.idf[term] for ix in indexes if term in ix]
            total += weight * (min(known) if known else unknown)
        return total

    def scores(self, text: str) -> np.ndarray:
        """Score of every entry for ``text`` (same order as ``entries``), divided by the query's ideal score:
        about 1 when all that was said matched, above 1 possible where a phrasing repeats a word."""
        s, q = self.settings, self._query(text)
        if all(w in FRAME_WORDS for w in q.said["words"]):
            return np.zeros(len(self.entries), dtype=np.float32)
        weights = {"words": s.words, "bigrams": s.bigrams, "pinyin": s.pinyin}
        out = np.zeros(len(self.entries), dtype=np.float32)
        for field_weight, kind, index in self._indexes:
            if weights[kind]:
                index.add_scores(out, q.terms[kind], field_weight * weights[kind])
        ideal = sum(weights[k] * self._ideal(k, q.said[k]) for k in KINDS)
        if ideal <= 0:
            return np.zeros(len(self.entries), dtype=np.float32)
        return out / ideal

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return top_hits(self.entries, self.scores(query), k, cap=1.0)


def top_hits(entries: Sequence[KnowledgeEntry], scores: np.ndarray, k: int, cap: float | None = None) -> list[Hit]:
    """The ``k`` best-scoring entries (score > 0), best first; ties keep the entries' order. Ranked on the
    raw scores; ``cap`` limits the score a hit reports (BM25's normalised score can pass 1)."""
    k = min(k, len(scores))
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Hit(entries[i], float(scores[i] if cap is None else min(cap, scores[i]))) for i in top if scores[i] > 0]

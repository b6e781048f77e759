"""Turning questions into the terms the BM25 index counts: words, character bigrams and pinyin bigrams.

Why three kinds: jieba words carry the most meaning per term (measured best for Chinese FAQ retrieval), but
jieba cuts a question and the stored phrasing differently now and then (北斗系统 vs 北斗 + 系统), so
character bigrams catch what the word cut missed; pinyin bigrams catch homophone errors of speech
recognition (党费怎么酸 still shares "suan" with 党费怎么算). English words are lower-cased and lightly
stemmed so "satellites" meets "satellite".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from robot_assistant.qa.pinyin import char_key
from robot_assistant.qa.text import CJK_RUN, WORD_OR_CJK, normalize


#: Chinese particles and pronouns: no meaning for retrieval, and they dilute the confidence.
def words_of(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` as a set (for word lists kept readable in the source)."""
    return frozenset(text.split())


ZH_STOPWORDS = words_of(
    "的 了 吗 呢 啊 吧 呀 嘛 哦 哈 么 嗯 我 你 您 他 她 它 我们 你们 他们 咱们 这 那 这个 那个 一下 请问 请 麻烦 "
    "帮 帮我 给我 告诉 告诉我 一 个 就 也 还 和 与 及 跟 啦 呗 噢 哪个"
)
#: English function words. Question words that tell time from place (when, where, how) stay.
EN_STOPWORDS = words_of(
    "a an the is are was were be been being am do does did i me my mine you your yours we our us it its this "
    "that these those to of in on at for with by from and or but what which who whom whose there here about "
    "into any some please tell can could should would will shall may might must have has had get got i'm "
    "what's it's don't doesn't didn't just so if then than up out as also let let's know want like"
)

log = logging.getLogger(__name__)

_BASE_LOCK = threading.Lock()
#: jieba's main dictionary once loaded, per cache folder: the next Analyzer copies it (~20 ms) instead of
#: loading it again (~1 s).
_BASE: dict[str | None, tuple[dict[str, int], int]] = {}


def _fresh_tokenizer(cache_dir: Path | None):
    """A private jieba Tokenizer holding the main dictionary, ready for user words."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    key = str(cache_dir) if cache_dir is not None else None
    tok = jieba.Tokenizer()
    with _BASE_LOCK:
        base = _BASE.get(key)
        if base is None:
            if cache_dir is not None:
                cache_dir.mkdir(parents=True, exist_ok=True)
                tok.tmp_dir = str(cache_dir)
            tok.initialize()
            _BASE[key] = (dict(tok.FREQ), tok.total)
            return tok
    tok.FREQ, tok.total = dict(base[0]), base[1]
    tok.initialized = True
    return tok


_BRITISH = (("isation", "ization"), ("ising", "izing"), ("ised", "ized"), ("ises", "izes"), ("ise", "ize"))
_UNSTEMMED = words_of("news gps bds series species bus us this")
_SUFFIXES = ("ization", "izing", "ized", "ize", "ation", "ating", "ated", "ate", "ment", "ness", "ing", "ed", "e")


def stem(word: str) -> str:
    """A deliberately small English suffix stripper: plural, British -ise, then up to two of -ation, -ment,
    -ing, -ed, -e... The same rules run on both sides of a match, so "achieved" and "achievements" both
    become "achiev", "evaluated" and "evaluation" both "evalu". Stems keep at least three letters."""
    if word.endswith("'s"):
        word = word[:-2]
    if word in _UNSTEMMED:
        return word
    for a, b in _BRITISH:
        if word.endswith(a):
            word = word[: -len(a)] + b
            break
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


class Analyzer:
    """Tokenises text for the index and for queries alike.

    ``user_words`` (tags, place names, synonyms) are added to a private jieba dictionary so that 三会一课 or
    北斗展区 come out as one word; ``cache_dir`` is where jieba keeps its dictionary cache (jieba's own
    default is the system temp folder). jieba is loaded on first use, not at import.
    """

    def __init__(self, user_words: Iterable[str] = (), cache_dir: Path | None = None):
        self._user_words = sorted({normalize(w) for w in user_words if w and CJK_RUN.search(w)})
        self._cache_dir = cache_dir
        self._jieba = None
        self._lock = threading.Lock()

    def _tokenizer(self):
        with self._lock:
            if self._jieba is None:
                tok = _fresh_tokenizer(self._cache_dir)
                for w in self._user_words:
                    tok.add_word(w, freq=max(tok.suggest_freq(w, tune=False), 5))
                self._jieba = tok
            return self._jieba

    def warm_up(self) -> None:
        """Load jieba's dictionary now (about 1–2 s) instead of on the first question."""
        self._tokenizer()

    def is_common_word(self, word: str, min_freq: int = 100) -> bool:
        """True for a word of jieba's own dictionary seen at least ``min_freq`` times (a real word, not an ASR slip)."""
        return (self._tokenizer().FREQ.get(word) or 0) >= min_freq

    def boundaries(self, run: str) -> set[int]:
        """Offsets in ``run`` (one run of Chinese characters) where no dictionary word goes across: jieba's
        cut without its HMM, so that a word it does not know falls apart into characters."""
        out, at = {0}, 0
        for w in self._tokenizer().lcut(run, HMM=False):
            at += len(w)
            out.add(at)
        return out

    def words(self, text: str) -> list[str]:
        """Content words: jieba words for Chinese, stemmed words for English, numbers as they are."""
        text = normalize(text)
        out: list[str] = []
        for piece in WORD_OR_CJK.findall(text):
            if CJK_RUN.match(piece):
                out.extend(w for w in self._tokenizer().lcut(piece, HMM=True) if w not in ZH_STOPWORDS)
            elif piece not in EN_STOPWORDS:
                out.append(piece if piece.isdigit() else stem(piece))
        return out

    @staticmethod
    def bigrams(text: str) -> list[str]:
        """Character bigrams inside each Chinese run (a one-character run gives itself)."""
        out: list[str] = []
        for run in CJK_RUN.findall(normalize(text)):
            out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        return out

    @staticmethod
    def pinyin_bigrams(text: str) -> list[str]:
        """Bigrams of folded pinyin inside each Chinese run, e.g. 党费怎么算 → dan.fei fei.zen zen.me me.suan."""
        out: list[str] = []
        for run in CJK_RUN.findall(normalize(text)):
            keys = [char_key(c) for c in run]
            out.extend(keys if len(keys) == 1 else [f"{a}.{b}" for a, b in zip(keys, keys[1:], strict=False)])
        return out

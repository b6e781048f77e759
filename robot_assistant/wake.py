"""An optional wake phrase ("你好小星") in front of spoken questions, for a robot in a noisy lobby.

Why: with the microphone always listening, conversations passing by would otherwise be answered. When a
phrase is configured, an utterance is passed on only if it starts with the phrase — matched on pinyin
without tones, so an ASR homophone ("你好晓星") still wakes it — and the recogniser was confident enough
(vosk's word confidences; engines without confidences are judged on the match alone). What follows the
phrase is the question; a bare phrase opens a short window in which the next utterance is taken as the
question. Push-to-talk bypasses the gate (pressing the button is the wake-up).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from pypinyin import lazy_pinyin

_PUNCT = re.compile(r"[\s，。！？、,.!?:：;；\"'“”‘’]+")


def syllables(text: str) -> list[str]:
    """Lower-case toneless pinyin for Chinese, words for anything else."""
    return [s.lower() for s in lazy_pinyin(_PUNCT.sub(" ", text).strip()) for s in s.split() if s]


@dataclass
class WakeResult:
    passed: bool
    question: str = ""
    """What to answer ("" when the phrase stood alone: the next utterance is the question)."""
    reason: str = ""


class WakeGate:
    def __init__(self, phrase: str, *, threshold: float = 0.75, min_confidence: float = 0.6,
                 window_s: float = 8.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.phrase = phrase
        self.want = syllables(phrase)
        self.threshold = threshold
        self.min_confidence = min_confidence
        self.window_s = window_s
        self.clock = clock
        self.awake_until = 0.0

    def wake(self) -> None:
        """Push-to-talk or a bare phrase: take the next utterance as a question."""
        self.awake_until = self.clock() + self.window_s

    def check(self, text: str, confidence: float | None = None) -> WakeResult:
        if self.clock() < self.awake_until:
            self.awake_until = 0.0
            return WakeResult(True, text)
        if confidence is not None and confidence < self.min_confidence:
            return WakeResult(False, reason=f"recogniser confidence {confidence:.2f} below {self.min_confidence}")
        heard = syllables(text)
        n = len(self.want)
        if len(heard) < n:
            return WakeResult(False, reason="no wake phrase")
        score = SequenceMatcher(None, " ".join(heard[:n]), " ".join(self.want)).ratio()
        if score < self.threshold:
            return WakeResult(False, reason=f"no wake phrase (match {score:.2f})")
        question = _after_syllables(text, n)
        if not question:
            self.wake()
        return WakeResult(True, question)


def _after_syllables(text: str, n: int) -> str:
    """The text after its first ``n`` pinyin syllables (Chinese characters or words), trimmed."""
    count = 0
    for i, ch in enumerate(text):
        if "\u4e00" <= ch <= "\u9fff" or ch.isalnum() and (i + 1 == len(text) or not text[i + 1].isalnum()):
            count += 1
        if count >= n:
            return _PUNCT.sub(" ", text[i + 1:]).strip()
    return ""

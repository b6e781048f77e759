"""The wake phrase: pinyin-tolerant, confidence-gated, and a bare phrase opens a short window."""

from __future__ import annotations

from robot_assistant.wake import WakeGate


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def gate() -> tuple[WakeGate, Clock]:
    clock = Clock()
    return WakeGate("你好小星", clock=clock), clock


def test_phrase_then_question_passes_the_question_on():
    g, _ = gate()
    r = g.check("你好小星，党费怎么交")
    assert r.passed and r.question == "党费怎么交"


def test_asr_homophones_still_wake_it():
    g, _ = gate()
    assert g.check("你好晓星带我去北斗展区").question == "带我去北斗展区"
    assert g.check("拟好小心 看看新闻").passed  # two syllables off by a consonant or tone


def test_passing_conversation_is_ignored():
    g, _ = gate()
    for text in ("今天中午吃什么", "党费怎么交", "好", ""):
        r = g.check(text)
        assert not r.passed and r.reason.startswith("no wake phrase"), text


def test_low_confidence_is_gated():
    g, _ = gate()
    r = g.check("你好小星党费怎么交", confidence=0.3)
    assert not r.passed and "confidence" in r.reason
    assert g.check("你好小星党费怎么交", confidence=0.9).passed


def test_a_bare_phrase_opens_a_window_for_the_next_utterance():
    g, clock = gate()
    r = g.check("你好小星")
    assert r.passed and r.question == ""
    clock.t += 3
    assert g.check("党费怎么交").question == "党费怎么交"
    assert not g.check("党费怎么交").passed  # the window is used once
    g.check("你好小星。")
    clock.t += 9
    assert not g.check("党费怎么交").passed  # and expires


def test_push_to_talk_wakes_it():
    g, _ = gate()
    g.wake()
    assert g.check("看看新闻").question == "看看新闻"


def test_the_listen_worker_passes_only_woken_utterances_on(tmp_path):
    import numpy as np

    from core.config import load_config
    from core.events import EventBus, Speak, Transcript
    from robot_assistant.audio import ArraySource
    from robot_assistant.speech_worker import ListenWorker

    bus = EventBus()
    heard = bus.subscribe(Transcript, Speak)
    worker = ListenWorker(bus, ArraySource(np.zeros(1600, dtype=np.int16), 16000), lambda: None,
                          language="zh", wake=WakeGate("你好小星"))
    worker.deliver("今天中午吃什么", "zh")
    worker.deliver("你好晓星，看看新闻", "zh")
    worker.deliver("你好小星", "zh")
    worker.deliver("党费怎么交", "zh")
    events = heard.drain()
    assert [(type(e).__name__, e.text) for e in events] == [
        ("Transcript", "看看新闻"), ("Speak", "我在，请说。"), ("Transcript", "党费怎么交")]
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path),
                                  "DANGJIAN__ASSISTANT__WAKE_PHRASE": "你好小星"})
    assert config.assistant.wake_phrase == "你好小星"

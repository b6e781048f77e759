"""Greetings, fillers and thanks around a question are taken off before retrieval (robot_assistant.qa.framing)."""

from __future__ import annotations

import pytest

from robot_assistant.qa.framing import strip_framing


@pytest.mark.parametrize(("said", "language", "question"), [
    ("谢谢。再问一下，党支部是干什么的", "zh", "党支部是干什么的"),
    ("违反纪律的党员会受到哪些处分？谢谢", "zh", "违反纪律的党员会受到哪些处分"),
    ("违反纪律的党员会受到哪些处分，你知道吗", "zh", "违反纪律的党员会受到哪些处分"),
    ("您好，我想问一下，入党要什么条件", "zh", "入党要什么条件"),
    ("嗯，那个，北斗有几颗卫星", "zh", "北斗有几颗卫星"),
    ("小助手请问党费怎么交", "zh", "党费怎么交"),  # as the parser passes it, punctuation gone
    ("还有个问题，党费怎么交", "zh", "党费怎么交"),
    ("早上好，请问VR展厅几点开门？", "zh", "VR展厅几点开门？"),  # as said: case and punctuation kept
    ("Excuse me, how can I become a Party member?", "en", "How can I become a Party member?"),
    ("Hello robot, can you tell me: What honours has the company won?", "en", "What honours has the company won?"),
    ("Thanks. Another question: where is the notice board?", "en", "Where is the notice board?"),
    ("Do you know when the Party was founded?", "en", "When the Party was founded?"),
    ("What is BeiDou? Thanks!", "en", "What is BeiDou"),
])
def test_framing_is_taken_off(said, language, question):
    assert strip_framing(said, language) == question


@pytest.mark.parametrize(("said", "language"), [
    ("你好", "zh"), ("谢谢", "zh"), ("问一下", "zh"),  # nothing else: left for the intent parser's greeting
    ("还有没有票", "zh"),  # 还有 is part of the question here
    ("问题反映给谁", "zh"), ("那个", "zh"),
    ("Tell me a joke", "en"), ("Can you tell me a joke?", "en"),  # no question after "tell me": kept whole
    ("Do you know English?", "en"), ("Well-known heroes of the Long March?", "en"), ("Hello", "en"),
    ("", "zh"), ("", "en"), ("   ", "zh"), ("？？！", "zh"), ("...", "en"), ("\x00\ufffd", "en"),  # garbage: as it came
])
def test_the_question_itself_is_kept(said, language):
    assert strip_framing(said, language) == said

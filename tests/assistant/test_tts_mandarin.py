"""espeak-ng's plain `cmn` voice reads the pinyin its dictionary makes as English ("dang three fei
four"): the configured voice must speak Mandarin. Whisper listens to check (espeak-ng's Mandarin is poor
speech, so the bar is that it sounds like Chinese syllables, not English digits)."""

from __future__ import annotations

import re

from core.config import load_config
from robot_assistant.audio import WavFileSource
from robot_assistant.stt_select import recognizer_for
from robot_assistant.tts import NullSink, tts_for


def test_the_configured_mandarin_voice_is_not_read_as_english_digits(tmp_path):
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    tts = tts_for(config, sink=NullSink("test"))
    recognizer = recognizer_for(config, "zh")
    try:
        heard = {}
        for voice in (config.assistant.tts_voice_zh, "cmn"):
            tts.voices["zh"] = voice
            spoken = tts.speak("欢迎参观北斗科技馆", "zh")
            heard[voice] = recognizer.transcribe(WavFileSource(spoken.wav, realtime=False).chunks()).text
    finally:
        tts.close()
    configured = heard[config.assistant.tts_voice_zh]
    assert re.search(r"[\u4e00-\u9fff]", configured) and not re.search(r"\d", configured), heard
    assert re.search(r"\d", heard["cmn"]), heard  # the trap this guards against is real

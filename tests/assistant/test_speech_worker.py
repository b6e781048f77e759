"""The speech workers on a real EventBus: WAV → VAD → vosk-ko → Transcript events; Speak → TTS."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from core.events import DeviceStatus, EventBus, Speak, StopSpeaking, Transcript
from robot_assistant.audio import ArraySource, MicrophoneSource
from robot_assistant.speech_worker import ListenWorker, SpeakerWorker
from robot_assistant.stt import CommandGrammar, VoskRecognizer
from robot_assistant.tts import EspeakTTS, NullSink
from tests.assistant.test_speech_support import (
    KO_COMMANDS,
    KO_SENTENCE,
    PacedSink,
    espeak_pcm,
    ko_model,
    padded,
)


def _drain(sub, timeout: float = 0.5) -> list:
    events, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        events += sub.drain()
        time.sleep(0.02)
    return events + sub.drain()


def test_wav_source_through_vad_and_vosk_publishes_partials_then_one_final() -> None:
    bus = EventBus()
    sub = bus.subscribe(Transcript, DeviceStatus)
    stream = padded(espeak_pcm(KO_SENTENCE), 1.0, 1.0)
    worker = ListenWorker(bus, ArraySource(stream, name="ko-sentence.wav"), lambda: VoskRecognizer(ko_model(), "ko"))
    worker.start()
    assert worker.wait(30)
    worker.stop()
    events = sub.drain()
    transcripts = [e for e in events if isinstance(e, Transcript)]
    partials = [e for e in transcripts if not e.final]
    finals = [e for e in transcripts if e.final]
    assert DeviceStatus("microphone", "ok", "ko-sentence.wav") in events
    assert len(partials) >= 2 and all(p.language == "ko" and p.text for p in partials)
    assert len(finals) == 1 and finals[0].text and 0 < finals[0].confidence <= 1
    assert transcripts[-1] is finals[0]  # partials come before the final
    assert worker.stats.utterances == 1 and worker.stats.finals == 1
    assert len(worker.stats.final_latencies_s) == 1  # includes the backlog here: the source is not paced


def test_commands_with_push_to_talk_only_publish_accepted_commands() -> None:
    """Two utterances cut by push-to-talk: a command is published, out-of-grammar speech is not."""
    bus = EventBus()
    sub = bus.subscribe(Transcript)
    pause = np.zeros(8000, np.float32)
    stream = np.concatenate([pause, padded(espeak_pcm("뉴스"), 0.2, 0.2), pause,
                             padded(espeak_pcm("음악을 틀어 주세요"), 0.2, 0.2), pause])
    source = ArraySource(stream)
    stt = VoskRecognizer(ko_model(), "ko", grammar=CommandGrammar(KO_COMMANDS))
    worker = ListenWorker(bus, source, stt)
    worker.segmenter.mode = "push_to_talk"
    # press/release at fixed chunk positions (the source is read as fast as possible)
    press = {5: True, 5 + 14: False, 5 + 14 + 5: True, 5 + 14 + 5 + 27: False}
    original_read, count = source.read, [0]

    def read(timeout: float | None = None) -> bytes | None:
        if count[0] in press:
            worker.push_to_talk(press[count[0]])
        count[0] += 1
        return original_read(timeout)

    source.read = read  # type: ignore[method-assign]
    worker.start()
    assert worker.wait(30)
    worker.stop()
    finals = [e for e in sub.drain() if isinstance(e, Transcript) and e.final]
    assert [e.text for e in finals] == ["뉴스"], [(r.raw_text, r.reason) for r in worker.stats.results]
    assert worker.stats.utterances == 2 and len(worker.stats.rejected) == 1


def test_missing_model_degrades_voice_input_without_crashing(tmp_path: Path) -> None:
    bus = EventBus()
    sub = bus.subscribe(DeviceStatus)
    worker = ListenWorker(bus, ArraySource(np.zeros(16000, np.float32)),
                          lambda: VoskRecognizer(tmp_path / "zh", "zh")).start()
    assert worker.wait(5)
    worker.stop()
    status = [e for e in sub.drain() if e.state == "degraded"]
    assert worker.state == "degraded" and len(status) == 1
    assert status[0].device == "microphone" and "vosk-model-small-cn-0.22" in status[0].message


def test_no_microphone_degrades_without_crashing() -> None:
    bus = EventBus()
    sub = bus.subscribe(DeviceStatus)
    worker = ListenWorker(bus, MicrophoneSource("no-such-microphone-anywhere"), lambda: VoskRecognizer(ko_model(), "ko"))
    worker.start()
    assert worker.wait(10)
    worker.stop()
    status = sub.drain()
    assert [(s.device, s.state) for s in status] == [("microphone", "degraded")]
    assert "microphone unavailable" in status[0].message and worker.state == "degraded"


@pytest.fixture
def speaker_bus(tmp_path: Path):
    bus = EventBus()
    sink = PacedSink()
    shown: list[tuple[str, str]] = []
    worker = SpeakerWorker(bus, EspeakTTS(tmp_path, sink=sink), on_text=lambda t, lang: shown.append((t, lang))).start()
    yield bus, worker, sink, shown
    worker.stop()


def test_speak_events_are_spoken_in_order_and_shown(speaker_bus) -> None:
    bus, worker, sink, shown = speaker_bus
    bus.publish(Speak("好的", "zh"))
    bus.publish(Speak("OK", "en"))
    deadline = time.monotonic() + 15
    while len(worker.results) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert shown == [("好的", "zh"), ("OK", "en")]
    assert [(r.text, r.played, r.voice) for r in worker.results] == [("好的", True, "cmn-latn-pinyin"), ("OK", True, "en-us")]


def test_stop_speaking_silences_the_current_sentence_and_drops_the_queue(speaker_bus) -> None:
    bus, worker, sink, shown = speaker_bus
    bus.publish(Speak("欢迎参观党建展厅。这里展示了我们党委多年来的工作成果，请您慢慢参观。", "zh"))
    bus.publish(Speak("这一句排在后面，不应该播放。", "zh"))
    assert sink.started.wait(15)
    time.sleep(0.2)
    t0 = time.monotonic()
    bus.publish(StopSpeaking())
    while worker.busy and time.monotonic() - t0 < 2:
        time.sleep(0.01)
    assert time.monotonic() - t0 < 0.5
    assert len(worker.results) == 1 and worker.results[0].interrupted
    assert len(shown) == 1 and len(sink.played) == 1


def test_interrupting_speak_replaces_what_is_playing(speaker_bus) -> None:
    bus, worker, sink, shown = speaker_bus
    bus.publish(Speak("这是一段很长的讲解词，讲的是党史长廊里的第一个展项，内容很多。", "zh"))
    assert sink.started.wait(15)
    bus.publish(Speak("停一下，先说这个。", "zh", interrupt=True))
    deadline = time.monotonic() + 15
    while len(worker.results) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r.interrupted for r in worker.results] == [True, False]
    assert worker.results[1].text == "停一下，先说这个。" and worker.results[1].played


def test_text_only_speaker_reports_why_once(tmp_path: Path) -> None:
    bus = EventBus()
    sub = bus.subscribe(DeviceStatus)
    worker = SpeakerWorker(bus, EspeakTTS(tmp_path, sink=NullSink("no sound output: test"))).start()
    try:
        bus.publish(Speak("你好", "zh"))
        bus.publish(Speak("再见", "zh"))
        deadline = time.monotonic() + 15
        while len(worker.results) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        events = _drain(sub, 0.2)
        assert events == [DeviceStatus("speaker", "degraded", "no sound output: test")]
        assert [r.text for r in worker.results] == ["你好", "再见"]
    finally:
        worker.stop()


def test_workers_from_the_default_config_degrade_cleanly_on_a_bare_machine(tmp_path: Path) -> None:
    """No microphone, no zh model folder, no sound card: both workers run, report why, and never raise."""
    import sounddevice as sd

    from core.config import load_config
    from robot_assistant.speech_worker import start_speech_workers

    try:
        sd.query_devices(kind="output")
        pytest.skip("this machine has sound hardware")
    except sd.PortAudioError:
        pass
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    bus = EventBus()
    sub = bus.subscribe(DeviceStatus)
    listen, speaker = start_speech_workers(config, bus)
    try:
        assert listen.wait(10) and listen.state == "degraded"
        bus.publish(Speak("欢迎", "zh"))
        deadline = time.monotonic() + 15
        while not speaker.results and time.monotonic() < deadline:
            time.sleep(0.05)
        assert speaker.results[0].text == "欢迎" and speaker.results[0].wav is not None
        assert speaker.results[0].wav.is_relative_to(tmp_path / "tts_cache")
        states = {(e.device, e.state) for e in _drain(sub, 0.2)}
        assert states == {("microphone", "degraded"), ("speaker", "degraded")}
    finally:
        listen.stop()
        speaker.stop()


def test_phrases_are_cached_at_start_so_the_first_answer_does_not_wait(tmp_path) -> None:
    bus = EventBus()
    tts = EspeakTTS(tmp_path, sink=NullSink("test"))
    worker = SpeakerWorker(bus, tts, precache=[("没听清，请再说一遍", "zh"), ("Sorry?", "en")]).start()
    try:
        assert worker.warmed.wait(30)
        assert tts.synthesize("没听清，请再说一遍", "zh").cached and tts.synthesize("Sorry?", "en").cached
    finally:
        worker.stop()

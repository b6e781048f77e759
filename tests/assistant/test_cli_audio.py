"""``launcher.py assistant --wav``: every kind of bad input gets one line and exit 2; other formats are heard.

Real files made here from a shared clip with soundfile (libsndfile), real Whisper decoding them.
"""

from __future__ import annotations

import numpy as np
import pytest

from robot_assistant.audio import read_audio, resample
from tests.assistant.test_cli import launcher
from tests.assistant.test_whisper_support import SPEECH, need_whisper

ZH_CLIP = "zh_paddlespeech.wav"
ZH_WORDS = "身体健康"


def run(tmp_path, *args):
    done = launcher(*args, env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    assert "Traceback" not in done.stderr, done.stderr
    return done


def one_line(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def clip():
    need_whisper()
    samples, rate = read_audio(SPEECH / ZH_CLIP)
    return samples / 32768.0, rate


def test_empty_file(tmp_path):
    wav = tmp_path / "empty.wav"
    wav.write_bytes(b"")
    done = run(tmp_path, "--wav", str(wav), "--transcribe")
    assert done.returncode == 2 and "the file is empty" in one_line(done)


def test_text_saved_as_wav(tmp_path):
    wav = tmp_path / "notes.wav"
    wav.write_text("这不是录音\n", encoding="utf-8")
    done = run(tmp_path, "--wav", str(wav), "--transcribe")
    assert done.returncode == 2 and "not an audio file libsndfile can read" in one_line(done)


def test_missing_file(tmp_path):
    done = run(tmp_path, "--wav", str(tmp_path / "nowhere.wav"), "--transcribe")
    assert done.returncode == 2 and "no such file" in one_line(done)


def test_a_tenth_of_a_second(tmp_path, clip):
    import soundfile as sf

    samples, rate = clip
    wav = tmp_path / "short.wav"
    sf.write(wav, samples[: rate // 10], rate)
    done = run(tmp_path, "--wav", str(wav), "--transcribe")
    assert done.returncode == 2 and "too short (0.10 s" in one_line(done)


def test_three_minutes_of_silence(tmp_path):
    import soundfile as sf

    wav = tmp_path / "silence.wav"
    sf.write(wav, np.zeros(180 * 16000, np.int16), 16000, subtype="PCM_16")
    done = run(tmp_path, "--wav", str(wav), "--transcribe")
    assert done.returncode == 2 and "no speech (180.0 s of silence" in one_line(done)


def test_flac_at_44k_stereo_24_bit_is_heard(tmp_path, clip):
    import soundfile as sf

    samples, rate = clip
    up = resample(samples, rate, 44100)
    flac = tmp_path / "question.flac"
    sf.write(flac, np.stack([up, up], axis=1), 44100, subtype="PCM_24")
    assert sf.info(flac).channels == 2 and sf.info(flac).subtype == "PCM_24"
    done = run(tmp_path, "--wav", str(flac), "--transcribe")
    assert done.returncode == 0 and ZH_WORDS in done.stdout, done.stderr


def test_8k_stereo_wav_is_heard(tmp_path, clip):
    import soundfile as sf

    samples, rate = clip
    down = resample(samples, rate, 8000)
    wav = tmp_path / "phone.wav"
    sf.write(wav, np.stack([down, down], axis=1), 8000, subtype="PCM_16")
    done = run(tmp_path, "--wav", str(wav), "--transcribe")
    assert done.returncode == 0 and ZH_WORDS in done.stdout, done.stderr


def test_english_with_language_zh_is_refused_and_heard_as_english_without_it(tmp_path):
    need_whisper()
    clip = SPEECH / "en_icefall_voices_sp0307.wav"
    done = run(tmp_path, "--wav", str(clip), "--language", "zh", "--transcribe")
    assert done.returncode == 2 and "this is English speech, not Mandarin" in one_line(done)
    done = run(tmp_path, "--wav", str(clip), "--transcribe")
    assert done.returncode == 0 and "curiosity" in done.stdout


def test_an_answer_spoken_by_the_neural_voice_is_heard_back(tmp_path):
    """assistant --text … --say out.wav speaks with the neural voice; --wav out.wav --transcribe hears it."""
    from robot_assistant.voice.textnorm import normalize
    from robot_assistant.whisper_stt import error_rate
    from tests.assistant.test_tts_neural import need_voice

    need_voice()
    need_whisper()
    out = tmp_path / "out.wav"
    said = run(tmp_path, "--text", "展厅几点开放", "--say", str(out), "--json")
    assert said.returncode == 0, said.stderr
    import json

    answer = json.loads(said.stdout.strip().splitlines()[0])["answer"]
    import soundfile as sf

    assert sf.info(out).samplerate == 24000  # the neural voice (espeak-ng writes 22.05 kHz)
    heard = run(tmp_path, "--wav", str(out), "--transcribe")
    assert heard.returncode == 0, heard.stderr
    edits, n = error_rate(normalize(heard.stdout.strip()), normalize(answer), "zh")
    assert edits / n <= 0.15, (heard.stdout, answer)


def test_a_transcript_below_the_confidence_floor_is_not_taken_as_the_question(tmp_path):
    need_whisper()
    clip = SPEECH / ZH_CLIP  # heard right, at confidence ~0.95: a floor of 0.99 makes it "unsure"
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path), "DANGJIAN__ASSISTANT__WHISPER_MIN_CONFIDENCE": "0.99"}
    done = launcher("--wav", str(clip), "--transcribe", env=env)
    assert done.returncode == 1 and "not sure what was said (low confidence" in done.stderr
    done = launcher("--wav", str(clip), env=env)
    assert done.returncode == 0 and "answer:  没听清，请再说一遍" in done.stdout and "Traceback" not in done.stderr

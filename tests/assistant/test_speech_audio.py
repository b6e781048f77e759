"""Audio sources (WAV files at any rate, the microphone with no device) and the VAD/push-to-talk cutter."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from robot_assistant.audio import (
    SAMPLE_RATE,
    ArraySource,
    AudioSourceUnavailable,
    MicrophoneSource,
    WavFileSource,
    read_wav,
    resample,
    write_wav,
)
from robot_assistant.vad import Segmenter, cut_utterances
from tests.assistant.test_speech_support import (
    KO_SENTENCE,
    espeak_pcm,
    espeak_wav,
    noise,
    padded,
    voiced_bounds,
)

CLIPS = {  # file: (rate as published, seconds) — checked, not trusted: MANIFEST says 16-bit PCM for all
    "en_librispeech_1995.wav": (16000, 8.73),
    "zh_aishell_0724.wav": (16000, 4.28),
    "zh_command_it0011.wav": (16000, 1.99),
    "zh_cosyvoice_prompt.wav": (24000, 3.48),  # actually 32-bit IEEE float: wave.open() refuses it
    "zh_paddlespeech.wav": (16000, 5.00),
}


def _tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 10000.0) -> np.ndarray:
    return (amp * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)).astype(np.float32)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)])


# --------------------------------------------------------------------------------------------- sources


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_testdata_clips_are_read_at_their_rate_and_delivered_at_16k(testdata: Path, name: str) -> None:
    rate, seconds = CLIPS[name]
    src = WavFileSource(testdata / "speech" / name)
    assert src.original_rate == rate
    assert src.duration_s == pytest.approx(seconds, abs=0.01)
    chunks = list(src.chunks())
    assert all(len(c) == 3200 for c in chunks[:-1])  # 100 ms of 16 kHz int16
    assert sum(len(c) for c in chunks) == len(src.pcm) == pytest.approx(seconds * SAMPLE_RATE * 2, abs=400)
    assert np.abs(np.frombuffer(src.pcm, "<i2")).max() > 1000  # speech, not silence or a wrong scale


def test_resampled_float_clip_matches_sox(testdata: Path, tmp_path: Path) -> None:
    """The 24 kHz float clip, resampled by us (scipy and the numpy fallback), agrees with sox."""
    clip = testdata / "speech" / "zh_cosyvoice_prompt.wav"
    ref_path = tmp_path / "sox16k.wav"
    subprocess.run(["sox", str(clip), "-r", "16000", "-c", "1", "-b", "16", str(ref_path)], check=True)
    ref, ref_rate = read_wav(ref_path)
    samples, rate = read_wav(clip)
    assert (ref_rate, rate) == (16000, 24000)
    for use_scipy in (None, False):
        ours = resample(samples, rate, 16000, use_scipy=use_scipy)
        n = min(ours.size, ref.size)
        assert abs(ours.size - ref.size) <= 2
        assert np.corrcoef(ours[:n], ref[:n])[0, 1] > 0.98


@pytest.mark.parametrize("bits,channels,rate", [(8, 1, 8000), (24, 2, 44100), (32, 1, 48000)])
def test_integer_pcm_of_any_width_and_channels_is_converted(tmp_path: Path, bits: int, channels: int, rate: int) -> None:
    src_path = write_wav(tmp_path / "tone.wav", _tone(1000, rate), rate)
    out = tmp_path / f"tone_{bits}_{channels}.wav"
    subprocess.run(["sox", str(src_path), "-b", str(bits), "-c", str(channels), "-e",
                    "unsigned-integer" if bits == 8 else "signed-integer", str(out)], check=True)
    pcm = WavFileSource(out).pcm
    x = np.frombuffer(pcm, "<i2").astype(np.float32)
    assert x.size == pytest.approx(SAMPLE_RATE, abs=2)
    assert _peak_hz(x, SAMPLE_RATE) == pytest.approx(1000, abs=5)
    assert np.sqrt(np.mean(x[1000:-1000] ** 2)) == pytest.approx(10000 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize("use_scipy", [None, False])
def test_downsampling_does_not_alias_into_the_speech_band(use_scipy: bool | None) -> None:
    """A 10 kHz tone at 24 kHz would fold to 6 kHz at 16 kHz without a low-pass."""
    out = resample(_tone(10000, 24000), 24000, 16000, use_scipy=use_scipy)
    assert np.sqrt(np.mean(out[200:-200] ** 2)) < 10000 / np.sqrt(2) * 0.05  # more than 26 dB down


def test_realtime_pacing_behaves_like_a_microphone() -> None:
    src = ArraySource(np.zeros(SAMPLE_RATE // 2, np.float32), realtime=True)
    t0 = time.monotonic()
    assert sum(len(c) for c in src.chunks()) == SAMPLE_RATE  # 0.5 s of int16
    assert time.monotonic() - t0 >= 0.45


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not.wav"
    bad.write_text("hello")
    with pytest.raises(AudioSourceUnavailable, match="not an audio file libsndfile can read"):
        WavFileSource(bad)
    with pytest.raises(AudioSourceUnavailable, match="not a RIFF/WAVE"):  # the reader without soundfile
        read_wav(bad)


def test_microphone_that_does_not_exist_degrades_with_a_reason() -> None:
    mic = MicrophoneSource("no-such-microphone-anywhere")
    with pytest.raises(AudioSourceUnavailable) as err:
        mic.open()
    assert "microphone unavailable" in str(err.value) and "devices.microphone" in str(err.value)
    mic.close()  # safe after a failed open
    assert mic.read(timeout=0.01) is None


def test_default_microphone_without_a_sound_card_raises_our_error_not_portaudio() -> None:
    import sounddevice as sd

    try:
        sd.query_devices(kind="input")
        pytest.skip("this machine has an input device")
    except sd.PortAudioError:
        pass
    with pytest.raises(AudioSourceUnavailable, match="default input device"):
        MicrophoneSource().open()


def test_microphone_without_portaudio_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import now fails as without libportaudio2
    with pytest.raises(AudioSourceUnavailable, match="libportaudio2"):
        MicrophoneSource().open()


# ------------------------------------------------------------------------------------------------- VAD


def test_vad_cuts_a_padded_sentence_into_one_utterance_with_sensible_bounds() -> None:
    pcm = espeak_pcm(KO_SENTENCE)
    start, end = voiced_bounds(pcm)
    stream = padded(pcm, 1.0, 1.5)
    utterances = cut_utterances(np.round(stream).astype("<i2").tobytes())
    assert len(utterances) == 1, [(u.voiced_start_s, u.voiced_end_s) for u in utterances]
    u = utterances[0]
    assert u.reason == "silence"
    assert u.voiced_start_s == pytest.approx(1.0 + start, abs=0.1)
    assert u.voiced_end_s == pytest.approx(1.0 + end, abs=0.15)
    assert u.start_s <= u.voiced_start_s - 0.25  # pre-roll kept: the first syllable is not clipped
    assert u.end_s >= u.voiced_end_s  # hangover kept
    assert u.duration_s < len(stream) / SAMPLE_RATE - 0.5  # leading silence dropped


@pytest.mark.parametrize("name", ["zh_command_it0011.wav", "zh_cosyvoice_prompt.wav"])
def test_vad_on_real_recordings(testdata: Path, name: str) -> None:
    pcm = WavFileSource(testdata / "speech" / name).pcm
    start, end = voiced_bounds(pcm, threshold=1500)
    stream = padded(pcm, 1.0, 1.0, dbfs=-65)
    utterances = cut_utterances(np.round(stream).astype("<i2").tobytes())
    assert len(utterances) == 1
    assert utterances[0].voiced_start_s <= 1.0 + start + 0.1
    assert utterances[0].voiced_end_s >= 1.0 + end - 0.3


def test_pause_shorter_than_hangover_keeps_one_utterance_longer_splits() -> None:
    clip = espeak_pcm("뉴스")
    start, end = voiced_bounds(clip)  # espeak pads its WAV with silence: trim it so the gap is exact
    pcm = np.frombuffer(clip, "<i2").astype(np.float32)[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]

    def joined(gap_s: float) -> bytes:
        parts = [noise(0.5), pcm, noise(gap_s, seed=4), pcm, noise(1.0, seed=5)]
        return np.round(np.concatenate(parts)).astype("<i2").tobytes()

    assert len(cut_utterances(joined(0.3))) == 1
    assert len(cut_utterances(joined(1.5))) == 2


def test_a_click_does_not_start_an_utterance_and_long_speech_is_cut() -> None:
    click = np.concatenate([noise(0.5), np.full(int(0.03 * SAMPLE_RATE), 20000, np.float32), noise(0.8)])
    assert cut_utterances(np.round(click).astype("<i2").tobytes()) == []
    talk = np.round(np.tile(np.frombuffer(espeak_pcm("뉴스"), "<i2").astype(np.float32), 6))
    cut = cut_utterances(talk.astype("<i2").tobytes(), max_utterance_s=2.0, hangover_ms=2000)
    assert cut[0].reason == "max_length" and cut[0].duration_s <= 2.4


def test_push_to_talk_mode_ignores_speech_until_pressed_and_ends_on_release() -> None:
    sentence = np.frombuffer(espeak_pcm(KO_SENTENCE), "<i2").astype(np.float32)
    stream = np.round(np.concatenate([noise(0.5), sentence, noise(0.5), sentence, noise(0.5)])).astype("<i2").tobytes()
    seg = Segmenter(mode="push_to_talk")
    chunk, events = 3200, []
    press_at, release_at = 1.0 + len(sentence) / SAMPLE_RATE, 1.5 + 2 * len(sentence) / SAMPLE_RATE - 0.5
    for i in range(0, len(stream), chunk):
        t = i / 2 / SAMPLE_RATE
        if abs(t - round(press_at, 1)) < 1e-6:
            seg.push_to_talk_start()
        if abs(t - round(release_at, 1)) < 1e-6:
            seg.push_to_talk_stop()
        events += seg.process(stream[i : i + chunk])
    events += seg.flush()
    ends = [e.utterance for e in events if e.kind == "end"]
    assert [e.kind for e in events if e.kind != "audio"] == ["start", "end"]
    assert len(ends) == 1 and ends[0].reason == "push_to_talk"
    assert ends[0].voiced_start_s == pytest.approx(round(press_at, 1), abs=0.03)
    assert ends[0].voiced_end_s == pytest.approx(round(release_at, 1), abs=0.03)


def test_push_to_talk_in_auto_mode_forces_speech_through_silence() -> None:
    seg = Segmenter()
    silence = np.round(noise(0.3)).astype("<i2").tobytes()
    assert seg.process(silence) == []
    seg.push_to_talk_start()
    started = seg.process(silence)
    assert started[0].kind == "start" and seg.in_speech
    assert [e.kind for e in seg.process(silence)] == ["audio"] * 10  # held: silence does not end it
    seg.push_to_talk_stop()
    assert seg.flush()[-1].utterance.reason == "push_to_talk"


def test_espeak_clip_is_22k_and_is_resampled(tmp_path: Path) -> None:
    _, rate = read_wav(espeak_wav(KO_SENTENCE))
    assert rate == 22050
    assert len(espeak_pcm(KO_SENTENCE)) / 2 / SAMPLE_RATE == pytest.approx(
        read_wav(espeak_wav(KO_SENTENCE))[0].size / 22050, abs=0.01)

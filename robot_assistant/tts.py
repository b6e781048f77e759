"""Text to speech: espeak-ng through pyttsx3 in a worker process, a phrase cache, and playback.

The worker process (why a process, the pyttsx3 races it works around) is :mod:`robot_assistant.tts_worker`;
its names (``SynthesisWorker``, ``TtsError``, ``TtsTimeout``) are importable from here as before.

Why ``save_to_file`` and never ``say()``: ``say()`` shells out to ``aplay`` (which only prints an error
when there is no sound card) and, after one ``save_to_file``, later ``say()`` calls keep writing into
that file. Writing a WAV and playing it ourselves gives one path that works the same with a speaker,
without one, and in tests — and lets :meth:`TextToSpeech.stop` cut playback off at once.

Why a cache: espeak-ng takes tens of ms, but starting the worker takes a few hundred; greetings and
"请再说一遍" are said all day. WAVs are kept on disk keyed by (backend, voice, rate, text).

Playback goes to sounddevice when PortAudio has an output device, else ``aplay`` when ALSA lists a
card, else nowhere — with a sentence saying why, because the text is always shown anyway.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from robot_assistant.audio import read_wav
from robot_assistant.tts_worker import SynthesisWorker, TtsError, TtsTimeout

__all__ = ["DEFAULT_VOICES", "AplaySink", "AudioSink", "EspeakTTS", "NullSink", "SoundDeviceSink", "SpeechOutput",
           "SynthesisWorker", "TextToSpeech", "TtsError", "TtsTimeout", "aplay_cards", "choose_sink"]

DEFAULT_VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}  # plain `cmn` reads pinyin as letters and digits


@dataclass(frozen=True)
class SpeechOutput:
    """The outcome of one request. ``text`` is always there, for the caption on screen."""

    text: str
    language: str
    voice: str
    wav: Path | None = None
    duration_s: float = 0.0
    cached: bool = False
    synth_s: float = 0.0
    """Seconds spent obtaining the WAV (a cache hit is close to 0)."""
    played: bool = False
    interrupted: bool = False
    sink: str = "none"
    reason: str = ""
    """Why nothing was heard, when nothing was (no output device, synthesis failed)."""
    first_audio_s: float = 0.0
    """Seconds from the request to the first playable audio (the first clause of a streamed answer)."""


# -------------------------------------------------------------------------------------------- sinks


class AudioSink(ABC):
    """Where synthesised speech is heard. ``play`` blocks until done (True) or ``stop`` is set (False)."""

    name = "sink"
    reason = ""

    @abstractmethod
    def play(self, wav: Path, stop: threading.Event) -> bool: ...


class NullSink(AudioSink):
    """No sound output: the text is shown, nothing is heard, and ``reason`` says why."""

    name = "none"

    def __init__(self, reason: str = "no sound output") -> None:
        self.reason = reason

    def play(self, wav: Path, stop: threading.Event) -> bool:
        return False


class SoundDeviceSink(AudioSink):
    """PortAudio output stream; aborting the stream stops the sound within one buffer."""

    name = "sounddevice"

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device

    def play(self, wav: Path, stop: threading.Event) -> bool:
        import sounddevice as sd

        samples, rate = read_wav(wav)
        data = np.clip(samples, -32768, 32767).astype(np.int16).reshape(-1, 1)
        pos = 0
        done = threading.Event()

        def callback(outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
            nonlocal pos
            n = min(frames, len(data) - pos)
            outdata[:n] = data[pos : pos + n]
            outdata[n:] = 0
            pos += n
            if n < frames:
                raise sd.CallbackStop

        with sd.OutputStream(samplerate=rate, channels=1, dtype="int16", device=self.device,
                             callback=callback, finished_callback=done.set) as stream:
            while not done.wait(0.02):
                if stop.is_set():
                    stream.abort()
                    return False
        return True


class AplaySink(AudioSink):
    """ALSA's ``aplay`` in a child process, terminated on stop."""

    name = "aplay"

    def __init__(self, device: str | None = None) -> None:
        self.device = device

    def play(self, wav: Path, stop: threading.Event) -> bool:
        cmd = ["aplay", "-q"] + (["-D", self.device] if self.device else []) + [str(wav)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while proc.poll() is None:
            if stop.wait(0.02):
                proc.terminate()
                proc.wait(2)
                return False
        if proc.returncode != 0:
            err = proc.stderr.read().decode(errors="replace").strip().splitlines() if proc.stderr else []
            raise TtsError(f"aplay failed: {err[-1] if err else proc.returncode}")
        return True


def aplay_cards() -> list[str]:
    """Sound cards ALSA lists (``aplay -l`` exits 0 even when it finds none)."""
    if shutil.which("aplay") is None:
        return []
    try:
        out = subprocess.run(["aplay", "-l"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line for line in out.splitlines() if line.startswith("card ")]


def choose_sink(device: int | str | None = None) -> AudioSink:
    """sounddevice if PortAudio has the output device, else aplay if ALSA has a card, else NullSink."""
    from robot_assistant.audio import quiet_native_stderr

    why = []
    try:
        with quiet_native_stderr():  # PortAudio's probe makes ALSA print errors on a machine without sound
            import sounddevice as sd

        try:
            with quiet_native_stderr():
                sd.query_devices(device, kind="output")
            return SoundDeviceSink(device)
        except (sd.PortAudioError, ValueError) as exc:
            why.append(f"PortAudio has no output device ({exc})")
    except (OSError, ImportError) as exc:  # libportaudio2 missing makes the import raise OSError
        why.append(f"sounddevice/PortAudio cannot load ({exc})")
    if shutil.which("aplay") is None:
        why.append("aplay is not installed (apt-get install alsa-utils)")
    elif aplay_cards():
        return AplaySink(device if isinstance(device, str) else None)
    else:
        why.append("ALSA lists no sound card")
    return NullSink("no sound output: " + "; ".join(why) + " — answers are shown as text only")


# -------------------------------------------------------------------------------------- the engine


class TextToSpeech(ABC):
    """Speak text aloud; every request also hands the text to ``on_text`` for display."""

    @abstractmethod
    def speak(self, text: str, language: str = "zh", on_text: Callable[[str, str], None] | None = None,
              cancel: threading.Event | None = None) -> SpeechOutput:
        """Show (via ``on_text``), synthesise and play; blocks until played, stopped, or failed.

        ``cancel`` is this request's own stop flag (a queue of requests gives each one its own, so a
        stop can never miss a request that was about to start); ``stop()`` sets the current one.
        """

    @abstractmethod
    def stop(self) -> None:
        """Interrupt the current speech now (callable from any thread)."""

    def close(self) -> None:
        """Release the worker and devices (the base class only silences what plays)."""
        self.stop()


class EspeakTTS(TextToSpeech):
    """espeak-ng voices via pyttsx3 in a restartable worker process, with a phrase cache on disk."""

    def __init__(self, cache_dir: Path | str | None = None, *, voices: dict[str, str] | None = None,
                 sink: AudioSink | None = None, timeout_s: float = 10.0, rate: int | None = None,
                 retries: int = 1, backend: str = "pyttsx3", warm_up: bool = True,
                 max_cache_mb: float = 200.0) -> None:
        self.voices = {**DEFAULT_VOICES, **(voices or {})}
        self.cache_dir = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "dangjian-tts-cache"
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.cache_dir.glob("*/*.part.wav"):  # left by a request stopped mid-synthesis
            stale.unlink(missing_ok=True)
        self.sink = sink if sink is not None else choose_sink()
        self.backend = backend
        self.rate = rate
        self.prune_cache(int(max_cache_mb * 1_000_000))
        self.retries = retries
        self.worker = SynthesisWorker(backend=backend, timeout_s=timeout_s, rate=rate, warm_up=warm_up)
        self._stop = threading.Event()

    def voice_for(self, language: str) -> str:
        return self.voices.get(language, language)

    def cache_path(self, voice: str, text: str) -> Path:
        key = hashlib.sha256(f"{self.backend}|{voice}|{self.rate or ''}|{text}".encode()).hexdigest()
        return self.cache_dir / voice / f"{key[:32]}.wav"

    def synthesize(self, text: str, language: str = "zh", *, stop: threading.Event | None = None) -> SpeechOutput:
        """The WAV for ``text`` from the cache, or from the worker (then cached)."""
        voice = self.voice_for(language)
        path = self.cache_path(voice, text)
        t0 = time.perf_counter()
        cached = path.is_file()
        if cached:
            os.utime(path)  # most recently used: pruning removes the oldest first
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part.wav")
            try:
                if not self.worker.synthesize(voice, text, tmp, retries=self.retries, stop=stop):
                    return SpeechOutput(text, language, voice, interrupted=True, reason="stopped")
                os.replace(tmp, path)  # atomic: a half-written file never becomes a cache entry
            finally:
                tmp.unlink(missing_ok=True)
        samples, rate = read_wav(path)
        spent = time.perf_counter() - t0
        return SpeechOutput(text, language, voice, path, samples.size / rate, cached, spent, first_audio_s=spent)

    def prune_cache(self, max_bytes: int) -> int:
        """Delete the least recently used WAVs until the cache fits ``max_bytes``; returns how many."""
        files = sorted(self.cache_dir.glob("*/*.wav"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        removed = 0
        for old in files:
            if total <= max_bytes:
                break
            total -= old.stat().st_size
            old.unlink(missing_ok=True)
            removed += 1
        return removed

    def precache(self, phrases: list[tuple[str, str]]) -> int:
        """Synthesise (text, language) pairs ahead of time; returns how many were new."""
        return sum(not self.synthesize(t, lang).cached for t, lang in phrases)

    def speak(self, text: str, language: str = "zh", on_text: Callable[[str, str], None] | None = None,
              cancel: threading.Event | None = None) -> SpeechOutput:
        stop = self._stop = cancel if cancel is not None else threading.Event()
        if on_text is not None:
            on_text(text, language)
        if stop.is_set():
            return SpeechOutput(text, language, self.voice_for(language), interrupted=True, reason="stopped")
        try:
            out = self.synthesize(text, language, stop=stop)
        except TtsError as exc:
            return SpeechOutput(text, language, self.voice_for(language), reason=f"speech synthesis failed: {exc}")
        if out.wav is None or stop.is_set():
            return replace(out, interrupted=True, reason="stopped")
        if isinstance(self.sink, NullSink):
            return replace(out, sink=self.sink.name, reason=self.sink.reason)
        try:
            finished = self.sink.play(out.wav, stop)
        except Exception as exc:  # a sound device vanishing must not kill the speaker thread
            return replace(out, sink=self.sink.name, reason=f"playback failed: {exc}")
        return replace(out, sink=self.sink.name, played=finished, interrupted=not finished)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self.worker.close()


if __name__ == "__main__":  # demo: python -m robot_assistant.tts "欢迎参观党建展厅" [zh|en]
    import sys

    tts = EspeakTTS()
    try:
        result = tts.speak(sys.argv[1] if len(sys.argv) > 1 else "欢迎参观党建展厅",
                           sys.argv[2] if len(sys.argv) > 2 else "zh", on_text=lambda t, lang: print(f"[{lang}] {t}"))
        print(result)
    finally:
        tts.close()

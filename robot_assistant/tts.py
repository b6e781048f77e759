"""Text to speech: espeak-ng through pyttsx3 in a worker process, a phrase cache, and playback.

Why a worker *process* (multiprocessing, spawn): pyttsx3's engine is a cached singleton known to hang
on repeated use (pyttsx3#131, #440). A hung thread cannot be killed; a process can. Each request has a
timeout; when it passes, the worker is killed, a fresh one started, and the request retried once.

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
import multiprocessing as mp
import os
import queue
import shutil
import subprocess
import sys
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
from robot_assistant.worker_process import DIED, STOPPED, WorkerProcess

DEFAULT_VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}  # plain `cmn` reads pinyin as letters and digits


class TtsError(RuntimeError):
    """Synthesis failed (no engine, no such voice, the worker kept hanging)."""


class TtsTimeout(TtsError):
    """The worker did not answer within the per-request timeout, even after a restart."""


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


# ------------------------------------------------------------------------------------------- worker


def _resolve_voice(engine: Any, voice: str) -> str:
    """pyttsx3 silently keeps its old voice when given an unknown id, so match it ourselves."""
    want = voice.lower()
    for v in engine.getProperty("voices"):
        langs = [str(x).lower() for x in (getattr(v, "languages", None) or [])]
        if v.id.lower() == want or v.id.lower().rsplit("/", 1)[-1] == want or want in langs:
            return v.id
    raise TtsError(f"espeak-ng has no voice {voice!r} (apt-get install espeak-ng-data)")


def _espeak_cli(voice: str, text: str, path: str, rate: int | None) -> None:
    cmd = ["espeak-ng", "-v", voice, "-w", path] + (["-s", str(rate)] if rate else []) + ["--", text]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise TtsError(run.stderr.strip() or f"espeak-ng exited {run.returncode}")


def _wrote_audio(path: str) -> bool:
    return os.path.exists(path) and os.path.getsize(path) > 44  # 44 bytes: a WAV header and no samples


def _worker_main(requests: Any, responses: Any, rate: int | None, backend: str, warm_up: bool = True) -> None:
    """Runs in the spawned child: synthesise requests one by one into WAV files.

    Messages in: ("synth", id, voice, text, path) | ("hang", seconds) | None (quit).
    Messages out: ("ready", backend, note) once, then ("done", id, error or "", note or "").

    pyttsx3 2.99's espeak driver can return from ``runAndWait`` before espeak has finished (its queued
    ``endLoop`` runs straight after ``save_to_file``, which does not mark the driver busy): no file is
    written, and the rest of that audio spills into the *next* request's file. Measured: it happens to the first request of a fresh engine when the text
    is long (the first of the demo knowledge base's answers, and every answer after a failure: 95 of
    251 requests without a warm-up). So the worker spends its first request on a warm-up (then 0 of
    251 failed; a long first request still failed in 1 of 12 fresh workers: it is a race), and checks
    every file: a missing one is made with the espeak-ng command line at the same rate, and the worker
    exits so that the next request gets a clean engine. An early return always shows as a missing
    file (pyttsx3 writes the file only on espeak's end-of-message event), so no spilled audio is used.
    """
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- pyttsx3 prints "Audio saved to ..." from espeak's thread
    engine, note = None, ""
    if backend == "pyttsx3":
        try:
            import pyttsx3

            engine = pyttsx3.init()
            if rate:
                engine.setProperty("rate", rate)
            if warm_up:  # the first request of a fresh engine is the one that ends early: spend it here
                with tempfile.TemporaryDirectory() as tmp:
                    engine.save_to_file("你好", os.path.join(tmp, "warm-up.wav"))
                    engine.runAndWait()
                    if not _wrote_audio(os.path.join(tmp, "warm-up.wav")):  # its tail would spill: do not trust it
                        raise TtsError("pyttsx3 warm-up wrote no audio")
        except Exception as exc:  # pyttsx3 raises RuntimeError/OSError/ImportError when its driver is missing
            note = f"pyttsx3 unavailable ({type(exc).__name__}: {exc}); using the espeak-ng command"
            backend = "espeak-ng"
    if backend == "espeak-ng" and shutil.which("espeak-ng") is None:
        note, backend = (note + "; " if note else "") + "espeak-ng is not installed (apt-get install espeak-ng)", "none"
    responses.put(("ready", backend, note))
    hang_next = 0.0
    dirty = False
    voice_ids: dict[str, str] = {}
    while not dirty:
        msg = requests.get()
        if msg is None:
            break
        if msg[0] == "hang":
            hang_next = float(msg[1])
            continue
        _, req_id, voice, text, path = msg
        if hang_next:
            time.sleep(hang_next)  # test hook: behave like pyttsx3#131
            hang_next = 0.0
        error, note = "", ""
        try:
            if backend == "pyttsx3":
                if voice not in voice_ids:
                    voice_ids[voice] = _resolve_voice(engine, voice)
                engine.setProperty("voice", voice_ids[voice])
                engine.save_to_file(text, path)
                engine.runAndWait()
                if not _wrote_audio(path):
                    dirty = True
                    note = "pyttsx3 returned before espeak finished; used the espeak-ng command, worker renewed"
                    _espeak_cli(voice, text, path, int(engine.getProperty("rate")))
            elif backend == "espeak-ng":
                _espeak_cli(voice, text, path, rate)
            else:
                raise TtsError("no speech engine: espeak-ng is not installed (apt-get install espeak-ng)")
            if not _wrote_audio(path):
                raise TtsError(f"{backend} wrote no audio for voice {voice!r}")
        except Exception as exc:  # report every failure to the parent rather than dying
            error = f"{type(exc).__name__}: {exc}"
        responses.put(("done", req_id, error, note))
    requests.close()
    responses.close()
    responses.join_thread()
    os._exit(0)  # skip interpreter teardown: pyttsx3 prints an ignored exception there


class SynthesisWorker(WorkerProcess):
    """The parent's handle on the child process: send a request, wait with a timeout, restart on hang
    (the loop is :class:`~robot_assistant.worker_process.WorkerProcess`'s)."""

    def __init__(self, *, backend: str = "pyttsx3", timeout_s: float = 10.0, start_timeout_s: float = 20.0,
                 rate: int | None = None, warm_up: bool = True) -> None:
        super().__init__(timeout_s=timeout_s, start_timeout_s=start_timeout_s)
        self.wanted_backend = backend
        self.warm_up = warm_up
        self.rate = rate
        self.renewals = 0
        """Workers retired after pyttsx3 returned early (the request was still answered)."""
        self.backend = ""
        self.backend_note = ""
        self.last_note = ""
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._requests: Any = None
        self._responses: Any = None

    # -- WorkerProcess hooks: a spawned multiprocessing child and two queues of tuples

    def _spawn(self) -> None:
        self._requests, self._responses = self._ctx.Queue(), self._ctx.Queue()
        args = (self._requests, self._responses, self.rate, self.wanted_backend, self.warm_up)
        self._proc = self._ctx.Process(target=_worker_main, args=args, name="tts-worker", daemon=True)
        self._proc.start()

    def _send(self, request: Any) -> bool:
        self._requests.put(request)
        return True

    def _receive(self, timeout: float) -> Any:
        try:
            return self._responses.get(timeout=timeout)
        except queue.Empty:
            return None if self._proc is not None and self._proc.is_alive() else DIED

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
        for q in (self._requests, self._responses):
            if q is not None:
                q.close()
                q.cancel_join_thread()

    def _is_ready(self, msg: Any) -> bool:
        return msg[0] == "ready"

    def _on_ready(self, msg: Any) -> None:
        self.backend, self.backend_note = msg[1], msg[2]

    def _start_failed(self, msg: Any) -> Exception:
        return TtsTimeout(f"speech worker did not start within {self.start_timeout_s:.0f} s")

    def _gave_up(self, what: str, tries: int) -> Exception:
        return TtsTimeout(f"speech worker {what} ({tries} tries, restarted each time)")

    def _ask_to_quit(self) -> None:
        self._requests.put(None)
        self._proc.join(2.0)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        """The worker process's id (None when none runs): a new id means a new engine."""
        return self._proc.pid if self._proc is not None else None

    def simulate_hang(self, seconds: float) -> None:
        """Test hook: the worker sleeps ``seconds`` before its next synthesis (like pyttsx3#131)."""
        self.ensure_started()
        self._requests.put(("hang", seconds))

    def synthesize(self, voice: str, text: str, path: Path, *, retries: int = 1,
                   stop: threading.Event | None = None) -> bool:
        """Write ``text`` spoken by ``voice`` to ``path``. False when ``stop`` was set while waiting."""
        msg = self.request(lambda req_id, _attempt: ("synth", req_id, voice, text, str(path)),
                           lambda m, req_id: m[0] == "done" and m[1] == req_id, retries=retries, stop=stop)
        if msg is STOPPED:
            return False
        self.last_note = msg[3]
        if msg[3]:  # the child is exiting to renew its engine: let it go before the next request
            with self._lock:
                self.renewals += 1
                if self._proc is not None:
                    self._proc.join(2.0)
                self._terminate()
        if msg[2]:
            raise TtsError(msg[2])
        return True


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

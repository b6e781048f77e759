"""The espeak-ng speech worker: pyttsx3 (or the espeak-ng command) in a spawned, restartable process.

Why a worker *process* (multiprocessing, spawn): pyttsx3's engine is a cached singleton known to hang
on repeated use (pyttsx3#131, #440). A hung thread cannot be killed; a process can. Each request has a
timeout; when it passes, the worker is killed, a fresh one started, and the request retried once.

Why a module of its own: the child process imports only this (no numpy, no sound library), and
:mod:`robot_assistant.tts` keeps the parent's side — the phrase cache, playback and the engine — readable.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from robot_assistant.worker_process import DIED, STOPPED, WorkerProcess


class TtsError(RuntimeError):
    """Synthesis failed (no engine, no such voice, the worker kept hanging)."""


class TtsTimeout(TtsError):
    """The worker did not answer within the per-request timeout, even after a restart."""


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

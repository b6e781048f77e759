"""A child process that answers one request at a time, killed and started again when it hangs or dies.

Why a base: both voices synthesise in a worker process — espeak-ng through pyttsx3 (``tts.SynthesisWorker``,
a ``multiprocessing`` child, because pyttsx3's engine can hang for good) and the neural voice
(``voice.neural.ZhttsProcess``, a JSON-lines child under ``.venv-tts``'s interpreter, because its
TensorFlow pins clash with the product's). What must hold is the same for both and lives here once:
the child says it is ready within ``start_timeout_s``; each request is answered within ``timeout_s`` or
the child is killed, counted in ``restarts``, started again and the request retried; an answer to an
earlier, abandoned request is never taken for this one; a stop flag can end the wait; one request at a
time (a lock). Subclasses say only how to spawn, send, receive and kill.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

DIED = object()
"""What :meth:`WorkerProcess._receive` returns once the child has gone (and ``request`` on death)."""

STOPPED = object()
"""What :meth:`WorkerProcess.request` returns when the caller's stop flag ended the wait."""


class WorkerProcess(ABC):
    """The parent's handle on one worker child: start, request with timeout and retry, close."""

    def __init__(self, *, timeout_s: float, start_timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self.restarts = 0
        """Children killed because they hung or died."""
        self._next_id = 0
        self._lock = threading.Lock()

    # ----------------------------------------------------------------------------- subclass hooks

    @abstractmethod
    def _spawn(self) -> None:
        """Start the child and its channels (the ready message is awaited by the base)."""

    @abstractmethod
    def _send(self, request: Any) -> bool:
        """Hand ``request`` to the child; False when its channel is already broken."""

    @abstractmethod
    def _receive(self, timeout: float) -> Any:
        """The child's next message, None when none came within ``timeout``, ``DIED`` once it has gone."""

    @abstractmethod
    def _terminate(self) -> None:
        """Kill the child (if any) and close its channels; the handle may be started again."""

    @property
    @abstractmethod
    def alive(self) -> bool: ...

    @abstractmethod
    def _is_ready(self, msg: Any) -> bool:
        """Whether ``msg`` is the child's ready message."""

    @abstractmethod
    def _on_ready(self, msg: Any) -> None:
        """Take what the ready message says (backend, load time)."""

    @abstractmethod
    def _start_failed(self, msg: Any) -> Exception:
        """The error for a child that did not say it was ready (``msg``: None, ``DIED`` or its message)."""

    @abstractmethod
    def _gave_up(self, what: str, tries: int) -> Exception:
        """The error once every try hung or died (``what``: "died" or "did not answer within N s")."""

    @abstractmethod
    def _ask_to_quit(self) -> None:
        """Ask a live child to exit by itself (before ``close`` kills it)."""

    # --------------------------------------------------------------------------------- the loop

    def _wait(self, match: Callable[[Any], bool], timeout: float, stop: threading.Event | None) -> Any:
        """The first message ``match`` accepts; None on timeout, ``DIED``, or ``STOPPED`` when ``stop`` is set."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if stop is not None and stop.is_set():
                return STOPPED
            msg = self._receive(min(left, 0.05))
            if msg is DIED:
                return DIED
            if msg is not None and match(msg):
                return msg
        return None

    def _start(self) -> None:
        self._spawn()
        msg = self._wait(lambda m: True, self.start_timeout_s, None)
        if msg is None or msg is DIED or not self._is_ready(msg):
            self._terminate()
            raise self._start_failed(msg)
        self._on_ready(msg)

    def ensure_started(self) -> None:
        with self._lock:
            if not self.alive:
                self._start()

    def request(self, make: Callable[[int, int], Any], answers: Callable[[Any, int], bool], *,
                retries: int = 1, stop: threading.Event | None = None) -> Any:
        """Send ``make(request_id, attempt)`` and return the answer that ``answers(msg, request_id)``
        accepts, or ``STOPPED``. A child that hangs past ``timeout_s`` or dies is killed and the request
        sent to a new one, ``retries`` times; then ``_gave_up``'s error is raised."""
        with self._lock:
            for attempt in range(retries + 1):
                if not self.alive:
                    self._start()
                self._next_id += 1
                req_id = self._next_id
                if self._send(make(req_id, attempt)):
                    msg = self._wait(lambda m, r=req_id: answers(m, r), self.timeout_s, stop)
                else:
                    msg = DIED
                if msg is STOPPED or (msg is not None and msg is not DIED):
                    return msg
                self._terminate()  # hung or died: only a new process cures it
                self.restarts += 1
                if attempt == retries:
                    what = "died" if msg is DIED else f"did not answer within {self.timeout_s:g} s"
                    raise self._gave_up(what, attempt + 1)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self.alive:
                self._ask_to_quit()
            self._terminate()

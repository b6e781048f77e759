"""The background loop shared by the workers that talk to the central database (outbox, roster pull).

Why one class: each runs in a daemon thread, can be woken early (a sign-in, an administrator's "sync
now"), and backs off after failures — doubling to a cap with ±25 % jitter, so that ten thousand terminals
do not all knock in the same second when the central server comes back. Getting that subtly different
in two places is how one of them ends up hammering the server or never retrying.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


def doubling_delay(failures: int, base: float, cap: float, jitter: float | None = None) -> float:
    """Seconds to wait after ``failures`` consecutive failures: 0, then ``base`` doubling each time, capped at
    ``cap``; with ``jitter`` (a draw in [0, 1)) spread ±25 %. The one backoff formula of the product: the
    loops below, the hall's prewarm after crashes and a feed's retries within one round."""
    if failures <= 0:
        return 0.0
    delay = min(cap, base * 2.0 ** min(failures - 1, 30))
    return delay * (0.75 + 0.5 * jitter) if jitter is not None else delay


class BackgroundLoop:
    """``start``/``stop``/``wake`` for a ``run_forever(stop_event)`` thread, ``retry_delay`` and ``_wait``.

    Subclasses define ``run_forever``, call ``_init_loop()`` in ``__init__``, set ``thread_name``, and keep ``failures``,
    ``backoff_base_seconds``, ``backoff_max_seconds`` and ``_rng`` (a ``random.random``-like function). A
    retry/poll worker's ``run_forever`` can be one call to ``_run_rounds`` (it also needs ``interval_seconds``
    and ``last_error``).
    """

    thread_name = "background"
    failures: int
    backoff_base_seconds: float
    backoff_max_seconds: float
    _rng: Callable[[], float]
    interval_seconds: float
    last_error: str | None

    def _init_loop(self) -> None:
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run ``run_forever`` in a daemon thread (a second call while it runs does nothing)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, args=(self._stop,), name=self.thread_name,
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Work now (a sign-in, an administrator's request) instead of at the next interval."""
        self._wake.set()

    def retry_delay(self) -> float:
        """Seconds to wait after ``failures`` consecutive failures: doubling, capped, with ±25% jitter."""
        if not self.failures:
            return 0.0
        return doubling_delay(self.failures, self.backoff_base_seconds, self.backoff_max_seconds, self._rng())

    def _wait(self, stop_event: threading.Event, seconds: float) -> None:
        """Sleep up to ``seconds``, ending early when woken or stopped (checked at least once a second, so
        a ``stop_event`` set by someone other than ``stop()`` is noticed too)."""
        deadline = time.monotonic() + seconds
        while not stop_event.is_set() and not self._wake.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._wake.wait(min(remaining, 1.0))

    def _run_rounds(self, stop_event: threading.Event, do_round: Callable[[], tuple[str | None, bool]], *,
                    label: str, on_idle: Callable[[], None] | None = None) -> None:
        """The retry/poll loop: run ``do_round()`` until ``stop_event`` is set.

        ``do_round`` returns ``(error, more)``: after an error wait ``retry_delay()``; with ``more`` work
        waiting go again at once; otherwise call ``on_idle`` (let go of connections, prune) and wait
        ``interval_seconds`` — each wait ending early when woken. An exception is a bug, not a reason to
        end the thread: it is logged (on the subclass's module logger, as "``label``: unexpected
        failure"), counted in ``failures`` and ``last_error``, and backed off like any failure.
        """
        while not stop_event.is_set():
            self._wake.clear()
            try:
                error, more = do_round()
            except Exception as exc:
                logging.getLogger(type(self).__module__).exception("%s: unexpected failure", label)
                self.failures += 1
                self.last_error = error = f"{type(exc).__name__}: {exc}"
                more = False
            if error:
                wait = self.retry_delay()
            elif more:
                continue
            else:
                wait = self.interval_seconds
                if on_idle is not None:
                    on_idle()
            self._wait(stop_event, wait)

"""BackgroundLoop._run_rounds, the retry/poll loop of the fleet's workers, on a real thread: what it waits
after a failure, after a round with more work and after an idle one, and that a bug neither ends the
thread nor goes unbacked-off."""

from __future__ import annotations

import threading
import time

from core.background import BackgroundLoop


class Rounds(BackgroundLoop):
    thread_name = "test-rounds"

    def __init__(self, outcomes: list) -> None:
        self.outcomes = list(outcomes)
        self.failures = 0
        self.last_error = None
        self.backoff_base_seconds = 7.0
        self.backoff_max_seconds = 100.0
        self.interval_seconds = 30.0
        self._rng = lambda: 0.5
        self.calls: list[float] = []
        self.idle = 0
        self.waits: list[float] = []
        self._init_loop()

    def run_forever(self, stop_event: threading.Event) -> None:
        self._run_rounds(stop_event, self.round, label="rounds", on_idle=self.on_idle)

    def round(self) -> tuple[str | None, bool]:
        self.calls.append(time.monotonic())
        outcome = self.outcomes.pop(0) if self.outcomes else (None, False)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome[0]:
            self.failures += 1
        return outcome

    def on_idle(self) -> None:
        self.idle += 1

    def _wait(self, stop_event: threading.Event, seconds: float) -> None:
        self.waits.append(seconds)
        super()._wait(stop_event, seconds)


def wait_for(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_more_work_goes_again_at_once_and_an_idle_round_waits_the_interval():
    loop = Rounds([(None, True), (None, True), (None, False)])
    loop.start()
    try:
        wait_for(lambda: loop.waits)
        assert len(loop.calls) == 3 and loop.calls[2] - loop.calls[0] < 1.0
        assert loop.waits == [30.0] and loop.idle == 1
        loop.wake()  # an administrator's "sync now" ends the wait
        wait_for(lambda: len(loop.calls) == 4)
    finally:
        loop.stop(5)
    assert not loop.running


def test_a_failure_backs_off_and_a_bug_is_counted_like_one_without_ending_the_thread():
    loop = Rounds([("central down", False), RuntimeError("a bug")])
    loop.start()
    try:
        wait_for(lambda: len(loop.waits) == 1)
        assert loop.waits == [7.0] and loop.idle == 0  # retry_delay: one failure, the base (jitter 0 at 0.5)
        loop.wake()
        wait_for(lambda: len(loop.waits) == 2)
        assert loop.failures == 2 and loop.last_error == "RuntimeError: a bug"
        assert loop.waits[1] == 14.0 and loop.idle == 0 and loop.running  # doubled, not the interval
    finally:
        loop.stop(5)


def test_one_backoff_formula_doubles_to_its_cap_with_optional_jitter():
    from core.background import doubling_delay

    assert [doubling_delay(n, 2.0, 10.0) for n in range(6)] == [0.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert doubling_delay(3, 2.0, 100.0, jitter=0.0) == 6.0 and doubling_delay(3, 2.0, 100.0, jitter=1.0) == 10.0
    assert doubling_delay(10_000, 1.0, 60.0) == 60.0  # no overflow after months of failures

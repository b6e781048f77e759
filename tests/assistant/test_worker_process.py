"""The worker base both voices share (robot_assistant/worker_process.py), on a real child process.

The child is a few lines of Python that answer JSON requests, sleeping or exiting when asked: what a hung
pyttsx3 engine or a crashed TensorFlow worker does, without either engine.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time

import pytest

from robot_assistant.worker_process import DIED, STOPPED, WorkerProcess

CHILD = r"""
import json, sys, time, os
print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
for line in sys.stdin:
    if not line.strip():
        break
    req = json.loads(line)
    if req.get("die"):
        os._exit(3)
    time.sleep(req.get("sleep", 0))
    print(json.dumps({"id": req["id"], "echo": req["text"], "pid": os.getpid()}), flush=True)
"""


class Echo(WorkerProcess):
    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.quit_asked = 0

    def _spawn(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        lines: queue.Queue = queue.Queue()
        self.lines = lines
        proc = self.proc

        def pump() -> None:
            for line in proc.stdout:
                lines.put(json.loads(line))
            lines.put(DIED)

        threading.Thread(target=pump, daemon=True).start()

    def _send(self, request) -> bool:
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except OSError:
            return False
        return True

    def _receive(self, timeout: float):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def _terminate(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _is_ready(self, msg) -> bool:
        return bool(msg.get("ready"))

    def _on_ready(self, msg) -> None:
        self.ready_pid = msg["pid"]

    def _start_failed(self, msg) -> Exception:
        return RuntimeError(f"did not start: {msg}")

    def _gave_up(self, what: str, tries: int) -> Exception:
        return TimeoutError(f"worker {what} ({tries} tries)")

    def _ask_to_quit(self) -> None:
        self.quit_asked += 1
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.proc.wait(3)

    def ask(self, text: str, *, sleep_first: float = 0.0, die_first: bool = False, retries: int = 1, stop=None):
        def make(req_id: int, attempt: int) -> dict:
            req = {"id": req_id, "text": text}
            if attempt == 0 and sleep_first:
                req["sleep"] = sleep_first
            if attempt == 0 and die_first:
                req["die"] = True
            return req

        return self.request(make, lambda m, req_id: m.get("id") == req_id, retries=retries, stop=stop)


@pytest.fixture
def echo():
    worker = Echo(timeout_s=3.0, start_timeout_s=30.0)
    yield worker
    worker.close()


def test_an_answer_and_a_clean_close(echo):
    assert echo.ask("你好")["echo"] == "你好" and echo.restarts == 0
    pid = echo.proc.pid
    echo.close()
    assert echo.quit_asked == 1 and not echo.alive and pid == echo.ready_pid


def test_a_hung_child_is_killed_and_the_request_answered_by_a_new_one(echo):
    echo.ensure_started()
    first = echo.proc.pid
    t0 = time.monotonic()
    reply = echo.ask("再说一次", sleep_first=30)
    assert reply["echo"] == "再说一次" and reply["pid"] != first and echo.restarts == 1
    assert time.monotonic() - t0 < 20  # one timeout (3 s) and a start, not the 30-s hang


def test_a_dead_child_is_replaced(echo):
    assert echo.ask("活着", die_first=True)["echo"] == "活着" and echo.restarts == 1


def test_after_every_try_hangs_the_caller_gets_the_subclass_error(echo):
    with pytest.raises(TimeoutError, match=r"did not answer within 3 s \(1 tries\)"):
        echo.ask("不会回答", sleep_first=30, retries=0)
    assert echo.restarts == 1 and not echo.alive


def test_a_late_answer_to_an_abandoned_request_is_not_taken(echo):
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    assert echo.ask("慢的", sleep_first=0.6, stop=stop) is STOPPED  # the child still answers it later
    reply = echo.ask("快的")
    assert reply["echo"] == "快的" and echo.restarts == 0  # the same child; its stale answer skipped

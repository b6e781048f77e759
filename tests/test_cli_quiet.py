"""Third-party noise stays off the commands' output (#15): pygame's banner, pkg_resources warnings,
jieba's dictionary log lines, Panda3D's "Known pipe types", ALSA's probe errors. The real commands run
as a user would start them, and what they print is compared with what they should print."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

NOISE = ("pygame 2", "Hello from the pygame community", "pkg_resources", "Building prefix dict",
         "Loading model from cache", "Prefix dict has been built", "Known pipe types", "aux display modules",
         "ALSA lib", "Warning", "Traceback")


def launcher(tmp_path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path), "SDL_VIDEODRIVER": "dummy",
           "SDL_AUDIODRIVER": "dummy"}
    env.pop("PYGAME_HIDE_SUPPORT_PROMPT", None)  # the command must hide the banner itself
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=tmp_path)


def assert_quiet(done: subprocess.CompletedProcess, stdout_lines: int | None = None) -> None:
    assert done.returncode == 0, done.stderr
    for noise in NOISE:
        assert noise not in done.stdout and noise not in done.stderr, (noise, done.stdout[-800:], done.stderr[-800:])
    assert done.stderr.strip() == "", done.stderr
    if stdout_lines is not None:
        assert len(done.stdout.strip().splitlines()) == stdout_lines, done.stdout


def test_assistant_text_prints_only_the_answer(tmp_path):
    done = launcher(tmp_path, "assistant", "--text", "展厅几点开放")
    assert_quiet(done)
    assert done.stdout.startswith("heard:   展厅几点开放") and "answer:  展厅开放时间" in done.stdout


def test_kiosk_screenshot_prints_only_the_file(tmp_path):
    out = tmp_path / "home.png"
    assert_quiet(launcher(tmp_path, "screenshot", "kiosk", "--out", str(out)), stdout_lines=1)
    assert out.stat().st_size > 10_000


def test_hall_screenshot_and_scene_check_print_no_pipe_list(tmp_path):
    pytest.importorskip("panda3d")
    out = tmp_path / "hall.png"
    assert_quiet(launcher(tmp_path, "screenshot", "hall", "--out", str(out)), stdout_lines=1)
    assert out.stat().st_size > 10_000
    done = launcher(tmp_path, "hall", "--check-scene", str(ROOT / "scenes" / "hall.yaml"))
    assert_quiet(done)


def test_doctor_prints_only_its_table(tmp_path):
    done = launcher(tmp_path, "doctor", timeout=600)
    assert_quiet(done)
    assert done.stdout.splitlines()[0].startswith("item") and "voice (Mandarin)" in done.stdout

"""The one entry point: help, init, pin hashes."""

from __future__ import annotations

import os
import subprocess
import sys

from core.secrets import hash_pin, verify_pin
from tests.conftest import ROOT


def launcher(*args: str, env_extra: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args], capture_output=True, text=True,
                          timeout=120, env=env, input=input)


def test_help_lists_the_commands():
    done = launcher("--help")
    assert done.returncode == 0
    for name in ("doctor", "init", "pin-hash", "--config"):
        assert name in done.stdout


def test_init_loads_the_demo_once(tmp_path):
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path)}
    first = launcher("init", env_extra=env)
    assert first.returncode == 0, first.stderr
    assert "site loaded: branches 4, members 40" in first.stdout
    second = launcher("init", env_extra=env)
    assert "site already loaded earlier: nothing changed" in second.stdout


def test_init_with_a_broken_site_folder_names_the_file(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "site.yaml").write_text("organisation:\n  name_zh: 测试\nbranches: []\n", encoding="utf-8")
    done = launcher("init", "--site", str(folder), env_extra={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "d")})
    assert done.returncode == 1
    assert f"{folder / 'site.yaml'}:3: branches: List should have at least 1 item" in done.stderr
    assert "Traceback" not in done.stderr


def test_pin_hash_round_trip():
    done = launcher("pin-hash", "246810")
    stored = done.stdout.strip()
    assert done.returncode == 0 and stored.startswith("scrypt$")
    assert verify_pin("246810", stored) and not verify_pin("246811", stored)
    assert launcher("pin-hash", "12").returncode == 1


def test_pin_verification_never_raises_on_garbage():
    assert not verify_pin("1234", "scrypt$x$y")
    assert not verify_pin("1234", "bcrypt$1$2$3$4$5")
    assert not verify_pin("1234", None)
    assert verify_pin("1234", hash_pin("1234"))
    assert hash_pin("1234") != hash_pin("1234")  # salted


def test_an_unusable_data_folder_is_one_line_and_exit_2(tmp_path):
    """Was: a FileNotFoundError / FileExistsError traceback from init and kiosk (#19)."""
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for folder, why in (("/proc/nope", "No such file or directory"), (str(a_file), "a file, not a folder")):
        out = launcher("init", env_extra={"DANGJIAN__SITE__DATA_DIR": folder})
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert out.stderr.strip() == (f"site.data_dir: {folder} cannot be the data folder ({why}): set site.data_dir "
                                      "or DANGJIAN__SITE__DATA_DIR to a writable folder")


def test_a_screenshot_size_out_of_range_is_refused(tmp_path):
    out = launcher("screenshot", "kiosk", "--size", "99999x99999", "--out", str(tmp_path / "x.png"),
                   env_extra={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "SDL_VIDEODRIVER": "dummy"})
    assert out.returncode == 2 and "between 320x320 and 8192x8192" in out.stderr and "Traceback" not in out.stderr


def test_a_reader_that_leaves_early_is_no_traceback(tmp_path):
    """`launcher.py meetings list | head`: was a BrokenPipeError traceback (#19)."""
    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}
    assert launcher("init", env_extra={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}).returncode == 0
    proc = subprocess.Popen([sys.executable, str(ROOT / "launcher.py"), "meetings", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1 and "Error" not in err and "Traceback" not in err


def test_sync_once_with_nothing_pending_still_checks_the_central_database(tmp_path):
    """Was: exit 0 without connecting, so a wrong fleet.central_url went unnoticed (#19)."""
    out = launcher("sync", "--once", "--central", "postgresql+psycopg://kiosk:secret@127.0.0.1:1/none",
                   env_extra={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")})
    assert out.returncode == 1 and "cannot reach the central database" in out.stderr
    assert "secret" not in out.stderr + out.stdout and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_an_unknown_hall_view_names_what_exists(tmp_path):
    """Was: a KeyError traceback for screenshot hall --view exhibit:nosuch (#19)."""
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "SDL_VIDEODRIVER": "dummy"}
    for view, says in (("exhibit:nosuch", "no exhibit 'nosuch' in the hall (exhibits: h01, "),
                       ("tour:x", "a tour stop is a number"), ("tour:nosuch:2", "no tour 'nosuch'")):
        out = launcher("screenshot", "hall", "--view", view, "--out", str(tmp_path / "x.png"), env_extra=env)
        assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr, out.stderr

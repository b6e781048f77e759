"""The engine import guard (face_recognition calls quit() without pkg_resources) and the settings."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from core.config import Config, load_config
from robot_assistant.face.settings import FaceSettings

ROOT = Path(__file__).resolve().parents[2]


def test_missing_pkg_resources_is_an_error_not_a_silent_exit():
    code = textwrap.dedent("""
        import importlib.util, sys
        sys.modules["pkg_resources"] = None  # as if setuptools>=82 were installed
        from robot_assistant.face.engine import FaceEngineUnavailable, load_face_recognition
        try:
            load_face_recognition()
        except FaceEngineUnavailable as exc:
            print("GUARD1", exc)
        real = importlib.util.find_spec
        importlib.util.find_spec = lambda n, *a: object() if n == "pkg_resources" else real(n, *a)
        try:
            load_face_recognition()  # face_recognition itself now calls quit()
        except FaceEngineUnavailable as exc:
            print("GUARD2", exc)
        print("STILL RUNNING")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "GUARD1 face_recognition needs pkg_resources" in done.stdout
    assert "GUARD2 face_recognition refused to load" in done.stdout
    assert "STILL RUNNING" in done.stdout


def loaded(data: Path, **face: str) -> Config:
    """The embedded configuration with the data folder at ``data`` and ``face.<KEY>`` set as the
    environment would set it (values read as YAML)."""
    env = {"DANGJIAN__SITE__DATA_DIR": str(data)} | {f"DANGJIAN__FACE__{k.upper()}": v for k, v in face.items()}
    return load_config(environ=env)


def test_settings_defaults_and_config_section(tmp_path: Path):
    data = tmp_path / "data"
    s = FaceSettings.from_config(loaded(data))
    # the key beside the data folder, not in it (#17): a backup of the folder must not carry it
    assert s.engine == "sface" and s.key_file == tmp_path / "data-keys" / "face.key"
    assert s.policy.accept_tolerance == 0.56
    assert (s.policy.ask_tolerance, s.policy.min_margin, s.duplicate_tolerance) == (0.61, 0.08, 0.50)
    assert s.policy.frames_to_agree == 3 and s.liveness.methods == ("blink", "turn") and not s.keep_photos
    # dlib keeps its own calibration; empty (None) config values mean "the engine's"
    s = FaceSettings.from_config(loaded(data, engine="dlib", accept_tolerance="", enroll_jitters=""))
    assert (s.policy.accept_tolerance, s.policy.ask_tolerance, s.enroll_jitters, s.duplicate_tolerance) == \
        (0.36, 0.45, 10, 0.36)
    config = loaded(data, accept_tolerance="0.33", ask_tolerance="0.44", min_margin="0.05", frames_to_agree="4",
                    keep_photos="true", min_face_px="90", key_file=str(tmp_path / "k"),
                    liveness__methods="[turn]", liveness__turn_range="0.2")
    s = FaceSettings.from_config(config)
    assert (s.policy.accept_tolerance, s.policy.ask_tolerance, s.policy.min_margin, s.policy.frames_to_agree) == \
        (0.33, 0.44, 0.05, 4)
    assert s.keep_photos and s.quality.min_face_px == 90 and s.key_file == tmp_path / "k"
    assert s.liveness.methods == ("turn",) and s.liveness.turn_range == 0.2


def test_the_shipped_config_uses_the_engines_calibration():
    s = FaceSettings.from_config(load_config(None))
    assert s.engine == "sface" and s.policy == FaceSettings.for_engine("sface").policy


def test_template_model_keys():
    from robot_assistant.face.engine import MODEL_NAME, TemplateModel

    sface = TemplateModel("sface", "fb143eea07838aa5", 128)
    assert TemplateModel.parse(sface.key) == sface and sface.metric == "cosine"
    dlib = TemplateModel("dlib", "0123456789abcdef", 128)
    assert dlib.accepts(MODEL_NAME) and dlib.accepts(dlib.key) and dlib.metric == "euclidean"
    assert not sface.accepts(MODEL_NAME) and not sface.accepts(dlib.key) and not dlib.accepts(sface.key)
    assert not sface.accepts("sface:0000000000000000:128")  # another model file: never mixed

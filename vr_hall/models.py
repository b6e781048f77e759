"""Exhibit models from the real world: checked before the hall loads them, refused with a reason.

A site's glTF file can be anything: a truncated .glb (panda3d-gltf then *segfaults* in
``calculate_tangents``), a PNG renamed .glb (a ``UnicodeDecodeError`` traceback), a .gltf copied
without its .bin (``FileNotFoundError``). None of that may take the hall down, so every model is
checked in two steps before the hall builds it:

1. **statically**, in this process, with no Panda3D: the .glb header and chunk lengths against the
   file size, the JSON, the glTF version, every external buffer and image present and long enough,
   every buffer view inside its buffer. This catches the common breakages with a precise reason.
2. **by the real loader in a child process** (``python -m vr_hall.model_probe --probe …``): whatever
   the static pass missed and still kills the loader kills only the child; the parent names the model
   it was loading. The child also measures the model for :mod:`vr_hall.build` and for
   ``launcher.py hall --check-scene``: bounds, triangles, textures, two-sided parts, animations.

Results are cached by content hash (the model and every file it references, plus
:data:`CHECK_VERSION`) under :func:`cache_dir`, so a hall with 3000 copies of three models, or a
kiosk restarted a hundred times, pays for the child once per model version.

Modules: :mod:`vr_hall.model_check` (step 1, and :class:`ModelReport`), :mod:`vr_hall.model_rewrite` (a copy
the loader reads as authored), :mod:`vr_hall.model_probe` (step 2), this one (the cache and
:func:`check_models`), :mod:`vr_hall.model_fit` (a checked model fitted into its exhibit).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from vr_hall.model_check import ModelReport, NotLoadable, read_document, static_check
from vr_hall.model_probe import PROBE_TIMEOUT_S, _probe
from vr_hall.model_rewrite import normalised_copy

__all__ = ["CHECK_VERSION", "ModelReport", "NotLoadable", "cache_dir", "check_models", "content_key",
           "normalised_copy", "read_document", "static_check"]

CHECK_VERSION = 5
"""Bump when what the probe measures changes: older cache entries are then ignored."""


# ----------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """Where checked models' reports are kept: ``$HALL_MODEL_CACHE``, else ``$XDG_CACHE_HOME`` (or
    ``~/.cache``) ``/zhdj/hall-models``."""
    env = os.environ.get("HALL_MODEL_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "zhdj" / "hall-models"


def content_key(path: Path, files: list[Path]) -> str:
    """sha256 over the model, every file it references (by name and content) and CHECK_VERSION."""
    h = hashlib.sha256(f"v{CHECK_VERSION}\n".encode())
    for f in [path, *sorted(set(files))]:
        h.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _cached(key: str, folder: Path) -> ModelReport | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, IndexError):
        return ModelReport.from_json(json.loads((folder / f"{key}.json").read_text(encoding="utf-8")))
    return None


def _store(key: str, report: ModelReport, folder: Path) -> None:
    """Best effort: a read-only cache folder only costs a child per start."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(report.to_json()), encoding="utf-8")
        os.replace(tmp, folder / f"{key}.json")



def check_models(paths: list[Path], *, cache: Path | None = None, timeout: float = PROBE_TIMEOUT_S) -> dict[Path, ModelReport]:
    """A report for every model in ``paths`` (duplicates checked once): the static check, then the real
    loader in a child process for those not already in the cache."""
    folder = cache if cache is not None else cache_dir()
    out: dict[Path, ModelReport] = {}
    todo: dict[Path, tuple[str, list[str], Path]] = {}
    for path in dict.fromkeys(paths):
        try:
            doc, files, warnings = static_check(path)
            key = content_key(path, files)
            hit = _cached(key, folder)
            if hit is not None and (not hit.load_path or Path(hit.load_path).is_file()):
                hit.path = str(path)
                out[path] = hit
                continue
            copy = normalised_copy(path, doc, folder, key)
        except NotLoadable as exc:
            out[path] = ModelReport(str(path), False, str(exc))
            continue
        except OSError as exc:
            out[path] = ModelReport(str(path), False, f"cannot read it: {exc.strerror or exc}")
            continue
        todo[path] = (key, warnings, copy or path)
    pending = list(todo)
    while pending:
        done = _probe([todo[p][2] for p in pending], timeout)
        for path in pending[:]:
            key, warnings, load = todo[path]
            if load not in done:
                continue
            report = done[load]
            report.path, report.load_path = str(path), str(load) if load != path else ""
            report.warnings = warnings + report.warnings
            out[path] = report
            pending.remove(path)
            if report.ok or (report.error.startswith("the loader") and "did not finish" not in report.error):
                _store(key, report, folder)
    return out


if __name__ == "__main__":
    for name, rep in check_models([Path(a) for a in sys.argv[1:]]).items():
        print(name, json.dumps(rep.to_json()))

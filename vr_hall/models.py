"""Exhibit models from the real world: checked before the hall loads them, refused with a reason.

A site's glTF file can be anything: a truncated .glb (panda3d-gltf then *segfaults* in
``calculate_tangents``), a PNG renamed .glb (a ``UnicodeDecodeError`` traceback), a .gltf copied
without its .bin (``FileNotFoundError``). None of that may take the hall down, so every model is
checked in two steps before the hall builds it:

1. **statically**, in this process, with no Panda3D: the .glb header and chunk lengths against the
   file size, the JSON, the glTF version, every external buffer and image present and long enough,
   every buffer view inside its buffer. This catches the common breakages with a precise reason.
2. **by the real loader in a child process** (``python -m vr_hall.models --probe …``): whatever
   the static pass missed and still kills the loader kills only the child; the parent names the model
   it was loading. The child also measures the model for :mod:`vr_hall.build` and for
   ``launcher.py hall --check-scene``: bounds, triangles, textures, two-sided parts, animations.

Results are cached by content hash (the model and every file it references, plus
:data:`CHECK_VERSION`) under :func:`cache_dir`, so a hall with 3000 copies of three models, or a
kiosk restarted a hundred times, pays for the child once per model version.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import math
import os
import struct
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHECK_VERSION = 5
"""Bump when what the probe measures changes: older cache entries are then ignored."""

PROBE_TIMEOUT_S = 60.0
"""One child's budget for all the models it is given (a model that hangs the loader is refused)."""

MAGICS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
          b"PK\x03\x04": "a ZIP archive", b"\x1f\x8b": "a gzip file", b"Kayd": "a Blender file",
          b"RIFF": "a RIFF (WebP/WAV) file", b"%PDF": "a PDF document"}
"""What a file that is not glTF often is, to say so (a PNG renamed .glb)."""

COMPONENT_SIZE = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
TYPE_COUNT = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


@dataclass
class ModelReport:
    """What the checks found for one model file. ``ok`` False: ``error`` says why it cannot be loaded
    (the hall then shows the exhibit without it)."""

    path: str
    ok: bool
    error: str = ""
    triangles: int = 0
    textures: int = 0
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    """Tight bounds in Panda3D's frame (z up, glTF's front +Z turned to -y), metres as authored."""
    two_sided: bool = False
    animations: int = 0
    warnings: list[str] = field(default_factory=list)
    """Loadable, but not shown quite as authored."""
    load_path: str = ""
    """What the hall loads instead of ``path`` when the file had to be rewritten for the loader (sparse
    accessors applied, buffers it cannot read made plain .bin files): :func:`normalised_copy`."""

    @property
    def size(self) -> tuple[float, float, float] | None:
        """Extents (x, y, z) of the bounds."""
        if self.bounds is None:
            return None
        lo, hi = self.bounds
        return (hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelReport:
        bounds = data.get("bounds")
        return cls(path=data["path"], ok=bool(data["ok"]), error=data.get("error", ""),
                   triangles=int(data.get("triangles", 0)), textures=int(data.get("textures", 0)),
                   bounds=(tuple(bounds[0]), tuple(bounds[1])) if bounds else None,  # type: ignore[arg-type]
                   two_sided=bool(data.get("two_sided")), animations=int(data.get("animations", 0)),
                   warnings=list(data.get("warnings", [])), load_path=str(data.get("load_path", "")))


class NotLoadable(Exception):
    """The static check's reason a model cannot be loaded (the text in parentheses of the message)."""


# ----------------------------------------------------------------------------- static check


def _what_is(head: bytes) -> str | None:
    for magic, what in MAGICS.items():
        if head.startswith(magic):
            return what
    return None


def _parse_json(raw: bytes, where: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        what = _what_is(raw[:8])
        raise NotLoadable(f"not glTF: {what}" if what else f"{where} is not UTF-8 text: truncated or not glTF") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotLoadable(f"{where} is not valid JSON at line {exc.lineno} column {exc.colno}: "
                          f"truncated or not glTF") from None
    if not isinstance(doc, dict):
        raise NotLoadable(f"{where} is not a glTF object")
    return doc


def read_document(path: Path) -> tuple[dict[str, Any], bytes | None]:
    """The glTF JSON of a .gltf or .glb file and the .glb's binary chunk (None for .gltf); raises
    NotLoadable with the reason when the container is broken."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotLoadable(f"cannot read it: {exc.strerror or exc}") from None
    if not data:
        raise NotLoadable("the file is empty")
    if data[:4] != b"glTF":
        if path.suffix.lower() == ".glb":
            what = _what_is(data[:8])
            raise NotLoadable(f"not glTF: {what}" if what else "truncated or not glTF")
        return _parse_json(data, "the file"), None
    if len(data) < 20:
        raise NotLoadable(f"truncated or not glTF: {len(data)} bytes, shorter than a .glb header")
    _magic, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise NotLoadable(f"glTF version {version} (only 2 is supported)")
    if length != len(data):
        raise NotLoadable(f"truncated or not glTF: the header says {length} bytes, the file has {len(data)}")
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    if chunk_type != b"JSON" or 20 + chunk_len > len(data):
        raise NotLoadable("truncated or not glTF: the first chunk is not a complete JSON chunk")
    doc = _parse_json(data[20:20 + chunk_len], "the JSON chunk")
    binary = None
    at = 20 + chunk_len
    if at + 8 <= len(data):
        blen, btype = struct.unpack_from("<I4s", data, at)
        if btype == b"BIN\x00":
            if at + 8 + blen > len(data):
                raise NotLoadable("truncated or not glTF: the binary chunk runs past the end of the file")
            binary = data[at + 8:at + 8 + blen]
    return doc, binary


def _data_uri(uri: str) -> bytes:
    head, _, payload = uri.partition(",")
    if ";base64" not in head:
        raise NotLoadable("a data: URI that is not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise NotLoadable("a data: URI with broken base64") from None


def static_check(path: Path) -> tuple[dict[str, Any], list[Path], list[str]]:
    """Check ``path`` without Panda3D. Returns (document, the external files it references, warnings);
    raises NotLoadable with the reason (a field of the wrong type too: the loader would trip on it)."""
    try:
        return _static_check(path)
    except NotLoadable:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        raise NotLoadable(f"malformed glTF: {type(exc).__name__}: {str(exc)[:120]}") from None


def _static_check(path: Path) -> tuple[dict[str, Any], list[Path], list[str]]:
    doc, binary = read_document(path)
    asset = doc.get("asset")
    version = str(asset.get("version", "")) if isinstance(asset, dict) else ""
    if not version.startswith("2."):
        raise NotLoadable(f"glTF version {version or 'missing'} (only 2.x is supported)" if version or asset
                          else "truncated or not glTF: no asset.version")
    required = [x for x in _list(doc, "extensionsRequired") if isinstance(x, str)]
    supported = {"KHR_materials_unlit", "KHR_texture_transform", "KHR_mesh_quantization", "KHR_lights_punctual"}
    unsupported = [x for x in required if x not in supported]
    if unsupported:
        raise NotLoadable(f"requires {', '.join(unsupported)}, which the loader does not support")
    base = path.parent
    files: list[Path] = []
    lengths: list[int] = []
    for i, buf in enumerate(_list(doc, "buffers")):
        if not isinstance(buf, dict):
            raise NotLoadable(f"buffers[{i}] is not an object")
        declared = buf.get("byteLength")
        uri = buf.get("uri")
        if uri is None:
            if binary is None:
                raise NotLoadable(f"buffers[{i}] has no uri and there is no binary chunk")
            have = len(binary)
        elif not isinstance(uri, str):
            raise NotLoadable(f"buffers[{i}].uri is not a string")
        elif uri.startswith("data:"):
            have = len(_data_uri(uri))
        else:
            ref = base / _unquote(uri)
            if not ref.is_file():
                raise NotLoadable(f"missing buffer {uri} (looked in {base})")
            files.append(ref)
            have = ref.stat().st_size
        if isinstance(declared, int) and have < declared:
            raise NotLoadable(f"buffers[{i}] ({uri or 'binary chunk'}) is truncated: {have} of {declared} bytes")
        lengths.append(have)
    for i, view in enumerate(_list(doc, "bufferViews")):
        b = view.get("buffer") if isinstance(view, dict) else None
        if not isinstance(b, int) or not 0 <= b < len(lengths):
            raise NotLoadable(f"bufferViews[{i}] refers to a buffer that does not exist")
        end = int(view.get("byteOffset", 0)) + int(view.get("byteLength", 0))
        if end > lengths[b]:
            raise NotLoadable(f"bufferViews[{i}] runs past the end of buffers[{b}] ({end} > {lengths[b]} bytes): truncated")
    views = _list(doc, "bufferViews")
    warnings: list[str] = []
    for i, acc in enumerate(_list(doc, "accessors")):
        if not isinstance(acc, dict):
            raise NotLoadable(f"accessors[{i}] is not an object")
        v = acc.get("bufferView")
        if v is None:
            continue
        if not isinstance(v, int) or not 0 <= v < len(views):
            raise NotLoadable(f"accessors[{i}] refers to a buffer view that does not exist")
        item = COMPONENT_SIZE.get(acc.get("componentType"), 0) * TYPE_COUNT.get(acc.get("type"), 0)
        if not item:
            raise NotLoadable(f"accessors[{i}] has an unknown componentType or type")
        stride = int(views[v].get("byteStride") or item)
        count = int(acc.get("count", 0))
        need = int(acc.get("byteOffset", 0)) + (stride * (count - 1) + item if count else 0)
        if need > int(views[v].get("byteLength", 0)):
            raise NotLoadable(f"accessors[{i}] reads past the end of bufferViews[{v}]: truncated")
    for image in _list(doc, "images"):
        uri = image.get("uri") if isinstance(image, dict) else None
        if isinstance(uri, str) and uri and not uri.startswith("data:"):
            ref = base / _unquote(uri)
            if not ref.is_file():
                raise NotLoadable(f"missing texture {uri} (looked in {base})")
            files.append(ref)
    return doc, files, warnings


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    """``doc[key]`` as a list (a missing one is empty); another type is malformed."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise NotLoadable(f"malformed glTF: {key} is not a list")
    return value


def _unquote(uri: str) -> str:
    from urllib.parse import unquote

    return unquote(uri)


# ----------------------------------------------------------------------------- rewriting for the loader

NUMPY_TYPES = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
LOADER_DATA_URIS = ("data:application/octet-stream;base64", "data:application/gltf-buffer;base64")


def _buffers(path: Path, doc: dict[str, Any]) -> list[bytes]:
    """Every buffer's bytes (already checked by :func:`static_check`)."""
    _doc, binary = read_document(path)
    out = []
    for buf in _list(doc, "buffers"):
        uri = buf.get("uri")
        if uri is None:
            out.append(binary or b"")
        elif uri.startswith("data:"):
            out.append(_data_uri(uri))
        else:
            out.append((path.parent / _unquote(uri)).read_bytes())
    return out


def _needs_rewrite(path: Path, doc: dict[str, Any]) -> bool:
    """panda3d-gltf 1.3.0 ignores sparse accessors, and reads a buffer only from a ``.bin`` file name
    (not percent-decoded) or an octet-stream/gltf-buffer data URI: any other buffer becomes zeros."""
    if any(isinstance(a, dict) and "sparse" in a for a in _list(doc, "accessors")):
        return True
    for buf in _list(doc, "buffers"):
        uri = buf.get("uri")
        if uri is None:
            continue
        if uri.startswith("data:") and not uri.startswith(LOADER_DATA_URIS):
            return True
        if not uri.startswith("data:") and (not uri.endswith(".bin") or _unquote(uri) != uri):
            return True
    return False


def _read_accessor(acc: dict[str, Any], views: list[dict[str, Any]], buffers: list[bytes]) -> Any:
    """An accessor's values as a (count, components) numpy array (zeros where it has no buffer view)."""
    import numpy as np

    dtype = np.dtype(NUMPY_TYPES[acc["componentType"]])
    comps = TYPE_COUNT[acc["type"]]
    count = int(acc["count"])
    if acc.get("bufferView") is None:
        return np.zeros((count, comps), dtype)
    view = views[acc["bufferView"]]
    data = buffers[view["buffer"]]
    start = int(view.get("byteOffset", 0)) + int(acc.get("byteOffset", 0))
    item = dtype.itemsize * comps
    stride = int(view.get("byteStride") or item)
    rows = [np.frombuffer(data, dtype, comps, start + k * stride) for k in range(count)] if stride != item else None
    if rows is None:
        return np.frombuffer(data, dtype, count * comps, start).reshape(count, comps).copy()
    return np.array(rows, dtype).reshape(count, comps)


def _sparse_part(part: dict[str, Any], dtype: str, n: int, views: list[dict[str, Any]], buffers: list[bytes]) -> Any:
    import numpy as np

    view = views[part["bufferView"]]
    start = int(view.get("byteOffset", 0)) + int(part.get("byteOffset", 0))
    return np.frombuffer(buffers[view["buffer"]], np.dtype(dtype), n, start)


def normalised_copy(path: Path, doc: dict[str, Any], folder: Path, key: str) -> Path | None:
    """When the loader would not read ``path`` as authored (:func:`_needs_rewrite`), write
    ``folder/<key>.gltf`` it reads right: sparse accessors applied into plain ones, every buffer a
    ``.bin`` file beside it, images by absolute path. None when the file needs no rewrite. Raises
    NotLoadable when a sparse accessor is out of range."""
    if not _needs_rewrite(path, doc):
        return None
    import copy

    import numpy as np

    doc = copy.deepcopy(doc)
    buffers = _buffers(path, doc)
    views = _list(doc, "bufferViews")
    extra = bytearray()
    for i, acc in enumerate(_list(doc, "accessors")):
        if not isinstance(acc, dict) or "sparse" not in acc:
            continue
        sparse = acc.pop("sparse")
        try:
            values = _read_accessor(acc, views, buffers)
            n = int(sparse["count"])
            idx = _sparse_part(sparse["indices"], NUMPY_TYPES[sparse["indices"]["componentType"]], n, views, buffers)
            new = _sparse_part(sparse["values"], NUMPY_TYPES[acc["componentType"]], n * values.shape[1], views,
                               buffers).reshape(n, values.shape[1])
            if n and int(idx.max()) >= len(values):
                raise NotLoadable(f"accessors[{i}].sparse indices run past its {len(values)} elements")
            values[idx.astype(np.int64)] = new
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise NotLoadable(f"accessors[{i}].sparse cannot be applied: {type(exc).__name__}: {exc}") from None
        while len(extra) % 4:
            extra.append(0)
        views.append({"buffer": len(buffers), "byteOffset": len(extra), "byteLength": values.nbytes})
        extra += values.tobytes()
        acc["bufferView"], acc["byteOffset"] = len(views) - 1, 0
    doc["bufferViews"] = views
    folder.mkdir(parents=True, exist_ok=True)
    out_buffers = []
    for k, data in enumerate([*buffers, bytes(extra)] if extra else buffers):
        name = folder / f"{key}-{k}.bin"
        name.write_bytes(data)
        out_buffers.append({"uri": str(name), "byteLength": len(data)})
    doc["buffers"] = out_buffers
    for image in _list(doc, "images"):
        uri = image.get("uri") if isinstance(image, dict) else None
        if isinstance(uri, str) and uri and not uri.startswith("data:"):
            image["uri"] = str((path.parent / _unquote(uri)).resolve())
    out = folder / f"{key}.gltf"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


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


# ----------------------------------------------------------------------------- the loader, in a child


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


def _probe(paths: list[Path], timeout: float) -> dict[Path, ModelReport]:
    """Run the loader on ``paths`` in one child. A model the child starts but never finishes (a crash
    or a hang) is reported as refused; those after it are left for the next child."""
    cmd = [sys.executable, "-m", "vr_hall.models", "--probe", *map(str, paths)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    timed_out = False
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root, env=env)
        stdout, code = run.stdout, run.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        code, timed_out = None, True
    done: dict[Path, ModelReport] = {}
    started: Path | None = None
    by_name = {str(p): p for p in paths}
    for line in stdout.splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            msg = json.loads(line)
            if "start" in msg:
                started = by_name[msg["start"]]
            elif "report" in msg:
                report = ModelReport.from_json(msg["report"])
                done[by_name[report.path]] = report
                started = None
    if started is not None or not done:
        culprit = started or paths[0]
        if timed_out:
            why = f"the loader did not finish within {timeout:g} s"
        elif code is not None and code < 0:
            why = f"the loader crashed (signal {-code}): truncated or not glTF"
        else:
            why = f"the loader exited with code {code}"
        done[culprit] = ModelReport(str(culprit), False, why)
    return done


def probe_one(path: Path) -> ModelReport:
    """Load ``path`` with panda3d-gltf (as :mod:`vr_hall.build` will) and measure it. Runs in the child."""
    import gltf
    from panda3d.core import CullFaceAttrib, NodePath

    from vr_hall.model_fit import TEXTURE_MAX

    try:
        node = gltf.load_model(str(path))
    except Exception as exc:  # the loader's own errors (KeyError, UnicodeDecodeError, …) are reasons too
        return ModelReport(str(path), False, f"the loader failed: {type(exc).__name__}: {str(exc)[:160]}")
    model = NodePath(node)
    triangles = 0
    two_sided = False
    # every texture of every part (geom states too), once each: a file by its path, an embedded image by name
    textures = {t.getFullpath().getFullpath() or t.getName() for t in model.findAllTextures()}
    for gnp in model.findAllMatches("**/+GeomNode"):
        gn = gnp.node()
        for i in range(gn.getNumGeoms()):
            geom = gn.getGeom(i)
            if not geom.checkValid():  # an index past the vertices: drawing it can crash the renderer
                return ModelReport(str(path), False, "an index points past its vertices: corrupt or truncated")
            for k in range(geom.getNumPrimitives()):
                prim = geom.getPrimitive(k)
                if prim.getPrimitiveType() == prim.PT_polygons:
                    triangles += prim.getNumFaces() if prim.getNumVerticesPerPrimitive() == 3 else \
                        prim.decompose().getNumFaces()
            state = gn.getGeomState(i)
            if state.hasAttrib(CullFaceAttrib) and \
                    state.getAttrib(CullFaceAttrib).getEffectiveMode() == CullFaceAttrib.M_cull_none:
                two_sided = True
    warnings = [f"texture {Path(t.getFullpath().getFullpath() or t.getName()).name} is {t.getXSize()}×{t.getYSize()}: "
                f"drawn at {TEXTURE_MAX} px on its longer side (the hall's texture budget)"
                for t in model.findAllTextures() if max(t.getXSize(), t.getYSize()) > TEXTURE_MAX]
    bounds = model.getTightBounds()
    animations = model.findAllMatches("**/+AnimBundleNode").getNumPaths()
    if bounds is None or triangles == 0:
        return ModelReport(str(path), False, "it has no triangles to show", animations=animations)
    lo, hi = bounds
    if not all(math.isfinite(v) and abs(v) < 1e7 for v in (*lo, *hi)):
        return ModelReport(str(path), False, "vertex positions are not finite numbers: corrupt")
    return ModelReport(str(path), True, triangles=triangles, textures=len(textures),
                       bounds=((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2])), two_sided=two_sided,
                       animations=animations, warnings=warnings)


def _child(paths: list[str]) -> int:
    from panda3d.core import loadPrcFileData

    loadPrcFileData("", "notify-level-gltf fatal\nnotify-level-pnmimage fatal\nnotify-level-gobj fatal\n"
                        "audio-library-name null\n")
    for p in paths:
        print(json.dumps({"start": p}), flush=True)
        report = probe_one(Path(p))
        print(json.dumps({"report": report.to_json()}), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--probe":
        raise SystemExit(_child(sys.argv[2:]))
    for name, rep in check_models([Path(a) for a in sys.argv[1:]]).items():
        print(name, json.dumps(rep.to_json()))

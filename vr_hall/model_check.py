"""What an exhibit model file is, checked without Panda3D: the first of :mod:`vr_hall.models`' two steps.

The .glb header and chunk lengths against the file size, the JSON, the glTF version, every external buffer
and image present and long enough, every buffer view and accessor inside its buffer. This catches the
common breakages (a truncated .glb, a PNG renamed .glb, a .gltf copied without its .bin) with a precise
reason before the real loader, which crashes or raises tracebacks on them, runs in a child process
(:mod:`vr_hall.model_probe`). Also home of :class:`ModelReport`, what both steps find.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Longer side, in pixels, of a model's texture in the hall: larger ones are scaled down once, at load
#: (:func:`vr_hall.model_fit.fit_textures`), and ``--check-scene`` says so.
TEXTURE_MAX = 1024

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

"""A copy of a model the loader reads as authored (sparse accessors applied, odd buffer names made plain).

panda3d-gltf 1.3.0 ignores sparse accessors and zero-fills a buffer not named ``.bin`` (or percent-encoded,
or another data: type) without an error, so such a model would load with its shape or colours wrong.
:func:`normalised_copy` writes it once into the model cache (:mod:`vr_hall.models`) so the hall builds it
right.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vr_hall.model_check import TYPE_COUNT, NotLoadable, _data_uri, _list, _unquote, read_document

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

"""Fuzzing exhibit models, seeded with the shared Khronos samples (``../shared/testdata/gltf``): .glb
files cut anywhere or with bytes overwritten (header, JSON chunk, binary chunk), .gltf documents with
fields deleted or given wrong values and out-of-range indices. Whatever the file holds,
:func:`vr_hall.models.check_models` returns a report (loadable with its measures, or refused with a
one-line reason) and never raises; the real loader runs in a child, so a file that crashes it costs
only the child. Each example that passes the static check starts a child process (about 0.3 s), so the
example counts are small; ``DANGJIAN_FUZZ_SCALE`` raises them."""

from __future__ import annotations

import json
import math
import shutil
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import need
from tests.fuzz.helpers import fuzz, outcome
from vr_hall import models as M


@pytest.fixture(scope="module")
def samples(testdata: Path) -> dict[str, Path]:
    folder = testdata / "gltf"
    found = {"glb": folder / "Box" / "Box.glb", "gltf": folder / "Cube" / "Cube.gltf"}
    need(all(p.is_file() for p in found.values()), f"glTF samples absent from {folder}")
    return found


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> Path:
    folder = tmp_path_factory.mktemp("gltf-fuzz")
    for f in samples["gltf"].parent.iterdir():  # the .gltf's buffer and pictures beside its copies
        shutil.copy(f, folder / f.name)
    return folder


def check(path: Path, cache: Path) -> M.ModelReport:
    report = M.check_models([path], cache=cache)[path]
    assert report.ok or (report.error and "\n" not in report.error and len(report.error) < 400), report
    if report.ok:
        assert report.triangles > 0 and report.bounds is not None
        assert all(math.isfinite(v) for corner in report.bounds for v in corner)
    outcome("loaded" if report.ok else report.error.split(":")[0].split("(")[0][:40])
    return report


@fuzz(30)
@given(data=st.data())
def test_damaged_glb_is_loaded_or_refused(samples, work, tmp_path_factory, data):
    raw = bytearray(samples["glb"].read_bytes())
    how = data.draw(st.sampled_from(["cut", "overwrite", "both", "binary chunk"]))
    if how in ("overwrite", "both", "binary chunk"):
        # "binary chunk": vertices and indices garbled behind an intact header and JSON (the loader sees it)
        first = 20 + struct.unpack_from("<I", raw, 12)[0] + 8 if how == "binary chunk" else 0
        for _ in range(data.draw(st.integers(1, 12))):
            at = data.draw(st.integers(first, len(raw) - 1))
            raw[at] = data.draw(st.integers(0, 255))
    if how in ("cut", "both"):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    path = work / "damaged.glb"
    path.write_bytes(bytes(raw))
    check(path, tmp_path_factory.mktemp("cache"))


JUNK = st.one_of(st.none(), st.integers(-5, 10**9), st.text(max_size=20), st.lists(st.integers(-2, 50), max_size=3),
                 st.floats(allow_nan=True))


@fuzz(25)
@given(data=st.data())
def test_mangled_gltf_json_is_loaded_or_refused(samples, work, tmp_path_factory, data):
    doc = json.loads(samples["gltf"].read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        section = data.draw(st.sampled_from(["accessors", "bufferViews", "buffers", "meshes", "images", "materials",
                                             "nodes", "asset"]))
        target = doc.get(section)
        if isinstance(target, list) and target:
            target = target[data.draw(st.integers(0, len(target) - 1))]
        if not isinstance(target, dict) or not target:
            continue
        key = data.draw(st.sampled_from(sorted(target)))
        if data.draw(st.booleans()):
            del target[key]
        else:
            target[key] = data.draw(JUNK)
    path = work / "mangled.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    check(path, tmp_path_factory.mktemp("cache"))

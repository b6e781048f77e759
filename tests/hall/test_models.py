"""Exhibit models from the real world (issue #16): the shared Khronos samples load, measured by the
real loader in a child process and fitted into their exhibits (scaled, on the plinth, turned to the
viewer, textures and vertex colours kept); broken files made here (truncated .glb, a PNG renamed .glb,
a .gltf without its .bin, a .glb that segfaults the loader) are refused with a reason, never a crash:
``file:line: exhibits[ID].media.model: … cannot be loaded (…)``, ``hall --check-scene`` exits 2, and the
hall still builds, showing those exhibits without their model."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from vr_hall import models as M
from vr_hall.scene import load_scene

from .conftest import DEMO, ROOT, portable

SAMPLES = {"Box": "Box/Box.glb", "BoxVertexColors": "BoxVertexColors/BoxVertexColors.glb",
           "Cube": "Cube/Cube.gltf", "TextureCoordinateTest": "TextureCoordinateTest/TextureCoordinateTest.gltf"}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "model-cache"
    monkeypatch.setenv("HALL_MODEL_CACHE", str(folder))
    return folder


@pytest.fixture
def gltf_dir(testdata: Path) -> Path:
    from tests.conftest import need

    folder = testdata / "gltf"
    need(all((folder / p).is_file() for p in SAMPLES.values()), f"glTF samples absent from {folder}")
    return folder


def broken_models(gltf_dir: Path, out: Path) -> dict[str, Path]:
    """The ways real files arrive broken, made from the shared samples."""
    out.mkdir(parents=True, exist_ok=True)
    box = (gltf_dir / SAMPLES["Box"]).read_bytes()
    made = {"truncated": out / "truncated.glb", "png": out / "picture.glb", "no_bin": out / "Cube.gltf",
            "empty": out / "empty.glb", "json_cut": out / "cut.gltf", "short_bin": out / "short" / "Cube.gltf"}
    made["truncated"].write_bytes(box[:900])
    shutil.copy(gltf_dir / "Cube" / "Cube_MetallicRoughness.png", made["png"])
    shutil.copy(gltf_dir / SAMPLES["Cube"], made["no_bin"])  # copied without Cube.bin
    made["empty"].write_bytes(b"")
    made["json_cut"].write_bytes((gltf_dir / SAMPLES["Cube"]).read_bytes()[:1000])
    made["short_bin"].parent.mkdir()
    shutil.copy(gltf_dir / SAMPLES["Cube"], made["short_bin"])
    (made["short_bin"].parent / "Cube.bin").write_bytes((gltf_dir / "Cube" / "Cube.bin").read_bytes()[:700])
    for png in ("Cube_BaseColor.png", "Cube_MetallicRoughness.png"):
        shutil.copy(gltf_dir / "Cube" / png, made["short_bin"].parent / png)
    return made


def loader_killer(gltf_dir: Path, out: Path) -> Path:
    """A .glb cut inside its binary chunk, its header patched to the new length: panda3d-gltf 1.3.0
    segfaults on it (``calculate_tangents``). The static check catches it; the child must too."""
    data = bytearray((gltf_dir / SAMPLES["Box"]).read_bytes())
    json_len = struct.unpack_from("<I", data, 12)[0]
    cut = data[:20 + json_len + 8 + 200]
    struct.pack_into("<I", cut, 8, len(cut))
    out.write_bytes(bytes(cut))
    return out


def test_the_shared_samples_load_and_are_measured_once(gltf_dir: Path, cache: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    paths = {name: gltf_dir / rel for name, rel in SAMPLES.items()}
    reports = M.check_models(list(paths.values()))
    got = {name: reports[p] for name, p in paths.items()}
    assert all(r.ok for r in got.values()), got
    assert {n: r.triangles for n, r in got.items()} == {"Box": 12, "BoxVertexColors": 12, "Cube": 12,
                                                         "TextureCoordinateTest": 10}
    assert got["Box"].size == pytest.approx((1.0, 1.0, 1.0), abs=1e-5)
    assert got["Cube"].size == pytest.approx((2.0, 2.0, 2.0), abs=1e-5) and got["Cube"].textures >= 1
    assert got["TextureCoordinateTest"].two_sided and got["TextureCoordinateTest"].textures >= 1
    assert len(list(cache.glob("*.json"))) == 4

    def no_child(*_a: object, **_k: object) -> None:
        raise AssertionError("a cached model went to the child again")

    monkeypatch.setattr(M, "_probe", no_child)
    again = M.check_models(list(paths.values()))
    assert {p: r.to_json() for p, r in again.items()} == {p: r.to_json() for p, r in reports.items()}


def test_broken_files_are_refused_with_a_reason(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    made = broken_models(gltf_dir, tmp_path / "broken")
    reports = M.check_models(list(made.values()))
    reasons = {k: reports[p].error for k, p in made.items()}
    assert not any(reports[p].ok for p in made.values())
    assert reasons["truncated"].startswith("truncated or not glTF: the header says 1664 bytes, the file has 900")
    assert reasons["png"] == "not glTF: a PNG image"
    assert reasons["no_bin"].startswith("missing buffer Cube.bin")
    assert reasons["empty"] == "the file is empty"
    assert "not valid JSON" in reasons["json_cut"] and "truncated or not glTF" in reasons["json_cut"]
    assert "is truncated: 700 of 1800 bytes" in reasons["short_bin"]


def test_a_model_that_kills_the_loader_kills_only_the_child(gltf_dir: Path, tmp_path: Path, cache: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With the static check out of the way, the real loader crashes on the file: the child dies, the
    model is refused as such, and the good model queued after it is still measured by a second child."""
    bad = loader_killer(gltf_dir, tmp_path / "killer.glb")
    with pytest.raises(M.NotLoadable, match="binary chunk runs past the end"):
        M.static_check(bad)
    monkeypatch.setattr(M, "static_check", lambda _p: ({}, [], []))
    good = gltf_dir / SAMPLES["Box"]
    reports = M.check_models([bad, good])
    assert not reports[bad].ok and re.match(r"the loader (crashed \(signal \d+\)|exited with code)", reports[bad].error)
    assert reports[good].ok and reports[good].triangles == 12


def scene_with(tmp_path: Path, media: dict[str, str]) -> Path:
    """The demo hall copied to ``tmp_path`` with the model exhibits' media replaced."""
    text = portable(DEMO.read_text(encoding="utf-8")).replace("media/", f"{ROOT}/scenes/media/")
    for old, new in media.items():
        pattern = re.compile(r"media: \{model: [^,}]*" + re.escape(old) + r"[^}]*\}")
        assert pattern.search(text), old
        text = pattern.sub(f"media: {{{new}}}", text)
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_scene_with_broken_models_loads_and_says_which(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    made = broken_models(gltf_dir, tmp_path / "media")
    path = scene_with(tmp_path, {"red_boat.gltf": f"model: {made['truncated']}",
                                 "kiosk.gltf": f"model: {made['no_bin']}",
                                 "beidou_satellite.gltf": f"model: {made['png']}"})
    scene = load_scene(path)
    assert len(scene.model_problems) == 3
    text = path.read_text(encoding="utf-8").splitlines()
    for line, (eid, reason) in zip(scene.model_problems, [("h02", "truncated or not glTF"),
                                                          ("a06", "missing buffer Cube.bin"),
                                                          ("b03", "not glTF: a PNG image")], strict=True):
        m = re.match(r"(.+hall\.yaml):(\d+): exhibits\[(\w+)\]\.media\.model: (\S+) cannot be loaded \((.+)\)$", line)
        assert m, line
        assert m.group(3) == eid and m.group(5).startswith(reason)
        assert m.group(4) in text[int(m.group(2)) - 1], (line, text[int(m.group(2)) - 1])
        assert not scene.model_ok(eid)

    done = subprocess.run([sys.executable, "launcher.py", "hall", "--check-scene", str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stdout.count("cannot be loaded (") == 3
    assert "REFUSED (not glTF: a PNG image)" in done.stdout


def test_check_scene_lists_each_model(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    path = scene_with(tmp_path, {"red_boat.gltf": f"model: {gltf_dir / SAMPLES['Box']}",
                                 "kiosk.gltf": f"model: {gltf_dir / SAMPLES['Cube']}",
                                 "beidou_satellite.gltf": f"model: {gltf_dir / SAMPLES['TextureCoordinateTest']}"})
    lines: list[str] = []
    from vr_hall import check_scene

    assert check_scene(path, out=lines.append) == 0
    assert lines[0].endswith("30 exhibits, 3 with a model")
    assert "h02" in lines[1] and "12 triangles, 0 textures, 1.00 x 1.00 x 1.00 m as authored" in lines[1]
    assert "a06" in lines[2] and "-> 0.60 x 0.60 x 0.60 m" in lines[2]  # a 2 m cube fitted to 0.9 x 0.6 m
    assert "b03" in lines[3] and "two-sided" in lines[3]


def test_models_are_fitted_into_their_exhibits(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    """The real loader and the hall's own bake and fit, on the samples: the box (authored centred on its
    origin, half below the floor) stands on the showcase base, the 2 m textured cube fits the 0.9 m
    exhibit and keeps its base-colour texture (only that stage), vertex colours stay, the two-sided
    board stays two-sided, and a model's glTF front (+Z) faces the way the exhibit faces."""
    from panda3d.core import ColorAttrib, CullFaceAttrib, NodePath, TextureAttrib, Vec3

    from vr_hall.model_fit import ModelCache, normalise_model, plinth_height

    path = scene_with(tmp_path, {"red_boat.gltf": f"model: {gltf_dir / SAMPLES['Box']}",
                                 "kiosk.gltf": f"model: {gltf_dir / SAMPLES['Cube']}",
                                 "beidou_satellite.gltf": f"model: {gltf_dir / SAMPLES['BoxVertexColors']}"})
    scene = load_scene(path)
    cache_ = ModelCache()
    world = NodePath("world")

    def fitted(eid: str) -> tuple[NodePath, object]:
        e = next(x for x in scene.exhibits if x.id == eid)
        node = normalise_model(cache_.instance(scene.media_path(e.media.model), bake=True), e)
        node.reparentTo(world)
        return node, e

    for eid in ("h02", "a06", "b03"):
        node, e = fitted(eid)
        lo, hi = node.getTightBounds(world)
        assert lo.z == pytest.approx(plinth_height(e), abs=1e-4), eid  # on its plinth, not in the floor
        assert (lo.x + hi.x) / 2 == pytest.approx(e.position[0], abs=1e-3)
        assert (lo.y + hi.y) / 2 == pytest.approx(e.position[1], abs=1e-3)
        depth = e.depth if e.depth is not None else e.size[0] / 2
        assert hi.z - lo.z <= e.size[1] + 1e-3 and max(hi.x - lo.x, hi.y - lo.y) <= max(e.size[0], depth) + 1e-3

    states = [gn.node().getGeomState(i) for gn in world.findAllMatches("**/model-a06/**/+GeomNode")
              for i in range(gn.node().getNumGeoms())]
    assert states and all(s.hasAttrib(TextureAttrib) and s.getAttrib(TextureAttrib).getNumOnStages() == 1
                          for s in states)
    states = [gn.node().getGeomState(i) for gn in world.findAllMatches("**/model-b03/**/+GeomNode")
              for i in range(gn.node().getNumGeoms())]
    assert any(s.getAttrib(ColorAttrib).getColorType() == ColorAttrib.T_vertex for s in states)

    board_scene = load_scene(scene_with(tmp_path, {"beidou_satellite.gltf":
                                                   f"model: {gltf_dir / SAMPLES['TextureCoordinateTest']}"}))
    e = next(x for x in board_scene.exhibits if x.id == "b03")
    node = normalise_model(cache_.instance(board_scene.media_path(e.media.model), bake=True), e)
    states = [gn.node().getGeomState(i) for gn in node.findAllMatches("**/+GeomNode")
              for i in range(gn.node().getNumGeoms())]
    assert any(s.hasAttrib(CullFaceAttrib) and s.getAttrib(CullFaceAttrib).getEffectiveMode()
               == CullFaceAttrib.M_cull_none for s in states)
    # glTF's front (+Z, which the loader turns to -y) is turned to the way the exhibit faces
    node.reparentTo(world)
    front = world.getRelativeVector(node, Vec3(0, -1, 0))
    facing = math.radians(e.facing)
    assert (front.x, front.y) == pytest.approx((-math.sin(facing), math.cos(facing)), abs=1e-5)


def test_the_hall_builds_without_the_refused_models(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    """The hall itself, rendered in a fresh process as the launcher does: no crash, the exhibit's view
    (its panel) still renders."""
    made = broken_models(gltf_dir, tmp_path / "media")
    path = scene_with(tmp_path, {"red_boat.gltf": f"model: {made['truncated']}",
                                 "kiosk.gltf": f"model: {made['no_bin']}"})
    out = tmp_path / "a06.png"
    code = ("from vr_hall import render_view; "
            f"render_view({str(path)!r}, 'exhibit:a06', (480, 270), {str(out)!r})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.stat().st_size > 10_000


def sparse_gltf(folder: Path, buffer_name: str = "quad.bin") -> Path:
    """A 1 x 1 m quad (glTF y up) whose two top vertices a sparse accessor lifts to y = 2, like
    Khronos' SimpleSparseAccessor; its buffer is named ``buffer_name``."""
    import numpy as np

    positions = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "<f4")
    indices = np.array([0, 1, 2, 0, 2, 3], "<u2")
    sparse_idx = np.array([2, 3], "<u2")
    sparse_val = np.array([[1, 2, 0], [0, 2, 0]], "<f4")
    blob = positions.tobytes() + indices.tobytes() + sparse_idx.tobytes() + sparse_val.tobytes()
    (folder / buffer_name).write_bytes(blob)
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
        "buffers": [{"uri": buffer_name, "byteLength": len(blob)}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 48},
                        {"buffer": 0, "byteOffset": 48, "byteLength": 12},
                        {"buffer": 0, "byteOffset": 60, "byteLength": 4},
                        {"buffer": 0, "byteOffset": 64, "byteLength": 24}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3", "min": [0, 0, 0], "max": [1, 2, 0],
             "sparse": {"count": 2, "indices": {"bufferView": 2, "componentType": 5123},
                        "values": {"bufferView": 3}}},
            {"bufferView": 1, "componentType": 5123, "count": 6, "type": "SCALAR"}],
    }
    path = folder / "sparse.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("buffer_name", ["quad.bin", "quad data.dat"])
def test_sparse_accessors_and_odd_buffer_names_are_applied(tmp_path: Path, cache: Path, buffer_name: str) -> None:
    """panda3d-gltf 1.3.0 ignores sparse accessors (the quad stays 1 m high) and zero-fills a buffer not
    named .bin: the checker rewrites such a file once, into the cache, and the loader then reads it as
    authored (2 m high)."""
    path = sparse_gltf(tmp_path, buffer_name)
    report = M.check_models([path])[path]
    assert report.ok and report.load_path and Path(report.load_path).is_file(), report
    assert report.size == pytest.approx((1.0, 0.0, 2.0), abs=1e-5)  # glTF y up is Panda3D's z
    again = M.check_models([path])[path]
    assert again.load_path == report.load_path and again.size == report.size  # from the cache
    from vr_hall.model_fit import ModelCache

    lo, hi = ModelCache().instance(Path(report.load_path), bake=True).getTightBounds()  # what the hall builds
    assert hi.z - lo.z == pytest.approx(2.0, abs=1e-5)
    other = tmp_path / "plain"
    other.mkdir()
    plain = sparse_gltf(other)
    doc = json.loads(plain.read_text())
    del doc["accessors"][0]["sparse"]
    plain.write_text(json.dumps(doc))
    assert M.normalised_copy(plain, doc, cache, "k") is None  # nothing to rewrite: loaded as it is


def animated_gltf(folder: Path) -> Path:
    """A skinned 1 m box on one joint that turns a full circle in 2 s (animation "spin"): the smallest
    real animated glTF (skin, inverse bind matrices, JOINTS_0/WEIGHTS_0, a rotation channel)."""
    import numpy as np

    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (0.0, 1.0) for z in (-0.5, 0.5)], "<f4")
    faces = np.array([0, 2, 1, 1, 2, 3, 4, 5, 6, 5, 7, 6, 0, 1, 4, 1, 5, 4, 2, 6, 3, 3, 6, 7, 0, 4, 2, 2, 4, 6,
                      1, 3, 5, 3, 7, 5], "<u2")
    joints = np.zeros((8, 4), "u1")
    weights = np.tile(np.array([1, 0, 0, 0], "<f4"), (8, 1))
    ibm = np.eye(4, dtype="<f4").reshape(16)
    times = np.array([0.0, 1.0, 2.0], "<f4")
    quats = np.array([[0, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, -1]], "<f4")  # about y: 0°, 180°, 360°
    parts = [corners, faces, joints, weights, ibm, times, quats]
    blob, views = b"", []
    for a in parts:
        blob += b"\0" * (-len(blob) % 4)
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": a.nbytes})
        blob += a.tobytes()
    (folder / "spin.bin").write_bytes(blob)
    acc = [("VEC3", 5126, 8), ("SCALAR", 5123, 36), ("VEC4", 5121, 8), ("VEC4", 5126, 8), ("MAT4", 5126, 1),
           ("SCALAR", 5126, 3), ("VEC4", 5126, 3)]
    accessors = [{"bufferView": i, "type": t, "componentType": c, "count": n} for i, (t, c, n) in enumerate(acc)]
    accessors[0].update(min=[-0.5, 0, -0.5], max=[0.5, 1, 0.5])
    accessors[5].update(min=[0.0], max=[2.0])
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0, 1]}],
        "nodes": [{"mesh": 0, "skin": 0}, {"name": "root"}],
        "skins": [{"joints": [1], "inverseBindMatrices": 4}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "JOINTS_0": 2, "WEIGHTS_0": 3}, "indices": 1}]}],
        "animations": [{"name": "spin", "samplers": [{"input": 5, "output": 6, "interpolation": "LINEAR"}],
                        "channels": [{"sampler": 0, "target": {"node": 1, "path": "rotation"}}]}],
        "buffers": [{"uri": "spin.bin", "byteLength": len(blob)}], "bufferViews": views, "accessors": accessors,
    }
    path = folder / "spin.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_an_animated_model_plays_its_first_animation(tmp_path: Path, cache: Path) -> None:
    """An animated model is neither baked nor flattened (that would freeze it): the hall adds it as
    loaded, fitted into its exhibit, with its first animation looping."""
    from vr_hall.build import build_hall

    spin = animated_gltf(tmp_path)
    report = M.check_models([spin])[spin]
    assert report.ok and report.animations == 1 and report.triangles == 12, report
    path = scene_with(tmp_path, {"kiosk.gltf": f"model: {spin}"})
    scene = load_scene(path)
    assert scene.model_reports["a06"].animations == 1
    hall = build_hall(scene)
    controls = hall.animations["a06"]
    assert controls.getNumAnims() == 1 and controls.getAnimName(0) == "spin" and controls.isPlaying()
    holder = hall.root.find("**/model-a06")
    assert not holder.isEmpty() and not holder.find("**/+Character").isEmpty()
    lo, hi = holder.getTightBounds(hall.root)
    assert lo.z == pytest.approx(0.2, abs=1e-3) and hi.z - lo.z <= 1.75 + 1e-3  # on its plinth, fitted
    hall.root.removeNode()


def test_a_model_authored_z_up_is_stood_up_by_pitch(gltf_dir: Path, tmp_path: Path, cache: Path) -> None:
    """TextureCoordinateTest is a vertical 2.4 m board; tipped by ``media.pitch: -90`` (as a Z-up model
    needs) it lies flat, and the fit measures it as it then lies: 1.9 m wide, no taller than its depth."""
    from panda3d.core import NodePath

    from vr_hall.model_fit import ModelCache, normalise_model

    board = gltf_dir / SAMPLES["TextureCoordinateTest"]
    for pitch, tall in ((0, True), (-90, False)):
        scene = load_scene(scene_with(tmp_path, {"beidou_satellite.gltf": f"model: {board}, pitch: {pitch}"}))
        e = next(x for x in scene.exhibits if x.id == "b03")
        node = normalise_model(ModelCache().instance(board, bake=True), e)
        world = NodePath("world")
        node.reparentTo(world)
        lo, hi = node.getTightBounds(world)
        assert ((hi.z - lo.z) > 1.0) is tall, (pitch, lo, hi)
        assert lo.z == pytest.approx(0.12, abs=1e-4)  # on the showcase's base either way

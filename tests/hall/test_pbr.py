"""PBR materials where the renderer has shaders (issue #16): generated glTF models with a normal map, a
metallic-roughness map and a separate occlusion map, rendered in the demo hall's exhibits by the real
loader and renderer, checked by their pixels. Offscreen OpenGL here is Mesa's llvmpipe through EGL
(p3headlessgl), which runs GLSL, so the hall takes the shader path; the same normal-mapped model on
p3tinydisplay (no shaders) takes the fixed-function path and is drawn flat, as before.
Screenshots go to the shots folder ($HALL_SHOTS to look at them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT
from .test_models import cache, scene_with  # noqa: F401 (fixture)

SIZE = (960, 540)

RENDER = r"""
import json, sys
from panda3d.core import Point2, Point3
from vr_hall.app import HallApp
from vr_hall.model_fit import ModelCache, normalise_model
from vr_hall.scene import load_scene

scene_path, out, display = sys.argv[1], sys.argv[2], sys.argv[3] or None
W, H = int(sys.argv[4]), int(sys.argv[5])
scene = load_scene(scene_path)
app = HallApp(scene, window="offscreen", open_now=False, size=(W, H), display=display)
assert app.open_window()
result = {"materials": app.materials, "note": app.materials_note, "geoms": app.hall.geoms(), "boxes": {}}
for eid in sys.argv[6:]:
    e = scene.exhibit(eid)
    app.show_view("exhibit:" + eid)
    app.screenshot(f"{out}/{eid}.png")
    # where the model stands: a copy fitted the same way, measured, removed (the hall's is flattened in)
    copy = normalise_model(ModelCache().instance(scene.media_path(e.media.model), bake=False), e)
    copy.reparentTo(app.base.render)
    lo, hi = copy.getTightBounds(app.base.render)
    copy.removeNode()
    xs, ys = [], []
    for x in (lo.x, hi.x):
        for y in (lo.y, hi.y):
            for z in (lo.z, hi.z):
                p = app.base.cam.getRelativePoint(app.base.render, Point3(x, y, z))
                o = Point2()
                app.base.camLens.project(p, o)
                xs.append((o.x + 1) / 2 * W)
                ys.append((1 - o.y) / 2 * H)
    result["boxes"][eid] = [min(xs), min(ys), max(xs), max(ys)]
print(json.dumps(result))
"""


def maps_gltf(folder: Path, *, normal: bool = False, metal_rough: bool = False, occlusion: bool = False) -> Path:
    """A 1 m square facing glTF +Z, light grey (base colour texture), with any of: a normal map of
    horizontal bands tilted alternately up and down (tangent space), a metallic-roughness map fully
    metallic on its top half, a separate occlusion map fully occluding its left half."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 256
    Image.fromarray(np.full((n, n, 3), 190, np.uint8)).save(folder / "base.png")
    bands = (np.arange(n) // 32) % 2  # image rows, top first
    tilt = np.where(bands == 1, 0.6, -0.6)
    nm = np.zeros((n, n, 3), np.uint8)
    nm[..., 0] = 128
    nm[..., 1] = np.round((tilt[:, None] + 1) / 2 * 255)
    nm[..., 2] = round((0.8 + 1) / 2 * 255)
    Image.fromarray(nm).save(folder / "normal.png")
    mr = np.zeros((n, n, 3), np.uint8)
    mr[..., 1] = 200  # roughness 0.8 × factor
    mr[: n // 2, :, 2] = 255  # metallic on the top half (image rows are top first)
    Image.fromarray(mr).save(folder / "mr.png")
    occ = np.full((n, n), 255, np.uint8)
    occ[:, : n // 2] = 0
    Image.fromarray(occ).save(folder / "occlusion.png")
    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], "<f4")
    nor = np.tile(np.array([[0, 0, 1]], "<f4"), (4, 1))
    uv = np.array([[0, 1], [1, 1], [1, 0], [0, 0]], "<f4")
    idx = np.array([0, 1, 2, 0, 2, 3], "<u2")
    blob = pos.tobytes() + nor.tobytes() + uv.tobytes() + idx.tobytes()
    (folder / "square.bin").write_bytes(blob)
    views = [{"buffer": 0, "byteOffset": o, "byteLength": k} for o, k in ((0, 48), (48, 48), (96, 32), (128, 12))]
    acc = [{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
           {"bufferView": 1, "componentType": 5126, "count": 4, "type": "VEC3"},
           {"bufferView": 2, "componentType": 5126, "count": 4, "type": "VEC2"},
           {"bufferView": 3, "componentType": 5123, "count": 6, "type": "SCALAR"}]
    images = [{"uri": "base.png"}]
    material: dict = {"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 1.0 if metal_rough
                                               else 0.0, "roughnessFactor": 1.0 if metal_rough else 0.8}}
    for wanted, key, uri in ((normal, "normalTexture", "normal.png"), (metal_rough, "metallicRoughnessTexture", "mr.png"),
                             (occlusion, "occlusionTexture", "occlusion.png")):
        if wanted:
            ref = {"index": len(images)}
            if key == "metallicRoughnessTexture":
                material["pbrMetallicRoughness"][key] = ref
            else:
                material[key] = ref
            images.append({"uri": uri})
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2}, "indices": 3,
                                       "material": 0}]}],
           "materials": [material], "textures": [{"source": k} for k in range(len(images))], "images": images,
           "buffers": [{"uri": "square.bin", "byteLength": len(blob)}], "bufferViews": views, "accessors": acc}
    path = folder / "square.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def render(scene: Path, out: Path, exhibits: list[str], display: str = "") -> dict:
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", RENDER, str(scene), str(out), display, *map(str, SIZE), *exhibits],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def square(png: Path, box: list[float]) -> np.ndarray:
    """The middle of the model's screen box as luminance (the square's face, not what is around it)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    lum = np.asarray(Image.open(png).convert("L")).astype(float)
    return lum[int(y0 + h * 0.25):int(y1 - h * 0.25), int(x0 + w * 0.25):int(x1 - w * 0.25)]


def bands(px: np.ndarray) -> float:
    """How much the shading varies over the face: the normal map's bands, none on a flat square."""
    return float(px.std())


@pytest.fixture(scope="module")
def squares(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pbr-models")
    return {"normal": maps_gltf(folder / "normal", normal=True), "plain": maps_gltf(folder / "plain"),
            "mr_occ": maps_gltf(folder / "mr_occ", metal_rough=True, occlusion=True)}


def square_in_a06(model: Path, tmp_path: Path, shots: Path, name: str, display: str = "") -> tuple[dict, np.ndarray]:
    """``model`` in exhibit a06 (no glass), tipped back 50° so that its face gets the room's lamp above it."""
    folder = tmp_path / name
    folder.mkdir()
    scene = scene_with(folder, {"kiosk.gltf": f"model: {model}, pitch: {PITCH}"})
    got = render(scene, folder / "shots", ["a06"], display)
    png = folder / "shots" / "a06.png"
    Image.open(png).save(shots / f"{name}.png")
    return got, square(png, got["boxes"]["a06"])


PITCH = -50


def test_the_normal_map_metal_roughness_and_occlusion_are_drawn(squares: dict[str, Path], tmp_path: Path,
                                                                cache: Path, shots: Path) -> None:  # noqa: F811
    got, normal = square_in_a06(squares["normal"], tmp_path, shots, "pbr_normal_map")
    assert got["materials"] == "pbr", got["note"]
    assert got["geoms"] <= 200, got["geoms"]
    _, plain = square_in_a06(squares["plain"], tmp_path, shots, "pbr_plain")
    assert normal.mean() > 40 and plain.mean() > 40, "a square is missing (black)"
    assert bands(normal) > 15 and bands(plain) < 4, (bands(normal), bands(plain))

    # the occluded left half darker (the ambient light is occluded); the metallic top half without diffuse
    # light, which shows most where only the lamp lights the face (the occluded half)
    _, px = square_in_a06(squares["mr_occ"], tmp_path, shots, "pbr_metal_roughness_occlusion")
    h, w = px.shape
    tl, tr = px[: h // 2 - 3, : w // 2 - 3].mean(), px[: h // 2 - 3, w // 2 + 3:].mean()
    bl, br = px[h // 2 + 3:, : w // 2 - 3].mean(), px[h // 2 + 3:, w // 2 + 3:].mean()
    assert (tr + br) / 2 - (tl + bl) / 2 > 12, (tl, tr, bl, br, "the occlusion map is not drawn")
    assert bl - tl > 8 and br > tr, (tl, tr, bl, br, "the metallic-roughness map is not drawn")


def test_without_shaders_the_normal_map_is_left_out(squares: dict[str, Path], tmp_path: Path,
                                                    cache: Path, shots: Path) -> None:  # noqa: F811
    got, px = square_in_a06(squares["normal"], tmp_path, shots, "fixed_normal_map_tinydisplay", "p3tinydisplay")
    assert got["materials"] == "fixed" and "no GLSL" in got["note"], got
    assert px.mean() > 40 and bands(px) < 4, (px.mean(), bands(px))


def test_materials_are_shared_so_parts_still_batch(tmp_path: Path, cache: Path) -> None:  # noqa: F811
    """The demo hall's models drawn with shaders: parts differing only in colour merge; the hall stays
    within its 200 draw calls. Built without a window (no context is needed to build)."""
    from vr_hall.build import BuildOptions, build_hall
    from vr_hall.pbr import shader_attrib
    from vr_hall.scene import load_scene

    from .conftest import DEMO

    scene = load_scene(DEMO)
    fixed = build_hall(scene, options=BuildOptions(pbr=False)).geoms()
    hall = build_hall(scene, options=BuildOptions(pbr=True))
    shaded = 0
    for path in hall.root.findAllMatches("**/+GeomNode"):
        for i in range(path.node().getNumGeoms()):
            shaded += path.node().getGeomState(i).getAttrib(type(shader_attrib())) is not None
    materials = sum(len({(m["pbrMetallicRoughness"].get("metallicFactor"), m["pbrMetallicRoughness"].get(
        "roughnessFactor"), tuple(m.get("emissiveFactor", ()))) for m in json.loads(p.read_text())["materials"]})
        for p in (ROOT / "scenes" / "media").glob("*.gltf"))
    assert 3 <= shaded <= materials, (shaded, materials)  # at most one batch per distinct material per model
    assert hall.geoms() <= fixed + materials and hall.geoms() <= 200, (hall.geoms(), fixed)

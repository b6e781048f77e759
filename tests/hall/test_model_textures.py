"""Exhibit models keep their textures (issue #16): every shared Khronos sample rendered in an exhibit by the
real loader and renderer — upright on its plinth, textured, its front to the viewer — and checked by its
pixels; textures over the hall's budget are scaled down keeping their sampler, and an emission map is
drawn (a generated model). Screenshots go to the shots folder ($HALL_SHOTS to look at them).

Offscreen OpenGL here is Mesa's llvmpipe, which has shaders, so these render on the PBR path (vr_hall.pbr);
tests/hall/test_pbr.py checks the normal, metallic-roughness and occlusion maps and the fixed-function path
(p3tinydisplay) beside it. The baked materials for fixed-function drawing are checked here directly.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .conftest import ROOT
from .test_models import SAMPLES, cache, gltf_dir, scene_with  # noqa: F401 (fixtures)

SIZE = (960, 540)

RENDER = r"""
import json, math, sys
from panda3d.core import Point2, Point3, Vec3
from vr_hall.app import HallApp
from vr_hall.model_fit import plinth_height
from vr_hall.scene import load_scene

scene = load_scene(sys.argv[1])
e = scene.exhibit("a06")
W, H = int(sys.argv[3]), int(sys.argv[4])
app = HallApp(scene, window="offscreen", open_now=False, size=(W, H))
assert app.open_window()
app.show_view("exhibit:a06")
app.screenshot(sys.argv[2])
w, d = e.footprint
z0 = plinth_height(e)
cam = app.base.cam
xs, ys = [], []
for dx in (-w / 2, w / 2):
    for dy in (-d / 2, d / 2):
        for z in (z0, z0 + e.size[1]):
            p = cam.getRelativePoint(app.base.render, Point3(e.position[0] + dx, e.position[1] + dy, z))
            out = Point2()
            app.base.camLens.project(p, out)
            xs.append((out.x + 1) / 2 * W)
            ys.append((1 - out.y) / 2 * H)
holder_h = e.facing + 180.0 + (e.media.turn or 0.0)
eye = cam.getPos(app.base.render)
to_eye = Vec3(eye.x - e.position[0], eye.y - e.position[1], 0)
to_eye.normalize()
h = math.radians(holder_h)
front = Vec3(math.sin(h), -math.cos(h), 0)  # the holder's -y: glTF +Z after the loader
print(json.dumps({"box": [min(xs), min(ys), max(xs), max(ys)], "front_dot_eye": front.dot(to_eye)}))
"""


def render_a06(scene: Path, out: Path) -> dict:
    """The exhibit view of a06 rendered in a fresh process (one ShowBase per process), with the screen box
    of the exhibit's model volume and how squarely the model's glTF front (+Z) faces the camera."""
    done = subprocess.run([sys.executable, "-c", RENDER, str(scene), str(out), *map(str, SIZE)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def region(png: Path, box: list[float]) -> np.ndarray:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return rgb[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]


def detail(px: np.ndarray) -> float:
    """Mean luminance step between neighbouring pixels: a texture has it everywhere, flat shading only at
    the model's edges."""
    lum = px.mean(axis=2)
    return float(np.abs(np.diff(lum, axis=1)).mean() + np.abs(np.diff(lum, axis=0)).mean())


def core(px: np.ndarray) -> np.ndarray:
    """The middle of a model's screen box (its faces, not the floor around it)."""
    h, w = px.shape[:2]
    return px[int(h * 0.35):int(h * 0.65), int(w * 0.35):int(w * 0.65)]


def centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


@pytest.fixture
def sample_shots(gltf_dir: Path, cache: Path, tmp_path: Path, shots: Path) -> dict[str, tuple[Path, dict]]:  # noqa: F811
    """Each shared sample in exhibit a06 (default plinth; TextureCoordinateTest with ``turn: 180``: its
    quads face glTF -Z, away from the +Z front the spec asks for, which is what the per-exhibit turn is for)."""
    tmp = tmp_path
    out: dict[str, tuple[Path, dict]] = {}
    for name, rel in SAMPLES.items():
        turn = ", turn: 180" if name == "TextureCoordinateTest" else ""
        folder = tmp / name
        folder.mkdir()
        scene = scene_with(folder, {"kiosk.gltf": f"model: {gltf_dir / rel}{turn}"})
        png = shots / f"model_{name}.png"
        out[name] = (png, render_a06(scene, png))
    return out


def test_every_shared_sample_stands_textured_on_its_plinth_facing_the_viewer(sample_shots) -> None:
    for name, (_png, info) in sample_shots.items():
        if name != "TextureCoordinateTest":
            assert info["front_dot_eye"] > 0.3, (name, info)  # glTF +Z front towards the camera
        else:
            assert info["front_dot_eye"] < -0.3, info  # turned: its -Z front towards the camera

    box_png, box_info = sample_shots["Box"]
    box = region(box_png, box_info["box"])
    red = (box[..., 0] > 100) & (box[..., 1] < 50) & (box[..., 2] < 50)
    assert red.mean() > 0.2, "the Box's red material is missing"

    vc_png, vc_info = sample_shots["BoxVertexColors"]
    vc = region(vc_png, vc_info["box"])
    hues = {tuple(c) for c in (vc // 64).reshape(-1, 3)}
    assert len(hues) >= 12, f"vertex colours lost ({len(hues)} colour cells)"

    cube_png, cube_info = sample_shots["Cube"]
    cube = region(cube_png, cube_info["box"])
    assert detail(core(cube)) > 3 * detail(core(box)) + 2, (detail(core(cube)), detail(core(box)),
                                                           "the Cube's texture is not drawn")

    tct_png, tct_info = sample_shots["TextureCoordinateTest"]
    tct = region(tct_png, tct_info["box"])
    r, g, b = tct[..., 0], tct[..., 1], tct[..., 2]
    yellow = (r > 90) & (g > 90) & (b < 50) & (np.abs(r - g) < 60)
    orange = (r > 90) & (g < 0.6 * r) & (b < 40)
    blue = (b > 70) & (r < 40) & (g < b)
    green = (g > 70) & (r < 40) & (b < 40)
    for label, mask in (("yellow", yellow), ("red", orange), ("blue", blue), ("green", green)):
        assert mask.sum() > 300, f"the {label} textured quad is not visible"
    (yx, yy), (rx, ry), (bx, by), (gx, gy) = map(centroid, (yellow, orange, blue, green))
    # Khronos' reference: Top Left yellow, Top Right red, Bottom Left blue, Bottom Right green
    assert yx < rx and bx < gx and yy < by and ry < gy, "the board is seen from behind or mirrored"
    dark = tct.sum(axis=2) < 120
    for label, mask in (("yellow", yellow), ("red", orange), ("blue", blue), ("green", green)):
        ys, xs = np.nonzero(mask)
        inside = dark[ys.min():ys.max() + 1, xs.min():xs.max() + 1].sum()
        assert inside > 30, f"the {label} quad has no printed label or checker border: its texture is not drawn"


def quads_gltf(folder: Path, big: int = 2048) -> Path:
    """Two 1 m quads facing +Z: a base-colour checker ``big`` px square (sampler: mirrored repeat on S,
    clamp on T, UVs 0-2) and, beside it, a black material with a green-striped emission map."""
    folder.mkdir(parents=True, exist_ok=True)
    squares = (np.indices((big, big)).sum(axis=0) // (big // 8)) % 2
    checker = np.where(squares[..., None] == 1, [230, 30, 30], [250, 250, 250]).astype(np.uint8)
    Image.fromarray(checker).save(folder / "checker.png")
    stripes = np.zeros((64, 64, 3), np.uint8)
    stripes[:, ::16] = stripes[:, 1::16] = stripes[:, 2::16] = stripes[:, 3::16] = (0, 255, 0)
    Image.fromarray(stripes).save(folder / "glow.png")
    pos = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [1.2, 0, 0], [2.2, 0, 0], [2.2, 1, 0], [1.2, 1, 0]], "<f4")
    nor = np.tile(np.array([[0, 0, 1]], "<f4"), (8, 1))
    uv = np.array([[0, 2], [2, 2], [2, 0], [0, 0]] * 2, "<f4")
    idx = np.array([0, 1, 2, 0, 2, 3], "<u2")
    blob = pos.tobytes() + nor.tobytes() + uv.tobytes() + idx.tobytes() + (idx + 4).astype("<u2").tobytes()
    (folder / "quads.bin").write_bytes(blob)
    views = [{"buffer": 0, "byteOffset": o, "byteLength": n} for o, n in ((0, 96), (96, 96), (192, 64), (256, 12), (268, 12))]
    acc = [{"bufferView": 0, "componentType": 5126, "count": 8, "type": "VEC3", "min": [0, 0, 0], "max": [2.2, 1, 0]},
           {"bufferView": 1, "componentType": 5126, "count": 8, "type": "VEC3"},
           {"bufferView": 2, "componentType": 5126, "count": 8, "type": "VEC2"},
           {"bufferView": 3, "componentType": 5123, "count": 6, "type": "SCALAR"},
           {"bufferView": 4, "componentType": 5123, "count": 6, "type": "SCALAR"}]
    attrs = {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2}
    doc = {
        "asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": attrs, "indices": 3, "material": 0},
                                   {"attributes": attrs, "indices": 4, "material": 1}]}],
        "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}, "metallicFactor": 0}},
                      {"pbrMetallicRoughness": {"baseColorFactor": [0, 0, 0, 1], "metallicFactor": 0},
                       "emissiveTexture": {"index": 1}, "emissiveFactor": [1, 1, 1]}],
        "samplers": [{"wrapS": 33648, "wrapT": 33071, "magFilter": 9729, "minFilter": 9987}],
        "textures": [{"source": 0, "sampler": 0}, {"source": 1}],
        "images": [{"uri": "checker.png"}, {"uri": "glow.png"}],
        "buffers": [{"uri": "quads.bin", "byteLength": len(blob)}],
        "bufferViews": views, "accessors": acc,
    }
    path = folder / "quads.gltf"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_textures_over_the_budget_are_scaled_keeping_their_sampler(tmp_path: Path, cache: Path) -> None:  # noqa: F811
    from panda3d.core import SamplerState, TextureAttrib, TextureStage

    from vr_hall import models as M
    from vr_hall.model_check import TEXTURE_MAX
    from vr_hall.model_fit import ModelCache

    path = quads_gltf(tmp_path / "m")
    report = M.check_models([path])[path]
    assert report.ok and report.textures == 2
    assert any("2048×2048" in w and str(TEXTURE_MAX) in w for w in report.warnings), report.warnings
    model = ModelCache().instance(path, bake=True)
    sizes = sorted((t.getXSize(), t.getYSize()) for t in model.findAllTextures())
    assert sizes == [(64, 64), (TEXTURE_MAX, TEXTURE_MAX)]
    big = next(t for t in model.findAllTextures() if t.getXSize() == TEXTURE_MAX)
    assert (big.getWrapU(), big.getWrapV()) == (SamplerState.WM_mirror, SamplerState.WM_clamp)
    modes = set()
    for gn in model.findAllMatches("**/+GeomNode"):
        for i in range(gn.node().getNumGeoms()):
            attrib = gn.node().getGeomState(i).getAttrib(TextureAttrib)
            modes |= {attrib.getOnStage(k).getMode() for k in range(attrib.getNumOnStages())}
    assert modes == {TextureStage.M_modulate, TextureStage.M_add}, "base colour and emission kept"


def test_the_emission_map_and_the_mirrored_checker_are_drawn(tmp_path: Path, cache: Path, shots: Path) -> None:  # noqa: F811
    path = quads_gltf(tmp_path / "m")
    scene = scene_with(tmp_path, {"kiosk.gltf": f"model: {path}"})
    png = shots / "model_emission_checker.png"
    info = render_a06(scene, png)
    px = region(png, info["box"])
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    assert ((g > 120) & (r < 60) & (b < 60)).sum() > 200, "the green emission stripes are missing"
    assert ((r > 120) & (g < 60) & (b < 60)).sum() > 200 and ((r > 170) & (g > 170) & (b > 170)).sum() > 200, \
        "the red and white checker is missing"


def test_check_scene_names_a_texture_over_the_budget(tmp_path: Path, cache: Path) -> None:  # noqa: F811
    path = quads_gltf(tmp_path / "m")
    scene = scene_with(tmp_path, {"kiosk.gltf": f"model: {path}"})
    done = subprocess.run([sys.executable, "launcher.py", "hall", "--check-scene", str(scene)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    line = next(x for x in done.stdout.splitlines() if "a06" in x)
    assert re.search(r"2 textures", line) and "2048×2048" in done.stdout, done.stdout

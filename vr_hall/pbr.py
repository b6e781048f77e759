"""Exhibit models drawn with their full glTF PBR material where the renderer has shaders.

A kiosk PC's GPU (and Mesa's llvmpipe) runs GLSL, so there the hall draws every model part with
panda3d-simplepbr's metal-roughness shader: the base colour, the metallic-roughness map, the normal
map (tangent space, from the loader's tangents), the occlusion map and the emission map all count.
p3tinydisplay, the software renderer the hall falls back to without OpenGL, has no shaders: there
:func:`vr_hall.model_fit.bake_materials` keeps only what fixed-function drawing shows (base colour and
emission). :func:`shader_problem` decides which path a graphics state guardian gets.

Only the models get the shader, not the hall: walls, pictures and text keep their fixed-function look
and cost, and the frame keeps its plain 8-bit framebuffer (simplepbr's own pipeline would put every
pixel of the hall through a float buffer and a tone-mapping pass). So simplepbr's fragment shader is
used with changes that make a model sit in the hall's light the way the rest of the hall does, and
survive the hall's batching:

* the hall's light colours are sRGB values (as fixed-function drawing uses them), so the shader
  linearises them and scales the direct lights by π (a white diffuse surface facing a light then
  matches a fixed-function one); its output is encoded to sRGB instead of going to a tone-mapping pass;
* the camera position for reflections comes from the view matrix instead of a per-frame input;
* the normal map's tangent frame is taken from the screen-space derivatives of position and UV
  (Schüler's cotangent frame) instead of the vertices' tangents: panda3d-gltf stores tangents as plain
  data (``C_other``), which ``flattenStrong()`` does not rotate with the normals it bakes the model's
  placement into, so a turned model's bumps went flat. The derivative frame needs no tangents at all
  and follows mirrored UVs by itself.

Batching: a part's base colour factor goes into its vertex colours and every material is replaced by
one shared :class:`~panda3d.core.Material` per (metallic, roughness, emission, two-sided) value, so
``flattenStrong()`` still merges the parts of a room's models that differ only in colour; textures
keep their own batches. panda3d-gltf does not read ``occlusionTexture``; :func:`pack_occlusion` puts it
into the metallic-roughness map's red channel (glTF's ORM layout, which simplepbr reads).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from panda3d.core import (
    ColorAttrib,
    ColorScaleAttrib,
    GraphicsStateGuardianBase,
    InternalName,
    Material,
    MaterialAttrib,
    NodePath,
    SamplerState,
    Shader,
    ShaderAttrib,
    Texture,
    TextureAttrib,
    TextureStage,
)

log = logging.getLogger(__name__)

#: Direct lights the shader sums (the hall lights a room with a sun and a lamp or two; ambient is apart).
MAX_LIGHTS = 4

_HALL_FUNCTIONS = """
vec3 hall_linear(vec3 c) { return pow(max(c, vec3(0.0)), vec3(2.2)); }
vec3 hall_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(vec3(0.0031308), c));
}
// tangent frame from screen-space derivatives (C. Schueler, "Followup: Normal Mapping Without
// Precomputed Tangents", 2013): T along +u, B along +v of the texture, N the interpolated normal
mat3 hall_frame(vec3 normal, vec3 position) {
    vec3 N = normalize(normal);
    vec3 dp1 = dFdx(position);
    vec3 dp2 = dFdy(position);
    vec2 duv1 = dFdx(v_texcoord);
    vec2 duv2 = dFdy(v_texcoord);
    vec3 dp2perp = cross(dp2, N);
    vec3 dp1perp = cross(N, dp1);
    vec3 T = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 B = dp2perp * duv1.y + dp1perp * duv2.y;
    float len2 = max(dot(T, T), dot(B, B));
    if (len2 < 1e-20) {
        return mat3(vec3(0.0), vec3(0.0), N);
    }
    float k = inversesqrt(len2);
    return mat3(T * k, B * k, N);
}
"""

#: (what simplepbr 0.13's fragment shader says, what the hall's version says): each must be found once.
_FRAGMENT_CHANGES = (
    ("uniform vec3 camera_world_position;",
     "uniform mat4 p3d_ViewMatrixInverse;\n#define camera_world_position (p3d_ViewMatrixInverse[3].xyz)"),
    ("vec3 lightcol = p3d_LightSource[i].diffuse.rgb;",
     "vec3 lightcol = hall_linear(p3d_LightSource[i].diffuse.rgb) * PI;"),
    ("p3d_LightModel.ambient.rgb", "hall_linear(p3d_LightModel.ambient.rgb)"),
    ("vec3 n = normalize(v_view_tbn * normalmap);",
     "vec3 n = normalize(hall_frame(v_view_tbn[2], v_view_position) * normalmap);"),
    ("vec3 world_normal = normalize(v_world_tbn * normalmap);",
     "vec3 world_normal = normalize(hall_frame(v_world_tbn[2], v_world_position) * normalmap);"),
    ("void main() {", _HALL_FUNCTIONS + "\nvoid main() {"),
    ("gl_FragColor = color;", "gl_FragColor = vec4(hall_srgb(color.rgb), color.a);"),
)


class ShaderSourceChanged(RuntimeError):
    """The pinned simplepbr's shader text is not what this module adapts (a different version)."""


def _sources(normal_map: bool, occlusion: bool) -> tuple[str, str]:
    from simplepbr import _shaderutils  # the pinned simplepbr's shader text and its #define handling

    defines: dict[str, Any] = {"MAX_LIGHTS": MAX_LIGHTS, "USE_NORMAL_MAP": normal_map, "USE_EMISSION_MAP": True,
                               "USE_OCCLUSION_MAP": occlusion, "CALC_NORMAL_Z": True}
    vert = _shaderutils._load_shader_str("simplepbr.vert", dict(defines))
    frag = _shaderutils._load_shader_str("simplepbr.frag", dict(defines))
    for old, new in _FRAGMENT_CHANGES:
        if frag.count(old) != 1:
            raise ShaderSourceChanged(f"simplepbr.frag no longer has {old!r} once")
        frag = frag.replace(old, new)
    return vert, frag


_ATTRIBS: dict[tuple[bool, bool], ShaderAttrib] = {}


def shader_attrib(normal_map: bool = False, occlusion: bool = False) -> ShaderAttrib:
    """The PBR shader with its inputs (BRDF table, an empty environment), one per variant, shared."""
    key = (normal_map, occlusion)
    if key not in _ATTRIBS:
        import simplepbr
        from panda3d.core import LVecBase3f, PTA_LVecBase3f

        vert, frag = _sources(normal_map, occlusion)
        shader = Shader.make(Shader.SL_GLSL, vert, frag)
        shader.setFilename(Shader.ST_none, f"hall-pbr-n{int(normal_map)}o{int(occlusion)}")
        env = simplepbr.EnvMap.create_empty()  # the room's light is the ambient term, not an environment map
        sh = PTA_LVecBase3f.emptyArray(9)
        for i in range(9):
            sh[i] = LVecBase3f(0, 0, 0)
        lut = simplepbr.Pipeline._BRDF_LUT
        lut.setWrapU(SamplerState.WM_clamp)
        lut.setWrapV(SamplerState.WM_clamp)
        attrib = ShaderAttrib.make(shader)
        for name, value in (("brdf_lut", lut), ("filtered_env_map", env.filtered_env_map), ("sh_coeffs", sh),
                            ("max_reflection_lod", float(env.filtered_env_map.getNumLoadableRamMipmapImages()))):
            attrib = attrib.setShaderInput(name, value)
        _ATTRIBS[key] = attrib
    return _ATTRIBS[key]


def shader_problem(gsg: GraphicsStateGuardianBase | None) -> str | None:
    """None when ``gsg`` can draw the PBR shader (every variant compiles and links), else why not, in a
    few words for the hall's log."""
    if gsg is None:
        return "no graphics context"
    name = f"{gsg.getDriverVendor()} {gsg.getDriverRenderer()}".strip()
    if not gsg.getSupportsBasicShaders() or not gsg.getSupportsGlsl():
        return f"{name or type(gsg).__name__} has no GLSL shaders"
    try:
        for normal_map in (False, True):
            for occlusion in (False, True):
                shader = Shader(shader_attrib(normal_map, occlusion).getShader())  # a const one cannot prepare
                shader.prepareNow(gsg.getPreparedObjects(), gsg)
                if shader.getErrorFlag() or not shader.isPrepared(gsg.getPreparedObjects()):
                    return f"the PBR shader does not compile on {name}"
    except ShaderSourceChanged as exc:
        return str(exc)
    return None


def probe_pipe(base: Any) -> tuple[bool, str]:
    """Before any window exists (the child prewarms the scene): open a 1×1 offscreen buffer on the
    display module the window will use, ask its context, close it. (usable, renderer or reason)."""
    from panda3d.core import FrameBufferProperties, GraphicsPipe, WindowProperties

    if base.pipe is None:
        base.makeDefaultPipe()
    if base.pipe is None:
        return False, "no display module could load"
    engine = base.graphicsEngine
    buffer = engine.makeOutput(base.pipe, "pbr-probe", -100, FrameBufferProperties.getDefault(),
                               WindowProperties.size(1, 1), GraphicsPipe.BF_refuse_window)
    if buffer is None:
        return False, f"{base.pipe.getInterfaceName()} opened no buffer"
    try:
        engine.openWindows()
        gsg = buffer.getGsg()
        problem = shader_problem(gsg)
        return problem is None, problem or renderer_name(gsg)
    finally:
        engine.removeWindow(buffer)


def choose_pbr(base: Any, window: str) -> tuple[bool, str]:
    """Whether the hall's models take the PBR path, and why (the renderer, or what it lacks): asked of
    ``base``'s open window, or of a 1×1 buffer on the same display module before there is one (the child
    prewarms without a window); never with ``window`` "none"."""
    if window == "none":
        return False, "no window"
    if base.win is not None:
        problem = shader_problem(base.win.getGsg())
        return problem is None, problem or renderer_name(base.win.getGsg())
    return probe_pipe(base)


def renderer_name(gsg: GraphicsStateGuardianBase | None) -> str:
    if gsg is None:
        return "none"
    return f"{gsg.getDriverVendor()} {gsg.getDriverRenderer()}".strip() or type(gsg).__name__


# ------------------------------------------------------------------------------------------ materials

_MATERIALS: dict[tuple, Material] = {}
_STAGES: dict[tuple[int, str], TextureStage] = {}


def _material(mat: Material, two_sided: bool) -> Material:
    """One shared white-based material per (metallic, roughness, emission, two-sided) value: parts that
    differ only in colour (in their vertices now) share a render state and merge."""
    e = mat.getEmission() if mat.hasEmission() else (0.0, 0.0, 0.0, 0.0)
    metallic = mat.getMetallic() if mat.hasMetallic() else 0.0
    roughness = mat.getRoughness() if mat.hasRoughness() else 1.0
    key = (round(metallic, 3), round(roughness, 3), round(e[0], 3), round(e[1], 3), round(e[2], 3), two_sided)
    shared = _MATERIALS.get(key)
    if shared is None:
        shared = Material(f"hall-pbr-{len(_MATERIALS)}")
        shared.setBaseColor((1, 1, 1, 1))
        shared.setMetallic(key[0])
        shared.setRoughness(key[1])
        shared.setEmission((key[2], key[3], key[4], 0.0))
        shared.setTwoside(two_sided)
        _MATERIALS[key] = shared
    return shared


def _stage(mode: int, texcoord: InternalName) -> TextureStage:
    """One stage per kind of map and UV set for every model (the loader makes new ones per file)."""
    key = (mode, texcoord.getName())
    stage = _STAGES.get(key)
    if stage is None:
        stage = TextureStage(f"pbr-{int(mode)}-{texcoord.getName()}")
        stage.setMode(mode)
        stage.setTexcoordName(texcoord)
        _STAGES[key] = stage
    return stage


_MAPS = (TextureStage.M_modulate, TextureStage.M_selector, TextureStage.M_normal, TextureStage.M_emission)


def prepare_materials(model: NodePath, occluded: set[str] | None = None) -> dict[str, int]:
    """Make every part of a loaded glTF model ready for the PBR shader and for batching (see the module
    docstring). ``occluded``: names of materials whose metallic-roughness map carries occlusion in red
    (:func:`pack_occlusion`). Returns how many parts use each map, for the log and tests."""
    used = {"parts": 0, "base": 0, "metal_roughness": 0, "normal": 0, "occlusion": 0, "emission": 0}
    occluded = occluded or set()
    for path in model.findAllMatches("**/+GeomNode"):
        gn = path.node()
        for i in range(gn.getNumGeoms()):
            state = gn.getGeomState(i)
            used["parts"] += 1
            base = (1.0, 1.0, 1.0, 1.0)
            shared = _material(Material("plain"), False)
            occlusion = False
            if state.hasAttrib(MaterialAttrib):
                mat = state.getAttrib(MaterialAttrib).getMaterial()
                c = mat.getBaseColor() if mat.hasBaseColor() else mat.getDiffuse()
                base = (c[0], c[1], c[2], c[3])
                shared = _material(mat, mat.getTwoside())
                occlusion = mat.getName() in occluded
            textures = TextureAttrib.make()
            normal_map = False
            if state.hasAttrib(TextureAttrib):
                attrib = state.getAttrib(TextureAttrib)
                seen: set[int] = set()
                for k in range(attrib.getNumOnStages()):
                    stage = attrib.getOnStage(k)
                    mode = stage.getMode()
                    if mode not in _MAPS or mode in seen:
                        continue
                    seen.add(mode)
                    textures = textures.addOnStage(_stage(mode, stage.getTexcoordName()), attrib.getOnTexture(stage))
                normal_map = TextureStage.M_normal in seen
                used["base"] += TextureStage.M_modulate in seen
                used["metal_roughness"] += TextureStage.M_selector in seen
                used["normal"] += normal_map
                used["emission"] += TextureStage.M_emission in seen
                occlusion = occlusion and TextureStage.M_selector in seen
            used["occlusion"] += occlusion
            state = state.removeAttrib(TextureAttrib).addAttrib(MaterialAttrib.make(shared))
            if textures.getNumOnStages():
                state = state.addAttrib(textures)
            if gn.getGeom(i).getVertexData().hasColumn("color"):
                state = state.addAttrib(ColorAttrib.makeVertex()).addAttrib(ColorScaleAttrib.make(base))
            else:
                state = state.addAttrib(ColorAttrib.makeFlat(base))
            state = state.addAttrib(shader_attrib(normal_map, occlusion))
            gn.setGeomState(i, state)
    return used


def pack_occlusion(model: NodePath, gltf_path: Path) -> set[str]:
    """Put each material's ``occlusionTexture`` (which panda3d-gltf leaves out) into the red channel of
    its metallic-roughness map, as glTF's packed ORM textures have it, making a white map where the
    material has none. Returns the names of the materials that now carry occlusion."""
    occluded: set[str] = set()
    try:
        doc = json.loads(_gltf_json(gltf_path))
    except (OSError, ValueError):
        return occluded
    wanted: dict[str, tuple[Path | None, float]] = {}
    names = [m.get("name", f"mat{k}") for k, m in enumerate(doc.get("materials", []))]
    for k, m in enumerate(doc.get("materials", [])):
        occ = m.get("occlusionTexture")
        if not occ or names.count(names[k]) > 1:
            continue  # a name shared by several materials cannot be told apart in the loaded model
        source = _image_source(doc, occ.get("index"), gltf_path)
        if source is None:
            continue
        wanted[names[k]] = (source, float(occ.get("strength", 1.0)))
    if not wanted:
        return occluded
    done: dict[tuple[int, str], Texture] = {}
    for path in model.findAllMatches("**/+GeomNode"):
        gn = path.node()
        for i in range(gn.getNumGeoms()):
            state = gn.getGeomState(i)
            if not state.hasAttrib(MaterialAttrib):
                continue
            name = state.getAttrib(MaterialAttrib).getMaterial().getName()
            if name not in wanted:
                continue
            attrib = state.getAttrib(TextureAttrib) if state.hasAttrib(TextureAttrib) else TextureAttrib.make()
            mr_stage = next((attrib.getOnStage(k) for k in range(attrib.getNumOnStages())
                             if attrib.getOnStage(k).getMode() == TextureStage.M_selector), None)
            mr = attrib.getOnTexture(mr_stage) if mr_stage is not None else None
            key = (id(mr), name)
            if key not in done:
                packed = _packed(mr, *wanted[name])
                if packed is None:
                    continue
                done[key] = packed
            if mr_stage is None:
                mr_stage = TextureStage("Metal Rough")
                mr_stage.setMode(TextureStage.M_selector)
                mr_stage.setTexcoordName(InternalName.getTexcoordName("0"))
            gn.setGeomState(i, state.setAttrib(attrib.addOnStage(mr_stage, done[key])))
            occluded.add(name)
    return occluded


def _packed(mr: Texture | None, source: Path, strength: float) -> Texture | None:
    """A metallic-roughness texture with ``source``'s occlusion in red (``strength`` as glTF applies it)."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        occ_image = Image.open(source)
        occ_image.load()
    except (OSError, UnidentifiedImageError):
        log.warning("%s: the occlusion map could not be read", source)
        return None
    if mr is not None and mr.hasRamImage():
        w, h = mr.getXSize(), mr.getYSize()
        rgb = np.frombuffer(bytes(mr.getRamImageAs("RGB")), np.uint8).reshape(h, w, 3).copy()
    else:
        w, h = occ_image.size
        rgb = np.full((h, w, 3), 255, np.uint8)
    occ = occ_image.convert("RGB").getchannel(0).resize((w, h), Image.BILINEAR)
    occ_rows = np.asarray(occ, np.float32)[::-1] / 255.0  # Panda keeps rows bottom-up
    rgb[..., 0] = np.clip((1.0 + strength * (occ_rows - 1.0)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    tex = Texture(f"{source.stem}-orm")
    tex.setup2dTexture(w, h, Texture.T_unsigned_byte, Texture.F_rgb8)
    tex.setRamImageAs(rgb.tobytes(), "RGB")
    if mr is not None:
        tex.setDefaultSampler(SamplerState(mr.getDefaultSampler()))
    else:
        tex.setMinfilter(SamplerState.FT_linear_mipmap_linear)
        tex.setMagfilter(SamplerState.FT_linear)
    return tex


def _gltf_json(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:4] == b"glTF":  # .glb: 12-byte header, then the JSON chunk
        length = int.from_bytes(data[12:16], "little")
        return data[20:20 + length]
    return data


def _image_source(doc: dict, index: Any, gltf_path: Path) -> Path | None:
    """The file of texture ``index``'s image (embedded images are left out: rare for occlusion)."""
    try:
        image = doc["images"][doc["textures"][index]["source"]]
    except (KeyError, IndexError, TypeError):
        return None
    uri = image.get("uri")
    if not uri or uri.startswith("data:"):
        return None
    from urllib.parse import unquote

    return gltf_path.parent / unquote(uri)

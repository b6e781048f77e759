"""A checked glTF model made ready for its exhibit: loaded once, materials prepared for batching, textures
within the hall's budget, fitted onto its plinth and turned to the viewer.

Only models that passed :mod:`vr_hall.models`' checks reach this module (the loader can segfault on a
broken file). Where the renderer has shaders, a model keeps its whole glTF PBR material and is drawn by
the PBR shader (:mod:`vr_hall.pbr`: normal, metallic-roughness, occlusion and emission maps). Where it
has none (p3tinydisplay, the software fallback) a PBR material is reduced to what fixed-function drawing
shows faithfully: the base colour (factor times texture, times vertex colours) lit by the room's lights,
and the emission map added on top; normal, metallic-roughness and occlusion maps would be multiplied in
as colours, so they are left out. Either way materials are shared by value, so ``flattenStrong()``
merges a model's parts into one Geom per material kind and texture (:func:`bake_materials`: one per
texture).

Textures are capped at :data:`TEXTURE_MAX` pixels on their longer side, like the panel pictures in the
room atlases (``BuildOptions.atlas_cell``): a model exported with 4096² maps cost 85 MB of video memory
each with mipmaps; at 1024² they cost 5 MB and look the same from the exhibit's viewpoint.
"""

from __future__ import annotations

from pathlib import Path

from panda3d.core import (
    AnimControlCollection,
    ColorAttrib,
    ColorScaleAttrib,
    InternalName,
    MaterialAttrib,
    NodePath,
    PandaNode,
    PNMImage,
    SamplerState,
    Texture,
    TextureAttrib,
    TextureStage,
)

from vr_hall.mesh import MeshBuilder, hex_colour
from vr_hall.model_check import TEXTURE_MAX
from vr_hall.pbr import pack_occlusion, prepare_materials
from vr_hall.scene import Exhibit

#: Plinth under a ``model`` exhibit when ``media.plinth`` is not given, and its colour.
PLINTH_M = 0.2
PLINTH = hex_colour("#3A3F47")
#: Height of a showcase's metal base (the model stands on it).
SHOWCASE_BASE_M = 0.12


def srgb(linear: float) -> float:
    """glTF colours are linear; the hall draws without an sRGB framebuffer."""
    if linear <= 0.0031308:
        return 12.92 * linear
    return 1.055 * linear ** (1 / 2.4) - 0.055


def fit_textures(model: NodePath, limit: int = TEXTURE_MAX) -> int:
    """Scale every texture of ``model`` whose longer side is over ``limit`` down to it (format, wrap
    modes and filters kept). Returns how many were scaled."""
    scaled = 0
    for tex in model.findAllTextures():
        w, h = tex.getXSize(), tex.getYSize()
        if max(w, h) <= limit or tex.getTextureType() != Texture.TT_2d_texture:
            continue
        image = PNMImage()
        if not tex.store(image):
            continue
        k = limit / max(w, h)
        small = PNMImage(max(1, round(w * k)), max(1, round(h * k)), image.getNumChannels(), image.getMaxval())
        small.gaussianFilterFrom(1.0, image)
        fmt, sampler = tex.getFormat(), SamplerState(tex.getDefaultSampler())  # a copy: load() resets it
        tex.load(small)
        tex.setFormat(fmt)
        tex.setDefaultSampler(sampler)
        scaled += 1
    return scaled


class ModelCache:
    """glTF models loaded once each; ``instance`` returns a copy ready to flatten (materials baked for
    fixed-function drawing, or prepared for the PBR shader with ``pbr``; no ModelRoot) or, for the naive
    build, the model as loaded."""

    def __init__(self) -> None:
        self._loaded: dict[tuple[Path, bool, bool], NodePath] = {}

    def animated(self, path: Path, pbr: bool = False) -> tuple[NodePath, AnimControlCollection]:
        """A fresh copy of an animated model, as loaded (baking and flattening would freeze its joints),
        with its first animation looping; its materials prepared for the PBR shader with ``pbr``."""
        import gltf
        from panda3d.core import PartGroup, autoBind

        model = NodePath(gltf.load_model(str(path)))
        fit_textures(model)
        if pbr:
            prepare_materials(model, pack_occlusion(model, path))
        controls = AnimControlCollection()
        autoBind(model.node(), controls, PartGroup.HMF_ok_part_extra | PartGroup.HMF_ok_anim_extra
                 | PartGroup.HMF_ok_wrong_root_name)
        if controls.getNumAnims():
            controls.loop(controls.getAnimName(0), True)
        return model, controls

    def instance(self, path: Path, bake: bool, pbr: bool = False) -> NodePath:
        key = (path, bake, pbr)
        if key not in self._loaded:
            import gltf  # panda3d-gltf: imported only when a model is built

            model = NodePath(gltf.load_model(str(path)))
            fit_textures(model)
            if pbr:
                prepare_materials(model, pack_occlusion(model, path))
                if bake:
                    model.clearModelNodes()
                    model.flattenStrong()
            elif bake:
                bake_materials(model)
                model.clearModelNodes()
                model.flattenStrong()
            self._loaded[key] = model
        copy = NodePath(PandaNode(path.stem))
        self._loaded[key].copyTo(copy)
        return copy


def plinth_height(e: Exhibit) -> float:
    """Where the model's lowest point goes: a showcase's base, else the exhibit's plinth."""
    if e.kind == "showcase":
        return SHOWCASE_BASE_M
    given = e.media.plinth if e.media is not None else None
    return PLINTH_M if given is None else given


def normalise_model(model: NodePath, e: Exhibit) -> NodePath:
    """Fit a loaded model into its exhibit, whatever units and origin it was authored with: scaled
    (uniformly) so its bounding box fits the declared ``size`` and depth (its footprint), centred on
    the exhibit's position, standing on its plinth, and turned so that its front (glTF's +Z, which the
    loader turns to -y) faces the way the exhibit faces, plus ``media.turn`` (and tipped by
    ``media.pitch`` first, for a model authored Z up). Returns the holder node
    (the model under it), not yet parented."""
    holder = NodePath(PandaNode(f"model-{e.id}"))
    model.reparentTo(holder)
    if e.media is not None and e.media.pitch:
        model.setP(e.media.pitch)  # stood up first: the fit below measures it as it will stand
    bounds = model.getTightBounds()
    if bounds is not None:
        lo, hi = bounds
        ext = hi - lo
        depth = e.depth if e.depth is not None else e.size[0] * 0.5  # as Exhibit.footprint
        limits = [(e.size[0], ext[0]), (e.size[1], ext[2]), (depth, ext[1])]
        scales = [want / have for want, have in limits if have > 1e-6]
        k = min(scales) if scales else 1.0
        model.setScale(k)
        model.setPos(-(lo[0] + hi[0]) / 2 * k, -(lo[1] + hi[1]) / 2 * k, -lo[2] * k)
    turn = e.media.turn if e.media is not None else 0.0
    holder.setPos(e.position[0], e.position[1], plinth_height(e))
    holder.setH(e.facing + 180.0 + turn)
    return holder


def add_plinth(e: Exhibit, lit: MeshBuilder) -> None:
    """A ``model`` exhibit's plinth: its footprint plus a 5 cm margin, ``plinth_height`` high."""
    h = plinth_height(e)
    if e.kind != "model" or h <= 0:
        return
    w, d = e.footprint
    lit.box((e.position[0], e.position[1], h / 2), (w + 0.1, d + 0.1, h), PLINTH, heading=e.facing)


_STAGES: dict[tuple[str, str], TextureStage] = {}


def _stage(kind: str, texcoord: InternalName) -> TextureStage:
    """One shared stage per kind and UV set, so baked parts of every model can share render states."""
    stage = _STAGES.get((kind, texcoord.getName()))
    if stage is None:
        stage = TextureStage(f"baked-{kind}")
        stage.setTexcoordName(texcoord)
        if kind == "emission":
            stage.setMode(TextureStage.M_add)
            stage.setSort(10)
        _STAGES[(kind, texcoord.getName())] = stage
    return stage


def bake_materials(model: NodePath) -> None:
    """Replace each part's material by its base colour as a flat colour (sRGB) so flatten can merge
    the parts: differently coloured materials are different render states, i.e. separate draws.
    The base-colour texture stays, and the emission map is added on top (fixed-function ``M_add``) where
    the material emits; both are read as plain RGB(A) like the base colour (no sRGB framebuffer). A part
    with vertex colours (glTF COLOR_0) keeps them, scaled by the base colour."""
    for path in model.findAllMatches("**/+GeomNode"):
        gn = path.node()
        for i in range(gn.getNumGeoms()):
            state = gn.getGeomState(i)
            colour = (0.8, 0.8, 0.8, 1.0)
            emits = False
            if state.hasAttrib(MaterialAttrib):
                mat = state.getAttrib(MaterialAttrib).getMaterial()
                c = mat.getBaseColor() if mat.hasBaseColor() else mat.getDiffuse()
                colour = (srgb(c[0]), srgb(c[1]), srgb(c[2]), c[3])
                glow = mat.getEmission()
                emits = mat.hasEmission() and max(glow[0], glow[1], glow[2]) > 0
            keep = None
            if state.hasAttrib(TextureAttrib):
                attrib = state.getAttrib(TextureAttrib)
                base = emission = None
                for k in range(attrib.getNumOnStages()):
                    stage = attrib.getOnStage(k)
                    if stage.getMode() == TextureStage.M_modulate and base is None:
                        base = (stage, attrib.getOnTexture(stage))
                    elif stage.getMode() == TextureStage.M_emission and emits:
                        emission = (stage, attrib.getOnTexture(stage))
                for kind, found in (("base", base), ("emission", emission)):
                    if found is not None:
                        stage = _stage(kind, found[0].getTexcoordName())
                        keep = (keep or TextureAttrib.make()).addOnStage(stage, _plain(found[1]))
            state = state.removeAttrib(MaterialAttrib).removeAttrib(TextureAttrib)
            if keep is not None:
                state = state.addAttrib(keep)
            if gn.getGeom(i).getVertexData().hasColumn("color"):
                state = state.addAttrib(ColorAttrib.makeVertex()).addAttrib(ColorScaleAttrib.make(colour))
            else:
                state = state.addAttrib(ColorAttrib.makeFlat(colour))
            gn.setGeomState(i, state)


def _plain(texture: Texture) -> Texture:
    """The texture with its sRGB format made plain (see :func:`bake_materials`)."""
    fmt = texture.getFormat()
    if fmt in (Texture.F_srgb, Texture.F_sluminance):
        texture.setFormat(Texture.F_rgb8)
    elif fmt in (Texture.F_srgb_alpha, Texture.F_sluminance_alpha):
        texture.setFormat(Texture.F_rgba8)
    return texture

"""Procedural geometry written straight into Panda3D vertex arrays from numpy.

The hall's walls, floors, frames and the robot guide are boxes, quads, cylinders and spheres with
vertex colours. Building them with GeomVertexWriter one value at a time costs milliseconds per
room; appending numpy rows and copying them into the vertex buffer once costs microseconds. Every
mesh uses the same float32 position/normal/colour/uv format, so flattenStrong() can merge all the
pieces that share a render state into one Geom.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    InternalName,
)

Vec3 = Sequence[float]
Colour = Sequence[float]

_FORMAT: GeomVertexFormat | None = None


def vertex_format() -> GeomVertexFormat:
    """float32 position, normal, RGBA colour and uv — one registered format for every hall mesh."""
    global _FORMAT
    if _FORMAT is None:
        array = GeomVertexArrayFormat()
        array.addColumn(InternalName.getVertex(), 3, Geom.NT_float32, Geom.C_point)
        array.addColumn(InternalName.getNormal(), 3, Geom.NT_float32, Geom.C_normal)
        array.addColumn(InternalName.getColor(), 4, Geom.NT_float32, Geom.C_color)
        array.addColumn(InternalName.getTexcoord(), 2, Geom.NT_float32, Geom.C_texcoord)
        _FORMAT = GeomVertexFormat.registerFormat(GeomVertexFormat(array))
    return _FORMAT


def hex_colour(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """'#C8161D' → (0.78, 0.09, 0.11, alpha)."""
    v = value.lstrip("#")
    return (int(v[0:2], 16) / 255, int(v[2:4], 16) / 255, int(v[4:6], 16) / 255, alpha)


def shade(colour: Colour, factor: float) -> tuple[float, float, float, float]:
    """Darker (factor < 1) or lighter (> 1, towards white) version of a colour."""
    r, g, b = colour[0], colour[1], colour[2]
    a = colour[3] if len(colour) > 3 else 1.0
    if factor <= 1:
        return (r * factor, g * factor, b * factor, a)
    t = min(1.0, factor - 1.0)
    return (r + (1 - r) * t, g + (1 - g) * t, b + (1 - b) * t, a)


class MeshBuilder:
    """Collects triangles; :meth:`node` turns them into one GeomNode (one Geom)."""

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []
        self._tris: list[np.ndarray] = []
        self._quad_rows: list[tuple[float, ...]] = []
        self._quad_tris: list[tuple[int, ...]] = []
        self._count = 0

    @property
    def empty(self) -> bool:
        return self._count == 0

    def add(self, positions: np.ndarray, normals: np.ndarray, colour: Colour, uvs: np.ndarray | None,
            triangles: np.ndarray) -> None:
        """Append raw vertices (n×3 positions/normals, n×2 uvs) and triangles (m×3 local indices)."""
        n = len(positions)
        rows = np.empty((n, 12), dtype=np.float32)
        rows[:, 0:3] = positions
        rows[:, 3:6] = normals
        c = np.asarray(colour, dtype=np.float32)
        rows[:, 6:10] = c if c.shape[-1] == 4 else np.append(c, 1.0)
        rows[:, 10:12] = 0.0 if uvs is None else uvs
        self._flush_quads()
        self._rows.append(rows)
        self._tris.append(np.asarray(triangles, dtype=np.uint32) + self._count)
        self._count += n

    def _flush_quads(self) -> None:
        """Move quads gathered as Python tuples into the numpy row lists (keeps vertex order)."""
        if self._quad_rows:
            self._rows.append(np.asarray(self._quad_rows, dtype=np.float32))
            self._tris.append(np.asarray(self._quad_tris, dtype=np.uint32).reshape(-1, 3))
            self._quad_rows = []
            self._quad_tris = []

    def quad(self, p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, colour: Colour, normal: Vec3 | None = None,
             uv: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> None:
        """A quad p0 (bottom-left) → p1 (bottom-right) → p2 (top-right) → p3 (top-left) as seen from its
        front; when ``normal`` is given the winding is fixed to face it. ``uv`` = (u0, v0, u1, v1).
        Plain floats, no numpy: a hall has tens of thousands of small quads."""
        ax, ay, az = p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2]
        bx, by, bz = p3[0] - p0[0], p3[1] - p0[1], p3[2] - p0[2]
        nx, ny, nz = ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx
        u0, v0, u1, v1 = uv
        corners = [(p0, u0, v0), (p1, u1, v0), (p2, u1, v1), (p3, u0, v1)]
        if normal is not None:
            if nx * normal[0] + ny * normal[1] + nz * normal[2] < 0:
                corners = [(p1, u0, v0), (p0, u1, v0), (p3, u1, v1), (p2, u0, v1)]
            nx, ny, nz = normal[0], normal[1], normal[2]
        length = math.sqrt(nx * nx + ny * ny + nz * nz) or 1.0
        nx, ny, nz = nx / length, ny / length, nz / length
        r, g, b = colour[0], colour[1], colour[2]
        a = colour[3] if len(colour) > 3 else 1.0
        base = self._count
        for p, u, v in corners:
            self._quad_rows.append((p[0], p[1], p[2], nx, ny, nz, r, g, b, a, u, v))
        self._quad_tris.append((base, base + 1, base + 2, base, base + 2, base + 3))
        self._count += 4

    def grid(self, origin: Vec3, u: Vec3, v: Vec3, nu: int, nv: int, colour: Colour, normal: Vec3) -> None:
        """A rectangle origin + a·u + b·v (a, b in 0..1) split into nu × nv quads facing ``normal``:
        vertex lighting needs vertices spread over a big floor to show a point light's falloff."""
        o, uu, vv = (np.asarray(x, dtype=np.float64) for x in (origin, u, v))
        a = np.linspace(0.0, 1.0, nu + 1)
        b = np.linspace(0.0, 1.0, nv + 1)
        aa, bb = np.meshgrid(a, b, indexing="ij")
        pos = o + aa.reshape(-1, 1) * uu + bb.reshape(-1, 1) * vv
        idx = np.arange((nu + 1) * (nv + 1)).reshape(nu + 1, nv + 1)
        q0, q1, q2, q3 = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
        tris = np.concatenate([np.stack([q0, q1, q2], 1), np.stack([q0, q2, q3], 1)])
        want = np.asarray(normal, dtype=np.float64)
        if np.dot(np.cross(uu, vv), want) < 0:
            tris = tris[:, [0, 2, 1]]
        uvs = np.stack([aa.ravel(), bb.ravel()], 1)
        self.add(pos, np.tile(want / np.linalg.norm(want), (len(pos), 1)), colour, uvs, tris)

    def box(self, centre: Vec3, size: Vec3, colour: Colour, heading: float = 0.0, top: bool = True,
            bottom: bool = False) -> None:
        """An axis-aligned box (``size`` = full extents x, y, z) turned by ``heading`` about its centre."""
        h = math.radians(heading)
        c, s = math.cos(h), math.sin(h)
        rx, ry, rz = (c, s, 0.0), (-s, c, 0.0), (0.0, 0.0, 1.0)
        hx, hy, hz = size[0] / 2, size[1] / 2, size[2] / 2

        def neg(v: tuple) -> tuple:
            return (-v[0], -v[1], -v[2])

        faces = [(rx, ry, rz, hx, hy, hz), (neg(rx), neg(ry), rz, hx, hy, hz), (ry, neg(rx), rz, hy, hx, hz),
                 (neg(ry), rx, rz, hy, hx, hz)]
        if top:
            faces.append((rz, rx, ry, hz, hx, hy))
        if bottom:
            faces.append((neg(rz), rx, neg(ry), hz, hx, hy))
        ox, oy, oz = centre[0], centre[1], centre[2]
        for n, a, b, dn, da, db in faces:
            fx, fy, fz = ox + n[0] * dn, oy + n[1] * dn, oz + n[2] * dn

            def corner(sa: float, sb: float, fx: float = fx, fy: float = fy, fz: float = fz, a: tuple = a,
                       b: tuple = b, da: float = da, db: float = db) -> tuple[float, float, float]:
                return (fx + a[0] * da * sa + b[0] * db * sb, fy + a[1] * da * sa + b[1] * db * sb,
                        fz + a[2] * da * sa + b[2] * db * sb)

            self.quad(corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1), colour, normal=n)

    def cylinder(self, base: Vec3, radius: float, height: float, colour: Colour, segments: int = 16,
                 top: bool = True, radius_top: float | None = None) -> None:
        """An upright cylinder (or cone frustum with ``radius_top``) standing on ``base``."""
        rt = radius if radius_top is None else radius_top
        ang = np.linspace(0.0, 2 * math.pi, segments + 1)
        cx, cy = np.cos(ang), np.sin(ang)
        b = np.asarray(base, dtype=np.float64)
        bottom = np.stack([b[0] + radius * cx, b[1] + radius * cy, np.full_like(cx, b[2])], 1)
        upper = np.stack([b[0] + rt * cx, b[1] + rt * cy, np.full_like(cx, b[2] + height)], 1)
        slope = (radius - rt) / height if height else 0.0
        normals = np.stack([cx, cy, np.full_like(cx, slope)], 1)
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        pos = np.concatenate([bottom, upper])
        k = np.arange(segments)
        tris = np.concatenate([np.stack([k, k + 1, k + 1 + segments + 1], 1),
                               np.stack([k, k + 1 + segments + 1, k + segments + 1], 1)])
        self.add(pos, np.concatenate([normals, normals]), colour, None, tris)
        if top and rt > 0:
            centre = np.array([[b[0], b[1], b[2] + height]])
            ring = upper[:-1]
            pos = np.concatenate([centre, ring])
            tris = np.stack([np.zeros(segments, int), 1 + k, 1 + (k + 1) % segments], 1)
            self.add(pos, np.tile([0.0, 0.0, 1.0], (len(pos), 1)), colour, None, tris)

    def sphere(self, centre: Vec3, radius: float | Vec3, colour: Colour, rings: int = 10,
               segments: int = 16) -> None:
        """A UV sphere; a 3-vector ``radius`` makes an ellipsoid."""
        r = np.broadcast_to(np.asarray(radius, dtype=np.float64), (3,))
        th = np.linspace(0.0, math.pi, rings + 1)
        ph = np.linspace(0.0, 2 * math.pi, segments + 1)
        tt, pp = np.meshgrid(th, ph, indexing="ij")
        unit = np.stack([np.sin(tt) * np.cos(pp), np.sin(tt) * np.sin(pp), np.cos(tt)], -1).reshape(-1, 3)
        pos = np.asarray(centre, dtype=np.float64) + unit * r
        normals = unit / r
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
        idx = np.arange((rings + 1) * (segments + 1)).reshape(rings + 1, segments + 1)
        a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
        c, d = idx[1:, 1:].ravel(), idx[1:, :-1].ravel()
        tris = np.concatenate([np.stack([a, d, c], 1), np.stack([a, c, b], 1)])
        self.add(pos, normals, colour, None, tris)

    def node(self, name: str) -> GeomNode:
        """One GeomNode holding everything added so far (an empty GeomNode when nothing was)."""
        gn = GeomNode(name)
        self._flush_quads()
        if self.empty:
            return gn
        rows = np.concatenate(self._rows)
        tris = np.concatenate(self._tris).ravel()
        vdata = GeomVertexData(name, vertex_format(), Geom.UH_static)
        vdata.uncleanSetNumRows(len(rows))
        memoryview(vdata.modifyArray(0)).cast("B")[:] = rows.tobytes()
        prim = GeomTriangles(Geom.UH_static)
        if len(rows) < 65535:
            prim.setIndexType(Geom.NT_uint16)
            data = tris.astype(np.uint16)
        else:
            prim.setIndexType(Geom.NT_uint32)
            data = tris.astype(np.uint32)
        handle = prim.modifyVertices()
        handle.uncleanSetNumRows(len(data))
        memoryview(handle).cast("B")[:] = data.tobytes()
        geom = Geom(vdata)
        geom.addPrimitive(prim)
        gn.addGeom(geom)
        return gn

"""Encrypted storage of face templates, and the in-memory matrix searched 1:N.

Why AES-GCM with the member id as associated data, and where the key lives: see ``core/facecrypt.py``,
which holds the codec (no numpy, so core's roster down-sync uses the same one); this module re-exports
it and adds the numpy encodings.

Why the model travels with the index: encodings of different engines (or model files) are not
comparable, so ``TemplateStore`` reads only the rows whose ``model`` its ``TemplateModel`` accepts, and
the index knows its metric: ``euclidean`` (dlib) or ``cosine`` (SFace; rows and probes are normalised
and the distance is ``1 - cos``, so a member's centroid is the mean direction of their photos).

Why float32 and a precomputed norm: 1:N search is one matrix-vector product,
``|m - q|² = |m|² - 2 m·q + |q|²``, over a float32 matrix: half the memory traffic of float64, and no
``M - q`` temporary of the matrix's size per probe (what ``face_recognition.face_distance`` allocates).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from core.audit import audit
from core.facecrypt import KEY_ENV, FaceCipher, FaceKeyError, create_key_file, load_key
from core.models import Consent, FacePhoto, FaceTemplate, Member, utcnow
from robot_assistant.face.engine import TemplateModel

__all__ = ["DIM", "KEY_ENV", "EraseReport", "FaceKeyError", "Hit", "SearchResult", "TemplateCipher",
           "TemplateIndex", "TemplateStore", "create_key_file", "load_key"]

DIM = 128
"""The dimension of both shipped engines (dlib and SFace); the index takes any."""
DLIB_LEGACY = TemplateModel("dlib", "legacy", 128)


class TemplateCipher(FaceCipher):
    """The codec of ``core.facecrypt`` plus float32 encodings as numpy arrays."""

    def encrypt_encoding(self, encoding: np.ndarray, member_id: int) -> bytes:
        return self.encrypt(np.asarray(encoding, dtype="<f4").reshape(-1).tobytes(), "template", member_id)

    def decrypt_encoding(self, blob: bytes, member_id: int) -> np.ndarray:
        return np.frombuffer(self.decrypt(blob, "template", member_id), dtype="<f4").astype(np.float32)


# ------------------------------------------------------------------------------------------ search


@dataclass(frozen=True)
class Hit:
    member_id: int
    number: str
    name: str
    distance: float


@dataclass(frozen=True)
class SearchResult:
    best: Hit | None
    second: Hit | None
    """The nearest row belonging to a *different* member (None with fewer than two members)."""

    @property
    def margin(self) -> float:
        if self.best is None:
            return 0.0
        return float("inf") if self.second is None else self.second.distance - self.best.distance


class TemplateIndex:
    """Rows of float32 encodings with the member each belongs to; ``search`` is vectorised 1:N."""

    def __init__(self, matrix: np.ndarray, member_ids: np.ndarray, members: Mapping[int, tuple[str, str]],
                 metric: str = "euclidean", model: TemplateModel | None = None):
        if metric not in ("euclidean", "cosine"):
            raise ValueError(f"unknown metric {metric!r}: euclidean or cosine")
        matrix = np.asarray(matrix, dtype=np.float32)
        self.dim = matrix.shape[1] if matrix.ndim == 2 and matrix.shape[1] else (model.dim if model else DIM)
        self.matrix = np.ascontiguousarray(matrix.reshape(-1, self.dim))
        if metric == "cosine" and len(self.matrix):
            self.matrix /= np.maximum(np.linalg.norm(self.matrix, axis=1, keepdims=True), 1e-12)
        self.member_ids = np.asarray(member_ids, dtype=np.int64)
        self.members = dict(members)
        self.metric = metric
        self.model = model
        self._sq = np.einsum("ij,ij->i", self.matrix, self.matrix)

    def __len__(self) -> int:
        return len(self.member_ids)

    def distances(self, probe: np.ndarray) -> np.ndarray:
        q = np.asarray(probe, dtype=np.float32).reshape(self.dim)
        if self.metric == "cosine":
            q = q / max(float(np.linalg.norm(q)), 1e-12)
            return 1.0 - np.einsum("ij,j->i", self.matrix, q)
        # einsum, not ``matrix @ q``: a matrix-vector product is memory-bound, and OpenBLAS threads it;
        # measured on 2 busy cores, the threaded product took 8-12 ms at 10k-100k rows (thread hand-off)
        # against 0.24 ms / 4 ms for this single-threaded loop.
        d2 = self._sq - 2.0 * np.einsum("ij,j->i", self.matrix, q) + float(q @ q)
        return np.sqrt(np.maximum(d2, 0.0))

    def _hit(self, row: int, d: np.ndarray) -> Hit:
        mid = int(self.member_ids[row])
        number, name = self.members.get(mid, (str(mid), ""))
        return Hit(mid, number, name, float(d[row]))

    def search(self, probe: np.ndarray) -> SearchResult:
        if len(self) == 0:
            return SearchResult(None, None)
        d = self.distances(probe)
        i = int(np.argmin(d))
        others = self.member_ids != self.member_ids[i]
        if not others.any():
            return SearchResult(self._hit(i, d), None)
        j = int(np.argmin(np.where(others, d, np.inf)))
        return SearchResult(self._hit(i, d), self._hit(j, d))

    @classmethod
    def from_templates(cls, rows: list[tuple[int, np.ndarray]], members: Mapping[int, tuple[str, str]],
                       aggregate: str = "centroid", metric: str = "euclidean",
                       model: TemplateModel | None = None) -> TemplateIndex:
        """``centroid``: one row per member, the mean of their templates (measured on the East Asian
        test faces: strangers' nearest distance rose and genuine distances fell against nearest-photo
        matching); ``none`` / ``nearest``: one row per template (nearest photo wins). With ``cosine``
        each template is normalised before averaging."""
        dim = model.dim if model else DIM
        if not rows:
            return cls(np.zeros((0, dim), np.float32), np.zeros(0, np.int64), members, metric, model)
        encs = [np.asarray(r[1], np.float32) for r in rows]
        if metric == "cosine":
            encs = [e / max(float(np.linalg.norm(e)), 1e-12) for e in encs]
        if aggregate in ("none", "nearest"):
            return cls(np.stack(encs), np.array([r[0] for r in rows]), members, metric, model)
        if aggregate != "centroid":
            raise ValueError(f"unknown aggregate {aggregate!r}: centroid or nearest")
        by_member: dict[int, list[np.ndarray]] = {}
        for (mid, _), enc in zip(rows, encs, strict=True):
            by_member.setdefault(mid, []).append(enc)
        ids = sorted(by_member)
        return cls(np.stack([np.mean(by_member[m], axis=0) for m in ids]), np.array(ids), members, metric, model)


# ------------------------------------------------------------------------------------------ storage


@dataclass(frozen=True)
class EraseReport:
    member_number: str
    templates: int
    photos: int
    consents_withdrawn: int


class TemplateStore:
    """Reads and writes encrypted templates, kept photos and consents in the caller's session.

    ``model`` is the running engine's ``TemplateModel`` (``engine.template_model``): new templates are
    stored under its key, and only templates it accepts are read. The default, dlib's model as stored
    before engines were recorded, keeps old callers and old databases working."""

    def __init__(self, cipher: TemplateCipher, model: TemplateModel | str | None = None):
        self.cipher = cipher
        if isinstance(model, str):
            model = TemplateModel.parse(model)
        self.model = model or DLIB_LEGACY

    def add_template(self, session: Session, member: Member, encoding: np.ndarray, *, source: str = "",
                     quality: dict | None = None, jitters: int = 1) -> FaceTemplate:
        encoding = np.asarray(encoding, np.float32).reshape(-1)
        if encoding.size != self.model.dim:
            raise ValueError(f"a {encoding.size}-d encoding cannot be stored as {self.model.key}")
        stored = "dlib_face_recognition_resnet_model_v1" if self.model == DLIB_LEGACY else self.model.key
        row = FaceTemplate(member_id=member.id, blob=self.cipher.encrypt_encoding(encoding, member.id),
                           model=stored, jitters=jitters, source=source[:200], quality=quality or {})
        session.add(row)
        return row

    def add_photo(self, session: Session, member: Member, jpeg: bytes, source: str = "") -> FacePhoto:
        row = FacePhoto(member_id=member.id, blob=self.cipher.encrypt(jpeg, "photo", member.id), source=source[:200])
        session.add(row)
        return row

    def photo(self, row: FacePhoto) -> bytes:
        return self.cipher.decrypt(row.blob, "photo", row.member_id)

    def encodings(self, session: Session, member_id: int | None = None) -> list[tuple[int, np.ndarray]]:
        query = select(FaceTemplate).where(FaceTemplate.model.in_(self.model.stored_keys())).order_by(FaceTemplate.id)
        if member_id is not None:
            query = query.where(FaceTemplate.member_id == member_id)
        return [(t.member_id, self.cipher.decrypt_encoding(t.blob, t.member_id)) for t in session.scalars(query)]

    def load_index(self, session: Session, aggregate: str = "centroid") -> TemplateIndex:
        """Templates of active members who have a consent that is not withdrawn."""
        consented = select(Consent.member_id).where(Consent.withdrawn_at.is_(None))
        members = {m.id: (m.number, m.name) for m in session.scalars(
            select(Member).where(Member.active, Member.id.in_(consented)))}
        rows = [r for r in self.encodings(session) if r[0] in members]
        return TemplateIndex.from_templates(rows, members, aggregate, self.model.metric, self.model)

    def template_models(self, session: Session) -> dict[int, set[str]]:
        """member id -> the model keys of their stored templates (any engine)."""
        out: dict[int, set[str]] = {}
        for mid, key in session.execute(select(FaceTemplate.member_id, FaceTemplate.model)):
            out.setdefault(mid, set()).add(key)
        return out

    def delete_templates(self, session: Session, member_id: int) -> tuple[int, int]:
        _secure_delete(session)
        t = session.execute(delete(FaceTemplate).where(FaceTemplate.member_id == member_id)).rowcount
        p = session.execute(delete(FacePhoto).where(FacePhoto.member_id == member_id)).rowcount
        return t or 0, p or 0

    def erase_member(self, session: Session, member: Member, *, actor: str, terminal_id: str = "") -> EraseReport:
        """Delete every template and kept photo of ``member``, mark their consent withdrawn, audit, commit.

        On SQLite, ``secure_delete`` zeroes the freed pages and a WAL checkpoint moves them out of the
        log, so the erased (already encrypted) bytes do not linger in the file either."""
        templates, photos = self.delete_templates(session, member.id)
        now = utcnow()
        withdrawn = 0
        for consent in session.scalars(select(Consent).where(Consent.member_id == member.id,
                                                             Consent.withdrawn_at.is_(None))):
            consent.withdrawn_at, consent.withdrawn_by = now, actor
            withdrawn += 1
        audit(session, actor, "face.erase", f"member:{member.number}", terminal_id,
              templates=templates, photos=photos, consents_withdrawn=withdrawn)
        session.commit()
        _checkpoint(session)
        return EraseReport(member.number, templates, photos, withdrawn)


def _secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def _checkpoint(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()

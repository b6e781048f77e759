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


def _refused(code: str, token: str, **kw) -> QrRefused:
    with pytest.raises(QrRefused) as info:
        verify(token, **{"key": KEY, "now": T0, **kw})
    assert info.value.code == code, (info.value.code, code)
    assert info.value.zh and info.value.en and info.value.zh in str(info.value)
    return info.value


def test_round_trip_and_size():
    token = issue(42, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=7))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=9)) == QrClaim(42, "kiosk-01", T0)
    assert len(token) <= 50 and all(c.isalnum() or c in "-_" for c in token)
    url = url_for("https://dj.example.org/m/", token)
    assert url == f"https://dj.example.org/m/qr/{token}"


def test_current_and_previous_window_accepted_older_refused():
    token = issue(7, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=29))  # late in window W
    # the next window (W+1) and its end: still good
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=59)).meeting_id == 7
    # W+2, past the clock-skew slack: expired
    _refused("expired", token, now=T0 + timedelta(seconds=60) + qrsign.CLOCK_SKEW + timedelta(seconds=1))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=62)).meeting_id == 7  # within the 5 s slack
    _refused("expired", token, now=T0 + timedelta(hours=1))


def test_not_yet_valid_beyond_clock_skew():
    token = issue(7, "kiosk-01", key=KEY, now=T0 + timedelta(seconds=30))
    assert verify(token, key=KEY, now=T0 + timedelta(seconds=27)).meeting_id == 7  # 3 s early: clock skew
    _refused("not_yet_valid", token, now=T0 + timedelta(seconds=20))


def test_forged_wrong_key():
    token = issue(7, "kiosk-01", key=OTHER, now=T0)
    _refused("forged", token)


def test_tampered_meeting_id_and_terminal_refused():
    raw = bytearray(base64.urlsafe_b64decode(issue(7, "kiosk-01", key=KEY, now=T0) + "=="))
    changed = bytearray(raw)
    changed[8] ^= 0x01  # the low byte of the meeting id: 7 -> 6
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())
    changed = bytearray(raw)
    changed[10] = ord("K")  # terminal id's first letter
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())
    changed = bytearray(raw)
    changed[-1] ^= 0x80  # the tag
    _refused("forged", base64.urlsafe_b64encode(bytes(changed)).rstrip(b"=").decode())


def test_later_window_cannot_be_made_without_key():
    raw = bytearray(base64.urlsafe_b64decode(issue(7, "kiosk-01", key=KEY, now=T0) + "=="))
    raw[4] += 1  # the window's low byte: pretend it is fresher
    _refused("forged", base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode(),
             now=T0 + timedelta(minutes=5))


@pytest.mark.parametrize("token", ["", "abc", "!!!!", "a" * 201, "我的码", "AAAA" * 12,
                                   "http://x/qr/123", None, 42])
def test_malformed(token):
    _refused("malformed", token)


def test_non_canonical_spelling_is_malformed():
    token = issue(7, "kiosk-01", key=KEY, now=T0)
    assert verify(token, key=KEY, now=T0)
    _refused("malformed", token + "=")
    # the same bytes with non-zero padding bits: another spelling of one code, refused
    last = token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = token[:-1] + alphabet[alphabet.index(last) ^ 1]
    if base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(token + "=="):
        _refused("malformed", twin)


def test_unknown_meeting():
    token = issue(9, "kiosk-01", key=KEY, now=T0)
    _refused("unknown_meeting", token, meeting_exists=lambda mid: mid == 8)
    assert verify(token, key=KEY, now=T0, meeting_exists=lambda mid: mid == 9).meeting_id == 9


def test_issue_refuses_bad_input():
    for meeting, terminal in [(0, "k"), (2**32, "k"), (1, ""), (1, "机器"), (1, "a" * 65), (1, "a/b")]:
        with pytest.raises(ValueError):
            issue(meeting, terminal, key=KEY, now=T0)
    with pytest.raises(ValueError):
        issue(1, "k", key=KEY, now=datetime(2026, 1, 1))  # naive


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


def _seed(database):
    from sqlalchemy import select

    from core.meetings import create_meeting
    from core.models import Branch, Member

    with database.session() as s:
        b1, b2 = Branch(code="B01", name_zh="第一党支部"), Branch(code="B02", name_zh="第二党支部")
        s.add_all([b1, b2, Member(number="M0101", name="张三", branch=b1), Member(number="M0102", name="李四", branch=b1),
                   Member(number="M0201", name="外支部", branch=b2)])
        s.flush()
        committee = create_meeting(s, type="支委会", title_zh="十一月支委会", branch_code="B01", starts_at=M_T0,
                                   ends_at=M_T0 + timedelta(minutes=90), roster=["M0101", "M0102"])
        s.commit()
        return committee.id, {m.number: m.id for m in s.scalars(select(Member))}


def _member(s, number):
    from sqlalchemy import select

    from core.models import Member

    return s.scalars(select(Member).where(Member.number == number)).one()


def test_sign_in_with_token_replay_and_audit(database):
    from sqlalchemy import select

    from core.attendance import SignInError
    from core.audit import recent
    from core.models import Attendance, Setting

    meeting_id, _ = _seed(database)
    now = M_T0 + timedelta(minutes=10)
    token = issue(meeting_id, "kiosk-07", key=KEY, now=now - timedelta(seconds=20))
    with database.session() as s:
        done = qrsign.sign_in_with_token(s, token, _member(s, "M0101"), key=KEY, now=now)
        assert done.created and done.late and done.record.method == "qr" and done.record.terminal_id == "kiosk-07"
    with database.session() as s:  # committed: a fresh session sees the record and the use
        rows = list(s.scalars(select(Attendance)))
        assert [(a.meeting_id, a.method) for a in rows] == [(meeting_id, "qr")]
        assert s.scalars(select(Setting).where(Setting.key.like("qruse:%"))).all()
        # the same member scanning the same code again: replayed, audited, nothing more written
        with pytest.raises(QrRefused) as info:
            qrsign.sign_in_with_token(s, token, _member(s, "M0101"), key=KEY, now=now + timedelta(seconds=5))
        assert info.value.code == "replayed"
        # a colleague standing beside them scans the same code: fine
        other = qrsign.sign_in_with_token(s, token, _member(s, "M0102"), key=KEY, now=now + timedelta(seconds=6))
        assert other.created
        # a new code for someone already signed in: idempotent, the first record
        fresh = issue(meeting_id, "kiosk-07", key=KEY, now=now + timedelta(seconds=40))
        again = qrsign.sign_in_with_token(s, fresh, _member(s, "M0101"), key=KEY, now=now + timedelta(seconds=45))
        assert not again.created and again.record.id == done.record.id
        # forged, expired and unknown-meeting codes: refused and audited
        for bad, code in [(issue(meeting_id, "kiosk-07", key=OTHER, now=now), "forged"),
                          (issue(meeting_id, "kiosk-07", key=KEY, now=now - timedelta(minutes=3)), "expired"),
                          (issue(meeting_id + 99, "kiosk-07", key=KEY, now=now), "unknown_meeting"),
                          ("not-a-code", "malformed")]:
            with pytest.raises(QrRefused) as info:
                qrsign.sign_in_with_token(s, bad, _member(s, "M0201"), key=KEY, now=now)
            assert info.value.code == code
        # off the roster of a 支委会: the meeting's rule refuses, nothing is written (no use row either)
        uses = len(s.scalars(select(Setting).where(Setting.key.like("qruse:%"))).all())
        with pytest.raises(SignInError):
            qrsign.sign_in_with_token(s, token, _member(s, "M0201"), key=KEY, now=now + timedelta(seconds=7))
        assert len(s.scalars(select(Setting).where(Setting.key.like("qruse:%"))).all()) == uses
    with database.session() as s:
        refused = [(e.actor, e.detail["code"]) for e in recent(s, "qr.refused")]
        assert sorted(refused) == sorted([("member:M0101", "replayed"), ("member:M0201", "forged"),
                                          ("member:M0201", "expired"), ("member:M0201", "unknown_meeting"),
                                          ("member:M0201", "malformed")])
        assert len(s.scalars(select(Attendance)).all()) == 2


def test_old_use_rows_are_pruned(database):
    from sqlalchemy import select

    from core.models import Setting

    meeting_id, _ = _seed(database)
    now = M_T0 + timedelta(minutes=10)
    with database.session() as s:
        qrsign.sign_in_with_token(s, issue(meeting_id, "k1", key=KEY, now=now), _member(s, "M0101"), key=KEY, now=now)
        s.add(Setting(key="pin:unrelated", value={}))  # another kind of row, never touched
        s.commit()
        later = now + qrsign.KEEP_USES + timedelta(minutes=1)
        qrsign.sign_in_with_token(s, issue(meeting_id, "k1", key=KEY, now=later), _member(s, "M0102"), key=KEY,
                                  now=later)
        keys = s.scalars(select(Setting.key)).all()
        assert len([k for k in keys if k.startswith("qruse:")]) == 1 and "pin:unrelated" in keys

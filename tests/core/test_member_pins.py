"""core.member_pins on a real database (SQLite and PostgreSQL): the kiosk's 设置党员 PIN panel asks core to
check a new PIN and to set it — hashed, the number's lockout lifted, audited — and `members reset-pin` asks
core to remove it the same way, instead of writing SQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.audit import recent
from core.member_pins import PIN_RESET, PIN_SET, check_new_pin, reset_member_pin, set_member_pin
from core.members import by_number
from core.models import Branch, Member
from core.secrets import MEMBER_PIN, Lockout, PinError, verify_pin

NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("digits", ["111111", "123456", "987654", "0123456789", "12345", "1234567890123", "12a456"])
def test_a_short_easy_or_odd_pin_is_refused_in_both_languages(digits):
    with pytest.raises(PinError) as refused:
        check_new_pin(digits)
    zh, sep, en = str(refused.value).partition(" / ")
    assert sep and zh and en


def test_full_width_digits_are_kept_as_ascii():
    assert check_new_pin("２４６８１３") == "246813"
    assert check_new_pin("  680135 ") == "680135"


def _add_member(s) -> None:
    """Member M0101 of branch B01, without a PIN."""
    branch = Branch(code="B01", name_zh="第一党支部")
    s.add(branch)
    s.flush()
    s.add(Member(number="M0101", name="李强", branch_id=branch.id, pin_hash=None))


def test_set_member_pin_hashes_clears_the_lockout_and_audits(database):
    with database.session() as s:
        _add_member(s)
        lock = Lockout("pin:M0101", MEMBER_PIN)
        for _ in range(MEMBER_PIN.free_tries + 1):
            lock.fail(s, NOW)
        assert lock.state(s, NOW).locked(NOW)
    with database.session() as s:
        member = set_member_pin(s, "M0101", "680135", actor="admin:kiosk", terminal_id="T1")
        assert member is not None and member.number == "M0101"
    with database.session() as s:
        member = by_number(s, "M0101")
        assert member.pin_hash and "680135" not in member.pin_hash and member.pin_hash.startswith("scrypt$")
        assert verify_pin("680135", member.pin_hash) and not verify_pin("680136", member.pin_hash)
        assert not Lockout("pin:M0101", MEMBER_PIN).state(s, NOW).locked(NOW)
        (entry,) = recent(s, PIN_SET)
        assert (entry.actor, entry.target, entry.terminal_id) == ("admin:kiosk", "member:M0101", "T1")


def test_nothing_changes_for_an_unknown_number_or_an_easy_pin(database):
    with database.session() as s:
        _add_member(s)
    with database.session() as s:
        assert set_member_pin(s, "M0999", "680135", actor="admin:kiosk", terminal_id="T1") is None
        with pytest.raises(PinError):
            set_member_pin(s, "M0101", "111111", actor="admin:kiosk", terminal_id="T1")
    with database.session() as s:
        assert by_number(s, "M0101").pin_hash is None
        assert recent(s, PIN_SET) == []


def test_reset_member_pin_removes_it_clears_the_lockout_and_audits(database):
    with database.session() as s:
        _add_member(s)
        s.flush()
        set_member_pin(s, "M0101", "680135", actor="admin:kiosk", terminal_id="T1")
        lock = Lockout("pin:M0101", MEMBER_PIN)
        for _ in range(MEMBER_PIN.free_tries + 1):
            lock.fail(s, NOW)
        assert lock.state(s, NOW).locked(NOW)
    with database.session() as s:
        assert reset_member_pin(s, "M0999", actor="admin:li", terminal_id="T2") is None  # unknown: nothing
        assert recent(s, PIN_RESET) == []
        member = reset_member_pin(s, " M0101 ", actor="admin:li", terminal_id="T2")
        assert member is not None and member.number == "M0101"
    with database.session() as s:
        assert by_number(s, "M0101").pin_hash is None
        assert Lockout("pin:M0101", MEMBER_PIN).state(s, NOW).failures == 0
        (entry,) = recent(s, PIN_RESET)
        assert (entry.actor, entry.target, entry.terminal_id) == ("admin:li", "member:M0101", "T2")

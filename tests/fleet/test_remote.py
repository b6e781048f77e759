"""Remote administration's checks (fleet.remote): only signed, fresh, addressed, first-time commands run;
every refusal and every accepted command is audited; an urgent notice lands like a pushed one."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import content
from core.events import EventBus, UrgentNotice
from core.models import AuditEntry
from fleet.remote import RemoteAdmin, RemoteError, build_command, command_topic, reply_topic
from fleet.signing import Verifier, generate_private_key, sign
from tests.fleet.conftest import T0

ORG, TID = "xinghe", "T-0001"


@pytest.fixture
def admin_key():
    return generate_private_key()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def sent() -> list[tuple[str, dict]]:
    return []


@pytest.fixture
def remote(local_db, bus, admin_key, sent):
    calls: list[dict] = []

    def health(args):
        calls.append(args)
        return {"ok": True, "args": args}

    def broken(args):
        raise RuntimeError("camera on fire")

    def refuse(args):
        raise RemoteError("not now")

    r = RemoteAdmin(org=ORG, terminal_id=TID, db=local_db, bus=bus, verifier=Verifier([admin_key.public_key()]),
                    handlers={"health": health, "screenshot": broken, "sync": refuse},
                    publish=lambda topic, data: sent.append((topic, json.loads(data))) or True,
                    max_age_s=300, now=lambda: T0)
    r.calls = calls
    return r


def cmd(key, name="health", terminal=TID, **kw):
    return build_command(name, org=kw.pop("org", ORG), terminal=terminal, private_key=key,
                         now=kw.pop("now", T0), issued_by="王管理", **kw)


def raw(command: dict) -> bytes:
    return json.dumps(command, ensure_ascii=False).encode()


def audits(db, action: str) -> list[AuditEntry]:
    with db.session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))
        s.expunge_all()
    return rows


def test_a_signed_command_runs_once_is_audited_and_answered(remote, local_db, admin_key, sent):
    c = cmd(admin_key, args={"detail": 1})
    out = remote.handle(command_topic(ORG, TID), raw(c))
    assert out.accepted and remote.calls == [{"detail": 1}]
    assert sent == [(reply_topic(ORG, TID), out.reply)]
    assert out.reply["ok"] and out.reply["id"] == c["id"] and out.reply["result"] == {"ok": True, "args": {"detail": 1}}
    (row,) = audits(local_db, "remote.command")
    assert (row.target, row.actor, row.terminal_id) == (c["id"], "remote:王管理", TID)
    assert row.detail["command"] == "health" and row.detail["kid"]

    # The broker redelivers it (or someone replays it), also after a restart (a new RemoteAdmin).
    again = RemoteAdmin(org=ORG, terminal_id=TID, db=local_db, bus=EventBus(), verifier=remote.verifier,
                        handlers={"health": remote.handlers["health"]}, now=lambda: T0 + timedelta(seconds=30))
    out2 = again.handle(command_topic(ORG, TID), raw(c))
    assert not out2.accepted and out2.reason == "replay" and not out2.reply["ok"]
    assert remote.calls == [{"detail": 1}]
    assert len(audits(local_db, "remote.command")) == 1
    assert audits(local_db, "remote.refused")[-1].detail["reason"] == "replay"


def test_broadcast_reaches_every_terminal_on_its_topic(remote, admin_key):
    c = cmd(admin_key, terminal="*")
    assert not remote.handle(command_topic(ORG, TID), raw(c)).accepted  # '*' on a terminal's own topic
    assert remote.handle(command_topic(ORG, "*"), raw(cmd(admin_key, terminal="*"))).accepted


@pytest.mark.parametrize("case, reason", [
    ("unsigned", "unsigned"),
    ("other_key", "unknown_key"),
    ("tampered", "bad_signature"),
    ("other_terminal", "wrong_target"),
    ("other_org", "wrong_target"),
    ("expired", "expired"),
    ("future", "expired"),
    ("not_json", "invalid"),
    ("huge", "invalid"),
    ("bad_id", "invalid"),
])
def test_refused_commands_do_nothing_get_no_reply_and_are_audited(remote, local_db, admin_key, sent, case, reason):
    topic = command_topic(ORG, TID)
    if case == "unsigned":
        payload = raw(cmd(None))
    elif case == "other_key":
        payload = raw(cmd(generate_private_key()))
    elif case == "tampered":
        c = cmd(admin_key)
        c["command"] = "restart"
        payload = raw(c)
    elif case == "other_terminal":
        payload = raw(cmd(admin_key, terminal="T-0002"))
    elif case == "other_org":
        payload = raw(cmd(admin_key, org="other"))
    elif case == "expired":
        payload = raw(cmd(admin_key, now=T0 - timedelta(seconds=301)))
    elif case == "future":
        payload = raw(cmd(admin_key, now=T0 + timedelta(minutes=5)))
    elif case == "not_json":
        payload = b"\xff{not json"
    elif case == "huge":
        payload = raw(cmd(admin_key, args={"x": "y" * 70_000}))
    else:
        c = cmd(None)
        c["id"] = "1; DROP TABLE"
        payload = raw(sign(c, admin_key))
    out = remote.handle(topic, payload)
    assert not out.accepted and out.reason == reason and out.reply is None
    assert remote.calls == [] and sent == [] and audits(local_db, "remote.command") == []
    (row,) = audits(local_db, "remote.refused")
    assert row.detail["reason"] == reason and row.detail["topic"] == topic


def test_without_admin_keys_remote_administration_is_off(local_db, admin_key):
    r = RemoteAdmin(org=ORG, terminal_id=TID, db=local_db, bus=EventBus(), verifier=Verifier(),
                    handlers={"health": lambda a: {}}, now=lambda: T0)
    assert not r.enabled
    out = r.handle(command_topic(ORG, TID), raw(cmd(admin_key)))
    assert not out.accepted and out.reason == "disabled"


def test_failing_handlers_answer_with_the_error(remote, admin_key, sent):
    out = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "screenshot")))
    assert out.accepted and not out.reply["ok"] and "camera on fire" in out.reply["error"]
    out = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "sync")))
    assert out.reply["error"] == "not now"
    out = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "restart")))
    assert "not available" in out.reply["error"]
    assert remote.counts == {"accepted": 3, "refused": 0, "failed": 2}


def test_urgent_notice_is_stored_and_takes_over(remote, local_db, bus, admin_key):
    urgent = bus.subscribe(UrgentNotice)
    args = {"title_zh": "<b>今晚</b>停电检修", "body": "<script>x()</script>请提前保存工作。", "expires_minutes": 90}
    out = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "notice", args=args)))
    assert out.reply["ok"] and out.reply["result"]["urgent"] and out.reply["result"]["stored"]
    (event,) = urgent.drain()
    assert event.title == "今晚停电检修"
    with local_db.session() as s:
        item = content.active_urgent(s, T0)
        assert item.id == event.item_id and item.body == "请提前保存工作。" and item.source == f"remote:{ORG}"
        assert item.expires_at == T0 + timedelta(minutes=90)
    bad = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "notice", args={"title_zh": ""})))
    assert not bad.reply["ok"] and "title" in bad.reply["error"]
    bad = remote.handle(command_topic(ORG, TID), raw(cmd(admin_key, "notice", args={"title_zh": "x",
                                                                                   "expires_minutes": "soon"})))
    assert "expires_minutes" in bad.reply["error"]


def test_refusal_audits_are_rate_limited(local_db, admin_key):
    r = RemoteAdmin(org=ORG, terminal_id=TID, db=local_db, bus=EventBus(), verifier=Verifier([admin_key.public_key()]),
                    handlers={}, now=lambda: T0, audits_per_minute=5)
    for _ in range(50):
        r.handle(command_topic(ORG, TID), b"garbage")
    assert len(audits(local_db, "remote.refused")) == 5 and r.counts["refused"] == 50


def test_build_command_validates():
    with pytest.raises(ValueError):
        build_command("format-disk", org=ORG, terminal=TID)
    with pytest.raises(ValueError):
        build_command("health", org=ORG, terminal="a/b")
    assert command_topic(ORG, "*") == "dangjian/xinghe/terminals/cmd"


def test_audit_budget_counts_what_it_drops_and_refills_each_minute():
    from core.audit import AuditBudget

    now = [0.0]
    budget = AuditBudget(2, clock=lambda: now[0])
    assert [budget.take() for _ in range(5)] == [0, 0, None, None, None]
    now[0] = 61.0
    assert [budget.take(), budget.take(), budget.take()] == [3, 0, None]

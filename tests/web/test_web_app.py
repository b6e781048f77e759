"""The members' web app through Starlette's TestClient on a real database with the demo site (#20)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.web.conftest import PIN, csrf_of, login, make_site, now_utc


def audit_rows(site, action):
    from core.models import AuditEntry

    with site.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_root_is_the_chinese_login_page_with_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "党员登录" in r.text and "党员编号" in r.text and 'name="csrf"' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in r.text and " style=" not in r.text  # nothing the CSP would block
    assert "Member log-in" in client.get("/lang/en?next=/", follow_redirects=True).text


def test_wrong_pin_is_generic_audited_and_locks_persistently(site, client):
    from starlette.testclient import TestClient

    from web.app import create_app

    unknown = login(client, "M9999", "111111")
    wrong = login(client, site.number, "111111")
    assert unknown.status_code == wrong.status_code == 401
    assert "党员编号或 PIN 不正确" in unknown.text and "党员编号或 PIN 不正确" in wrong.text
    rows = audit_rows(site, "web.login")
    assert [(r.actor, r.detail["ok"]) for r in rows] == [("member:M9999", False), ("member:M0101", False)]
    for _ in range(3):
        login(client, site.number, "111111")
    locked = login(client, site.number, "111111")
    assert locked.status_code == 429 and "分钟后再试" in locked.text
    # the lock is in the database: a new server process refuses the right PIN too
    with TestClient(create_app(site.config, database=site.db)) as fresh:
        again = login(fresh, site.number, PIN)
        assert again.status_code == 429 and "dj_session" not in again.headers.get("set-cookie", "") or \
            "sid" not in again.headers.get("set-cookie", "")
        assert fresh.get("/me", follow_redirects=False).status_code == 303


def test_login_session_cookie_csrf_and_logout(site, client):
    r = login(client, site.number)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert audit_rows(site, "web.login")[-1].detail["ok"] is True
    home = client.get("/")
    assert "我的积分" in home.text and "扫码签到测试会" in home.text
    assert client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    stolen = dict(client.cookies)
    assert client.post("/logout", data={"csrf": csrf_of(client.get("/me").text)}, follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.update(stolen)  # the old cookie no longer opens anything: the session ended server-side
    assert client.get("/me", follow_redirects=False).status_code == 303


def test_secure_cookie_flag_and_login_needs_csrf(tmp_path):
    from starlette.testclient import TestClient

    from web.app import create_app

    site = make_site(tmp_path, secure_cookies="true")
    with TestClient(create_app(site.config, database=site.db), base_url="https://testserver") as c:
        assert c.post("/login", data={"number": "M0101", "pin": PIN}).status_code == 403
        r = login(c, "M0101")
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()
        assert "strict-transport-security" in r.headers
    site.db.dispose()


def test_only_published_notices_and_read_state(site, client):
    from core.models import ContentItem

    with site.db.session() as s:
        draft = ContentItem(kind="notice", source="test", guid="draft-1", title_zh="草稿通知不可见", review_state="draft",
                            published_at=now_utc() - timedelta(days=1))
        s.add(draft)
        s.flush()
        draft_id = draft.id
    login(client, site.number)
    listing = client.get("/notices")
    assert "草稿通知不可见" not in listing.text
    assert client.get(f"/notices/{draft_id}").status_code == 404
    first = int(listing.text.split('href="/notices/')[1].split('"')[0])
    before = client.get("/").text.count('href="/notices/')
    page = client.get(f"/notices/{first}")
    assert page.status_code == 200
    assert client.get("/").text.count('href="/notices/') == before - 1


def test_quiz_points_reach_the_kiosk_leaderboard_once(site, client):
    from core.learning import questions_by_code
    from core.quiz import leaderboard

    login(client, site.number)
    page = client.get("/learn/quiz/practice")
    codes = sorted(set(part.split('"')[0] for part in page.text.split('name="q_')[1:]))
    with site.db.session() as s:
        questions = questions_by_code(s, codes)
    data = {"csrf": csrf_of(page.text), "nonce": page.text.split('name="nonce" value="')[1].split('"')[0]}
    pairs: dict = dict(data)
    for q in questions:
        pairs[f"q_{q.code}"] = ("true" if q.answer[0] else "false") if q.kind == "truefalse" else [str(i) for i in q.answer]
    result = client.post("/learn/quiz", data=pairs)
    assert result.status_code == 200 and f"{len(questions)} / {len(questions)}" in result.text
    with site.db.session() as s:
        board = {r.number: r.points for r in leaderboard(s, limit=100)}
    assert board[site.number] == len(questions)
    client.post("/learn/quiz", data=pairs)  # the same form again: spent, nothing saved
    with site.db.session() as s:
        assert {r.number: r.points for r in leaderboard(s, limit=100)}[site.number] == len(questions)


def test_dues_for_my_category(client, site):
    login(client, site.number)
    page = client.get("/me/dues")
    r = client.post("/me/dues", data={"csrf": csrf_of(page.text), "pay": "8500"})
    assert r.status_code == 200 and "127.50" in r.text and "1.5%" in r.text
    bad = client.post("/me/dues", data={"csrf": csrf_of(page.text), "pay": "abc"})
    assert bad.status_code == 400 and "请输入金额" in bad.text


def test_attendance_history_and_branch_status(client, site):
    login(client, site.number)
    r = client.get("/me/attendance")
    assert r.status_code == 200 and "三会一课" in r.text and "扫码签到测试会" in r.text


def test_face_withdraw_erases_and_audits(site, client):
    from core.models import Consent, FaceTemplate, Member

    with site.db.session() as s:
        m = s.scalars(select(Member).where(Member.number == site.number)).one()
        s.add(FaceTemplate(member_id=m.id, blob=b"\x00" * 64, model="sface"))
        s.add(Consent(member_id=m.id, text_version="v1", given_at=now_utc(), recorded_by="test"))
    login(client, site.number)
    page = client.get("/me/face")
    assert "已录入" in page.text
    assert client.post("/me/face/withdraw", data={"csrf": csrf_of(page.text)}).status_code == 400
    done = client.post("/me/face/withdraw", data={"csrf": csrf_of(page.text), "confirm": "yes"}, follow_redirects=True)
    assert "已全部删除" in done.text and "未录入" in done.text
    with site.db.session() as s:
        assert s.scalar(select(func.count()).select_from(FaceTemplate)) == 0
        assert s.scalars(select(Consent)).one().withdrawn_at is not None
    assert audit_rows(site, "face.erase")[-1].actor == "member:M0101"


def test_qr_sign_in_round_trip_and_refusals(site, client):
    from core import qrsign
    from core.models import Attendance

    key = qrsign.load_key(site.config)
    token = qrsign.issue(site.meeting_uuid, "kiosk-01", key=key, now=now_utc())
    r = client.get(f"/qr/{token}", follow_redirects=False)  # not logged in: log in, then come back
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Fqr%2F")
    page = client.get(r.headers["location"])
    back = client.post("/login", data={"csrf": csrf_of(page.text), "number": site.number, "pin": PIN,
                                       "next": f"/qr/{token}"}, follow_redirects=True)
    assert "确认签到" in back.text and "扫码签到测试会" in back.text
    done = client.post(f"/qr/{token}", data={"csrf": csrf_of(back.text)})
    assert done.status_code == 200 and "签到成功" in done.text
    with site.db.session() as s:
        row = s.scalars(select(Attendance).where(Attendance.meeting_id == site.meeting_id)).one()
        assert (row.method, row.terminal_id, row.late) == ("qr", "kiosk-01", False)
    # the same member scans the same code again: already signed in (200), nothing written, not refused
    again = client.post(f"/qr/{token}", data={"csrf": csrf_of(back.text)})
    assert again.status_code == 200 and "您已签到" in again.text and "签到成功" not in again.text
    opened = client.get(f"/qr/{token}")  # opening it again: no confirm button, the same answer
    assert opened.status_code == 200 and "您已签到" in opened.text and "确认签到" not in opened.text
    old = qrsign.issue(site.meeting_uuid, "kiosk-01", key=key, now=now_utc() - timedelta(minutes=5))
    expired = client.get(f"/qr/{old}")
    assert expired.status_code == 410 and "已过期" in expired.text
    forged = qrsign.issue(site.meeting_uuid, "kiosk-01", key=b"x" * 32, now=now_utc())
    assert client.get(f"/qr/{forged}").status_code == 403
    assert client.post(f"/qr/{forged}", data={"csrf": csrf_of(back.text)}).status_code == 403
    assert client.get("/qr/anything").status_code == 400
    unknown = qrsign.issue("00000000-0000-4000-8000-000000000000", "kiosk-01", key=key, now=now_utc())
    assert client.get(f"/qr/{unknown}").status_code == 404
    codes = [r.detail["code"] for r in audit_rows(site, "qr.refused")]
    assert {"expired", "forged", "malformed", "unknown_meeting"} <= set(codes) and "replayed" not in codes
    with site.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)
                        .where(Attendance.meeting_id == site.meeting_id)) == 1


def test_qr_code_of_a_closed_meeting_is_refused_and_audited(site, client):
    from core import qrsign
    from core.models import Attendance, Meeting

    with site.db.session() as s:
        s.get(Meeting, site.meeting_id).closed = True
    token = qrsign.issue(site.meeting_uuid, "kiosk-01", key=qrsign.load_key(site.config), now=now_utc())
    login(client, site.number)
    page = client.get(f"/qr/{token}")
    r = client.post(f"/qr/{token}", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 403 and "不在会议签到时间内" in r.text
    assert [row.detail["code"] for row in audit_rows(site, "qr.refused")] == ["sign_in"]
    with site.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance).where(Attendance.meeting_id == site.meeting_id)) == 0


def test_floods_are_rate_limited(site, client):
    codes = [login(client, "M0102", "000000").status_code for _ in range(14)]
    assert codes[:4] == [401] * 4 and codes[4] == 429  # the 5th wrong PIN locks (core.secrets.MEMBER_PIN)
    r = login(client, "M0102", "000000")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    qr = [client.get("/qr/made-up-code").status_code for _ in range(40)]
    assert qr[:30] == [400] * 30 and qr[30:] == [429] * 10
    assert audit_rows(site, "web.rate_limited")


def test_one_address_is_rate_limited_not_locked(site, client):
    """A whole company behind one NAT address: wrong PINs from it are limited per minute, but it is never
    locked out (only a member number is), and members who log in or scan right are not counted."""
    from sqlalchemy import select

    from core import qrsign
    from core.models import Member, Setting
    from core.secrets import MEMBER_PIN_MIN, hash_pin
    from web.ratelimit import Limits

    now = [0.0]
    client.app.state.web.limits = Limits(site.config.web, clock=lambda: now[0])
    with site.db.session() as s:  # twelve colleagues with PINs (one hash: setup time)
        pin_hash = hash_pin(PIN, MEMBER_PIN_MIN)
        colleagues = [m.number for m in s.scalars(select(Member).where(Member.active).order_by(Member.number))
                      if m.number not in (site.number, site.other)][:12]
        for m in s.scalars(select(Member).where(Member.number.in_(colleagues))):
            m.pin_hash = pin_hash
    limit = site.config.web.login_per_ip_per_minute
    assert len(colleagues) > limit
    # more members than the per-address limit log in right from the one address, within the minute
    for number in colleagues:
        client.cookies.clear()
        assert login(client, number).status_code == 303, number
    # the same address guessing: one wrong PIN for each of many numbers, then 429 until the minute ends
    client.cookies.clear()
    codes = [login(client, f"M{9000 + i}", "000000").status_code for i in range(limit + 3)]
    assert codes == [401] * limit + [429] * 3
    wrong = login(client, site.number, "000000")
    assert wrong.status_code == 429 and "分钟" not in wrong.text  # rate-limited: no PIN was checked
    now[0] += 61
    assert login(client, site.number).status_code == 303  # the address was never locked
    with site.db.session() as s:
        assert not s.scalars(select(Setting).where(Setting.key.like("lockout:pin-terminal:web:%"))).all()
    # scanning the meeting's code right, many times from one address, is never limited either
    token = qrsign.issue(site.meeting_uuid, "kiosk-01", key=qrsign.load_key(site.config), now=now_utc())
    assert all(client.get(f"/qr/{token}").status_code == 200 for _ in range(site.config.web.qr_per_ip_per_minute + 5))


def test_locked_number_gets_the_web_wording(site, client):
    from web.ratelimit import Limits

    now = [0.0]
    client.app.state.web.limits = Limits(site.config.web, clock=lambda: now[0])
    for _ in range(4):
        login(client, site.other, "000000")
    locked = login(client, site.other, "000000")
    assert locked.status_code == 429
    assert "该党员编号已暂时锁定" in locked.text and "联系支部管理员" in locked.text
    assert "确认签到" not in locked.text  # the kiosk's "ask an administrator to confirm your sign-in"
    english = client.get("/lang/en?next=/login", follow_redirects=True)
    assert english.status_code == 200
    now[0] += 61  # past the per-number rate limit: the persisted lockout answers
    again = login(client, site.other, "000000")
    assert "this member number is locked" in again.text and "confirm" not in again.text

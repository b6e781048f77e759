"""The members' web app in a real browser (#20): Playwright drives Debian's chromium at a 360×740 phone
viewport against a real uvicorn on loopback, on the same database as a kiosk.

Screenshots of every page go to ``$DANGJIAN_WEB_SHOTS`` (default: the test's temporary folder), to be
looked at. Skips (fails in CI) when chromium is not installed: ``bash setup.sh`` installs it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import need
from tests.web.conftest import PIN, make_site, now_utc

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path):
    """A real uvicorn serving the app on a loopback port, in a thread."""
    need(Path(CHROMIUM).exists() or bool(shutil.which("chromium")),
         "Debian's chromium is not installed (bash setup.sh installs it)")
    import uvicorn

    from web.app import create_app

    site = make_site(tmp_path)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(site.config, database=site.db), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield site, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    site.db.dispose()


def test_phone_browser_login_notice_quiz_and_qr(served, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    from core import qrsign
    from core.learning import questions_by_code
    from core.models import Attendance
    from core.quiz import leaderboard

    site, base = served
    shots = Path(os.environ.get("DANGJIAN_WEB_SHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="zh-CN")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        def shot(name: str) -> None:
            # the whole page in a viewport as tall as it, so the tab bar (fixed to the phone's bottom edge)
            # lies after the content, where a scrolled phone shows it, not across the middle of a long page
            size = page.viewport_size
            height = page.evaluate("document.documentElement.scrollHeight")
            page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
            page.screenshot(path=str(shots / f"web-{name}.png"))
            page.set_viewport_size(size)

        # the Chinese login page; a wrong PIN, then the lockout (M0102)
        assert page.goto(base + "/").status == 200
        assert page.locator("h1").inner_text() == "党员登录"
        shot("login")
        for _ in range(5):
            page.fill("#number", site.other)
            page.fill("#pin", "000000")
            page.click("button[type=submit]")
        assert "分钟后再试" in page.locator(".alert").inner_text()
        shot("login-locked")

        # log in (M0101), home
        page.fill("#number", site.number)
        page.fill("#pin", PIN)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        assert "我的积分" in page.inner_text("body")
        shot("home")

        # read a notice
        page.click("nav.tabs >> text=资讯")
        shot("notices")
        title = page.locator("a.row.link").first.inner_text()
        page.locator("a.row.link").first.click()
        assert page.locator("article h1").inner_text().strip() in title
        shot("notice")

        # take a quiz, answering every question right
        page.goto(base + "/learn")
        shot("learn")
        page.click("text=练习 5 题")
        codes = sorted({n.removeprefix("q_") for n in page.eval_on_selector_all(
            "input[name^=q_]", "els => els.map(e => e.name)")})
        with site.db.session() as s:
            questions = questions_by_code(s, codes)
        shot("quiz")
        for q in questions:
            values = (["true" if q.answer[0] else "false"] if q.kind == "truefalse" else [str(i) for i in q.answer])
            for v in values:
                page.check(f"input[name=q_{q.code}][value='{v}']")
        page.click("text=交卷")
        assert f"{len(questions)} / {len(questions)}" in page.inner_text("h1")
        shot("quiz-result")
        page.click("a.tile >> text=积分榜")
        assert page.locator("li.me b").inner_text() == str(len(questions))
        shot("board")

        # the kiosk's leaderboard, on the same database
        with site.db.session() as s:
            board = {r.number: r.points for r in leaderboard(s, limit=30)}
        assert board[site.number] == len(questions)
        from kiosk.app import screenshot

        screenshot(site.config, ["leaderboard"], (1280, 720), shots / "kiosk-leaderboard.png")

        # my pages
        for path, name in [("/me", "me"), ("/me/attendance", "attendance"), ("/me/face", "face")]:
            assert page.goto(base + path).status == 200
            shot(name)
        # the meeting running now is not an absence before the member has signed in
        page.goto(base + "/me/attendance")
        running = page.locator("li.row", has_text="扫码签到测试会")
        assert "进行中" in running.inner_text() and "缺席" not in running.inner_text()
        page.goto(base + "/me/dues")
        page.fill("#pay", "8500")
        page.click("button[type=submit]")
        assert "127.50" in page.inner_text("body")
        shot("dues")

        # QR sign-in: the URL the kiosk's code holds
        key = qrsign.load_key(site.config)
        url = qrsign.url_for(base, qrsign.issue(site.meeting_uuid, "kiosk-01", key=key, now=now_utc()))
        page.goto(url)
        assert "确认签到" in page.inner_text("body")
        shot("qr-confirm")
        page.click("text=确认签到")
        assert "签到成功" in page.inner_text("body")
        shot("qr-done")
        assert page.goto(url).status == 200 and "您已签到" in page.inner_text("body")  # scanned again
        assert page.locator("text=确认签到").count() == 0
        shot("qr-again")
        with site.db.session() as s:
            row = s.scalars(select(Attendance).where(Attendance.meeting_id == site.meeting_id)).one()
            assert (row.method, row.terminal_id) == ("qr", "kiosk-01")

        # expired and forged codes are refused with a clear page
        old = qrsign.url_for(base, qrsign.issue(site.meeting_uuid, "kiosk-01", key=key,
                                                now=now_utc() - timedelta(minutes=3)))
        response = page.goto(old)
        assert response.status == 410 and "二维码已过期" in page.inner_text("body")
        shot("qr-expired")
        forged = qrsign.url_for(base, qrsign.issue(site.meeting_uuid, "kiosk-01", key=b"k" * 32, now=now_utc()))
        response = page.goto(forged)
        assert response.status == 403 and "不是本系统签发的" in page.inner_text("body")
        assert page.goto(base + "/qr/anything").status == 400

        # English, and a desktop width
        page.goto(base + "/lang/en?next=/")
        assert "My points" in page.inner_text("body")
        shot("home-en")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(base + "/")
        shot("home-desktop")
        # nothing on any page overflows the phone's width
        page.set_viewport_size({"width": 360, "height": 740})
        for path in ["/", "/notices", "/learn", "/me/attendance", "/learn/board"]:
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert not [e for e in errors if "Content Security Policy" in e], errors
        browser.close()

"""A sign-in made while another screen is on top is greeted on screen, not only aloud (#17 Build 6): the real
kiosk app on 党建资讯, a QR sign-in committed by another connection (the members' web app) and published by
the kiosk's watcher only after that commit; the banner names the member, and a tap on it opens 会议签到."""

from __future__ import annotations

import time
from datetime import timedelta

import pygame
from sqlalchemy import func, select

from core import qrsign
from core.db import Database
from core.events import Speak
from core.meetings import create_meeting
from core.models import Attendance, Member, utcnow
from kiosk.qr_watch import QrWatcher
from tests.kiosk.test_kiosk_app import Finger
from tests.kiosk.test_qr_watch import KEY, _started


def test_a_sign_in_while_reading_the_news_shows_a_banner_that_opens_sign_in(make_app):
    now = utcnow().replace(microsecond=0) + timedelta(days=400)  # clear of the demo's own meetings
    app = make_app((1280, 720), now=now)
    with app.terminal.db.session() as s:
        meeting = create_meeting(s, type="支部党员大会", title_zh="支部党员大会", branch_code="B01",
                                 starts_at=now - timedelta(minutes=3), ends_at=now + timedelta(hours=2))
        s.commit()
        meeting_uuid = meeting.uuid
    app.open_screen("news")
    assert app.nav.top.name == "news" and not app.nav.banner.visible
    spoken = app.terminal.bus.subscribe(Speak)
    watcher = QrWatcher(app.terminal.db, app.terminal.bus, app.terminal.terminal_id, now=app.ctx.now)
    _started(watcher)
    web_db = Database(app.config.database_url)
    try:
        token = qrsign.issue(meeting_uuid, app.terminal.terminal_id, key=KEY, now=now)
        with web_db.session() as s:
            member = s.scalars(select(Member).where(Member.number == "M0101")).one()
            name = member.name
            qrsign.sign_in_with_token(s, token, member, key=KEY, now=now + timedelta(seconds=3))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0 and not app.nav.banner.visible:
            app.on_frame(0.05)
            time.sleep(0.05)
        assert app.nav.banner.visible and app.nav.banner.text == f"{name} 同志签到成功", app.nav.banner.text
        assert app.nav.top.name == "news"  # the reader is not taken away
        assert any(name in e.text for e in spoken.drain())
        with app.terminal.db.session() as s:  # what the banner says is saved
            assert s.scalar(select(func.count()).select_from(Attendance).where(Attendance.method == "qr")) == 1
        surface = pygame.Surface(app.theme.size)
        app.render(surface)
        Finger(app).tap(app.nav.banner.rect.center)
        assert app.nav.top.name == "signin"
    finally:
        watcher.stop()
        web_db.dispose()

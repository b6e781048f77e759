"""kiosk.qr_watch: a QR sign-in committed by another process (the web app, here a second engine on the
same database) reaches the kiosk's bus as SignedIn within 2 s — on SQLite, and on PostgreSQL when
DANGJIAN_TEST_PG_URL is set."""

from __future__ import annotations

import os
import queue
import time
from datetime import timedelta

import pygame.freetype  # tests/kiosk/conftest.py's display fixture uses it
import pytest
from sqlalchemy import select

from core import qrsign
from core.attendance import sign_in
from core.db import Database
from core.events import EventBus, SignedIn
from core.meetings import create_meeting
from core.models import Branch, Meeting, Member, utcnow
from kiosk.qr_watch import QrWatcher

KEY = bytes(range(32))
TERMINAL = "kiosk-07"


def _seed(db: Database) -> int:
    now = utcnow()
    with db.session() as s:
        b = Branch(code="B01", name_zh="第一党支部")
        s.add_all([b] + [Member(number=f"M01{i:02d}", name=f"党员{i}", branch=b) for i in range(1, 7)])
        s.flush()
        m = create_meeting(s, type="支部党员大会", title_zh="十二月党员大会", branch_code="B01",
                           starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=80))
        s.commit()
        return m.id


def _sign(db: Database, meeting_id: int, number: str, method: str = "qr", terminal: str = TERMINAL):
    """What the web app does, through its own engine (another process in production)."""
    with db.session() as s:
        member = s.scalars(select(Member).where(Member.number == number)).one()
        return sign_in(s, s.get(Meeting, meeting_id), member, method=method, terminal_id=terminal, now=utcnow())


def _next(sub, timeout: float) -> SignedIn | None:
    try:
        return sub.queue.get(timeout=timeout)
    except queue.Empty:
        return None


@pytest.fixture
def watched(db_url):
    kiosk_db, web_db = Database(db_url), Database(db_url)
    meeting_id = _seed(kiosk_db)
    bus = EventBus()
    sub = bus.subscribe(SignedIn)
    watcher = QrWatcher(kiosk_db, bus, TERMINAL)
    yield watcher, sub, web_db, meeting_id
    watcher.stop()
    web_db.dispose()
    kiosk_db.dispose()


def _started(watcher: QrWatcher) -> None:
    watcher.start()
    deadline = time.monotonic() + 5
    while watcher._seen is None and time.monotonic() < deadline:  # the first read: the baseline
        time.sleep(0.02)
    assert watcher._seen is not None


def test_a_qr_sign_in_reaches_the_bus_within_2_s(watched):
    watcher, sub, web_db, meeting_id = watched
    before = _sign(web_db, meeting_id, "M0101")  # signed in before the kiosk started: not greeted again
    _started(watcher)
    assert _next(sub, 0.8) is None
    done = _sign(web_db, meeting_id, "M0102")
    t0 = time.monotonic()
    event = _next(sub, 2.0)
    assert event is not None, "no SignedIn within 2 s"
    assert time.monotonic() - t0 < 2.0
    assert (event.meeting_id, event.member_number, event.member_name, event.method, event.record_id) == \
        (meeting_id, "M0102", "党员2", "qr", done.record.id)
    assert event.late == done.record.late and not event.already and before.record.id != event.record_id
    # another terminal's code, a PIN sign-in here, the same member again: nothing
    _sign(web_db, meeting_id, "M0103", terminal="kiosk-99")
    _sign(web_db, meeting_id, "M0104", method="pin")
    assert not _sign(web_db, meeting_id, "M0102").created
    assert _next(sub, 1.2) is None
    assert watcher.failures == 0


def test_the_whole_path_from_a_scanned_code(watched):
    watcher, sub, web_db, meeting_id = watched
    _started(watcher)
    with web_db.session() as s:
        token = qrsign.issue(s.get(Meeting, meeting_id).uuid, TERMINAL, key=KEY, now=utcnow())
        member = s.scalars(select(Member).where(Member.number == "M0105")).one()
        assert qrsign.sign_in_with_token(s, token, member, key=KEY, now=utcnow()).created
    t0 = time.monotonic()
    event = _next(sub, 2.0)
    assert event is not None and event.member_number == "M0105" and time.monotonic() - t0 < 2.0
    # the same code again by the same member: already signed in, nothing written, nothing announced
    with web_db.session() as s:
        again = qrsign.sign_in_with_token(s, token, s.scalars(select(Member).where(Member.number == "M0105")).one(),
                                          key=KEY, now=utcnow())
        assert not again.created and again.record.id == event.record_id
    assert _next(sub, 1.0) is None


def test_a_database_error_backs_off_and_recovers(watched):
    watcher, sub, web_db, meeting_id = watched
    real = watcher.db
    calls = []

    class Broken:
        def session(self):
            calls.append(1)
            raise OSError("database unreachable")

    watcher.db = Broken()
    watcher.backoff_base_seconds = 0.1
    watcher.start()
    deadline = time.monotonic() + 3
    while watcher.failures < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watcher.failures >= 2 and watcher.running
    watcher.db = real
    deadline = time.monotonic() + 3
    while (watcher.failures or watcher._seen is None) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watcher.failures == 0
    _sign(web_db, meeting_id, "M0106")
    assert _next(sub, 2.0) is not None


def test_off_without_the_panel(tmp_path):
    from core.config import load_config
    from core.terminal import Terminal

    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}
    db = Database(f"sqlite:///{tmp_path / 'k.db'}")
    try:
        assert QrWatcher.for_terminal(Terminal(load_config(environ=env), db)) is None
        on = load_config(environ={**env, "DANGJIAN__WEB__BASE_URL": "https://dj.example.org"})
        watcher = QrWatcher.for_terminal(Terminal(on, db))
        assert watcher is not None and watcher.terminal_id == on.site.terminal_id
        off = load_config(environ={**env, "DANGJIAN__WEB__BASE_URL": "https://dj.example.org",
                                   "DANGJIAN__WEB__KIOSK_QR": "false"})
        assert QrWatcher.for_terminal(Terminal(off, db)) is None
    finally:
        db.dispose()


def test_the_kiosk_greets_a_qr_sign_in_on_its_sign_in_screen(make_app):
    """The real app: the watcher's SignedIn is drained by the app's frame, greeted aloud (Speak) and shown
    as the sign-in screen's result card, within 2 s of the web app's commit."""
    from core.events import Speak
    from kiosk.screens.signin import RESULT, SignInScreen

    now = utcnow().replace(microsecond=0) + timedelta(days=400)  # clear of the demo's own meetings
    app = make_app((1280, 720), now=now)
    with app.terminal.db.session() as s:
        meeting = create_meeting(s, type="支部党员大会", title_zh="支部党员大会", branch_code="B01",
                                 starts_at=now - timedelta(minutes=3), ends_at=now + timedelta(hours=2))
        s.commit()
        meeting_uuid = meeting.uuid
    screen = SignInScreen(app.ctx)
    app.nav.push(screen)
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
        while time.monotonic() - t0 < 2.0 and not (screen.mode == RESULT and screen.result is not None):
            app.on_frame(0.05)
            time.sleep(0.05)
        assert screen.mode == RESULT and screen.result.number == "M0101", "no result card within 2 s"
        assert any(name in e.text for e in spoken.drain())
        surface = pygame.Surface(app.theme.size)
        app.render(surface)
        if os.environ.get("QR_TEST_PNG"):  # to look at the card: QR_TEST_PNG=/tmp/card.png
            pygame.image.save(surface, os.environ["QR_TEST_PNG"])
    finally:
        watcher.stop()
        web_db.dispose()


def test_in_a_fleet_the_watcher_reads_central_and_names_the_local_meeting(db_url, tmp_path):
    """The web app signs in on the central database, where the meeting has another id: the kiosk greets the
    member for its own meeting (found by uuid), and a meeting it does not have is not announced."""
    central, local = Database(db_url), Database(f"sqlite:///{tmp_path / 'terminal.db'}")
    try:
        central_id = _seed(central)
        with central.session() as s:
            meeting = s.get(Meeting, central_id)
            twin_uuid, starts, ends = meeting.uuid, meeting.starts_at, meeting.ends_at
            other = create_meeting(s, type="党小组会", title_zh="只在中心的会", branch_code="B01",
                                   starts_at=starts, ends_at=ends)
            s.commit()
            other_id = other.id
        with local.session() as s:  # the terminal's copy: a filler meeting first, so the ids differ
            b = Branch(code="B01", name_zh="第一党支部")
            s.add(b)
            s.flush()
            create_meeting(s, type="支委会", title_zh="本机的另一个会", branch_code="B01", starts_at=starts,
                           ends_at=ends)
            twin = create_meeting(s, type="支部党员大会", title_zh="十二月党员大会", branch_code="B01",
                                  starts_at=starts, ends_at=ends)
            twin.uuid = twin_uuid
            s.commit()
            local_id = twin.id
        assert local_id != central_id
        bus = EventBus()
        sub = bus.subscribe(SignedIn)
        watcher = QrWatcher(central, bus, TERMINAL, local_db=local)
        try:
            _started(watcher)
            _sign(central, central_id, "M0103")
            _sign(central, other_id, "M0104")
            got = _next(sub, 2.0)
            assert got is not None and (got.meeting_id, got.member_number, got.method) == (local_id, "M0103", "qr")
            assert _next(sub, 1.0) is None, "a meeting this terminal does not have is not announced"
        finally:
            watcher.stop()
    finally:
        central.dispose()
        local.dispose()

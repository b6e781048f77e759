"""Scripted sessions on the real kiosk: real pygame events through the gesture recogniser into the app."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pygame
import pytest
from sqlalchemy import select

from core.events import NewsArrived, SyncStatus
from core.models import AuditEntry
from kiosk.app import ADMIN_HOLD_S, screen_names
from kiosk.screens.admin import AdminPanelScreen, AdminPinScreen
from kiosk.screens.attract import AttractScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.news import ItemScreen, NewsScreen, NoticesScreen, UrgentScreen
from kiosk.ui.fonts import has_glyphs
from kiosk.ui.gestures import GestureConfig, GestureRecognizer
from kiosk.ui.screens import ErrorScreen
from tests.conftest import ROOT
from tests.kiosk.conftest import ADMIN_PIN, Clock

SIZES = [(1920, 1080), (1080, 1920)]


class Finger:
    """Posts real pygame mouse and finger events and feeds them through a GestureRecognizer."""

    def __init__(self, app):
        self.app = app
        self.clock = Clock()
        self.rec = GestureRecognizer(app.theme.size, GestureConfig(hold_s=(ADMIN_HOLD_S,)), clock=self.clock)

    def _feed(self, event):
        for g in self.rec.feed(event):
            self.app.nav.handle(g)

    def tick(self, seconds=0.05):
        self.clock.t += seconds
        for g in self.rec.poll():
            self.app.nav.handle(g)
        self.app.on_frame(seconds)
        self.app.nav.update(seconds)

    def tap(self, pos, finger_too=False):
        w, h = self.app.theme.size
        if finger_too:  # SDL delivers a touch as a finger event plus a synthesised mouse event
            self._feed(pygame.event.Event(pygame.FINGERDOWN, x=pos[0] / w, y=pos[1] / h, finger_id=0, touch_id=1))
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=finger_too))
        self.tick(0.05)
        if finger_too:
            self._feed(pygame.event.Event(pygame.FINGERUP, x=pos[0] / w, y=pos[1] / h, finger_id=0, touch_id=1))
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=finger_too))
        self.tick(0.05)

    def hold(self, pos, seconds):
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        for _ in range(int(seconds / 0.25) + 1):
            self.tick(0.25)
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=False))
        self.tick()

    def swipe_up(self, x, y0, y1, steps=8, dt=0.016):
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y0), button=1, touch=False))
        for i in range(1, steps + 1):
            self.tick(dt)
            y = y0 + (y1 - y0) * i / steps
            self._feed(pygame.event.Event(pygame.MOUSEMOTION, pos=(x, y), rel=(0, (y1 - y0) / steps), buttons=(1, 0, 0),
                                          touch=False))
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x, y1), button=1, touch=False))
        self.tick(dt)


def render(app) -> pygame.Surface:
    surface = pygame.Surface(app.theme.size)
    app.render(surface)
    return surface


def distinct_colours(surface: pygame.Surface) -> int:
    small = pygame.transform.scale(surface, (192, 108))
    return len({small.get_at((x, y))[:3] for x in range(0, 192, 2) for y in range(0, 108, 2)})


@pytest.mark.parametrize("size", SIZES, ids=["landscape", "portrait"])
def test_every_screen_renders_with_chinese(make_app, size, tmp_path):
    for name in screen_names(None):
        app = make_app(size, urgent=name == "urgent")
        from kiosk.app import screenshot  # noqa: F401 (the same path the CLI takes, below)

        if name == "attract":
            app.nav.push(AttractScreen(app.ctx, app.wake))
        elif name == "urgent":
            app.check_urgent()
        elif name == "admin":
            app.open_admin()
        elif name == "admin_panel":
            app.nav.push(AdminPanelScreen(app.ctx))
        elif name == "admin_signin":
            from kiosk.screens.admin import AdminSignInScreen

            app.nav.push(AdminSignInScreen(app.ctx))
        elif name != "home":
            app.open_screen(name)
        surface = render(app)
        assert not isinstance(app.nav.top, ErrorScreen), (name, app.nav.errors[-1:] if app.nav.errors else None)
        assert distinct_colours(surface) > 12, name
        pygame.image.save(surface, str(tmp_path / f"{name}.png"))
    font = app.theme.font("title")
    for text in ("党建资讯", "通知公告", "会议安排", "紧急通知", "轻触屏幕开始使用", "管理员"):
        assert has_glyphs(font, text)


def test_tiles_open_their_screens_and_home_returns(make_app):
    app = make_app()
    finger = Finger(app)
    render(app)
    for name, kind in (("news", NewsScreen), ("notices", NoticesScreen)):
        tile = app.home.tiles[name]
        finger.tap(tile.rect.center, finger_too=True)
        assert isinstance(app.nav.top, kind) and app.nav.depth == 2  # tapped once, not twice
        finger.tick(1.0)  # past the window in which a mouse event may echo a finger
        render(app)
        finger.tap(app.nav.header.home_button.rect.center)
        assert isinstance(app.nav.top, HomeScreen)


def test_news_list_swipes_and_opens_a_sanitised_item(make_app):
    app = make_app((1080, 1920))
    finger = Finger(app)
    app.open_screen("news")
    screen = app.nav.top
    render(app)
    lst = screen.list
    assert len(lst.items) >= 20
    finger.swipe_up(lst.rect.centerx, lst.rect.bottom - 50, lst.rect.top + 50)
    for _ in range(30):
        finger.tick(0.05)
    assert lst.offset > 300 and not lst.moving  # followed the finger, coasted, came to rest
    index = lst.index_at((lst.rect.centerx, lst.rect.top + lst.row_height // 2))
    finger.tap((lst.rect.centerx, lst.rect.top + lst.row_height // 2))
    item_screen = app.nav.top
    assert isinstance(item_screen, ItemScreen) and item_screen.item.id == screen.items[index].id
    text = item_screen.doc.text()
    assert "<" not in text and "alert(" not in text


def test_idle_goes_to_attract_clears_the_visitor_and_a_touch_wakes(make_app):
    app = make_app()
    finger = Finger(app)
    app.ctx.visitor.member_number = "M0101"
    app.ctx.visitor.state["quiz"] = object()
    app.open_screen("news")
    app.nav.idle_s = 61
    finger.tick()
    assert isinstance(app.nav.top, AttractScreen)
    assert app.ctx.visitor.member_number is None and not app.ctx.visitor.state
    finger.tap((500, 500))
    assert isinstance(app.nav.top, HomeScreen)


def test_admin_gesture_pin_lockout_and_panel(make_app):
    clock = [datetime(2026, 11, 26, 6, 0, tzinfo=UTC)]
    app = make_app()
    app.ctx.clock = lambda: clock[0]
    finger = Finger(app)
    render(app)
    w = app.theme.size[0]
    finger.hold((w - 20, 20), 1.0)  # a short hold in the corner does nothing
    assert not isinstance(app.nav.top, AdminPinScreen)
    finger.hold((w - 20, 20), ADMIN_HOLD_S + 0.5)
    pin_screen = app.nav.top
    assert isinstance(pin_screen, AdminPinScreen)
    render(app)

    def enter(pin):
        for digit in pin:
            finger.tap(pin_screen.keypad.keys[digit].rect.center)
        finger.tap(pin_screen.keypad.keys["确定"].rect.center)

    enter("1111")
    assert "密码错误，还可尝试 4 次" in pin_screen.message
    for _ in range(4):
        enter("1111")
    assert "已锁定" in pin_screen.message
    enter(ADMIN_PIN)  # the right PIN is refused while locked
    assert isinstance(app.nav.top, AdminPinScreen) and "分钟后再试" in pin_screen.message
    # A restart forgets nothing: a new app over the same database, 78 s later, is still locked.
    clock[0] += timedelta(seconds=78)
    app = make_app()
    app.ctx.clock = lambda: clock[0]
    assert app.lock.locked_until(clock[0]) is not None
    assert not app.lock.try_unlock(ADMIN_PIN, clock[0]).ok
    clock[0] += timedelta(minutes=5)  # the 5 minutes are over
    finger = Finger(app)
    render(app)
    app.open_admin()
    pin_screen = app.nav.top
    render(app)
    enter(ADMIN_PIN)
    assert isinstance(app.nav.top, AdminPanelScreen)
    with app.terminal.db.session() as s:
        outcomes = [e.detail["outcome"] for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "kiosk.unlock").order_by(AuditEntry.id))]
    assert outcomes == ["wrong"] * 4 + ["lockout", "locked", "locked", "ok"]


def test_admin_lockout_escalates_and_a_right_pin_clears_it(make_app):
    clock = [datetime(2026, 11, 26, 6, 0, tzinfo=UTC)]
    app = make_app()
    app.ctx.clock = lambda: clock[0]
    for _ in range(5):
        assert not app.lock.try_unlock("1111", clock[0]).ok
    first = app.lock.locked_until(clock[0]) - clock[0]
    clock[0] += first
    assert "已锁定 10 分钟" in app.lock.try_unlock("1111", clock[0]).message_zh  # the 6th doubles it
    clock[0] += timedelta(minutes=10)
    assert app.lock.try_unlock(ADMIN_PIN, clock[0]).ok
    assert "还可尝试 4 次" in app.lock.try_unlock("1111", clock[0]).message_zh  # cleared by the right PIN


def test_urgent_notice_takes_over_even_the_attract_loop_until_cleared(make_app):
    app = make_app(urgent=True)
    app.go_idle()
    app.check_urgent()
    assert isinstance(app.nav.top, UrgentScreen)
    app.nav.idle_s = 500
    app.on_frame(0.1)
    assert isinstance(app.nav.top, UrgentScreen)  # idle does not replace it
    panel = AdminPanelScreen(app.ctx)
    app.nav.push(panel)
    render(app)
    panel.run("clear_urgent")
    app.check_urgent()
    assert not isinstance(app.nav.top, UrgentScreen)


def test_first_run_reaches_home_a_visitor_minimises_the_urgent_notice_to_a_pinned_banner(make_app):
    """The demo ships an active urgent notice and no admin PIN is needed to get past it: after 5 s anyone
    may tap 知道了; it stays pinned as a banner and does not take the screen again."""
    app = make_app(urgent=True)
    finger = Finger(app)
    for _ in range(2):
        app.on_frame(2.6)  # the first urgent check runs within 5 s of start
    top = app.nav.top
    assert isinstance(top, UrgentScreen)
    render(app)
    assert top.minimise_button is None  # shown whole first
    for _ in range(60):
        app.on_frame(0.1)
        app.nav.update(0.1)
    render(app)
    assert top.minimise_button is not None and "知道了" in top.minimise_button.text
    finger.tap(top.minimise_button.rect.center)
    assert isinstance(app.nav.top, HomeScreen)
    assert app.nav.banner.visible
    for _ in range(30):  # 15 s of urgent checks: the notice does not take over again
        app.on_frame(0.5)
    assert isinstance(app.nav.top, HomeScreen)
    app.go_idle()
    app.check_urgent()
    assert not isinstance(app.nav.top, UrgentScreen)  # nor the attract loop


def test_news_arriving_shows_a_banner_and_marks_the_header(make_app):
    app = make_app()
    app.open_screen("news")
    render(app)
    app.terminal.bus.publish(NewsArrived(item_ids=(1, 2), titles=("新的党建资讯",)))
    app.terminal.bus.publish(SyncStatus(online=False, last_success_iso="2026-11-26T05:00:00+00:00"))
    app.on_frame(0.05)
    assert app.nav.banner.text.startswith("新的党建资讯")
    assert app.ctx.status["network"] == "bad"
    app.nav.top.refresh()
    assert app.nav.top.widgets[0].text.startswith("离线")


def test_a_failing_screen_shows_the_error_screen_then_home(make_app):
    app = make_app()

    class Broken(NewsScreen):
        def build(self):
            raise RuntimeError("boom")

    app.nav.push(Broken(app.ctx))
    assert isinstance(app.nav.top, ErrorScreen)
    for _ in range(100):
        app.nav.update(0.1)
    assert isinstance(app.nav.top, HomeScreen)


def test_language_switch_relays_out_in_english(make_app):
    app = make_app()
    render(app)
    app.home.toggle_language()
    assert app.home.tiles["news"].title == "Party News"


def test_screenshot_command_writes_pngs(tmp_path):
    out = tmp_path / "home.png"
    env_cmd = [sys.executable, str(ROOT / "launcher.py"), "screenshot", "kiosk", "--screen", "news",
               "--size", "1080x1920", "--out", str(out)]
    import os

    done = subprocess.run(env_cmd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DANGJIAN__SITE__DATA_DIR": str(tmp_path / "d")})
    assert done.returncode == 0, done.stderr
    image = pygame.image.load(str(out))
    assert image.get_size() == (1080, 1920)
    bad = subprocess.run([*env_cmd[:5], "nowhere"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown screen 'nowhere'" in bad.stderr


def test_saved_sync_status_is_shown_at_start(make_app, kiosk_config):
    from core.config import FeedSection

    kiosk_config.content.feeds = [FeedSection(name="hq", url="http://127.0.0.1:9/rss.xml")]
    app = make_app()
    app.show_saved_sync_status({"offline": True, "last_success": "2026-11-25T01:00:00+00:00"})
    assert app.ctx.status["network"] == "bad" and app.ctx.last_sync.day == 25
    app.open_screen("news")
    assert app.nav.top.widgets[0].text.startswith("离线 · 最后同步 2026年11月25日 09:00")


def test_assistant_answers_a_tapped_question_and_acts_on_commands(make_app):
    from kiosk.app import start_assistant
    from kiosk.screens.assistant import AssistantScreen

    app = make_app()
    service = start_assistant(app)
    try:
        assert service.ready.wait(60) and service.error is None
        app.open_screen("assistant")
        screen = app.nav.top
        assert isinstance(screen, AssistantScreen)
        render(app)
        screen.ask("党费怎么交")
        for _ in range(400):
            app.on_frame(0.05)
            if len(screen.history) >= 2:
                break
            time.sleep(0.05)
        assert screen.history[0] == ("me", "党费怎么交")
        who, answer = screen.history[1]
        assert who == "bot" and "党费" in answer
        screen.ask("看看新闻")
        for _ in range(400):
            app.on_frame(0.05)
            if isinstance(app.nav.top, NewsScreen):
                break
            time.sleep(0.05)
        assert isinstance(app.nav.top, NewsScreen)
    finally:
        service.stop()


def test_device_status_drives_the_header_and_push_to_talk(make_app):
    from core.events import DeviceStatus

    app = make_app()

    class Listen:
        def __init__(self):
            self.calls = []

        def push_to_talk(self, pressed):
            self.calls.append(pressed)

    app.listen_worker = Listen()
    app.terminal.bus.publish(DeviceStatus("microphone", "ok", "USB mic"))
    app.on_frame(0.05)
    assert app.ctx.status["microphone"] == "ok" and "listen" in app.ctx.actions
    app.terminal.bus.publish(DeviceStatus("microphone", "degraded", "unplugged"))
    app.on_frame(0.05)
    assert app.ctx.status["microphone"] == "bad" and "listen" not in app.ctx.actions


def test_push_and_beidou_states_show_in_the_header(kiosk_config, tmp_path):
    """With a broker configured the header has a 推送 indicator; losing the broker says polling took over."""
    from core.config import load_config
    from core.events import DeviceStatus
    from kiosk.app import KioskApp

    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"),
                                  "DANGJIAN__FLEET__MQTT__HOST": "127.0.0.1"})
    app = KioskApp(config, (1920, 1080), animations=False)
    try:
        header = {item.kind: item for item in app.nav.header.statuses}
        assert header["push"].label == "推送" and header["push"].state == "off"
        app.terminal.bus.publish(DeviceStatus("push", "ok", "127.0.0.1:1883"))
        app.terminal.bus.publish(DeviceStatus("gnss", "ok", "BeiDou fix"))
        app.on_frame(0.05)
        assert header["push"].state == "ok" and header["gnss"].state == "ok"
        app.terminal.bus.publish(DeviceStatus("push", "degraded", "broker down"))
        app.on_frame(0.05)
        assert header["push"].state == "bad" and "定时获取" in app.nav.banner.text
        surface = pygame.Surface(app.theme.size)
        app.render(surface)
        app.nav.header.set_language("en")
        assert header["push"].label == "Push" and header["gnss"].label == "BeiDou"
    finally:
        app.terminal.db.dispose()
    without = make_kiosk_without_broker(kiosk_config)
    assert "push" not in {item.kind for item in without.nav.header.statuses}
    without.terminal.db.dispose()


def test_the_admin_corner_follows_a_turned_screen(make_app):
    app = make_app()
    assert app.nav.corner.rect.right == 1920
    app.nav.resize((1080, 1920))
    assert app.nav.corner.rect.right == 1080 and app.nav.corner.rect.top == 0


def test_voice_commands_jump_to_a_screen_instead_of_stacking(make_app):
    from core.events import OpenScreen

    app = make_app()
    for _ in range(10):
        app.terminal.bus.publish(OpenScreen("news"))
        app.on_frame(0.05)
    assert isinstance(app.nav.top, NewsScreen) and app.nav.depth == 2


def test_every_screen_a_voice_command_names_opens_on_the_kiosk(make_app):
    """The assistant's screen names (打开党建地图, 看看积分榜 …) are the kiosk's: each opens its screen by voice."""
    from core.events import OpenScreen
    from robot_assistant.intents import SCREENS

    app = make_app()
    for screen in SCREENS:
        if screen.name in ("home", "hall"):  # home is the root; the hall is the separate Panda3D app
            continue
        assert app.feature_available(screen.name), screen
        app.terminal.bus.publish(OpenScreen(screen.name))
        app.on_frame(0.05)
        factory = app.screens[screen.name]
        assert app.nav.depth == 2 and (not isinstance(factory, type) or isinstance(app.nav.top, factory)), screen
        app.nav.home()


def test_a_dues_answer_opens_the_calculator_filled_in(make_app):
    """DuesAsked from the assistant ("月工资8000块，党费多少"): the dues screen with the pay typed in."""
    from core.events import DuesAsked

    app = make_app()
    app.terminal.bus.publish(DuesAsked("8000", "在职", "120.00"))
    app.on_frame(0.05)
    top = app.nav.top
    assert top.name == "dues" and top.keypad.value == "8000" and top.category == "在职"
    assert "120.00" in top.result.text()


def make_kiosk_without_broker(config):
    from kiosk.app import KioskApp

    return KioskApp(config, (1920, 1080), animations=False)


def test_every_home_tile_opens_its_screen(make_app):
    from kiosk.screens.home import FEATURES

    app = make_app()
    render(app)
    opened = []
    for feature in FEATURES:
        if feature.name not in app.home.tiles:
            continue
        if feature.name == "hall":
            app.ctx.actions["hall"] = opened.append
        app.nav.home()
        render(app)
        app.home.tiles[feature.name].on_tap()
        if feature.name == "hall":
            assert opened == [None]
        else:
            assert app.nav.depth == 2 and app.nav.top.name.startswith(feature.name[:4]), feature.name
            assert not isinstance(app.nav.top, ErrorScreen)


def test_a_sign_in_is_greeted_aloud(make_app):
    from core.events import SignedIn, Speak

    app = make_app()
    spoken = app.terminal.bus.subscribe(Speak)
    app.terminal.bus.publish(SignedIn(1, "M0101", "王建国", "face", late=True))
    app.on_frame(0.05)
    (event,) = spoken.drain()
    assert event.text == "王建国同志，签到成功，您迟到了。"


def test_an_administrator_signs_a_member_in(make_app):
    from datetime import timedelta

    from core.meetings import create_meeting
    from core.models import Attendance
    from kiosk.screens.admin import AdminSignInScreen

    app = make_app()
    with app.terminal.db.session() as s:
        create_meeting(s, type="支委会", title_zh="临时支委会", branch_code="B01",
                       starts_at=app.ctx.now() - timedelta(minutes=10), ends_at=app.ctx.now() + timedelta(hours=1))
    screen = AdminSignInScreen(app.ctx)
    app.nav.push(screen)
    render(app)
    screen.submit("0102")
    assert "代签到成功" in screen.message
    screen.submit("0102")
    assert "已签到过" in screen.message
    screen.submit("9999")
    assert "没有编号为 M9999 的党员" in screen.message
    with app.terminal.db.session() as s:
        rows = s.scalars(select(Attendance).where(Attendance.method == "admin",
                                                  Attendance.terminal_id == app.ctx.terminal.terminal_id)).all()
        assert len(rows) == 1
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "attendance.sign_in")
                          .order_by(AuditEntry.id.desc())).first()
        assert entry.actor == "admin:kiosk"


def test_a_tap_anywhere_interrupts_speech(make_app):
    from core.events import StopSpeaking

    app = make_app()
    stops = app.terminal.bus.subscribe(StopSpeaking)
    render(app)
    Finger(app).tap((600, 600))
    assert len(stops.drain()) == 1


def test_the_meetings_tile_counts_what_the_meetings_list_shows_this_week(make_app):
    """Was: "0 场" (today only) beside a list of eight meetings this week (#19)."""
    from datetime import timedelta

    from core.meetings import upcoming

    app = make_app()
    now = app.ctx.now()
    today = app.ctx.local(now).date()
    with app.terminal.db.session() as s:
        week = [m for m in upcoming(s, now, 200)
                if app.ctx.local(m.starts_at).date() <= today + timedelta(days=6 - today.weekday())]
    tile = app.home.tiles["meetings"]
    assert tile.number == len(week) and tile.unit == "场·本周"


def test_admin_panel_sets_a_member_pin_on_a_standalone_terminal(make_app):
    from core.audit import recent
    from core.models import Member
    from core.secrets import verify_pin
    from kiosk.screens.admin import AdminMemberPinScreen

    app = make_app()
    panel = AdminPanelScreen(app.ctx)
    app.nav.push(panel)
    render(app)
    panel.run("member_pin")
    screen = app.nav.top
    assert isinstance(screen, AdminMemberPinScreen)
    render(app)

    def enter(digits):
        for d in digits:
            screen.keypad.press(d)
        screen.keypad.press("ok")

    enter("0199")
    assert "没有编号为 M0199" in screen.message
    enter("0102")
    assert screen.step == "pin"
    enter("123456")
    assert "过于简单" in screen.message and screen.step == "pin"
    enter("1357")
    assert "6 到 12 位" in screen.message
    enter("135792")
    enter("135790")
    assert "两次输入不一致" in screen.message and screen.step == "pin"
    enter("135792")
    enter("135792")
    assert "已为 M0102 设置 PIN" in screen.message and screen.step == "number"
    with app.terminal.db.session() as s:
        member = s.scalars(select(Member).where(Member.number == "M0102")).one()
        assert verify_pin("135792", member.pin_hash)
        assert recent(s, "member.pin_set")[0].target == "member:M0102"

"""The kiosk shell: the one object that knows all screens, and what it does each frame.

It answers home-tile taps, drains the event bus once a frame (news banners, sync status for the header,
urgent notices, the assistant's and the face worker's events), runs the idle timeout into the attract
loop (clearing the visitor's state), and watches for the hidden admin gesture. Screens never see each
other or any device. It opens no window and starts no worker: :func:`kiosk.app.run_kiosk` does that
around it (:mod:`kiosk.workers`), and ``launcher.py screenshot`` renders it headless
(:mod:`kiosk.screenshot`), as do the tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from importlib.util import find_spec
from pathlib import Path

import pygame

from core import content
from core.config import Config
from core.demo import organisation
from core.events import (
    Answer,
    ConfirmIdentity,
    DeviceStatus,
    DuesAsked,
    FaceSeen,
    FaceSignInFailed,
    GuideTo,
    LivenessPrompt,
    NewsArrived,
    OpenScreen,
    Position,
    SignedIn,
    SignInRequested,
    Speak,
    StopSpeaking,
    SyncStatus,
    Transcript,
    UrgentNotice,
)
from core.fonts import find_cjk_font
from core.terminal import Terminal, open_terminal
from kiosk.admin_lock import AdminLock
from kiosk.context import KioskContext
from kiosk.remote_handlers import UiCalls
from kiosk.screens import registry
from kiosk.screens.admin import AdminPanelScreen, AdminPinScreen
from kiosk.screens.attract import AttractScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.news import ItemListScreen, ItemScreen, UrgentScreen
from kiosk.ui.fonts import Fonts
from kiosk.ui.gestures import CornerHold, Down, Gesture
from kiosk.ui.screens import Navigator
from kiosk.ui.theme import Theme
from kiosk.ui.widgets.header import StatusItem

#: The app's records keep the name they always had (log configuration filters on it).
log = logging.getLogger("kiosk.app")

#: Events the top screen sees when it has ``on_event`` (assistant conversation, sign-in prompts).
SCREEN_EVENTS = (Transcript, Answer, Speak, FaceSeen, SignedIn, ConfirmIdentity, LivenessPrompt, FaceSignInFailed)

ADMIN_HOLD_S = 5.0
URGENT_CHECK_S = 5.0
#: A minimised urgent notice comes back as a banner this often (pinned) while it is active.
URGENT_BANNER_EVERY_S = 60.0


class KioskNavigator(Navigator):
    """The toolkit's navigator plus the hidden corner hold that opens the admin PIN screen."""

    def __init__(self, *args, on_admin: Callable[[], object], on_touch: Callable[[], object] = lambda: None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.corner = CornerHold(self.size, ADMIN_HOLD_S, "topright", size=max(120, self.theme.spacing.target))
        self.on_admin = on_admin
        self.on_touch = on_touch

    def handle(self, gesture: Gesture) -> bool:
        if isinstance(gesture, Down):
            self.on_touch()
        if self.corner.feed(gesture):
            self.on_admin()
            return True
        return super().handle(gesture)

    def resize(self, size: tuple[int, int], theme: Theme | None = None) -> None:
        """A turned screen moves the admin corner too (else it would sit off screen, found by the soak)."""
        super().resize(size, theme)
        self.corner = CornerHold(self.size, ADMIN_HOLD_S, "topright", size=max(120, self.theme.spacing.target))


def release_free_memory() -> None:
    """Hand memory freed by the last visitor's screens back to the system (glibc keeps freed large
    surfaces in its arenas: the soak saw resident memory grow 50% untrimmed and 3% trimmed)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class KioskApp:
    def __init__(self, config: Config, size: tuple[int, int], *, terminal: Terminal | None = None,
                 animations: bool = True, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.terminal = terminal or open_terminal(config)[0]
        font_path, index = find_cjk_font(config.kiosk.fonts)
        fonts = Fonts.default([(str(font_path), index)])
        self.theme = Theme.for_screen(size, fonts=fonts)
        self.ctx = KioskContext(self.terminal, self.theme, lang=config.site.language, clock=clock)
        self.ctx.actions.update({"exit": self.request_exit, "restart": self.request_restart})
        self.screens = registry()
        self.lock = AdminLock(self.terminal, config.kiosk.admin_pin_hash)
        self.events = self.terminal.bus.subscribe(NewsArrived, SyncStatus, UrgentNotice, Transcript, Answer,
                                                  Speak, OpenScreen, GuideTo, SignInRequested, DeviceStatus,
                                                  FaceSeen, SignedIn, ConfirmIdentity, LivenessPrompt,
                                                  FaceSignInFailed, Position, DuesAsked)
        with self.terminal.db.session() as s:
            org = organisation(s)
        self.hall_available = find_spec("vr_hall") is not None and config.hall.scene.is_file()
        self.hall = None
        """The hall's launcher (vr_hall.child.HallLauncher) once :func:`start_hall` has started it."""
        self._hall_note: str | None = None
        self.home = HomeScreen(self.ctx, self.open_screen, available=self.feature_available,
                               note=lambda name: self.hall_note() if name == "hall" else None)
        self.nav = KioskNavigator(
            self.theme, self.home, org_name=org.get("short_zh") or org.get("name_zh", ""),
            statuses=[StatusItem("network", "网络", "ok" if config.content.feeds else "off"),
                      *([StatusItem("push", "推送", "off")] if config.fleet.mqtt.host else []),
                      StatusItem("camera", "摄像头", "off"), StatusItem("gnss", "北斗", "off"),
                      StatusItem("microphone", "麦克风", "off"), StatusItem("content", "内容", "ok")],
            animations=animations, now=lambda: self.ctx.local(self.ctx.now()).replace(tzinfo=None),
            on_admin=self.open_admin, on_touch=self._touched)
        self.nav.header.set_language(self.ctx.lang)
        self.listen_worker = None
        self.outbox = None
        self.ui_calls = UiCalls()  # remote administration's screenshots run on this (the UI) thread
        self.exit_code: int | None = None
        self._urgent_timer = URGENT_CHECK_S
        self._urgent_minimised: set[int] = set()  # shown whole once, then minimised by a visitor
        self._urgent_banner_s = 0.0

    # -- navigation ------------------------------------------------------------------------------
    def feature_available(self, name: str) -> bool:
        return name in self.screens or (name == "hall" and self.hall_available)

    def open_screen(self, name: str) -> None:
        if name == "hall":
            self._guide(None)
            return
        factory = self.screens.get(name)
        if factory is None:
            log.warning("no screen named %s in this build", name)
            return
        self.nav.push(factory(self.ctx))

    def _touched(self) -> None:
        """A tap anywhere interrupts speech (the speaker worker ignores it when nothing is playing)."""
        self.terminal.bus.publish(StopSpeaking())

    def _open_by_voice(self, name: str) -> None:
        """An OpenScreen from the assistant (voice or a tapped suggestion)."""
        if self._top_is(AttractScreen, UrgentScreen):
            return
        if name == "home":
            self.nav.home()
        elif self.feature_available(name):
            # Jump, do not stack: "看看新闻" said ten times must not leave ten screens (and their memory).
            if self.nav.depth > 1:
                self.nav.home()
            self.open_screen(name)
        else:
            self.nav.notify(self.ctx.t("这项功能本机暂未开通", "This feature is not available on this terminal"),
                            tag=self.ctx.t("助手", "Assistant"))

    def _show_dues(self, event: DuesAsked) -> None:
        """The assistant computed dues: open the calculator with the same income and category."""
        self._open_by_voice("dues")
        top = self.nav.top
        if getattr(top, "name", "") == "dues" and hasattr(top, "prefill"):
            top.prefill(event.pay, event.category)

    def _guide(self, target: str | None) -> None:
        """Open the hall (GuideTo: and walk the visitor to ``target``), in its own process."""
        opener = self.ctx.actions.get("hall")
        if opener is not None:
            opener(target)
        else:
            self.nav.notify(self.ctx.t("VR展厅本机暂未开通", "The VR hall is not available on this terminal"),
                            tag=self.ctx.t("助手", "Assistant"))

    def open_admin(self) -> None:
        self.nav.push(AdminPinScreen(self.ctx, self.lock, self._unlocked))

    def _unlocked(self) -> None:
        self.nav.replace(AdminPanelScreen(self.ctx))

    def wake(self) -> None:
        self.nav.home()

    def request_exit(self) -> None:
        self.exit_code = 0

    def request_restart(self) -> None:
        self.exit_code = 3  # systemd's Restart=always brings the kiosk back

    # -- per frame -------------------------------------------------------------------------------
    def on_frame(self, dt: float) -> None:
        self.ui_calls.run_pending()
        for event in self.events.drain():
            if isinstance(event, NewsArrived):
                self._news_arrived(event)
            elif isinstance(event, SyncStatus):
                self._sync_status(event)
            elif isinstance(event, UrgentNotice):
                self._urgent_timer = 0.0
            elif isinstance(event, OpenScreen):
                self._open_by_voice(event.screen)
            elif isinstance(event, DuesAsked):
                self._show_dues(event)
            elif isinstance(event, GuideTo):
                self._guide(event.exhibit_id)
            elif isinstance(event, SignInRequested):
                self._open_by_voice("signin")
            elif isinstance(event, DeviceStatus):
                self._device_status(event)
            elif isinstance(event, Position):
                self.ctx.position = event  # the map reads it; not forwarded (once a second)
            elif isinstance(event, SignedIn) and not event.already:
                self._greet(event)
                if self.outbox is not None:
                    self.outbox.wake()  # copy it to the central database now, not in 30 s
            if isinstance(event, SCREEN_EVENTS) and hasattr(self.nav.top, "on_event"):
                self.nav.top.on_event(event)
        self._urgent_timer -= dt
        self._urgent_banner_s -= dt
        if self._urgent_timer <= 0:
            self._urgent_timer = URGENT_CHECK_S
            self.check_urgent()
        # A screen may ask for longer (an exam question takes a while to think about), never shorter.
        limit = max(self.config.kiosk.idle_seconds, getattr(self.nav.top, "idle_seconds", 0) or 0)
        if self.nav.idle_s >= limit and not self._top_is(AttractScreen, UrgentScreen):
            self.go_idle()

    def _top_is(self, *kinds: type) -> bool:
        return isinstance(self.nav.top, kinds)

    def go_idle(self) -> None:
        """Nobody is here: forget the visitor, go home and start the attract loop."""
        self.ctx.visitor.clear()
        self.nav.home()
        self.nav.push(AttractScreen(self.ctx, self.wake))
        self.nav.idle_s = 0.0
        release_free_memory()

    def check_urgent(self) -> None:
        with self.terminal.db.session() as s:
            item = content.active_urgent(s, self.ctx.now())
        top = self.nav.top
        if isinstance(top, (AdminPinScreen, AdminPanelScreen)):
            return  # the administrator is here, perhaps to clear this very notice
        if item is not None and item.id in self._urgent_minimised:
            if self._urgent_banner_s <= 0 and not self._top_is(AttractScreen):
                self._urgent_banner(item)
            return
        if item is not None and not (isinstance(top, UrgentScreen) and top.item.id == item.id):
            self.nav.push(UrgentScreen(self.ctx, item, on_minimise=self.minimise_urgent))
        elif item is None and isinstance(top, UrgentScreen):
            self.nav.home()

    def minimise_urgent(self, item) -> None:
        """A visitor read the urgent notice and tapped 知道了: Home, with the notice as a pinned banner
        (again every URGENT_BANNER_EVERY_S while it is active), so sign-in is never blocked by it."""
        self._urgent_minimised.add(item.id)
        self.nav.home()
        self._urgent_banner(item)

    def _urgent_banner(self, item) -> None:
        self._urgent_banner_s = URGENT_BANNER_EVERY_S
        self.nav.notify(self.ctx.t(item.title_zh, item.title_en or item.title_zh),
                        lambda: self.nav.push(ItemScreen(self.ctx, item)), tag=self.ctx.t("紧急通知", "Urgent"),
                        duration=URGENT_BANNER_EVERY_S / 2)

    def _news_arrived(self, event: NewsArrived) -> None:
        if self._top_is(AttractScreen, UrgentScreen):
            return
        title = event.titles[0] if event.titles else ""
        more = self.ctx.t(f" 等{len(event.item_ids)}条", f" (+{len(event.item_ids) - 1})") if len(event.item_ids) > 1 else ""
        self.nav.notify(title + more, lambda: self.open_screen("news"), tag=self.ctx.t("新资讯", "News"))
        if isinstance(self.nav.top, ItemListScreen):
            self.nav.top.refresh()

    def _greet(self, event: SignedIn) -> None:
        """Greet a member by name, aloud, and on screen whatever screen is on top: the sign-in screen shows
        its result card; any other screen (news, a quiz, the attract loop, an urgent notice) gets a banner
        that opens the sign-in screen, so a face or QR sign-in made while someone reads is seen, not only
        heard. SignedIn is published only after the attendance row committed, so what is shown is saved."""
        zh = f"{event.member_name}同志，签到成功" + ("，您迟到了" if event.late else "") + "。"
        en = f"Welcome, {event.member_name}. You are signed in" + (" (late)" if event.late else "") + "."
        self.terminal.bus.publish(Speak(self.ctx.t(zh, en), self.ctx.lang))
        if getattr(self.nav.top, "name", "") != "signin":
            self.nav.notify(self.ctx.t(f"{event.member_name} 同志签到成功" + ("（迟到）" if event.late else ""),
                                       f"{event.member_name} signed in" + (" (late)" if event.late else "")),
                            lambda: self.open_screen("signin"), tag=self.ctx.t("签到", "Sign-in"), duration=6.0)

    def hall_status(self, messages: list[dict]) -> None:
        """Messages from the hall's process: back home when it closes. A crash moves the visitor only
        when they were in the hall (Home, once, with a notice); a crash while the hall was prewarming
        in the background leaves them where they are and only changes the hall tile (unavailable, and
        why) and the admin panel's last hall error."""
        changed = False
        for message in messages:
            kind = message.get("type")
            if kind == "closed":
                self.nav.home()
            elif kind == "crashed":
                changed = True
                if message.get("visitor", True):
                    self.nav.home()
                    self.nav.notify(self.ctx.t("VR展厅意外退出，已返回首页", "The VR hall stopped unexpectedly"),
                                    tag=self.ctx.t("提示", "Notice"))
            elif kind == "ready":
                changed = True
        if changed:
            self._hall_tile_changed()

    def hall_note(self) -> str | None:
        """What the hall tile says under its title while the hall cannot open (None: it can)."""
        hall = self.hall
        return hall.unavailable_reason(self.ctx.lang, retry=False, name=False) if hall is not None else None

    def _hall_tile_changed(self) -> None:
        """Redraw Home's hall tile when the hall became unavailable or available again."""
        note = self.hall_note()
        if note != self._hall_note:
            self._hall_note = note
            if self.home.rect is not None and self.home.rect.w > 0:
                self.home.layout(self.home.rect)
                self.nav.invalidate()

    def _device_status(self, event: DeviceStatus) -> None:
        """Header icons follow the workers; push-to-talk exists only while the microphone works."""
        state = {"ok": "ok", "degraded": "bad"}.get(event.state, "off")
        self.ctx.status[event.device] = state
        if any(item.kind == event.device for item in self.nav.header.statuses):
            self.nav.header.set_status(event.device, state)
        if event.device == "push" and state == "bad":  # the broker went away: say that polling took over
            self.nav.notify(self.ctx.t("实时推送中断，已改为定时获取资讯", "Live push is down: news is polled instead"),
                            tag=self.ctx.t("提示", "Notice"))
        if event.device == "microphone":
            if state == "ok" and self.listen_worker is not None:
                self.ctx.actions["listen"] = self.listen_worker.push_to_talk
            else:
                self.ctx.actions.pop("listen", None)

    def show_saved_sync_status(self, status: dict) -> None:
        """At start, show the last sync known from before (offline until the first round says otherwise)."""
        if not self.config.content.feeds:
            return
        self._sync_status(SyncStatus(online=not status.get("offline", False),
                                     last_success_iso=status.get("last_success")))

    def _sync_status(self, event: SyncStatus) -> None:
        self.ctx.status["network"] = "ok" if event.online else "bad"
        if event.last_success_iso:
            self.ctx.last_sync = datetime.fromisoformat(event.last_success_iso)
        self.nav.header.set_status("network", "ok" if event.online else "bad")
        self.nav.header.set_status("content", "ok" if event.online else "warn")

    def save_screenshot(self, surface: pygame.Surface) -> Path:
        folder = self.config.site.data_dir / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"kiosk-{self.ctx.local(self.ctx.now()):%Y%m%d-%H%M%S}.png"
        pygame.image.save(surface, str(path))
        self.nav.notify(self.ctx.t(f"已保存截屏 {path.name}", f"Screenshot saved: {path.name}"),
                        tag=self.ctx.t("管理", "Admin"))
        return path

    # -- running ---------------------------------------------------------------------------------
    def render(self, surface: pygame.Surface) -> None:
        """Draw everything now (for screenshots): settle transitions, then a full redraw."""
        for _ in range(3):
            self.nav.update(1.0)
        self.nav.finish_transition()
        self.nav.invalidate()
        self.nav.draw(surface)

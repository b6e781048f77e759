"""The background workers the kiosk runs beside its window, wired to the app, and their shutdown.

Feed sync, the assistant, the hall's child process, BeiDou, the face worker, the fleet's outbox, roster
and push connections, remote administration, the QR sign-in watcher and the speech workers. Each talks to
the screens only through the terminal's event bus and ``ctx.actions``; this module is the one place
that starts them (in an order where each finds what it needs) and stops them all when the loop ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from core.events import GuideTo
from fleet.feed_sync import FeedSyncer
from kiosk.shell import KioskApp


def start_hall(app: KioskApp, size: tuple[int, int], fullscreen: bool, options=None):
    """Prewarm the hall in a child process (Panda3D imported and the scene built before anyone taps), so
    the 展厅 tile opens it in well under a second and a crash in it never takes the kiosk down."""
    if not app.hall_available:
        return None
    from vr_hall.child import HallLauncher, HallOptions

    options = options or HallOptions(size=size, fullscreen=fullscreen, language=app.ctx.lang)
    hall = HallLauncher(app.config.hall.scene, options, publish=app.terminal.bus.publish)
    hall.start()

    def open_hall(target: str | None) -> None:
        reason = hall.unavailable_reason(app.ctx.lang)
        if reason is not None:  # it crashed while prewarming and has not come back yet: say why
            app.nav.notify(reason, tag=app.ctx.t("提示", "Notice"))
        elif hall.is_open and target:
            hall.send(GuideTo(target))
        elif not hall.is_open:
            hall.open(target)

    app.ctx.actions["hall"] = open_hall
    app.ctx.actions["hall_last_error"] = lambda: hall.last_error
    app.hall = hall
    return hall


def start_assistant(app: KioskApp):
    """The assistant service (brain built in its own thread) answering on the app's bus."""
    from robot_assistant.qa.brain import Brain
    from robot_assistant.service import AssistantService

    return AssistantService(app.terminal.bus, lambda: Brain.from_config(app.config, app.terminal.db)).start()


@dataclass
class Workers:
    """What :func:`start_workers` started; ``None`` where the site has no such part."""

    syncer: FeedSyncer
    assistant: Any
    hall: Any
    gnss: Any
    face: Any
    outbox: Any
    roster: Any
    qr_watch: Any
    push: Any
    speaker: Any
    listen: Any

    def poll(self, app: KioskApp) -> None:
        """Once a frame: the hall's messages to the app, the assistant's words to the open hall."""
        if self.hall is not None:
            app.hall_status(self.hall.poll())
            self.hall.forward(app.terminal.bus)  # Transcript / Answer → the open hall's caption

    def stop(self) -> None:
        """Stop every worker (the order they always stopped in)."""
        self.syncer.stop()
        self.assistant.stop()
        if self.hall is not None:
            self.hall.shutdown()
        self.face.stop()
        self.push.stop()
        for worker in (self.outbox, self.roster, self.qr_watch, self.gnss):
            if worker is not None:
                worker.stop()
        self.listen.stop()
        self.speaker.stop()


def start_workers(app: KioskApp, surface: pygame.Surface, fullscreen: bool) -> Workers:
    """Start every background worker for ``app`` showing on ``surface``, and wire them to it."""
    config = app.config
    syncer = FeedSyncer.for_terminal(app.terminal)
    app.show_saved_sync_status(syncer.status())
    app.ctx.actions["sync"] = syncer.sync_now
    app.ctx.actions["screenshot"] = lambda: app.save_screenshot(surface)
    if config.content.feeds:
        syncer.start()
    assistant = start_assistant(app)
    hall = start_hall(app, surface.get_size(), fullscreen=fullscreen)
    from beidou import start_gnss
    from robot_assistant.face.worker import FaceWorker
    from robot_assistant.speech_worker import start_speech_workers

    gnss = start_gnss(config, app.terminal.bus)
    face = FaceWorker(app.terminal).start()
    from fleet.outbox_sender import OutboxSender
    from fleet.push import PushSubscriber
    from fleet.remote import RemoteAdmin
    from fleet.roster_sync import RosterPuller
    from kiosk.qr_watch import QrWatcher
    from kiosk.remote_handlers import kiosk_handlers

    outbox = OutboxSender.from_config(config, app.terminal.db)  # None when no central database is set
    if outbox is not None:
        outbox.start()
        app.outbox = outbox
    # Members, meetings and face templates from the central database; new templates (or an erasure)
    # reach the face index at once rather than at its next periodic reload.
    roster = RosterPuller.from_config(config, app.terminal.db, on_applied=lambda _result: face.request_reload())
    if roster is not None:
        roster.start()
    qr_watch = QrWatcher.for_terminal(app.terminal)  # 扫码签到: None unless the sign-in screen shows codes
    if qr_watch is not None:
        qr_watch.start()
    push = PushSubscriber.for_terminal(app.terminal, on_fallback=syncer.sync_now)
    remote = RemoteAdmin.for_terminal(
        app.terminal, kiosk_handlers(app, surface, syncer=syncer, push=push, outbox=outbox, roster=roster),
        publish=push.publish)
    for topic in remote.topics():
        push.add_route(topic, remote.on_message)
    push.start()
    app.ctx.actions["camera_frame"] = face.latest_rgb

    app.listen_worker, speaker = start_speech_workers(config, app.terminal.bus)
    return Workers(syncer, assistant, hall, gnss, face, outbox, roster, qr_watch, push, speaker, app.listen_worker)

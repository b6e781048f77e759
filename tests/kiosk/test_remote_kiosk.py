"""Remote administration end to end: a real kiosk app (dummy video driver) holding a real push connection
to mosquitto on loopback, commanded by the administrator's tool (in-process and `launcher.py remote`)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pygame
import pytest

from fleet.push import PushSettings, PushSubscriber
from fleet.remote import RemoteAdmin, build_command
from fleet.remote_cli import send_command
from fleet.signing import Verifier, generate_private_key, load_private_key, save_keypair
from kiosk.remote_handlers import kiosk_handlers
from kiosk.screens.news import UrgentScreen
from tests.conftest import ROOT, need
from tests.fleet.broker import Mosquitto, mosquitto_path

ORG = "xinghe"


@pytest.fixture
def broker(tmp_path):
    need(mosquitto_path() is not None, "mosquitto is not installed (Debian package mosquitto)")
    with Mosquitto(tmp_path / "broker") as b:
        yield b


@pytest.fixture
def keyfile(tmp_path) -> Path:
    private, _ = save_keypair(generate_private_key(), tmp_path / "keys" / "admin.key")
    return private


@pytest.fixture
def terminal(make_app, broker, keyfile):
    """The kiosk with its push connection and remote administration, as run_kiosk wires them."""
    app = make_app(size=(1280, 720))
    surface = pygame.Surface(app.theme.size)
    app.render(surface)
    settings = PushSettings(host="127.0.0.1", port=broker.port, org=ORG, keepalive=5, reconnect_min_s=1,
                            reconnect_max_s=1)
    push = PushSubscriber(settings, app.terminal.db, app.terminal.bus, terminal_id=app.terminal.terminal_id)
    remote = RemoteAdmin(org=ORG, terminal_id=app.terminal.terminal_id, db=app.terminal.db, bus=app.terminal.bus,
                         verifier=Verifier.from_sources([keyfile.with_name("admin.key.pub")]),
                         handlers=kiosk_handlers(app, surface, push=push), publish=push.publish)
    for topic in remote.topics():
        push.add_route(topic, remote.on_message)
    push.start()
    deadline = time.monotonic() + 5
    while not push.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert push.connected
    yield app, settings, remote
    push.stop()


def ask(app, settings, keyfile, name: str, terminal: str | None = None, **args) -> dict:
    """Send one command from another thread while this (the UI) thread keeps running frames."""
    command = build_command(name, org=ORG, terminal=terminal or app.terminal.terminal_id, args=args,
                            issued_by="test", private_key=load_private_key(keyfile))
    replies: list[dict] = []
    worker = threading.Thread(target=send_command, args=(settings, command),
                              kwargs={"wait_s": 10, "expect_one": True, "on_reply": replies.append})
    worker.start()
    while worker.is_alive():
        app.on_frame(0.02)
        time.sleep(0.01)
    assert len(replies) == 1, f"no reply to {name}"
    return replies[0]


def test_health_screenshot_sync_notice_restart(terminal, keyfile):
    app, settings, remote = terminal
    started = time.monotonic()
    health = ask(app, settings, keyfile, "health")
    answered_s = time.monotonic() - started
    assert health["ok"], health
    result = health["result"]
    assert result["terminal"] == app.terminal.terminal_id and result["screen"] == "HomeScreen"
    assert result["versions"]["pygame"] == pygame.version.ver and result["disk"]["free_mb"] > 0
    assert result["push"]["mode"] == "push" and "pending" in json.dumps(result["outbox"])
    assert answered_s < 5

    shot = ask(app, settings, keyfile, "screenshot", max_width=640)
    assert shot["ok"] and (shot["result"]["width"], shot["result"]["height"]) == (640, 360)
    image = pygame.image.load(io.BytesIO(base64.b64decode(shot["result"]["png_base64"])), "shot.png")
    assert image.get_size() == (640, 360)
    colours = {tuple(image.get_at((x, y))) for x in range(0, 640, 16) for y in range(0, 360, 16)}
    assert len(colours) > 8  # the home screen, not a blank frame
    bad = ask(app, settings, keyfile, "screenshot", max_width=10)
    assert not bad["ok"] and "max_width" in bad["error"]

    sync = ask(app, settings, keyfile, "sync")
    assert sync["ok"] and sync["result"]["started"] == {"feeds": False, "outbox": False, "roster": False}

    notice = ask(app, settings, keyfile, "notice", title_zh="今晚十点停电检修", body="请提前保存工作。")
    assert notice["ok"] and notice["result"]["urgent"]
    deadline = time.monotonic() + 3
    while not isinstance(app.nav.top, UrgentScreen) and time.monotonic() < deadline:
        app.on_frame(0.05)
    assert isinstance(app.nav.top, UrgentScreen)

    everyone = ask(app, settings, keyfile, "health", terminal="*")
    assert everyone["ok"] and everyone["terminal"] == app.terminal.terminal_id

    restart = ask(app, settings, keyfile, "restart")
    assert restart["ok"] and app.exit_code is None  # the reply leaves first...
    deadline = time.monotonic() + 3
    while app.exit_code is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app.exit_code == 3  # ...then the loop ends and systemd starts the kiosk again
    assert remote.counts == {"accepted": 7, "refused": 0, "failed": 1}


def test_launcher_remote_command(terminal, keyfile, tmp_path):
    """`launcher.py remote` from a shell: signed with --key, the reply printed as JSON, the PNG saved."""
    app, settings, _ = terminal
    cfg = tmp_path / "admin.yaml"
    cfg.write_text(f"site:\n  data_dir: {tmp_path / 'admin-data'}\nfleet:\n  org: {ORG}\n"
                   f"  mqtt:\n    host: 127.0.0.1\n    port: {settings.port}\n", encoding="utf-8")
    base = [sys.executable, str(ROOT / "launcher.py"), "--config", str(cfg), "remote", app.terminal.terminal_id]

    def run(*argv: str) -> subprocess.CompletedProcess:
        proc = subprocess.Popen([*base, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            app.on_frame(0.02)
            time.sleep(0.01)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    unsigned = run("health")
    assert unsigned.returncode == 1 and "must be signed" in unsigned.stderr
    done = run("health", "--key", str(keyfile), "--json")
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout.splitlines()[-1])
    assert reply["ok"] and reply["result"]["terminal"] == app.terminal.terminal_id
    png = tmp_path / "t.png"
    shot = run("screenshot", "--key", str(keyfile), "--out", str(png))
    assert shot.returncode == 0, shot.stderr
    assert pygame.image.load(str(png)).get_size() == app.theme.size
    other = generate_private_key()
    save_keypair(other, tmp_path / "keys" / "intruder.key")
    refused = run("health", "--key", str(tmp_path / "keys" / "intruder.key"), "--wait", "1.5")
    assert refused.returncode == 1 and "no reply" in refused.stderr

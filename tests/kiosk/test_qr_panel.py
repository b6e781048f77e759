"""kiosk.qr_panel: the code drawn on the screen decodes (OpenCV's detector, as a phone would) to the web
app's URL with a token that verifies; it changes with the window; it stays off without web.base_url."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import cv2
import numpy as np
import pygame
import pytest

from core import qrsign
from core.config import load_config
from kiosk.qr_panel import QrPanel
from kiosk.ui.fonts import Fonts, find_cjk_font
from kiosk.ui.theme import Theme

KEY = bytes(range(32))
BASE = "https://dangjian.example.org/m"
NOW = datetime(2026, 11, 26, 6, 40, 12, tzinfo=UTC)
MEETING = SimpleNamespace(id=3, uuid="6f1c0d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f")


def _theme(size):
    path, index = find_cjk_font([])
    return Theme.for_screen(size, fonts=Fonts.default([(str(path), index)]))


def _decode(surface: pygame.Surface) -> str:
    bgr = cv2.cvtColor(pygame.surfarray.array3d(surface).transpose(1, 0, 2), cv2.COLOR_RGB2BGR)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(bgr)
    assert points is not None, "no QR code found on the screen"
    return text


def _panel(size, **kw):
    return QrPanel(_theme(size), **{"base_url": BASE, "terminal_id": "kiosk-01", "key": KEY, **kw})


@pytest.mark.parametrize("size, rect", [((1920, 1080), (1340, 140, 540, 730)),
                                        ((1280, 720), (880, 120, 360, 480)),
                                        ((1080, 1920), (300, 1100, 480, 640))])
def test_drawn_code_decodes_to_a_url_that_verifies(size, rect):
    panel = _panel(size)
    surface = pygame.Surface(size)
    surface.fill(panel.theme.palette.bg)
    assert panel.draw(surface, pygame.Rect(rect), MEETING, NOW) == pygame.Rect(rect)
    shown = panel.shown
    assert shown is not None and pygame.Rect(rect).contains(shown.code_rect)
    url = _decode(surface)
    assert url == qrsign.url_for(BASE, shown.token) == shown.url
    token = url.rsplit("/qr/", 1)[1]
    claim = qrsign.verify(token, key=KEY, now=NOW + timedelta(seconds=20))
    assert (claim.meeting_uuid, claim.terminal_id) == (MEETING.uuid, "kiosk-01")  # the uuid, not the local id
    assert shown.seconds_left == 18  # 06:40:12 → the window ends at 06:40:30


def test_new_code_each_window_and_the_old_one_expires():
    panel, surface = _panel((1280, 720)), pygame.Surface((1280, 720))
    rect = pygame.Rect(880, 120, 360, 480)
    panel.draw(surface, rect, MEETING, NOW)
    first = panel.shown.token
    panel.draw(surface, rect, MEETING, NOW + timedelta(seconds=5))
    assert panel.shown.token == first and panel.shown.seconds_left == 13  # same window: same code
    later = NOW + timedelta(seconds=18)  # 06:40:30, the next window
    panel.draw(surface, rect, MEETING, later)
    assert panel.shown.token != first and panel.shown.seconds_left == 30
    assert _decode(surface).endswith(panel.shown.token)
    assert qrsign.verify(first, key=KEY, now=later + timedelta(seconds=25)).meeting_uuid == MEETING.uuid  # previous
    with pytest.raises(qrsign.QrRefused) as info:
        qrsign.verify(first, key=KEY, now=later + timedelta(seconds=36))
    assert info.value.code == "expired"
    with pytest.raises(qrsign.QrRefused) as info:  # a panel of another site (another key): forged here
        qrsign.verify(first, key=bytes(32), now=later)
    assert info.value.code == "forged"


def test_off_without_base_url_or_switch_or_meeting():
    size = (1280, 720)
    rect = pygame.Rect(40, 120, 600, 200)
    surface = pygame.Surface(size)
    bg = _theme(size).palette.bg
    surface.fill(bg)
    no_url = _panel(size, base_url="", key=None)
    drawn = no_url.draw(surface, rect, MEETING, NOW)
    assert drawn is not None and no_url.shown is None and not no_url.active
    pixels = pygame.surfarray.array3d(surface.subsurface(drawn))
    assert (pixels != np.array(bg)).any(axis=2).sum() > 500  # the line is there
    with pytest.raises(AssertionError):
        _decode(surface)  # and no code
    for panel, meeting in [(_panel(size, enabled=False), MEETING), (_panel(size), None)]:
        clean = pygame.Surface(size)
        clean.fill(bg)
        assert panel.draw(clean, rect, meeting, NOW) is None
        assert not (pygame.surfarray.array3d(clean) != np.array(bg)).any()


def test_from_config_makes_the_key_only_when_needed(tmp_path, monkeypatch):
    monkeypatch.delenv(qrsign.KEY_ENV, raising=False)
    env = {"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data")}
    theme = _theme((1280, 720))
    panel = QrPanel.from_config(theme, load_config(environ=env))
    assert not panel.wanted and not panel.active and not (tmp_path / "data" / "qr.key").exists()
    config = load_config(environ={**env, "DANGJIAN__WEB__BASE_URL": BASE})
    panel = QrPanel.from_config(theme, config)
    key_file = tmp_path / "data" / "qr.key"
    assert panel.active and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert panel.key == qrsign.load_key(config)  # what the web server reads
    key_file.chmod(0o644)
    broken = QrPanel.from_config(theme, config)
    assert broken.wanted and not broken.active and "chmod 600" in broken.key_problem
    surface = pygame.Surface((1280, 720))
    assert broken.draw(surface, pygame.Rect(40, 120, 600, 200), MEETING, NOW) is not None and broken.shown is None


def test_wide_arrangement_under_a_camera_preview_still_decodes():
    """At 1280×720 under the camera preview the code is only ~3 px a module: still read."""
    size, rect = (1280, 720), pygame.Rect(20, 510, 495, 190)
    panel = _panel(size)
    surface = pygame.Surface(size)
    surface.fill(panel.theme.palette.bg)
    panel.draw(surface, rect, MEETING, NOW)
    shown = panel.shown
    assert rect.contains(shown.code_rect) and shown.code_rect.h <= rect.h
    assert shown.code_rect.centerx < rect.centerx  # the code left, the words right
    assert _decode(surface) == shown.url


def test_widget_redraws_once_a_second_not_every_frame():
    from kiosk.qr_panel import QrWidget

    clock = [NOW]
    panel = _panel((1280, 720))
    widget = QrWidget(pygame.Rect(880, 120, 360, 480), panel.theme, panel, lambda: MEETING, lambda: clock[0])
    widget.update(0.03)
    assert widget.dirty
    widget.render(pygame.Surface((1280, 720)))
    assert not widget.dirty and panel.shown.seconds_left == 18
    clock[0] = NOW + timedelta(milliseconds=300)  # the same second
    widget.update(0.3)
    assert not widget.dirty
    clock[0] = NOW + timedelta(seconds=1)
    widget.update(0.7)
    assert widget.dirty
    idle = QrWidget(pygame.Rect(0, 0, 600, 200), panel.theme, _panel((1280, 720), base_url="", key=None),
                    lambda: MEETING, lambda: clock[0])
    idle.update(0.1)
    idle.render(pygame.Surface((1280, 720)))
    clock[0] = NOW + timedelta(seconds=5)
    idle.update(0.1)
    assert not idle.dirty  # a notice does not change

"""The admin screens (#19, #17 Build 6) in the real kiosk loop: every label and button in both languages
and fitting at 1280×720 and 1080×1920; restart and exit are asked first and audited (actor, reason)
before the loop is asked to stop; a cancelled one leaves no trace."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.models import AuditEntry
from kiosk.app import ADMIN_HOLD_S
from kiosk.screens.admin import (
    AdminMemberPinScreen,
    AdminPanelScreen,
    AdminPinScreen,
    AdminSignInScreen,
    BiButton,
    BiLabel,
)
from kiosk.ui.drawing import line_height, text_width
from kiosk.ui.widgets.dialog import Dialog
from tests.kiosk.conftest import ADMIN_PIN
from tests.kiosk.test_kiosk_app import Finger, render

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def unlock(app, finger: Finger) -> AdminPanelScreen:
    """The hidden corner hold and the PIN, tapped as an administrator does."""
    render(app)
    finger.hold((app.theme.size[0] - 20, 20), ADMIN_HOLD_S + 0.5)
    pin = app.nav.top
    assert isinstance(pin, AdminPinScreen)
    render(app)
    for digit in ADMIN_PIN:
        finger.tap(pin.keypad.keys[digit].rect.center)
    finger.tap(pin.keypad.keys["确定"].rect.center)
    panel = app.nav.top
    assert isinstance(panel, AdminPanelScreen)
    render(app)
    return panel


def stops(app) -> list[AuditEntry]:
    with app.terminal.db.session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action.in_(("kiosk.restart", "kiosk.exit")))
                              .order_by(AuditEntry.id)))
        s.expunge_all()
    return rows


def dialog_button(app, word: str):
    dialog = app.nav.dialog
    assert isinstance(dialog, Dialog) and not dialog.closed
    return next(b for b in dialog.children if word in b.text)


@pytest.mark.parametrize("key, code", [("restart", 3), ("exit", 0)])
def test_restart_and_exit_from_the_panel_are_asked_first_and_audited(make_app, key, code):
    app = make_app((1280, 720))
    finger = Finger(app)
    panel = unlock(app, finger)
    button = panel.buttons[key]
    finger.tap(button.rect.center)
    render(app)
    assert "审计日志" in app.nav.dialog.message and "audit log" in app.nav.dialog.message
    finger.tap(dialog_button(app, "取消").rect.center)  # a stray tap is cancelled: nothing happens
    finger.tick()
    assert app.exit_code is None and stops(app) == []

    finger.tap(button.rect.center)
    render(app)
    go = dialog_button(app, {"restart": "重启", "exit": "退出"}[key])
    assert ("Restart" if key == "restart" else "Exit") in go.text
    finger.tap(go.rect.center)
    finger.tick()
    assert app.exit_code == code  # the loop (run_kiosk) stops on this; 3 = systemd brings it back
    (row,) = stops(app)
    assert row.action == f"kiosk.{key}" and row.actor == "admin:kiosk"
    assert row.terminal_id == app.terminal.terminal_id and row.detail["reason"] == "admin_panel"


def texts_fit(app, screen) -> list[str]:
    """Each bilingual widget on ``screen``: both languages present, and each line fits its width at the
    size it is drawn (nothing cut by an ellipsis). Returns the first lines seen."""
    th = app.theme
    seen = []
    widgets = list(screen.widgets)
    widgets += [k for w in screen.widgets for k in getattr(w, "keys", {}).values() if isinstance(k, BiButton)]
    for w in widgets:
        if isinstance(w, BiButton):
            width = w.rect.w - 2 * th.spacing.unit
            first = th.fit_font(w.text, width, w.role, "small")
            assert line_height(first) + line_height(th.font("small")) + th.spacing.unit <= w.rect.h, w.text
        elif isinstance(w, BiLabel):
            width = w.rect.w
            first = th.fit_font(w.text, width, w.role, "body" if w.role != "body" else "small")
        else:
            continue
        if not w.text:
            continue
        seen.append(w.text)
        assert w.second, f"{w.text!r} has no second language"
        zh, en = (w.second, w.text) if app.ctx.lang == "en" else (w.text, w.second)
        assert CJK.search(zh) and LATIN.search(en), (zh, en)
        assert text_width(first, w.text) <= width, (w.text, width)
        assert text_width(th.font("small"), w.second) <= width, (w.second, width)
    return seen


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=["1280x720", "1080x1920"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_admin_screen_is_bilingual_and_fits(make_app, size, lang):
    app = make_app(size)
    app.ctx.lang = lang
    finger = Finger(app)
    panel = unlock(app, finger)
    first = texts_fit(app, panel)
    assert len(first) >= 2 + len(AdminPanelScreen.ACTIONS)
    assert ("立即同步" if lang == "zh" else "Sync now") in first  # the kiosk's language first
    for key, kind in (("admin_signin", AdminSignInScreen), ("member_pin", AdminMemberPinScreen)):
        finger.tap(panel.buttons[key].rect.center)
        screen = app.nav.top
        assert isinstance(screen, kind)
        render(app)
        for d in "0199":
            finger.tap(screen.keypad.keys[d].rect.center)
        finger.tap(screen.keypad.keys["确定"].rect.center)
        render(app)
        assert "No member numbered M0199" in screen.message or "No meeting is open now" in screen.message
        texts_fit(app, screen)
        finger.tap(app.nav.header.back_button.rect.center)
        assert app.nav.top is panel
    app.nav.home()
    app.open_admin()
    pin = app.nav.top
    render(app)
    pin.submit("1111")
    render(app)
    assert "密码错误" in pin.message and "Wrong PIN" in pin.message
    texts_fit(app, pin)

"""Screens, the navigator that stacks them, and the failsafe that keeps the kiosk alive.

Like pibooth's state machine, every screen has hooks (``enter``, ``exit``, ``handle``, ``update``,
``draw``) and the :class:`Navigator` calls them. Any exception raised in a hook — or in a widget callback
a hook ran — is caught, logged with the screen name, the hook and the gesture, and the navigator shows
an :class:`ErrorScreen` ("抱歉，出了点问题") that returns home by itself after a few seconds. Nothing
propagates out of the main loop: an unattended lobby screen must never end up on a desktop.

Drawing is incremental. A screen redraws only its dirty widgets (and regions it invalidated); an idle
frame draws nothing and returns no rects, so the loop can sleep. The shell header (Back, Home,
organisation, clock, status) sits above every screen that is not ``fullscreen``, so Home is always one
tap away. Transitions last 150–250 ms (slide for push/pop, fade for home/replace) and are skipped when
``animations=False``.

Where each part lives: the screen base class in :mod:`kiosk.ui.screen_base`, the navigator in
:mod:`kiosk.ui.navigator`, the failsafe page in :mod:`kiosk.ui.failsafe` and transitions in
:mod:`kiosk.ui.transitions`. Screens and tests import them from here, one place for the whole toolkit.
"""

from __future__ import annotations

from kiosk.ui.failsafe import ErrorRecord, ErrorScreen
from kiosk.ui.navigator import Navigator
from kiosk.ui.screen_base import Screen, W, merge_rects
from kiosk.ui.transitions import TRANSITION_S

__all__ = ["TRANSITION_S", "ErrorRecord", "ErrorScreen", "Navigator", "Screen", "W", "merge_rects"]

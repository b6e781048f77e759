"""The navigator: a stack of screens under one shell header, with transitions, a banner, dialogs and
the failsafe that keeps the kiosk alive.

Like pibooth's state machine, every screen has hooks (``enter``, ``exit``, ``handle``, ``update``,
``draw``) and the :class:`Navigator` calls them. Any exception raised in a hook — or in a widget callback
a hook ran — is caught, logged with the screen name, the hook and the gesture, and the navigator shows
an :class:`~kiosk.ui.failsafe.ErrorScreen` that returns home by itself. Nothing propagates out of the
main loop. The shell header (Back, Home, organisation, clock, status) sits above every screen that is not
``fullscreen``, so Home is always one tap away.
"""

from __future__ import annotations

import datetime as _dt
import logging
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import pygame

from kiosk.ui.drawing import clip
from kiosk.ui.failsafe import ErrorRecord, ErrorScreen
from kiosk.ui.gestures import Down, Gesture, Tap, Up, Wheel
from kiosk.ui.layout import take_top
from kiosk.ui.screen_base import Screen, merge_rects
from kiosk.ui.theme import Theme
from kiosk.ui.transitions import TRANSITION_S, Transition, blend
from kiosk.ui.widgets.banner import Banner
from kiosk.ui.widgets.dialog import Dialog
from kiosk.ui.widgets.header import Header, StatusItem

#: The failsafe's records go under the name they always had (log configuration and tests filter on it).
log = logging.getLogger("kiosk.ui.screens")


class Navigator:
    """A stack of screens under one shell header, with transitions, a banner, dialogs and a failsafe.

    Call :meth:`handle` for each gesture, :meth:`update` once per frame, then :meth:`draw`, which
    returns the rects to pass to ``pygame.display.update`` (empty when nothing changed).
    """

    def __init__(
        self,
        theme: Theme,
        home: Screen,
        *,
        org_name: str = "",
        statuses: Sequence[StatusItem] | None = None,
        animations: bool = True,
        transition_s: float = TRANSITION_S,
        error_return_s: float = 8.0,
        now: Callable[[], _dt.datetime] = _dt.datetime.now,
        logger: logging.Logger | None = None,
        on_error: Callable[[ErrorRecord], object] | None = None,
    ) -> None:
        self.theme = theme
        self.size = theme.size
        self.animations = animations
        self.transition_s = min(0.25, max(0.15, transition_s))
        self.error_return_s = error_return_s
        self.log = logger or log
        self.on_error = on_error
        self.errors: list[ErrorRecord] = []  # the last 50
        self.error_count = 0
        self.idle_s = 0.0
        full = pygame.Rect(0, 0, *self.size)
        header_rect, self.content_rect = take_top(full, Header.preferred_height(theme, full.w))
        self.header = Header(header_rect, theme, org_name, statuses=statuses, now=now,
                             on_back=self.back, on_home=self.home)
        bh = theme.spacing.target + theme.spacing.unit * 2
        self.banner = Banner((self.content_rect.x + theme.spacing.pad, self.content_rect.y + theme.spacing.unit,
                              self.content_rect.w - 2 * theme.spacing.pad, bh), theme)
        self.dialog: Dialog | None = None
        self._home = home
        self._stack: list[Screen] = []
        self._transition: Transition | None = None
        self._full = True
        self._dialog_fresh = False
        self._captured_by: str | None = None  # "header" | "banner" | "dialog" | "screen"
        # on the stack first: a home that fails to lay out goes to the failsafe, which needs a stack
        self._stack.append(home)
        self._prepare(home)
        self._call(home, "enter", home.enter)
        self._sync_header()

    # -- stack ----------------------------------------------------------------------------------
    @property
    def top(self) -> Screen:
        return self._stack[-1]

    @property
    def stack(self) -> tuple[Screen, ...]:
        return tuple(self._stack)

    @property
    def depth(self) -> int:
        return len(self._stack)

    @property
    def animating(self) -> bool:
        """True while a transition or the banner moves (the loop runs at full frame rate)."""
        return self._transition is not None or self.banner.animating

    def invalidate(self) -> None:
        """Redraw everything (screen, header, overlays) on the next :meth:`draw`: e.g. for a screenshot,
        or after something else drew on the display."""
        self.top.invalidate()
        self.header.invalidate()
        self._full = True

    def finish_transition(self) -> None:
        """Jump to the end of a running transition (screenshots, tests)."""
        if self._transition is not None:
            self._transition = None
            self.invalidate()

    def _rect_for(self, screen: Screen) -> pygame.Rect:
        return pygame.Rect(0, 0, *self.size) if screen.fullscreen else pygame.Rect(self.content_rect)

    def _prepare(self, screen: Screen) -> None:
        if screen.nav is not self:
            screen.attach(self)
        rect = self._rect_for(screen)
        if screen.rect != rect or not screen.widgets:
            self._call(screen, "layout", screen.layout, rect)

    def _switch(self, new_stack: list[Screen], kind: str) -> None:
        old = self.top
        new = new_stack[-1]
        errors = self.error_count
        if old is not new:
            self._call(old, "exit", old.exit)
            if self.error_count != errors:
                return  # the failsafe has taken over
        self._stack = new_stack
        if old is not new:
            self._prepare(new)
            if self.error_count == errors:
                self._call(new, "enter", new.enter)
            if self.error_count != errors:
                return
        self._sync_header()
        self._close_dialog_silently()
        if self.animations and old is not new and self.top is new:
            self._transition = Transition(kind, old, new, self.transition_s)
        else:
            self._transition = None
        new.invalidate()
        self._full = True

    def push(self, screen: Screen) -> None:
        """Show ``screen`` on top (slides in from the right)."""
        self._switch([*self._stack, screen], "slide_left")

    def pop(self) -> bool:
        """Go back one screen (slides out to the right). False when already at home."""
        if len(self._stack) <= 1:
            return False
        self._switch(self._stack[:-1], "slide_right")
        return True

    def replace(self, screen: Screen) -> None:
        """Swap the top screen for ``screen`` (fade); replacing home makes ``screen`` the new home."""
        if len(self._stack) == 1:
            self._home = screen
        self._switch([*self._stack[:-1], screen], "fade")

    def home(self) -> None:
        """Back to the home screen, dropping the whole stack (fade)."""
        self._switch([self._home], "fade")

    def back(self) -> None:
        """The header's Back: close a dialog, else let the screen handle it, else pop."""
        if self.dialog is not None:
            self.close_dialog()
            return
        handled = self._call(self.top, "on_back", self.top.on_back)
        if not handled:
            self.pop()

    # -- overlays -------------------------------------------------------------------------------
    def notify(self, text: str, on_tap: Callable[[], object] | None = None, *, tag: str = "新消息",
               duration: float | None = None) -> None:
        """Slide the banner in with ``text``; it hides itself after its duration."""
        self.banner.show(text, on_tap, tag=tag, duration=duration)
        if not self.animations:
            self.banner.update(self.banner.slide_s)

    def show_dialog(self, dialog: Dialog) -> Dialog:
        """Show ``dialog`` over the content area (the header stays usable)."""
        dialog.layout(self.content_rect)
        self.dialog = dialog
        self._dialog_fresh = True
        return dialog

    def close_dialog(self) -> None:
        if self.dialog is not None:
            d = self.dialog
            self.dialog = None
            d.close()
            self.top.invalidate()

    def _close_dialog_silently(self) -> None:
        if self.dialog is not None:
            self.dialog = None

    def _sync_header(self) -> None:
        top = self.top
        self.header.set_nav(top is not self._home or len(self._stack) > 1)
        self.header.set_title(top.title)

    # -- failsafe -------------------------------------------------------------------------------
    def _call(self, screen: Screen | None, hook: str, fn: Callable[..., Any], *args: Any,
              event: object = None) -> Any:
        """Run one hook; on any exception record it and show the error screen instead of raising."""
        try:
            return fn(*args)
        except Exception as exc:
            self.fail(exc, screen.name if screen is not None else "shell", hook, event)
            return None

    def fail(self, exc: BaseException, screen: str, hook: str, event: object = None) -> None:
        """Record and log ``exc``, then show the :class:`ErrorScreen` over home."""
        record = ErrorRecord(screen, hook, repr(event), f"{type(exc).__name__}: {exc}",
                             "".join(traceback.format_exception(exc)))
        self.errors.append(record)
        self.error_count += 1
        del self.errors[:-50]
        self.log.error("screen %s failed in %s (event=%s): %s", screen, hook, record.event, record.error,
                       exc_info=exc)
        if self.on_error is not None:
            try:
                self.on_error(record)
            except Exception:
                self.log.exception("on_error callback failed")
        self._transition = None
        self.dialog = None
        failing_error_screen = isinstance(self.top, ErrorScreen) and screen == "ErrorScreen"
        for s in reversed(self._stack[1:]):
            try:
                if s.name != screen:
                    s.exit()
            except Exception:
                self.log.exception("exit of %s failed during recovery", s.name)
        self._stack = [self._home]
        if not failing_error_screen:
            err = ErrorScreen(self.error_return_s, record.error)
            try:
                err.attach(self)
                err.layout(self._rect_for(err))
                self._stack.append(err)
            except Exception:
                self.log.exception("could not build the error screen")
        self._sync_header()
        self.top.invalidate()
        self._full = True

    # -- per-frame --------------------------------------------------------------------------------
    def handle(self, gesture: Gesture) -> bool:
        """Send a gesture to the header, banner, dialog or top screen (in that order of priority)."""
        self.idle_s = 0.0
        try:
            if isinstance(gesture, Down):
                self._captured_by = self._route_down(gesture)
                return self._captured_by is not None
            if isinstance(gesture, Wheel):  # no stroke: goes to what is under the pointer
                target = "dialog" if self.dialog is not None else "screen"
            else:
                target = self._captured_by
            if target is None:  # the stroke began during a transition
                return False
            if target == "header":
                return self.header.handle(gesture)
            if target == "banner":
                return self.banner.handle(gesture)
            if self.dialog is not None:
                used = self.dialog.handle(gesture)
                self._after_dialog()
                return used
            if self._transition is not None:
                return False
            top = self.top
            return bool(self._call(top, "handle", top.handle, gesture, event=gesture))
        except Exception as exc:
            self.fail(exc, "shell", "handle", gesture)
            return False

    def _route_down(self, gesture: Down) -> str | None:
        if not self.top.fullscreen and self.header.rect.collidepoint(gesture.pos):
            self.header.handle(gesture)
            return "header"  # the whole stroke belongs to the header, used or not
        if self.banner.contains(gesture.pos):
            self.banner.handle(gesture)
            return "banner"
        if self.dialog is not None:
            self.dialog.handle(gesture)
            return "dialog"
        if self._transition is not None:
            return None
        top = self.top
        self._call(top, "handle", top.handle, gesture, event=gesture)
        return "screen"  # the screen routes the rest of the stroke to whichever widget took the Down

    def _after_dialog(self) -> None:
        if self.dialog is not None and self.dialog.closed:
            self.dialog = None
            self.top.invalidate()

    def update(self, dt: float) -> None:
        """Advance time: transitions, banner, header clock, dialog and the top screen."""
        self.idle_s += dt
        try:
            if self._transition is not None:
                self._transition.t += dt
                if self._transition.t >= self._transition.duration:
                    self._transition = None
                    self.top.invalidate()
            self.banner.update(dt)
            self.header.update(dt)
            if self.dialog is not None:
                self.dialog.update(dt)
        except Exception as exc:
            self.fail(exc, "shell", "update")
        top = self.top
        self._call(top, "update", top.update, dt)

    def draw(self, surface: pygame.Surface) -> list[pygame.Rect]:
        """Draw what changed this frame; return the rects to update on the display."""
        try:
            return self._draw(surface)
        except Exception as exc:
            self.fail(exc, self.top.name, "draw")
            try:
                return self._draw(surface)
            except Exception:
                self.log.exception("drawing the error screen failed")
                surface.fill(self.theme.palette.red)
                return [surface.get_rect()]

    def _draw(self, surface: pygame.Surface) -> list[pygame.Rect]:
        rects: list[pygame.Rect] = []
        top = self.top
        full = self._full
        self._full = False
        if self._transition is not None:
            rects.extend(self._draw_transition(surface, self._transition))
            if self._transition is None:  # snapshot failed
                return self._draw(surface)
        else:
            if full:
                top.invalidate()
            dialog_open = self.dialog is not None
            if dialog_open and (top.needs_redraw or self._dialog_fresh):
                top.invalidate()
            drawn = self._call(top, "draw", top.draw, surface) or []
            if self.top is not top:  # the failsafe replaced the screen mid-draw
                return self._draw(surface)
            rects.extend(drawn)
            if self.dialog is not None:
                if drawn or self._dialog_fresh:
                    self.dialog.draw(surface)
                    rects.append(pygame.Rect(self.dialog.bounds))
                elif self.dialog.dirty:
                    self.dialog.draw_panel(surface)
                    self.dialog.dirty = False
                    rects.append(pygame.Rect(self.dialog.panel))
                self._dialog_fresh = False
        rects.extend(self._draw_banner(surface, rects))
        if not self.top.fullscreen and (full or self.header.dirty or self._transition is not None):
            self.header.render(surface)
            rects.append(pygame.Rect(self.header.rect))
        return merge_rects(rects)

    def _draw_banner(self, surface: pygame.Surface, drawn: list[pygame.Rect]) -> list[pygame.Rect]:
        b = self.banner
        if not b.visible and b.last_drawn is None:
            return []
        current = b.current_rect() if b.visible else None
        touched = any(current is not None and r.colliderect(current) for r in drawn)
        if not (b.dirty or touched):
            return []
        region = current.copy() if current is not None else pygame.Rect(b.last_drawn)
        if b.last_drawn is not None:
            region.union_ip(b.last_drawn)
        region = region.clip(self.content_rect)
        if self._transition is None and not touched:
            self.top.redraw_region(surface, region)
            if self.dialog is not None:
                self.top.invalidate()  # the scrim must be redrawn over the repaired area
        if b.visible:
            with clip(surface, self.content_rect):
                b.draw(surface)
        else:
            b.last_drawn = None
        b.dirty = False
        return [region]

    def _snapshot(self, screen: Screen, target: pygame.Surface) -> None:
        screen.invalidate()
        screen.draw(target)

    def _draw_transition(self, surface: pygame.Surface, tr: Transition) -> list[pygame.Rect]:
        if tr.from_surf is None:
            area = pygame.Rect(self.content_rect)
            kind = tr.kind
            if tr.from_screen.fullscreen or tr.to_screen.fullscreen:
                area = pygame.Rect(0, 0, *self.size)
                kind = "fade"
            tr.kind, tr.area = kind, area
            tr.from_surf = surface.copy()
            tr.to_surf = surface.copy()
            try:
                self._snapshot(tr.from_screen, tr.from_surf)
                if area.h == self.size[1] and not tr.from_screen.fullscreen:
                    self.header.render(tr.from_surf)
            except Exception:
                self.log.debug("snapshot of %s failed; skipping transition", tr.from_screen.name, exc_info=True)
                tr.from_surf.fill(self.theme.palette.bg)
            self._call(tr.to_screen, "draw", self._snapshot, tr.to_screen, tr.to_surf)
            if self._transition is not tr:  # the new screen failed to draw: the failsafe took over
                return []
            if area.h == self.size[1] and not tr.to_screen.fullscreen:
                self.header.render(tr.to_surf)
        area = blend(surface, tr)
        if tr.t >= tr.duration:
            self._transition = None
            self.top.invalidate()
            self._full = True
        return [pygame.Rect(area)]

    def resize(self, size: tuple[int, int], theme: Theme | None = None) -> None:
        """Adopt a new display size (rotation): rebuild the shell and re-layout the stack."""
        self.theme = theme or Theme.for_screen(size, self.theme.fonts, self.theme.palette)
        self.size = self.theme.size
        full = pygame.Rect(0, 0, *self.size)
        header_rect, self.content_rect = take_top(full, Header.preferred_height(self.theme, full.w))
        self.header = Header(header_rect, self.theme, self.header.org_name, statuses=self.header.statuses,
                             now=self.header.now, on_back=self.back, on_home=self.home)
        b = self.theme.spacing
        self.banner = Banner((self.content_rect.x + b.pad, self.content_rect.y + b.unit,
                              self.content_rect.w - 2 * b.pad, b.target + b.unit * 2), self.theme)
        for s in self._stack:
            s.attach(self)
            self._call(s, "layout", s.layout, self._rect_for(s))
        self._transition = None
        self._sync_header()
        self._full = True

    def tap(self, pos: tuple[float, float]) -> None:
        """Convenience for tests and scripted demos: a Down, Up and Tap at ``pos``."""
        self.handle(Down(pos))
        self.handle(Up(pos, False))
        self.handle(Tap(pos))

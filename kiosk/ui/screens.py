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
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pygame

from kiosk.ui.drawing import clip, draw_text, ease_out, line_height
from kiosk.ui.gestures import Down, Gesture, Tap, Up, Wheel
from kiosk.ui.layout import centered, take_top
from kiosk.ui.theme import RGB, Theme
from kiosk.ui.widgets.banner import Banner
from kiosk.ui.widgets.base import Widget
from kiosk.ui.widgets.button import Button
from kiosk.ui.widgets.dialog import Dialog
from kiosk.ui.widgets.header import Header, StatusItem

log = logging.getLogger(__name__)

W = TypeVar("W", bound=Widget)

TRANSITION_S = 0.2


def merge_rects(rects: Sequence[pygame.Rect]) -> list[pygame.Rect]:
    """Union overlapping rects so each pixel is drawn and pushed to the display once."""
    out: list[pygame.Rect] = []
    for r in rects:
        r = pygame.Rect(r)
        if r.w <= 0 or r.h <= 0:
            continue
        merged = True
        while merged:
            merged = False
            for i, o in enumerate(out):
                if o.colliderect(r):
                    r = r.union(out.pop(i))
                    merged = True
                    break
        out.append(r)
    return out


class Screen:
    """Base class of every kiosk screen. Override :meth:`build` to create widgets for ``self.rect``.

    Lifecycle: the navigator calls ``attach`` (sets ``nav`` and ``theme``), ``layout(rect)`` (which
    calls ``build``) when the screen is first shown or the size changed, then ``enter()`` each time it
    becomes the top screen and ``exit()`` each time it stops being the top screen.
    """

    #: Shown in the header next to the organisation name.
    title: str | None = None
    #: True: no header; the screen gets the whole display (attract loop). It must offer its own way out.
    fullscreen: bool = False
    #: Page colour; None uses the theme's warm white.
    background: RGB | None = None

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self.nav: Navigator | None = None
        self.theme: Theme | None = None
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.widgets: list[Widget] = []
        self._full = True
        self._regions: list[pygame.Rect] = []
        self._captured: Widget | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def attach(self, nav: Navigator) -> None:
        self.nav = nav
        self.theme = nav.theme

    def layout(self, rect: pygame.Rect) -> None:
        """Set the content rect and rebuild the widgets."""
        self.rect = pygame.Rect(rect)
        self.widgets = []
        self._captured = None
        self.build()
        self.invalidate()

    def build(self) -> None:
        """Create widgets with :meth:`add` for ``self.rect`` using ``self.theme``."""

    def add(self, widget: W) -> W:
        self.widgets.append(widget)
        return widget

    def enter(self) -> None:
        """Became the top screen (after push, or after the screen above it was popped)."""

    def exit(self) -> None:
        """Stopped being the top screen."""

    def on_back(self) -> bool:
        """Back was pressed: return True to handle it inside the screen instead of popping it."""
        return False

    # -- input / time ---------------------------------------------------------------------------
    def handle(self, gesture: Gesture) -> bool:
        """Route a gesture to widgets: the one taking a Down gets the rest of that stroke."""
        if isinstance(gesture, Down):
            self._captured = None
            for w in reversed(self.widgets):
                if w.contains(gesture.pos) and w.handle(gesture):
                    self._captured = w
                    return True
            return False
        if self._captured is not None and not isinstance(gesture, Wheel):
            return self._captured.handle(gesture)
        pos = getattr(gesture, "pos", None)
        if pos is None:
            return False
        return any(w.contains(pos) and w.handle(gesture) for w in reversed(self.widgets))

    def update(self, dt: float) -> None:
        for w in self.widgets:
            w.update(dt)

    # -- drawing --------------------------------------------------------------------------------
    @property
    def needs_redraw(self) -> bool:
        return self._full or bool(self._regions) or any(w.dirty for w in self.widgets)

    def invalidate(self, rect: pygame.Rect | tuple[int, int, int, int] | None = None) -> None:
        """Redraw everything on the next frame, or only ``rect``."""
        if rect is None:
            self._full = True
        else:
            self._regions.append(pygame.Rect(rect))

    def draw_background(self, surface: pygame.Surface) -> None:
        """Paint the page behind the widgets (respects the surface clip)."""
        theme = self.theme
        color = self.background or (theme.palette.bg if theme else (250, 246, 239))
        surface.fill(color, self.rect)

    def redraw_region(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """Repaint background and every widget touching ``rect``, clipped to it."""
        area = pygame.Rect(rect).clip(self.rect)
        if area.w <= 0 or area.h <= 0:
            return
        with clip(surface, area):
            self.draw_background(surface)
            for w in self.widgets:
                if w.rect.colliderect(area):
                    w.render(surface)

    def draw(self, surface: pygame.Surface) -> list[pygame.Rect]:
        """Draw what changed; return the rects drawn (empty on an idle frame)."""
        if self._full:
            self._full = False
            self._regions.clear()
            with clip(surface, self.rect):
                self.draw_background(surface)
                for w in self.widgets:
                    w.render(surface)
            return [pygame.Rect(self.rect)]
        dirty = [*self._regions, *(w.rect for w in self.widgets if w.dirty)]
        self._regions.clear()
        rects = merge_rects(dirty)
        for r in rects:
            self.redraw_region(surface, r)
        return rects


class ErrorScreen(Screen):
    """The failsafe page: an apology, a countdown, and a button home. Returns home by itself."""

    title = "提示"

    def __init__(self, return_after_s: float = 8.0, detail: str = "") -> None:
        super().__init__("ErrorScreen")
        self.remaining = float(return_after_s)
        self.detail = detail
        self._shown_seconds = -1

    def build(self) -> None:
        assert self.theme is not None
        t = self.theme
        w = min(self.rect.w - 2 * t.spacing.pad, round(560 * t.scale) + 2 * t.spacing.target)
        r = centered((w, t.spacing.target), self.rect)
        r.y = self.rect.centery + t.spacing.target
        self.add(Button(r, t, "返回首页 Home", self._go_home))

    def _go_home(self) -> None:
        if self.nav is not None:
            self.nav.home()

    def update(self, dt: float) -> None:
        super().update(dt)
        self.remaining -= dt
        seconds = max(0, int(self.remaining + 0.999))
        if seconds != self._shown_seconds:
            self._shown_seconds = seconds
            self.invalidate()
        if self.remaining <= 0 and self.nav is not None:
            self.remaining = float("inf")
            self.nav.home()

    def draw_background(self, surface: pygame.Surface) -> None:
        super().draw_background(surface)
        assert self.theme is not None
        t = self.theme
        p = t.palette
        cx, cy = self.rect.centerx, self.rect.centery
        big, small = t.font("heading", True), t.font("body")
        y = cy - t.spacing.target - line_height(big) * 2
        pygame.draw.circle(surface, p.red, (cx, y - t.spacing.gap), round(t.type.heading * 0.8))
        draw_text(surface, big, "!", (cx, y - t.spacing.gap), p.on_red, "center")
        y += t.spacing.target // 2 + t.spacing.gap
        draw_text(surface, big, "抱歉，出了点问题", (cx, y), p.ink, "midtop")
        y += line_height(big)
        draw_text(surface, small, "Something went wrong", (cx, y), p.ink_muted, "midtop")
        y += line_height(small) + t.spacing.unit
        seconds = max(0, self._shown_seconds)
        draw_text(surface, small, f"{seconds} 秒后自动返回首页 / Returning home in {seconds} s", (cx, y),
                  p.ink_muted, "midtop")


@dataclass
class ErrorRecord:
    """What the failsafe caught (kept in ``Navigator.errors`` and logged)."""

    screen: str
    hook: str
    event: str
    error: str
    traceback: str
    at: float = field(default_factory=time.time)


@dataclass
class _Transition:
    kind: str  # "slide_left" (push), "slide_right" (pop), "fade"
    from_screen: Screen
    to_screen: Screen
    duration: float
    t: float = 0.0
    from_surf: pygame.Surface | None = None
    to_surf: pygame.Surface | None = None
    area: pygame.Rect | None = None


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
        self._transition: _Transition | None = None
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
            self._transition = _Transition(kind, old, new, self.transition_s)
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

    def _draw_transition(self, surface: pygame.Surface, tr: _Transition) -> list[pygame.Rect]:
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
        assert tr.from_surf is not None and tr.to_surf is not None and tr.area is not None
        area = tr.area
        p = ease_out(tr.t / tr.duration if tr.duration > 0 else 1.0)
        if tr.kind == "fade":
            surface.blit(tr.from_surf, area, area)
            tr.to_surf.set_alpha(round(255 * p))
            surface.blit(tr.to_surf, area, area)
            tr.to_surf.set_alpha(None)
        else:
            sign = -1 if tr.kind == "slide_left" else 1
            shift = round(area.w * p) * sign
            with clip(surface, area):
                surface.blit(tr.from_surf, (area.x + shift, area.y), area)
                surface.blit(tr.to_surf, (area.x + shift - sign * area.w, area.y), area)
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

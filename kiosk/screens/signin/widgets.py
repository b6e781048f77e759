"""The sign-in screen's widgets: meeting cards, the attendance counter, stacked text and the result card.

They only draw what they are given (MeetingInfo, a summary dict, a SignInCard); the screen decides when.
Marks such as ✓ are drawn with lines, not glyphs, so no font can turn them into tofu.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from kiosk.context import KioskContext
from kiosk.screens.signin.data import MeetingInfo, SignInCard
from kiosk.ui.drawing import card, draw_text, line_height, measurer, text_width
from kiosk.ui.text import ellipsize, wrap_text
from kiosk.ui.theme import RGB, Theme, mix
from kiosk.ui.widgets import Widget
from kiosk.ui.widgets.button import Pressable

TYPE_EN = {"支部党员大会": "Branch general meeting", "支委会": "Branch committee", "党小组会": "Party group meeting",
           "党课": "Party lecture"}
METHOD_ZH = {"face": "刷脸签到", "pin": "工号签到", "admin": "管理员确认", "qr": "扫码签到"}
METHOD_EN = {"face": "face", "pin": "member number", "admin": "administrator", "qr": "QR code"}


def draw_check(surface: pygame.Surface, center: tuple[int, int], diameter: int, fill: RGB, stroke: RGB) -> None:
    """A ✓ in a disc, drawn with lines (no font can turn it into tofu)."""
    cx, cy = center
    r = max(8, diameter // 2)
    pygame.draw.circle(surface, fill, center, r)
    pts = [(cx - r * 0.48, cy + r * 0.02), (cx - r * 0.12, cy + r * 0.38), (cx + r * 0.5, cy - r * 0.36)]
    pygame.draw.lines(surface, stroke, False, pts, max(4, r // 4))


def pill(surface: pygame.Surface, font, text: str, pos: tuple[int, int], fill: RGB, ink: RGB, pad: int,
         anchor: str = "topleft") -> pygame.Rect:
    """Text on a rounded pill; returns the pill's rect."""
    w, h = text_width(font, text) + 2 * pad, line_height(font) + pad
    r = pygame.Rect(0, 0, w, h)
    setattr(r, anchor, pos)
    pygame.draw.rect(surface, fill, r, border_radius=h // 2)
    draw_text(surface, font, text, r.center, ink, "center")
    return r


@dataclass(frozen=True)
class Run:
    """One block of wrapped text in a :class:`TextStack`."""

    text: str
    role: str = "body"
    bold: bool = False
    color: RGB | None = None
    gap: int = 0
    spacing: float = 1.25


class TextStack(Widget):
    """Runs of wrapped text stacked top-down; ``fits`` is False when the last ones had to be cut."""

    def __init__(self, rect, theme: Theme, runs: Sequence[Run] = (), *, align: str = "left",
                 valign: str = "top") -> None:
        super().__init__(rect, theme)
        self.runs = list(runs)
        self.align = align
        self.valign = valign

    def set_runs(self, runs: Sequence[Run]) -> None:
        if list(runs) != self.runs:
            self.runs = list(runs)
            self.dirty = True

    def text(self) -> str:
        return "\n".join(r.text for r in self.runs)

    def lines(self) -> tuple[list[tuple[Run, str, int, int]], int]:
        """(run, line, y offset, line height) for every line, and the total height."""
        out, y = [], 0
        for run in self.runs:
            font = self.theme.font(run.role, run.bold)
            lh = line_height(font, run.spacing)
            y += run.gap
            for line in wrap_text(run.text, max(1, self.rect.w), measurer(font)):
                out.append((run, line, y, lh))
                y += lh
        return out, y

    @property
    def fits(self) -> bool:
        return self.lines()[1] <= self.rect.h

    def draw(self, surface: pygame.Surface) -> None:
        lines, total = self.lines()
        shown = [ln for ln in lines if ln[2] + ln[3] <= self.rect.h] or lines[:1]
        cut = len(shown) < len(lines)
        top = self.rect.y + (max(0, self.rect.h - total) // 2 if self.valign == "center" else 0)
        for i, (run, line, y, lh) in enumerate(shown):
            font = self.theme.font(run.role, run.bold)
            text = line
            if cut and i == len(shown) - 1:
                text = ellipsize(line, self.rect.w, measurer(font), force=True)
            x = self.rect.x
            if self.align == "center":
                x = self.rect.centerx - text_width(font, text) // 2
            draw_text(surface, font, text, (x, top + y + (lh - line_height(font)) // 2),
                      run.color or self.theme.palette.ink)


class MeetingCard(Pressable):
    """One open meeting: 【type】title, then branch · place · time. Tappable when there is a choice."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, info: MeetingInfo, *, selected: bool,
                 choosable: bool, on_tap: Callable[[], object] | None = None) -> None:
        super().__init__(rect, theme, on_tap, enabled=choosable)
        self.ctx, self.info = ctx, info
        self.selected, self.choosable = selected, choosable

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.dirty = True

    def title_text(self) -> str:
        i, ctx = self.info, self.ctx
        kind = ctx.t(i.type, TYPE_EN.get(i.type, i.type))
        return ctx.t(f"【{kind}】{i.title_zh}", f"[{kind}] {i.title_en or i.title_zh}")

    def detail_text(self) -> str:
        """Time and state first: they must survive when a narrow card cuts the line."""
        i, ctx = self.info, self.ctx
        start, end = ctx.local(i.starts_at), ctx.local(i.ends_at)
        state = ctx.t("进行中", "in progress") if i.starts_at <= ctx.now() else ctx.t("即将开始", "starting soon")
        parts = [f"{start:%H:%M}–{end:%H:%M}", state, ctx.t(i.branch_zh, i.branch_en), i.place]
        return " · ".join(p for p in parts if p)

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        highlight = self.choosable and self.selected
        fill = p.surface_pressed if self.pressed else p.surface
        card(surface, self.rect, fill, sp.radius, border=p.red if highlight else p.divider,
             border_width=4 if highlight else 2)
        bar = pygame.Rect(self.rect.x + sp.unit, self.rect.y + sp.unit * 2, max(6, sp.unit), self.rect.h - sp.unit * 4)
        pygame.draw.rect(surface, p.red if (highlight or not self.choosable) else p.divider, bar, border_radius=3)
        x = bar.right + sp.gap
        w = self.rect.right - sp.gap - x
        title = self.title_text()
        # One size for every card when there is a choice (a shrunk title would look less important).
        tf = t.font("button", True) if self.choosable else t.fit_font(title, w, "title", "button", bold=True)
        bf = t.font("body")
        th, bh = line_height(tf), line_height(bf)
        room = max(1, (self.rect.h - 2 * sp.unit - th - sp.unit) // bh)  # detail lines that fit
        details = wrap_text(self.detail_text(), w, measurer(bf))
        if len(details) > room:
            details = details[:room]
            details[-1] = ellipsize(details[-1], w, measurer(bf), force=True)
        y = self.rect.centery - (th + sp.unit + bh * len(details)) // 2
        draw_text(surface, tf, ellipsize(title, w, measurer(tf)), (x, y), p.ink)
        y += th + sp.unit
        for line in details:
            draw_text(surface, bf, line, (x, y), p.ink_muted)
            y += bh


class Counter(Widget):
    """已签到 present / 应到 expected, with the late count."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, summary: dict[str, int]) -> None:
        super().__init__(rect, theme)
        self.ctx = ctx
        self.summary = dict(summary)

    def set_summary(self, summary: dict[str, int]) -> None:
        if dict(summary) != self.summary:
            self.summary = dict(summary)
            self.dirty = True

    def texts(self) -> tuple[str, str, str]:
        s, ctx = self.summary, self.ctx
        late = s.get("late", 0)
        foot = ctx.t(f"应到 {s.get('expected', 0)} 人", f"expected {s.get('expected', 0)}")
        if late:
            foot += ctx.t(f" · 迟到 {late}", f" · late {late}")
        if s.get("walk_ins"):
            foot += ctx.t(f" · 列席 {s['walk_ins']}", f" · guests {s['walk_ins']}")
        return ctx.t("已签到", "Signed in"), f"{s.get('present', 0)} / {s.get('expected', 0)}", foot

    def draw(self, surface: pygame.Surface) -> None:
        t, p = self.theme, self.theme.palette
        sp = t.spacing
        card(surface, self.rect, p.surface, sp.radius, border=p.divider)
        label, number, foot = self.texts()
        inner = self.rect.w - 2 * sp.gap
        nf = t.fit_font(number, inner, "number", "title", bold=True)
        sf = t.font("small")
        heights = line_height(sf) + line_height(nf) + line_height(sf)
        y = self.rect.centery - heights // 2
        cx = self.rect.centerx
        draw_text(surface, sf, ellipsize(label, inner, measurer(sf)), (cx, y), p.ink_muted, "midtop")
        y += line_height(sf)
        draw_text(surface, nf, number, (cx, y), p.red, "midtop")
        y += line_height(nf)
        draw_text(surface, sf, ellipsize(foot, inner, measurer(sf)), (cx, y),
                  p.warn.text if self.summary.get("late") else p.ink_muted, "midtop")


class ResultCard(Widget):
    """签到成功 / 已签到: a ✓, the name big, branch, number, time, method and a 迟到 tag."""

    def __init__(self, rect, theme: Theme, ctx: KioskContext, result: SignInCard) -> None:
        super().__init__(rect, theme)
        self.ctx, self.result = ctx, result

    def texts(self) -> list[str]:
        r, ctx = self.result, self.ctx
        head = ctx.t("已签到", "Already signed in") if r.already else ctx.t("签到成功", "Signed in")
        when = f"{ctx.local(r.signed_at):%H:%M}"
        time_text = (ctx.t(f"签到时间 {when}（此前已签到）", f"signed in at {when} (earlier)") if r.already
                     else ctx.t(f"签到时间 {when}", f"signed in at {when}"))
        method = ctx.t(METHOD_ZH.get(r.method, r.method), f"by {METHOD_EN.get(r.method, r.method)}")
        return [head, ctx.t(f"{r.name} 同志", r.name), f"{r.branch} · {r.number}", f"{time_text} · {method}",
                r.meeting_title]

    def draw(self, surface: pygame.Surface) -> None:
        t, p, ctx = self.theme, self.theme.palette, self.ctx
        sp = t.spacing
        r = self.result
        card(surface, self.rect, p.surface, sp.radius, shadow=mix(p.bg, (0, 0, 0), 0.12), border=p.divider)
        accent = p.warn.fill if r.late and not r.already else p.ok.fill
        pygame.draw.rect(surface, accent, (self.rect.x, self.rect.y, self.rect.w, max(8, sp.unit)),
                         border_top_left_radius=sp.radius, border_top_right_radius=sp.radius)
        head, name, who, when, meeting = self.texts()
        inner = self.rect.w - 2 * sp.pad
        hf, nf, bf, sf = t.font("heading", True), t.fit_font(name, inner, "number", "title", True), t.font("body"), \
            t.font("small")
        tag_h = line_height(bf) + sp.unit
        d = round(t.type.number * 1.2)
        parts = [d, line_height(hf), line_height(nf), line_height(bf), line_height(bf), tag_h, line_height(sf)]
        total = sum(parts) + sp.unit * 2 * (len(parts) - 1)
        y = self.rect.y + max(sp.pad, (self.rect.h - total) // 2)
        cx = self.rect.centerx
        draw_check(surface, (cx, y + d // 2), d, p.ok.fill if not r.already else p.off.fill, p.on_red)
        y += d + sp.unit * 2
        draw_text(surface, hf, head, (cx, y), p.ok.text if not r.already else p.ink, "midtop")
        y += line_height(hf) + sp.unit * 2
        draw_text(surface, nf, ellipsize(name, inner, measurer(nf)), (cx, y), p.ink, "midtop")
        y += line_height(nf) + sp.unit * 2
        draw_text(surface, bf, ellipsize(who, inner, measurer(bf)), (cx, y), p.ink_muted, "midtop")
        y += line_height(bf) + sp.unit * 2
        draw_text(surface, bf, ellipsize(when, inner, measurer(bf)), (cx, y), p.ink, "midtop")
        y += line_height(bf) + sp.unit * 2
        tags = []
        if r.late:
            tags.append((ctx.t("迟到", "Late"), p.warn.fill, p.warn.on_fill))
        if r.already:
            tags.append((ctx.t("已签到", "Already signed in"), p.off.fill, p.off.on_fill))
        if r.walk_in:
            tags.append((ctx.t("列席", "Guest"), p.off.fill, p.off.on_fill))
        if not tags:
            tags.append((ctx.t("按时", "On time"), p.ok.fill, p.ok.on_fill))
        widths = [text_width(bf, text) + 4 * sp.unit for text, _, _ in tags]
        x = cx - (sum(widths) + sp.gap * (len(tags) - 1)) // 2
        for (text, fill, ink), w in zip(tags, widths, strict=True):
            pill(surface, bf, text, (x, y), fill, ink, sp.unit * 2)
            x += w + sp.gap
        y += tag_h + sp.unit * 2
        draw_text(surface, sf, ellipsize(meeting, inner, measurer(sf)), (cx, y), p.ink_muted, "midtop")



def no_meeting_runs(ctx: KioskContext, theme: Theme, next_meeting: MeetingInfo | None) -> list[Run]:
    """The page with no meeting open: says so, when sign-in opens, and names the next meeting (if any)."""
    p, sp = theme.palette, theme.spacing
    runs = [Run(ctx.t("当前没有进行中的会议", "No meeting is open for sign-in now"), "heading", True, p.ink),
            Run(ctx.t("会议开始前 30 分钟开放签到", "Sign-in opens 30 minutes before a meeting starts"),
                "body", color=p.ink_muted, gap=sp.unit)]
    m = next_meeting
    if m is None:
        runs.append(Run(ctx.t("近期没有会议安排", "No meetings are scheduled"), "title", gap=sp.pad))
        return runs
    kind = ctx.t(m.type, TYPE_EN.get(m.type, m.type))
    when = f"{ctx.weekday_text(m.starts_at)} {ctx.date_text(m.starts_at, True)}"
    return runs + [Run(ctx.t("下一场会议", "Next meeting"), "small", True, p.red, gap=sp.pad),
                   Run(ctx.t(f"【{kind}】{m.title_zh}", f"[{kind}] {m.title_en or m.title_zh}"), "title", True,
                       gap=sp.unit),
                   Run(" · ".join(x for x in (when, ctx.t(m.branch_zh, m.branch_en), m.place) if x), "body",
                       color=p.ink_muted, gap=sp.unit)]

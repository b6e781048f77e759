"""What the map knows about each branch, read from core once per visit.

Why a module of its own: the map, the branch buttons and the branch card all draw from the same
:class:`BranchPin`, and the screen reads it through core's services (directory, dashboard, meetings) so
the kiosk writes no SQL. Privacy: a pin holds a branch and its public contacts, never a member's place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import directory
from core.dashboard import branch_figures
from core.meetings import upcoming
from kiosk.context import KioskContext
from kiosk.screens.dashboard import TYPE_EN, short_name


@dataclass(frozen=True)
class BranchPin:
    """What the map knows about one branch (read once per visit; no member positions)."""

    code: str
    name_zh: str
    name_en: str
    lat: float | None
    lon: float | None
    status: str  # core.dashboard: green | amber | red
    members: int
    secretary: str
    phone: str
    place: str
    next_meeting: str

    @property
    def latlon(self) -> tuple[float, float] | None:
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)

    def short(self, lang: str) -> str:
        return short_name(self.name_zh) if lang != "en" else (self.name_en.split(" (")[0] or self.code)


def meeting_text(ctx: KioskContext, meeting: Any, now: datetime) -> str:
    """"11月28日 周六 14:30 · 党课" (or "进行中 · …" once it has begun), in the kiosk's language."""
    local = ctx.local(meeting.starts_at)
    day = f"{local.month}月{local.day}日" if ctx.lang != "en" else local.strftime("%d %b")
    when = ctx.t("进行中", "now on") if meeting.starts_at <= now else \
        f"{day} {ctx.weekday_text(meeting.starts_at)} {local:%H:%M}"
    return f"{when} · {ctx.t(meeting.type, TYPE_EN.get(meeting.type, meeting.type))}"


def load_pins(ctx: KioskContext) -> list[BranchPin]:
    """Branches with their 三会一课 status, secretary, member count and next meeting."""
    now = ctx.now()
    with ctx.session() as s:
        figures = {f.code: f for f in branch_figures(s, now, ctx.terminal.tz)}
        branches = directory.branches(s)
        names = directory.member_names(s, [b.secretary_number for b in branches if b.secretary_number])
        nxt: dict[int, Any] = {}
        for m in upcoming(s, now, 500):
            nxt.setdefault(m.branch_id, m)
        pins = []
        for b in branches:
            f = figures.get(b.code)
            m = nxt.get(b.id)
            meeting = meeting_text(ctx, m, now) if m is not None else ""
            pins.append(BranchPin(b.code, b.name_zh, b.name_en, b.lat, b.lon, f.status if f else "green",
                                  f.members if f else 0, names.get(b.secretary_number or "", ""), b.phone,
                                  b.place_zh, meeting))
    return pins

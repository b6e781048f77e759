"""What the dashboard shows, and the words and shapes it shows it with.

Figures come from ``core.dashboard`` (complete periods only), so the kiosk and any report agree; this
module only reads them in one session and adds the kiosk's labels: status → (palette state, 中文, English,
shape), so a status is never told by colour alone. The map's branch pins and cards use the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.dashboard import BranchFigures, branch_figures, month_meetings
from kiosk.context import KioskContext
from kiosk.ui.theme import StatusColors, Theme

#: core.dashboard colour → (palette state, zh label, en label, shape drawn beside the label)
STATUS: dict[str, tuple[str, str, str, str]] = {
    "green": ("ok", "按期完成", "On track", "✓"),
    "amber": ("warn", "需关注", "Attention", "!"),
    "red": ("bad", "滞后", "Behind", "×"),
}
#: This period's state of one meeting type → (zh, en)
CURRENT: dict[str, tuple[str, str]] = {
    "done": ("已开", "held"),
    "scheduled": ("已安排", "planned"),
    "pending": ("待开", "to do"),
}
TYPE_EN = {"支部党员大会": "General meeting", "支委会": "Committee", "党小组会": "Group meeting", "党课": "Party lecture"}
TYPE_EN_SHORT = {"支部党员大会": "General", "支委会": "Committee", "党小组会": "Group", "党课": "Lecture"}


def short_name(name_zh: str) -> str:
    """"第一党支部（机关）" → "第一党支部"."""
    return re.split(r"[（(]", name_zh, maxsplit=1)[0] or name_zh


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def status_colors(theme: Theme, status: str) -> StatusColors:
    return theme.palette.status(STATUS.get(status, ("off",))[0])


@dataclass
class Overview:
    """Everything the dashboard shows, read in one session."""

    figures: list[BranchFigures] = field(default_factory=list)
    members: int = 0
    meetings_month: int = 0
    held_month: int = 0
    present: int = 0
    expected: int = 0
    points: int = 0

    @property
    def attendance(self) -> float | None:
        return self.present / self.expected if self.expected else None


def load_overview(ctx: KioskContext) -> Overview:
    now = ctx.now()
    tz = ctx.terminal.tz
    with ctx.session() as s:
        figures = branch_figures(s, now, tz)
        count, held = month_meetings(s, now, tz)
    return Overview(figures, sum(f.members for f in figures), count, held,
                    sum(f.present for f in figures), sum(f.expected for f in figures), sum(f.points for f in figures))


@dataclass(frozen=True)
class MeetingRow:
    """One meeting as its row in the branch page's list (read when the page is laid out)."""

    when: object  # aware datetime
    type: str
    title: str
    place: str
    present: int
    expected: int
    state: str  # "past" | "running" | "upcoming"

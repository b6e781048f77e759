"""数据看板 (dashboard): 三会一课 completion per branch, attendance, members and learning points.

Figures come from ``core.dashboard.branch_figures`` (complete periods only: the last six months for the
monthly meetings, the last two quarters for the quarterly ones), so the kiosk and any report agree.
Each branch gets a card with its status colour — always with a text label and a shape (✓ ! ×), never
colour alone — the completion as a donut, the four meeting types (held / required, and this period's
state 已开 / 已安排 / 待开), attendance rate, member count and points. Above the cards: the
organisation's totals and a bar chart of attendance per branch. Tapping a card opens the branch's
meetings. Landscape puts the four cards in a row; portrait stacks them 2 × 2.

The parts: data.py (the figures and their labels), cards.py (the cards), screen.py (the page),
branch.py (one branch's page). Every name is importable from the package, as when it was one module.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.context import KioskContext
from kiosk.screens.dashboard.branch import BranchDetailScreen, BranchSummary
from kiosk.screens.dashboard.cards import BranchCard, ChartCard, StatCard, draw_status_pill
from kiosk.screens.dashboard.data import (
    CURRENT,
    STATUS,
    TYPE_EN,
    TYPE_EN_SHORT,
    MeetingRow,
    Overview,
    load_overview,
    percent,
    short_name,
    status_colors,
)
from kiosk.screens.dashboard.screen import DashboardScreen
from kiosk.ui.screens import Screen

__all__ = ["CURRENT", "SCREENS", "STATUS", "TYPE_EN", "TYPE_EN_SHORT", "BranchCard", "BranchDetailScreen",
           "BranchSummary", "ChartCard", "DashboardScreen", "MeetingRow", "Overview", "StatCard",
           "draw_status_pill", "load_overview", "percent", "short_name", "status_colors"]

SCREENS: dict[str, Callable[[KioskContext], Screen]] = {"dashboard": DashboardScreen}

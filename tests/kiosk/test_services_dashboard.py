"""便民服务 (dues, contacts, office hours) and 数据看板 screens on real pygame (dummy driver) over a real SQLite
database loaded with the demo site.

Taps go through real pygame finger events and the GestureRecognizer into the Navigator, as on the kiosk.
Every screen is rendered in landscape and portrait; the PNGs are left in the test's tmp_path
(``pytest --basetemp=DIR`` keeps them somewhere to look at).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pygame
import pygame.freetype
import pytest
from sqlalchemy import select

from core.config import load_config
from core.dashboard import branch_figures
from core.db import Database
from core.demo import load_site
from core.dues import monthly_dues
from core.models import Branch, Meeting, Member
from core.terminal import Terminal
from kiosk.context import KioskContext
from kiosk.screens import dashboard as D
from kiosk.screens import services as S
from kiosk.ui.fonts import Fonts, has_glyphs, missing_glyphs
from kiosk.ui.gestures import GestureRecognizer
from kiosk.ui.screens import Navigator, Screen
from kiosk.ui.theme import MIN_TARGET, Theme
from kiosk.ui.widgets import Pressable, ScrollList
from kiosk.ui.widgets.container import Container
from kiosk.ui.widgets.keypad import OK

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Shanghai")
#: A Thursday afternoon in Asia/Shanghai (14:00), inside the demo's week.
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
LANDSCAPE, PORTRAIT = (1920, 1080), (1080, 1920)
SIZES = [LANDSCAPE, PORTRAIT]


# ------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module", autouse=True)
def _pygame():
    pygame.display.init()
    pygame.freetype.init()
    yield


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    return Fonts.default()


@pytest.fixture(scope="module")
def terminal(tmp_path_factory) -> Terminal:
    """One demo database for the module: these screens only read it."""
    tmp = tmp_path_factory.mktemp("services_dashboard")
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp)})
    db = Database(f"sqlite:///{tmp}/t.db")
    with db.session() as s:
        load_site(s, ROOT / "content" / "demo", NOW, TZ)
    yield Terminal(config, db)
    db.dispose()


class Kiosk:
    """A navigator on an off-screen surface, driven by real pygame finger events."""

    def __init__(self, terminal: Terminal, fonts: Fonts, size: tuple[int, int], home: str | type = "services",
                 lang: str = "zh") -> None:
        self.size = size
        self.theme = Theme.for_screen(size, fonts=fonts)
        self.ctx = KioskContext(terminal, self.theme, lang=lang, clock=lambda: NOW)
        factory = {**S.SCREENS, **D.SCREENS}[home] if isinstance(home, str) else home
        self.home = factory(self.ctx)
        self.nav = Navigator(self.theme, self.home, org_name="星河能源党委", animations=False,
                             now=lambda: datetime(2026, 11, 26, 14, 0))
        self.surface = pygame.Surface(size)
        self.t = 100.0
        self.rec = GestureRecognizer(size, clock=lambda: self.t)
        self.frame()

    def frame(self, dt: float = 1 / 30) -> None:
        self.nav.update(dt)
        self.nav.draw(self.surface)

    def _finger(self, kind: int, pos: tuple[float, float]) -> pygame.event.Event:
        return pygame.event.Event(kind, x=pos[0] / self.size[0], y=pos[1] / self.size[1], dx=0.0, dy=0.0,
                                  touch_id=1, finger_id=0, pressure=1.0)

    def tap(self, pos: tuple[float, float]) -> None:
        pygame.event.clear()
        pygame.event.post(self._finger(pygame.FINGERDOWN, pos))
        for g in self.rec.process(pygame.event.get()):
            self.nav.handle(g)
        self.frame()
        self.t += 0.08
        pygame.event.post(self._finger(pygame.FINGERUP, pos))
        for g in self.rec.process(pygame.event.get()):
            self.nav.handle(g)
        self.t += 1.0
        self.frame(0.3)

    def tap_widget(self, widget) -> None:
        assert widget.visible and widget.rect.w > 0, widget
        self.tap(widget.rect.center)

    def type_keys(self, keypad, text: str) -> None:
        for key in text:
            self.tap_widget(keypad.keys[key])

    @property
    def top(self) -> Screen:
        return self.nav.top

    def render(self, path: Path) -> pygame.Surface:
        self.top.invalidate()
        self.nav.header.dirty = True  # a whole frame: content and header
        self.frame(0.3)
        pygame.image.save(self.surface, str(path))
        return self.surface

    def no_errors(self) -> None:
        assert not self.nav.errors, self.nav.errors[-1].traceback


def distinct_colours(surface: pygame.Surface, rect: pygame.Rect | None = None) -> int:
    a = pygame.surfarray.pixels3d(surface.subsurface(rect) if rect else surface)
    packed = (a[::2, ::2, 0].astype(np.int32) << 16) | (a[::2, ::2, 1].astype(np.int32) << 8) | a[::2, ::2, 2]
    return len(np.unique(packed))


def coverage(surface: pygame.Surface, rect: pygame.Rect, test) -> float:
    """The share of pixels in ``rect`` for which ``test(r, g, b)`` (numpy arrays) holds."""
    a = pygame.surfarray.pixels3d(surface.subsurface(rect)).astype(np.int32)
    return float(test(a[..., 0], a[..., 1], a[..., 2]).mean())


def pressables(widgets) -> list:
    out = []
    for w in widgets:
        if isinstance(w, Container):
            out += pressables(w.children)
        elif isinstance(w, Pressable):
            out.append(w)
    return out


# ------------------------------------------------------------------------------------------- services
def test_screens_registry() -> None:
    assert set(S.SCREENS) == {"services", "dues", "contacts", "office"}
    assert S.SCREENS["dues"] is S.DuesScreen and S.SCREENS["contacts"] is S.ContactsScreen
    assert list(D.SCREENS.items()) == [("dashboard", D.DashboardScreen)]


def test_hub_tiles_open_each_service(terminal, fonts) -> None:
    k = Kiosk(terminal, fonts, PORTRAIT)
    for name, cls in (("dues", S.DuesScreen), ("contacts", S.ContactsScreen), ("office", S.OfficeHoursScreen)):
        k.tap_widget(k.home.tiles[name])
        assert isinstance(k.top, cls), name
        k.tap_widget(k.nav.header.back_button)
        assert k.top is k.home
    assert k.home.info.texts()[2:4] == ["办公时间", "工作日 8:30-12:00，13:30-17:30"]
    k.no_errors()


@pytest.mark.parametrize("size", SIZES)
def test_dues_keypad_entry_shows_the_monthly_dues(terminal, fonts, size) -> None:
    k = Kiosk(terminal, fonts, size)
    k.tap_widget(k.home.tiles["dues"])
    dues: S.DuesScreen = k.top
    assert isinstance(dues, S.DuesScreen) and dues.toggles["在职"].selected
    assert dues.result.dues is None and "等待" not in dues.result.text()  # a prompt, not an error
    k.type_keys(dues.keypad, "8500")
    assert dues.keypad.value == "8500"
    assert dues.result.monthly_text == "127.50 元/月"
    assert "1,530.00" in dues.result.text() and "1.5%" in dues.result.text()
    assert "在职：5000元以上至10000元（含）" in dues.result.text()
    assert "Employed: above 5000 up to 10000" in dues.result.text()
    # the table marks the band that applies
    assert [r[2] for r in dues.table.rows] == ["0.5%", "1%", "1.5%", "2%"]
    assert dues.table.current == 2
    k.tap_widget(dues.keypad.keys[OK])  # confirming changes nothing
    assert dues.result.monthly_text == "127.50 元/月" and dues.result.error is None
    k.no_errors()


def test_dues_keypad_takes_yuan_and_fen(terminal, fonts) -> None:
    """A pay with fen (8500.50) can be typed: one point, two decimals at most (#19: there was no point key)."""
    k = Kiosk(terminal, fonts, LANDSCAPE, home="dues")
    dues: S.DuesScreen = k.top
    k.type_keys(dues.keypad, "8500.5")
    assert dues.keypad.value == "8500.5" and dues.result.monthly_text == "127.51 元/月"
    k.type_keys(dues.keypad, "0.9")  # a second point and a third decimal are ignored
    assert dues.keypad.value == "8500.50"
    k.tap_widget(dues.keypad.keys["清空"])
    k.type_keys(dues.keypad, ".5")
    assert dues.keypad.value == "0.5"
    k.no_errors()


def test_dues_category_switch_to_retired_and_students(terminal, fonts) -> None:
    k = Kiosk(terminal, fonts, PORTRAIT, home="dues")
    dues: S.DuesScreen = k.top
    k.tap_widget(dues.toggles["退休"])
    assert dues.toggles["退休"].selected and not dues.toggles["在职"].selected
    k.type_keys(dues.keypad, "5000")
    assert dues.result.monthly_text == "25.00 元/月"
    assert dues.result.dues == monthly_dues(Decimal(5000), "退休")
    assert [r[2] for r in dues.table.rows] == ["0.5%", "1%"] and dues.table.current == 0
    assert "离退休：5000元及以下" in dues.result.text()
    # the same pay as an employed member: recomputed at once
    k.tap_widget(dues.toggles["在职"])
    assert dues.result.monthly_text == "50.00 元/月" and dues.table.current == 1
    # students and members without a fixed income pay 0.20 whatever is typed
    k.tap_widget(dues.toggles["学生"])
    assert dues.result.monthly_text == "0.20 元/月" and dues.table.current == 0
    assert "2.40" in dues.result.text()  # per year
    k.no_errors()


def test_dues_bad_input_gives_a_message_not_a_crash(terminal, fonts) -> None:
    k = Kiosk(terminal, fonts, LANDSCAPE, home="dues")
    dues: S.DuesScreen = k.top
    assert dues.keypad.keys[OK].enabled, "确定 answers even with nothing typed"
    k.tap_widget(dues.keypad.keys[OK])
    assert dues.result.error and "请先输入" in dues.result.error
    assert dues.result.dues is None and dues.table.current is None
    assert k.top is dues
    k.type_keys(dues.keypad, "99999999")  # above what core.dues accepts
    assert dues.result.error and "金额过大" in dues.result.error
    k.tap_widget(dues.keypad.keys["清空"])
    assert dues.result.error is None and dues.result.dues is None  # back to the prompt
    k.type_keys(dues.keypad, "3000")
    assert dues.result.monthly_text == "15.00 元/月" and dues.table.current == 0  # the bound is inclusive
    k.no_errors()


def test_dues_starts_on_the_visitors_category(terminal, fonts) -> None:
    theme = Theme.for_screen(PORTRAIT, fonts=fonts)
    ctx = KioskContext(terminal, theme, clock=lambda: NOW)
    ctx.visitor.member_number = "M0401"  # a retired member of B04
    screen = S.DuesScreen(ctx)
    Navigator(theme, screen, animations=False)
    assert screen.category == "退休" and screen.toggles["退休"].selected


def test_contacts_phone_fragment_narrows_the_list(terminal, fonts) -> None:
    k = Kiosk(terminal, fonts, LANDSCAPE, home="contacts")
    c: S.ContactsScreen = k.top
    with terminal.db.session() as s:
        branches = s.scalars(select(Branch)).all()
        committee = s.scalars(select(Member).where(Member.role != "党员")).all()
        sun = s.scalars(select(Member).where(Member.number == "M0201")).one()
        secretaries = {b.code: s.scalars(select(Member).where(Member.number == b.secretary_number)).one().name
                       for b in branches}
        assert sun.phone == "138 0000 0201"
    total = len(c.results)
    assert total == len(branches) + len(committee) and total == len(c.list.items)
    assert {x.secretary for x in c.results if x.kind == "branch"} == set(secretaries.values())
    assert all(x.role != "党员" for x in c.results if x.kind == "member")
    k.type_keys(c.keypad, "0201")
    assert [x.name for x in c.results] == ["孙海涛"] and len(c.list.items) == 1
    assert c.count_label.text.startswith("找到 1 条")
    k.tap_widget(c.keypad.keys["删除"])  # "020" matches more
    assert 1 < len(c.results) < total and all("020" in x.phone_digits for x in c.results)
    # clearing, then a branch filter
    k.tap_widget(c.clear_button)
    assert c.keypad.value == "" and len(c.results) == total
    k.tap_widget(c.branch_buttons["B02"])
    assert c.branch == "B02" and c.branch_buttons["B02"].kind == "primary"
    assert {x.branch_code for x in c.results} == {"B02"} and c.results[0].kind == "branch"
    assert c.results[0].secretary == "孙海涛" and c.results[0].phone == "0571-8888 6201"
    k.tap_widget(c.branch_buttons[None])
    assert len(c.results) == total
    # tapping a row shows the details
    k.tap((c.list.rect.centerx, c.list.rect.y + c.list.row_height // 2))
    assert k.nav.dialog is not None and "0571-8888 6101" in k.nav.dialog.message
    k.tap_widget(k.nav.dialog.children[0])
    assert k.nav.dialog is None
    k.no_errors()


def test_contacts_pinyin_initials(terminal, fonts) -> None:
    assert S.name_initial("曾思琪") == "Z"  # the surname reading, not céng
    assert S.name_initial("王建国", "Wang Jianguo") == "W"
    if S.lazy_pinyin is not None:
        assert S.name_initial("黄婷婷") == "H"
    k = Kiosk(terminal, fonts, PORTRAIT, home="contacts")
    c: S.ContactsScreen = k.top
    assert "W" in c.letter_buttons and all(b.rect.w >= MIN_TARGET and b.rect.h >= MIN_TARGET
                                           for b in c.letter_buttons.values())
    k.tap_widget(c.letter_buttons["W"])
    assert c.results and all(x.initial == "W" for x in c.results)
    assert {x.name for x in c.results} >= {"王建国"}
    k.tap_widget(c.letter_buttons["W"])  # again: off
    assert c.letter is None and len(c.results) == len(c.contacts)
    k.no_errors()


def test_office_hours_and_guides(terminal, fonts) -> None:
    k = Kiosk(terminal, fonts, PORTRAIT, home="office")
    o: S.OfficeHoursScreen = k.top
    texts = o.info.texts()
    assert "工作日 8:30-12:00，13:30-17:30" in texts and "0571-8888 6001" in texts
    assert "星河镇能源大道88号星河能源科技园行政楼" in texts
    assert "党群工作部" in texts, "the office the site's facts name (not one written in code)"
    assert 3 <= len(o.guides) <= 4 and [g.key for g in o.guides] == ["dues", "transfer", "face", "apply"]
    assert "实际领取的离退休费总额或养老金总额" in o.guides[0].body_zh  # the corrected rule, from guides.yaml
    assert all("${" not in g.body_zh + g.body_en for g in o.guides)
    for guide in o.guides:
        k.tap_widget(o.guide_buttons[guide.key])
        assert o.selected == guide.key and o.guide_buttons[guide.key].selected
        text = o.doc.text()
        assert guide.title_zh in text and guide.title_en in text
        assert guide.body_zh[:10] in text.replace("\n", "")
    k.no_errors()


# ------------------------------------------------------------------------------------------- dashboard
@pytest.mark.parametrize("size", SIZES)
def test_dashboard_cards_show_the_core_statuses(terminal, fonts, size) -> None:
    k = Kiosk(terminal, fonts, size, home="dashboard")
    dash: D.DashboardScreen = k.top
    with terminal.db.session() as s:
        expected = {f.code: f for f in branch_figures(s, NOW, TZ)}
        month_meetings = [m for m in s.scalars(select(Meeting))
                          if (m.starts_at.astimezone(TZ).year, m.starts_at.astimezone(TZ).month) == (2026, 11)]
    assert list(dash.cards) == ["B01", "B02", "B03", "B04"]
    assert {code: card.figures.status for code, card in dash.cards.items()} == \
        {code: f.status for code, f in expected.items()}
    assert {c.figures.status for c in dash.cards.values()} >= {"amber", "red"}
    for code, card in dash.cards.items():
        f = expected[code]
        assert card.figures.completion == f.completion and card.donut.fraction == pytest.approx(f.completion)
        assert card.status_label == {"green": "按期完成", "amber": "需关注", "red": "滞后"}[f.status]
        rows = card.type_rows()
        assert [r[1] for r in rows] == ["支部党员大会", "支委会", "党小组会", "党课"]
        assert {r[2] for r in rows} <= {"已开", "已安排", "待开"}
    # totals at the top, numbers at least 64 px at 1080
    members, month, attendance, points = dash.stats
    assert members.value == str(sum(f.members for f in expected.values())) == "40"
    assert month.value == str(len(month_meetings))
    present = sum(f.present for f in expected.values())
    total = sum(f.expected for f in expected.values())
    assert attendance.value == f"{round(present / total * 100)}%"
    assert points.value == "0"
    assert k.theme.type.number >= 64
    assert [round(v) for _, v in dash.chart.chart.data] == \
        [round(expected[c].attendance_rate * 100) for c in ("B01", "B02", "B03", "B04")]
    # landscape: four in a row; portrait: 2 × 2
    rects = [c.rect for c in dash.cards.values()]
    rows_y, cols_x = {r.y for r in rects}, {r.x for r in rects}
    assert (len(rows_y), len(cols_x)) == ((1, 4) if size == LANDSCAPE else (2, 2))
    k.no_errors()


@pytest.mark.parametrize("size", SIZES)
def test_tapping_a_branch_opens_its_meetings(terminal, fonts, size) -> None:
    k = Kiosk(terminal, fonts, size, home="dashboard")
    dash: D.DashboardScreen = k.top
    k.tap_widget(dash.cards["B04"])
    detail = k.top
    assert isinstance(detail, D.BranchDetailScreen) and detail.code == "B04"
    assert detail.title == "第四党支部（离退休）" and k.nav.header.title == detail.title
    with terminal.db.session() as s:
        b04 = s.scalars(select(Branch).where(Branch.code == "B04")).one()
        meetings = s.scalars(select(Meeting).where(Meeting.branch_id == b04.id)
                             .order_by(Meeting.starts_at.desc())).all()
        first = meetings[0]
        past = next(m for m in meetings if m.ends_at <= NOW)
        past_row = (len(past.attendance), len(past.roster))
    assert len(detail.list.items) == len(meetings) > 5
    assert detail.rows[0].title == first.title_zh and detail.rows[0].type == first.type
    row = next(r for r in detail.rows if r.when == past.starts_at)
    assert (row.present, row.expected) == past_row and row.state == "past"
    assert any(r.state == "upcoming" for r in detail.rows)
    k.tap_widget(k.nav.header.back_button)
    assert k.top is dash
    k.no_errors()


# ------------------------------------------------------------------------------------------- rendering
def _screens(k: Kiosk) -> list[tuple[str, Screen]]:
    """Every screen of both modules, reached the way a visitor would (the hub's tiles, a dashboard card)."""
    out = []
    for name in ("services", "dues", "contacts", "office"):
        screen = S.SCREENS[name](k.ctx)
        out.append((name, screen))
    out.append(("dashboard", D.DashboardScreen(k.ctx)))
    out.append(("branch_detail", D.BranchDetailScreen(k.ctx, "B04")))
    return out


@pytest.mark.parametrize("size", SIZES)
def test_every_screen_renders_in_both_orientations(terminal, fonts, size, tmp_path) -> None:
    k = Kiosk(terminal, fonts, size)
    title_font = k.theme.font("title", True)
    for name, screen in _screens(k):
        if screen is not k.home:
            k.nav.push(screen)
        if name == "dues":
            k.type_keys(screen.keypad, "8500")
        surface = k.render(tmp_path / f"{name}_{size[0]}x{size[1]}.png")
        k.no_errors()
        assert k.top is screen, name
        assert (tmp_path / f"{name}_{size[0]}x{size[1]}.png").stat().st_size > 10_000
        # not blank: many colours (anti-aliased text, status colours, cards)
        assert distinct_colours(surface) > 150, name
        # Chinese drew: the font has the glyphs, and the header title area is covered with white text
        assert has_glyphs(title_font, screen.title), missing_glyphs(title_font, screen.title)
        header = k.nav.header.rect
        white = coverage(surface, header, lambda r, g, b: (r > 230) & (g > 230) & (b > 230))
        assert white > 0.01, (name, white)
        # and the content's top band has text on it (ink, muted ink or red)
        band = pygame.Rect(k.nav.content_rect.x, k.nav.content_rect.y, k.nav.content_rect.w,
                           k.nav.content_rect.h // 5)
        text = coverage(surface, band, lambda r, g, b: ((r < 110) & (g < 110) & (b < 110))
                        | ((r > 150) & (g < 70) & (b < 70)))
        assert text > 0.004, (name, text)
        # touch targets: everything tappable is at least 80 px both ways; list rows too
        for w in pressables(screen.widgets):
            assert w.rect.w >= MIN_TARGET and w.rect.h >= MIN_TARGET, (name, type(w).__name__, w.rect)
        for w in screen.widgets:
            if isinstance(w, ScrollList) and w.on_select is not None:
                assert w.row_height >= MIN_TARGET, name
            assert k.nav.content_rect.contains(w.rect), (name, type(w).__name__, w.rect)
        if screen is not k.home:
            k.nav.pop()
    assert k.theme.type.smallest() >= 24


def test_english_layout_renders(terminal, fonts, tmp_path) -> None:
    k = Kiosk(terminal, fonts, PORTRAIT, lang="en")
    for name, screen in _screens(k):
        if screen is not k.home:
            k.nav.push(screen)
        surface = k.render(tmp_path / f"{name}_en.png")
        k.no_errors()
        assert distinct_colours(surface) > 150, name
        if screen is not k.home:
            k.nav.pop()
    assert k.home.title == "Services"

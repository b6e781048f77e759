"""Defaults that misled a new user (#19), in the real kiosk loop: the home tiles count what their lists
show, also after a sync lands while Home is on screen; the demo town's basemap comes only with the demo
site, and a site without a basemap is told so on the map and by doctor."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from core import content
from core.config import load_config
from core.doctor import check_basemap
from core.events import NewsArrived
from core.secrets import hash_pin
from kiosk.screens.home import RECOUNT_S, HomeScreen
from kiosk.screens.meetings import MeetingsScreen
from kiosk.screens.news import NewsScreen
from tests.kiosk.conftest import ADMIN_PIN, NOW
from tests.kiosk.test_kiosk_app import Finger, render


def list_rows(app, name: str, kind: type) -> list:
    """Open screen ``name`` by tapping its home tile, as a visitor does; its list rows; then Home."""
    finger = Finger(app)
    finger.tap(app.home.tiles[name].rect.center)
    screen = app.nav.top
    assert isinstance(screen, kind)
    render(app)
    rows = list(screen.list.items if hasattr(screen, "list") else
                next(w for w in screen.widgets if hasattr(w, "items")).items)
    finger.tick(1.0)
    finger.tap(app.nav.header.home_button.rect.center)
    assert isinstance(app.nav.top, HomeScreen)
    render(app)
    return rows


def test_the_news_tile_counts_the_news_list_also_after_a_sync_lands_on_home(make_app):
    """Was: the 党建资讯 tile said 1 while the list had 10 (a sync landed while Home was shown)."""
    app = make_app(now=NOW)
    finger = Finger(app)
    render(app)
    before = app.home.tiles["news"].number
    assert before == len(list_rows(app, "news", NewsScreen)) and before > 0

    items = [content.FeedItem(guid=f"sync-{i}", title_zh=f"同步来的资讯 {i}", title_en=f"Synced item {i}",
                              body="正文", published_at=NOW - timedelta(minutes=i)) for i in range(9)]
    with app.terminal.db.session() as s:
        ids = content.store_items(s, "https://feeds.example/news.xml", "news", items)
    app.terminal.bus.publish(NewsArrived(item_ids=tuple(ids), titles=tuple(i.title_zh for i in items)))
    for _ in range(int(RECOUNT_S / 0.5) + 2):  # Home stays on screen while the sync lands
        finger.tick(0.5)
        render(app)
    assert isinstance(app.nav.top, HomeScreen)
    assert app.home.tiles["news"].number == before + 9
    assert app.home.headline.text.endswith("同步来的资讯 0")  # the newest item, pinned ones aside
    assert len(list_rows(app, "news", NewsScreen)) == before + 9


def test_the_meetings_tile_counts_the_rows_of_this_week_that_lead_the_list(make_app):
    """The 会议安排 tile's "N 场·本周" against the list the visitor opens: its first N rows fall in this
    week (up to Sunday) and the next one does not."""
    from core.meetings import create_meeting

    app = make_app()  # the demo's meetings are laid out around the day it was loaded: the real clock
    now = app.ctx.now()
    today = app.ctx.local(now).date()
    next_monday = app.ctx.local(now).replace(hour=9, minute=0) + timedelta(days=7 - today.weekday())
    with app.terminal.db.session() as s:  # one later today and one next week, whatever the weekday
        create_meeting(s, type="党课", title_zh="今天的党课", branch_code="B01", starts_at=now + timedelta(minutes=5),
                       ends_at=now + timedelta(minutes=65))
        create_meeting(s, type="党课", title_zh="下周一的党课", branch_code="B01", starts_at=next_monday,
                       ends_at=next_monday + timedelta(hours=1))
    app.home.layout(app.home.rect)
    render(app)
    tile = app.home.tiles["meetings"]
    rows = list_rows(app, "meetings", MeetingsScreen)
    sunday = today + timedelta(days=6 - today.weekday())

    def day(row) -> object:
        if row.trailing in ("进行中", "now"):
            return today
        y, m, d = map(int, re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", row.trailing).groups())
        return type(today)(y, m, d)

    this_week = [r for r in rows if day(r) <= sunday]
    assert tile.number == len(this_week) > 0 and tile.unit == "场·本周"
    assert rows[:tile.number] == this_week and len(rows) > tile.number  # later weeks follow in the list


def site_config(tmp_path, **env):
    return load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path / "data"),
                                "DANGJIAN__KIOSK__ADMIN_PIN_HASH": hash_pin(ADMIN_PIN), **env})


@pytest.mark.parametrize("size", [(1280, 720), (1080, 1920)], ids=["1280x720", "1080x1920"])
def test_a_site_without_a_basemap_gets_no_demo_streets_and_says_so(tmp_path, size):
    from kiosk.app import KioskApp
    from kiosk.screens.map import MapScreen

    demo = site_config(tmp_path)
    assert demo.map.geojson == demo.content.demo_site / "map.geojson"  # the demo site brings its town
    assert "demo site's fictional town" in check_basemap(demo).detail
    first = KioskApp(demo, size, animations=False)  # loads the demo branches into the database
    first.terminal.db.dispose()

    real = site_config(tmp_path, DANGJIAN__CONTENT__DEMO_SITE="")
    assert real.map.geojson is None
    check = check_basemap(real)
    assert "none configured" in check.detail and "map.geojson" in check.fix
    app = KioskApp(real, size, animations=False)
    try:
        app.open_screen("map")
        screen = app.nav.top
        assert isinstance(screen, MapScreen)
        render(app)
        assert screen.map.data is None and screen.map.no_basemap and not screen.map.error
        assert screen.map.notice == "本站未配置底图（map.geojson），仅显示支部位置"
        assert screen.map.terminal is None  # no basemap terminal point to fall back on
        assert len(screen.buttons) == len(screen.pins) == 4  # the branches are still there
        finger = Finger(app)
        finger.tap(screen.map.marker_center("B02"))
        assert screen.selected == "B02"
    finally:
        app.terminal.db.dispose()

    own = tmp_path / "own.geojson"
    own.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    site = site_config(tmp_path, DANGJIAN__CONTENT__DEMO_SITE="", DANGJIAN__MAP__GEOJSON=str(own))
    assert site.map.geojson == own and check_basemap(site).detail == str(own)

"""The demo site loads into an empty database, once, and shows real content; a broken file writes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core import content
from core.config import load_config
from core.demo import SITE_KEY, load_site, organisation, read_site_folder, week_start
from core.knowledge import load_knowledge
from core.meetings import current_meetings
from core.models import Attendance, Branch, ContentItem, Meeting, Member, QuizQuestion, Setting
from core.terminal import open_terminal
from core.yamlfile import YamlFileError
from tests.conftest import ROOT

DEMO = ROOT / "content" / "demo"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # a Thursday, 14:00 local


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_demo_site_meets_the_brief():
    folder = read_site_folder(DEMO)
    assert len(folder.site.branches) == 4
    assert 36 <= len(folder.site.members) <= 50
    assert len(folder.quiz.questions) >= 50
    assert {q.type for q in folder.quiz.questions} == {"single", "multi", "truefalse"}
    kb = load_knowledge(DEMO / "knowledge.yaml")
    assert len(kb.entries) >= 80
    assert all(len(e.questions_zh) >= 2 and e.answer_en for e in kb.entries)
    this_week = [m for m in folder.site.meetings if m.week == 0]
    assert {m.type for m in this_week} == {"支部党员大会", "支委会", "党小组会", "党课"}


def test_load_is_complete_and_idempotent(database):
    with database.session() as s:
        report = load_site(s, DEMO, NOW, TZ, "k1")
    assert report.loaded and report.counts["members"] == count_members()
    with database.session() as s:
        assert load_site(s, DEMO, NOW + timedelta(days=3), TZ).loaded is False
        assert count(s, Branch) == 4 and count(s, Member) == report.counts["members"]
        assert count(s, QuizQuestion) == report.counts["questions"]
        assert count(s, Attendance) == report.counts["attendance"] > 0
        assert organisation(s)["name_zh"] == "星河能源科技有限公司党委"


def count_members() -> int:
    return len(read_site_folder(DEMO).site.members)


def test_meetings_fall_in_the_week_of_loading(database):
    with database.session() as s:
        load_site(s, DEMO, NOW, TZ)
        monday = week_start(NOW, TZ)
        this_week = s.scalars(select(Meeting).where(Meeting.starts_at >= monday,
                                                    Meeting.starts_at < monday + timedelta(days=7))).all()
        assert len(this_week) >= 5 and not any(m.closed for m in this_week)
        past = s.scalars(select(Meeting).where(Meeting.starts_at < monday)).all()
        assert past and all(m.closed for m in past)
        # each weekday has a meeting, so "today" always has one open at some hour
        days = {m.starts_at.astimezone(TZ).isoweekday() for m in this_week}
        assert {1, 2, 3, 4, 5} <= days
        some = this_week[0]
        assert some in current_meetings(s, some.starts_at + timedelta(minutes=10))


def test_news_shows_only_published_items_sanitised(database):
    with database.session() as s:
        load_site(s, DEMO, NOW, TZ)
        news = content.visible(s, "news", NOW)
        all_news = s.scalars(select(ContentItem).where(ContentItem.kind == "news")).all()
        assert len(news) >= 20 and len(all_news) > len(news)
        hidden = {c.guid for c in all_news} - {c.guid for c in news}
        assert all(c.review_state != "published" for c in all_news if c.guid in hidden)
        for item in news:
            assert "<" not in item.body and "alert(" not in item.body and "position:fixed" not in item.body
            assert item.image_path and Path(item.image_path).is_file()
        assert news == sorted(news, key=lambda c: c.published_at, reverse=True)


def test_notices_expire_and_one_is_urgent(database):
    with database.session() as s:
        load_site(s, DEMO, NOW, TZ)
        notices = content.visible(s, "notice", NOW)
        assert notices[0].pinned and all(n.review_state == "published" for n in notices)
        assert all(n.expires_at is None or n.expires_at > NOW for n in notices)
        assert content.active_urgent(s, NOW) is not None
        assert content.active_urgent(s, NOW + timedelta(days=2)) is None


def test_a_broken_site_file_names_the_line_and_writes_nothing(tmp_path, database):
    site = tmp_path / "site"
    shutil.copytree(DEMO, site)
    text = (site / "quiz.yaml").read_text(encoding="utf-8")
    (site / "quiz.yaml").write_text(text.replace("type: single", "type: essay", 1), encoding="utf-8")
    lines = (site / "site.yaml").read_text(encoding="utf-8").splitlines()
    bad_line = next(i for i, line in enumerate(lines) if "number: M0102" in line)
    lines[bad_line] = lines[bad_line].replace("branch: B01", "branch: B99")
    (site / "site.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(YamlFileError) as err, database.session() as s:
        load_site(s, site, NOW, TZ)
    text = "\n".join(err.value.messages)
    assert "quiz.yaml:" in text and "type: Input should be 'single', 'multi' or 'truefalse'" in text
    assert "member M0102: unknown branch B99" in text
    with database.session() as s:
        assert s.get(Setting, SITE_KEY) is None and count(s, Member) == 0


def test_open_terminal_loads_the_demo_on_first_start(config_env):
    config = load_config(environ=config_env)
    terminal, report = open_terminal(config)
    assert report.loaded and (config.site.data_dir / "dangjian.db").is_file()
    terminal.db.dispose()
    terminal, report = open_terminal(config)
    assert not report.loaded
    terminal.db.dispose()


def test_content_files_load_from_a_str_path_too(tmp_path):
    """A path given as text (a script, the REPL) loads as a Path does, and a missing one is a clear error."""
    from core.knowledge import load_knowledge

    kb = ROOT / "content" / "demo" / "knowledge.yaml"
    assert [e.id for e in load_knowledge(str(kb)).entries] == [e.id for e in load_knowledge(kb).entries]
    with pytest.raises(YamlFileError, match="nope.yaml"):
        load_knowledge(str(tmp_path / "nope.yaml"))

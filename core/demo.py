"""Loading a site folder (the shipped demo, or a real site's first import) into an empty database.

Why: the main job must show real content with nothing configured. The folder is validated as a whole
before anything is written, and everything is written in one transaction, so a broken file leaves the
database untouched. Meetings are placed relative to the week of loading (the demo always has "this
week's meetings"), and notices relative to the day, so a demo loaded any day looks current.
Loading is idempotent: a database that already holds a site is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.audit import audit
from core.content import parse_feed, store_items
from core.models import Attendance, Branch, ContentItem, Meeting, Member, QuizQuestion, Setting
from core.site_facts_files import facts_of
from core.sitefiles import ArticlesFile, GuidesFile, NoticesFile, QuizFile, SiteFile, parse_hhmm
from core.yamlfile import YamlFileError, display_path, load_model

SITE_KEY = "site"


@dataclass(frozen=True)
class LoadReport:
    loaded: bool
    """False when the database already held a site (nothing was written)."""
    counts: dict[str, int]


@dataclass
class SiteFolder:
    """A validated site folder, ready to be written."""

    folder: Path
    site: SiteFile
    notices: NoticesFile | None
    articles: ArticlesFile | None
    quiz: QuizFile | None
    news_feed: Path | None
    guides: GuidesFile | None = None


def read_site_folder(folder: Path) -> SiteFolder:
    """Validate every file of the folder; raises YamlFileError listing file:line:key problems."""
    if not (folder / "site.yaml").is_file():
        raise YamlFileError([f"{display_path(folder)}: no site.yaml in the site folder"])
    problems: list[str] = []
    parts: dict[str, object] = {}
    facts: dict[str, str] | None = None  # the site file's, once it is read: the other files use them
    for key, name, model, wrap in (
        ("site", "site.yaml", SiteFile, None),
        ("notices", "notices.yaml", NoticesFile, "notices"),
        ("articles", "articles.yaml", ArticlesFile, "articles"),
        ("quiz", "quiz.yaml", QuizFile, "questions"),
        ("guides", "guides.yaml", GuidesFile, "guides"),
    ):
        path = folder / name
        if key != "site" and not path.exists():
            parts[key] = None
            continue
        try:
            parts[key] = load_model(path, model, wrap=wrap, facts=facts)
        except YamlFileError as exc:
            problems += exc.messages
        if key == "site":
            facts = facts_of(parts["site"]) if "site" in parts else None
    if problems:
        raise YamlFileError(problems)
    feed = folder / "news" / "feed.xml"
    return SiteFolder(folder, parts["site"], parts["notices"], parts["articles"], parts["quiz"],  # type: ignore
                      feed if feed.is_file() else None, parts["guides"])  # type: ignore[arg-type]


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Midnight of the Monday of ``now``'s week, in ``tz``."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)


def load_site(session: Session, folder: Path, now: datetime, tz: ZoneInfo, terminal_id: str = "") -> LoadReport:
    """Write the site folder into an empty database (one transaction, committed by the caller)."""
    if session.get(Setting, SITE_KEY) is not None:
        return LoadReport(False, {})
    data = read_site_folder(folder)
    site = data.site
    counts = _load_people_and_meetings(session, site, now, tz)
    if data.notices:
        counts["notices"] = _load_notices(session, data.notices.notices, now)
    if data.articles:
        counts["articles"] = _load_articles(session, data.articles.articles, folder / "images", tz)
    if data.guides:
        counts["guides"] = _load_guides(session, data.guides.guides, now)
    if data.quiz:
        counts["questions"] = _load_quiz(session, data.quiz.questions)
    if data.news_feed is not None:
        counts["news"] = _load_news(session, data.news_feed, now)
    session.add(Setting(key=SITE_KEY, value={
        "organisation": site.organisation.model_dump(), "facts": facts_of(site), "folder": str(folder),
        "loaded_at": now.isoformat(), "counts": counts}))
    audit(session, "system", "site.load", str(folder), terminal_id, **counts)
    session.flush()
    return LoadReport(True, counts)


def _load_people_and_meetings(session: Session, site, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Branches, members, this week's meetings (weeks counted from this Monday) and their attendance."""
    branches = {b.code: Branch(code=b.code, name_zh=b.name_zh, name_en=b.name_en, secretary_number=b.secretary,
                               phone=b.phone, place_zh=b.place_zh, lat=b.lat, lon=b.lon) for b in site.branches}
    session.add_all(branches.values())
    members = {m.number: Member(number=m.number, name=m.name, name_en=m.name_en, branch=branches[m.branch],
                                gender=m.gender, role=m.role, status=m.status, category=m.category,
                                group_name=m.group, joined_on=m.joined, phone=m.phone) for m in site.members}
    session.add_all(members.values())
    monday = week_start(now, tz)
    attendance = 0
    for mt in site.meetings:
        day = monday + timedelta(days=mt.week * 7 + mt.weekday - 1)
        t = parse_hhmm(mt.start)
        starts = datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=tz)
        roster = ([m for m in members.values() if m.branch is branches[mt.branch]] if mt.roster == "all"
                  else [members[n] for n in mt.roster])
        meeting = Meeting(type=mt.type, title_zh=mt.title_zh, title_en=mt.title_en, branch=branches[mt.branch],
                          place_zh=mt.place_zh or branches[mt.branch].place_zh, starts_at=starts,
                          ends_at=starts + timedelta(minutes=mt.minutes), roster=roster,
                          closed=mt.week < 0)
        session.add(meeting)
        for number in mt.attended:
            late = number in mt.late
            session.add(Attendance(meeting=meeting, member=members[number], method="admin",
                                   terminal_id="history-import", late=late,
                                   signed_at=starts + timedelta(minutes=12 if late else -5)))
            attendance += 1
    return {"branches": len(branches), "members": len(members), "meetings": len(site.meetings),
            "attendance": attendance}


def _load_notices(session: Session, notices, now: datetime) -> int:
    for n in notices:
        published = now - timedelta(days=n.published_days_ago)
        session.add(ContentItem(
            kind="notice", source="site", guid=n.id, title_zh=n.title_zh, title_en=n.title_en,
            body=n.body_zh, body_en=n.body_en, summary=n.body_zh[:140], branch_code=n.branch,
            review_state=n.review, pinned=n.pinned, urgent=n.urgent, published_at=published,
            expires_at=published + timedelta(days=n.expires_in_days) if n.expires_in_days else None))
    return len(notices)


def _load_articles(session: Session, articles, images: Path, tz: ZoneInfo) -> int:
    for a in articles:
        image = images / a.image if a.image else None
        session.add(ContentItem(
            kind="article", source="site", guid=a.id, title_zh=a.title_zh, title_en=a.title_en,
            body=a.body_zh, body_en=a.summary_en, summary=a.body_zh[:140], category=a.category,
            review_state="published", points=a.points,
            image_path=str(image) if image is not None and image.is_file() else None,
            published_at=datetime(a.published.year, a.published.month, a.published.day, 9, tzinfo=tz)))
    return len(articles)


def _load_guides(session: Session, guides, now: datetime) -> int:
    shown = [g for g in guides if g.published]  # a guide not signed off is not shown
    for i, g in enumerate(shown):  # newest first on screen: the file's order
        session.add(ContentItem(
            kind="guide", source="site", guid=g.id, title_zh=g.title_zh, title_en=g.title_en, body=g.body_zh,
            body_en=g.body_en, summary=g.body_zh[:140], review_state="published",
            published_at=now - timedelta(minutes=i)))
    return len(shown)


def _load_quiz(session: Session, questions) -> int:
    published = [q for q in questions if q.published]  # a question not signed off is not asked
    for q in published:
        session.add(QuizQuestion(
            code=q.id, kind=q.type, difficulty=q.difficulty, tags=q.tags, question_zh=q.question_zh,
            question_en=q.question_en, options_zh=q.options_zh, options_en=q.options_en,
            answer=[q.answer] if isinstance(q.answer, bool) else q.answer,
            explanation_zh=q.explanation_zh, explanation_en=q.explanation_en))
    return len(published)


def _load_news(session: Session, feed: Path, now: datetime) -> int:
    items = parse_feed(feed.read_bytes(), now=now)
    for item in items:
        if item.image_url and "://" not in item.image_url:
            local = (feed.parent / item.image_url).resolve()
            item.image_path = str(local) if local.is_file() else None
    store_items(session, "site-news", "news", items)
    return len(items)


def site_facts(session: Session) -> dict[str, str]:
    """The site facts (``core.sitefacts``) of the loaded site: what screens that name the contact office
    or the like say; empty before a site is loaded (or for one loaded before facts existed)."""
    row = session.get(Setting, SITE_KEY)
    return dict(row.value.get("facts", {})) if row else {}


def organisation(session: Session) -> dict:
    """The organisation's names and contacts, or an empty dict before a site is loaded."""
    row = session.get(Setting, SITE_KEY)
    return dict(row.value.get("organisation", {})) if row else {}


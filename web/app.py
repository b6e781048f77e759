"""The application factory: ``create_app(config)`` builds the Starlette app with its database, templates,
rate limits, session cookie and security headers.

Handlers are ``async`` and hand every database call to the thread pool (``WebState.run``), so a slow
query never stalls the event loop that serves the other 49 phones.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from core import members, notices
from core.audit import AuditBudget
from core.db import Database
from core.models import utcnow
from core.notices import headlines
from web.cache import MISSING, TtlCache
from web.errors import http_error, server_error
from web.i18n import METHOD_WORDS, STATE_WORDS, TYPE_EN, lang_of, translator
from web.ratelimit import Limits
from web.security import SecurityHeaders, csrf_token

HERE = Path(__file__).resolve().parent
log = logging.getLogger("web")

#: How long who-a-session-is and a branch's 三会一课 figures are reused (``web.cache``), and how many kept.
MEMBER_CACHE_SECONDS, MEMBER_CACHE_SIZE = 10.0, 20_000
FIGURES_CACHE_SECONDS, FIGURES_CACHE_SIZE = 30.0, 2_000
#: Published lists (news, notices, articles) per branch: a new item shows within this many seconds; an
#: item itself is always checked afresh when opened.
LIST_CACHE_SECONDS, LIST_CACHE_SIZE = 10.0, 2_000
#: A member's points and read notices: dropped at once when this server changes them (a quiz, an article
#: read, a notice opened); a change made elsewhere (a quiz at the kiosk) shows within this many seconds.
MINE_CACHE_SECONDS, MINE_CACHE_SIZE = 10.0, 40_000


@dataclass
class WebState:
    config: Any
    db: Database
    templates: Jinja2Templates
    limits: Limits
    clock: Callable[[], datetime]
    tz: ZoneInfo
    default_lang: str
    session_lifetime: timedelta
    terminal_id: str
    refusals: AuditBudget
    base_url: str
    members: TtlCache
    """session token → (``core.members.MemberView``, session expiry)"""
    figures: TtlCache
    """branch code → its ``core.dashboard.BranchFigures``"""
    lists: TtlCache
    """(kind, branch code, limit) → ``core.notices.headlines``"""
    mine: TtlCache
    """("points" | "read", member id) → the member's points total | ids of the notices read"""

    async def run(self, fn: Callable, *args, **kwargs):
        """``fn(session, *args)`` in the thread pool inside one committed-or-rolled-back session."""
        def work():
            with self.db.session() as s:
                return fn(s, *args, **kwargs)
        return await run_in_threadpool(work)

    async def read(self, fn: Callable, *args, **kwargs):
        """``fn(session, *args)`` for a page that only reads: in the thread pool, on a connection in
        autocommit mode. Why: on PostgreSQL a transaction costs two more round trips (BEGIN, COMMIT) on top
        of the page's one or two SELECTs, and on a busy server every round trip waits its turn for a CPU.
        Nothing written through this session is ever committed (it is closed without a flush)."""
        def work():
            with Session(self.reader, autoflush=False, expire_on_commit=False) as s:
                return fn(s, *args, **kwargs)
        return await run_in_threadpool(work)

    @cached_property
    def reader(self):
        return self.db.engine.execution_options(isolation_level="AUTOCOMMIT")  # the same pool

    @staticmethod
    def cached(cache: TtlCache, key, fill: Callable[[], Any]) -> Any:
        found = cache.get(key)
        if found is MISSING:
            found = fill()
            cache.put(key, found)
        return found

    # the helpers below run inside ``read``/``run`` (they may query ``session``)
    def headlines(self, session, kind: str, branch_code: str | None, now: datetime, limit: int = 100) -> list:
        """``core.notices.headlines``, reused for ``LIST_CACHE_SECONDS``."""
        return self.cached(self.lists, (kind, branch_code, limit),
                           lambda: headlines(session, kind, now, branch_code, limit))

    def points(self, session, member) -> int:
        """``core.members.points_total``, reused for ``MINE_CACHE_SECONDS`` (``forget`` after a change)."""
        return self.cached(self.mine, ("points", member.id), lambda: members.points_total(session, member))

    def read_ids(self, session, member) -> frozenset[int]:
        """``core.notices.read_ids``, reused for ``MINE_CACHE_SECONDS`` (``forget`` after a change)."""
        return self.cached(self.mine, ("read", member.id), lambda: frozenset(notices.read_ids(session, member)))

    def forget(self, member_id: int, *what: str) -> None:
        """Drop a member's cached ``points`` and/or ``read`` (after this server changed them)."""
        for name in what:
            self.mine.pop((name, member_id))


def session_secret(config) -> str:
    """The cookie-signing key: from ``web.secret_file``, created (0600) on first start."""
    path = Path(config.web.secret_file or config.site.data_dir / "web-session.key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    key = path.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{path}: the session key is too short (delete the file to make a new one)")
    return key


def _templates(state_ref: list) -> Jinja2Templates:
    # auto_reload off: templates are compiled once per process, not checked on disk at every render
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)

    def context(request: Request) -> dict[str, Any]:
        lang = lang_of(request)
        state: WebState = state_ref[0]
        t = translator(lang)

        def local(when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
            return when.astimezone(state.tz).strftime(fmt) if when else ""

        return {"lang": lang, "t": t, "csrf": csrf_token(request), "local": local,
                "word": lambda key: t(*STATE_WORDS.get(key, (key, key))),
                "mtype": lambda kind: t(kind, TYPE_EN.get(kind, kind)),
                "how": lambda method: t(*METHOD_WORDS.get(method, (method, method))),
                "member": getattr(request.state, "member", None), "path": request.url.path}

    return Jinja2Templates(env=env, context_processors=[context])


def create_app(config, *, database: Database | None = None, clock: Callable[[], datetime] = utcnow) -> Starlette:
    """The members' web app on ``config``'s database (or ``database``, shared with a kiosk in tests)."""
    from web import auth, pages

    db = database or Database(config.database_url, echo=config.database.echo)
    holder: list[WebState] = []
    web = config.web
    state = WebState(config=config, db=db, templates=_templates(holder), limits=Limits(web), clock=clock,
                     tz=ZoneInfo(config.site.timezone), default_lang=config.site.language,
                     session_lifetime=timedelta(hours=web.session_hours), terminal_id="web",
                     refusals=AuditBudget(per_minute=60),
                     base_url=(web.base_url or f"http://{web.host}:{web.port}").rstrip("/"),
                     members=TtlCache(MEMBER_CACHE_SECONDS, MEMBER_CACHE_SIZE),
                     figures=TtlCache(FIGURES_CACHE_SECONDS, FIGURES_CACHE_SIZE),
                     lists=TtlCache(LIST_CACHE_SECONDS, LIST_CACHE_SIZE),
                     mine=TtlCache(MINE_CACHE_SECONDS, MINE_CACHE_SIZE))
    holder.append(state)
    routes = auth.routes() + pages.routes() + [Mount("/static", StaticFiles(directory=HERE / "static"),
                                                     name="static")]
    middleware = [
        Middleware(SecurityHeaders, hsts=web.secure_cookies),
        Middleware(SessionMiddleware, secret_key=session_secret(config), session_cookie="dj_session",
                   max_age=int(state.session_lifetime.total_seconds()), same_site="lax",
                   https_only=web.secure_cookies),
        Middleware(auth.MemberMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.web = state
    return app

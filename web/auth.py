"""Logging in with member number + PIN, the session, and the per-request member.

The PIN is checked by ``core.secrets.check_member_pin``: the kiosk's scrypt hashes and its persisted,
escalating lockout per member number. A client address is rate-limited, not locked: wrong PINs from one
address are counted (``web.login_per_ip_per_minute``; over it, 429 until the minute has passed), since
one address may be a whole company behind NAT and locking it for an hour would lock every member there
out. Every attempt is audited (``web.login``, ok or not, with the address; ``pin.failed`` names it as
``web:<ip>``). Wrong number, wrong PIN, no PIN and inactive member all get the same message, the same
scrypt time and the same lockout.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core import members, web_sessions
from core.audit import audit
from core.secrets import check_member_pin, minutes_left
from web.cache import MISSING
from web.errors import http_error
from web.i18n import COOKIE, LANGS
from web.security import checked_form, client_ip, safe_next


class MemberMiddleware:
    """Puts the logged-in member (or None) on ``request.state.member``; counts every page (static files
    excepted) against the page limit — per member once logged in, per address before (members behind
    one NAT address each have their own allowance)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = request.app.state.web
        scope.setdefault("state", {})["member"] = None
        if not scope["path"].startswith("/static/"):
            token = scope.get("session", {}).get("sid")
            # a sid comes only in a cookie signed with the server's key: a made-up one never gets this far
            member = await logged_in(state, token) if token else None
            scope["state"]["member"] = member
            wait = state.limits.pages_ip.hit(f"member:{member.id}" if member else client_ip(request))
            if wait is not None:  # raised here it would miss the app's handlers: answer directly
                response = await http_error(request, HTTPException(429, headers={"Retry-After": str(int(wait) + 1)}))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def logged_in(state, token: str):
    """The ``MemberView`` of a live session, or None; from ``state.members`` when asked in the last few
    seconds (a logout removes it there at once), else from the database."""
    now = state.clock()
    found = state.members.get(token)
    if found is MISSING:
        def load(s):
            session = web_sessions.lookup(s, token, now)
            member = members.by_id(s, session[0]) if session is not None else None
            return (members.view(member), session[1]) if member is not None else None

        found = await state.read(load) or (None, now)  # an ended session is kept too: asked once
        state.members.put(token, found)
    view, expires = found
    return view if expires > now else None


def to_login(request: Request) -> Response:
    """Send a visitor who is not logged in to the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def render(request: Request, name: str, context: dict | None = None, status: int = 200,
           headers: dict | None = None) -> Response:
    return request.app.state.web.templates.TemplateResponse(request, name, context or {}, status_code=status,
                                                             headers=headers)


async def login_page(request: Request) -> Response:
    if request.state.member is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return render(request, "login.html", {"next": safe_next(request.query_params.get("next")), "number": ""})


async def rate_limited(request: Request, what: str, limiter, key: str, *, count: bool = True, **detail) -> None:
    """Raise 429 when ``key`` is over ``limiter``'s limit (this request counted, unless ``count`` is False:
    the caller counts failures only); audited, at most 60 rows a minute (a flood is counted in
    ``suppressed_before`` rather than filling the disk)."""
    wait = limiter.hit(key) if count else limiter.blocked(key)
    if wait is None:
        return
    state = request.app.state.web
    suppressed = state.refusals.take()
    if suppressed is not None:
        ip = client_ip(request)
        await state.run(lambda s: audit(s, "web", "web.rate_limited", what, state.terminal_id, ip=ip,
                                        suppressed_before=suppressed, **detail))
    raise HTTPException(429, headers={"Retry-After": str(int(wait) + 1)})


async def login(request: Request) -> Response:
    state = request.app.state.web
    ip = client_ip(request)
    form = await checked_form(request)
    number = str(form.get("number", "")).strip().upper()[:32]
    pin = str(form.get("pin", ""))[:64]
    target = safe_next(str(form.get("next", "")))
    await rate_limited(request, "login", state.limits.login_ip, ip, count=False)  # wrong PINs counted below
    if number:
        await rate_limited(request, "login", state.limits.login_member, number, member=number)
    now = state.clock()

    def attempt(s):
        member = members.by_number(s, number) if number else None
        check = check_member_pin(s, number or "-", member, pin, terminal_id=f"web:{ip}"[:64], now=now,
                                 purpose="web.login", lock_terminal=False)
        audit(s, f"member:{number or '-'}"[:100], "web.login", "web", state.terminal_id, ok=check.ok,
              outcome=check.outcome, ip=ip)
        if check.ok:
            if now.minute == 0:  # now and then, not on every login
                web_sessions.prune(s, now)
            token = web_sessions.create(s, member, now, state.session_lifetime)
            return check, token, members.view(member)
        return check, None, None

    check, token, view = await state.run(attempt)
    if not check.ok:
        state.limits.login_ip.hit(ip)
        locked = check.outcome in ("locked", "lockout")
        zh, en = locked_message(check.locked_until, now) if locked and check.locked_until else check.message(now)
        return render(request, "login.html", {"next": target, "number": number, "error": (zh, en)},
                      status=429 if locked else 401)
    state.members.put(token, (view, now + state.session_lifetime))
    request.session.clear()  # a new session: nothing from before the login carries over (fixation)
    request.session["sid"] = token
    return RedirectResponse(target, status_code=303)


def locked_message(until, now) -> tuple[str, str]:
    """The web's words for a locked member number (the kiosk's offer "ask an administrator to confirm your
    sign-in" means nothing on a phone)."""
    m = minutes_left(until, now)
    return (f"PIN 错误次数过多，该党员编号已暂时锁定，请 {m} 分钟后再试。忘记 PIN 请联系支部管理员重置。",
            f"Too many wrong PINs: this member number is locked for {m} min. Forgot your PIN? Ask your branch "
            f"administrator to reset it.")


async def logout(request: Request) -> Response:
    await checked_form(request)
    token = request.session.get("sid")
    member = request.state.member
    state = request.app.state.web
    state.members.pop(token)

    def end(s):
        web_sessions.end(s, token)
        if member is not None:
            audit(s, f"member:{member.number}", "web.logout", "web", state.terminal_id, ip=client_ip(request))

    await state.run(end)
    state.members.pop(token)  # again: a request that read the session just before it ended
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def set_lang(request: Request) -> Response:
    code = request.path_params["code"]
    if code not in LANGS:
        raise HTTPException(404)
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax",
                        secure=request.app.state.web.config.web.secure_cookies)
    return response


def routes() -> list[Route]:
    return [Route("/login", login_page, methods=["GET"]), Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]), Route("/lang/{code}", set_lang, methods=["GET"])]

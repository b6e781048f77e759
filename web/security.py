"""Security headers, CSRF tokens and the client address.

Headers go on every response (pages, errors, static files): a CSP that allows no inline script and no
framing, nosniff, no referrer (a QR sign-in URL carries its code and must not leak to another site), and
HSTS when the site is served over HTTPS. CSRF: a random token per browser session, in a hidden field of
every form, compared in constant time; a POST whose Origin names another site is refused too.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


class SecurityHeaders:
    """Pure ASGI middleware adding the headers to every HTTP response."""

    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["Content-Security-Policy"] = CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["X-Frame-Options"] = "DENY"
                h["Referrer-Policy"] = "no-referrer"
                h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                h["Cross-Origin-Opener-Policy"] = "same-origin"
                if "cache-control" not in h:
                    h["Cache-Control"] = "no-store"
                if self.hsts:
                    h["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


async def checked_form(request: Request) -> FormData:
    """The POSTed form after the CSRF checks; 403 when the token is missing or wrong."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise HTTPException(403, "cross-site request")
    form = await request.form(max_files=0, max_fields=200)
    sent, want = str(form.get("csrf", "")), request.session.get("csrf", "")
    if not want or not hmac.compare_digest(sent.encode(), want.encode()):
        raise HTTPException(403, "csrf")
    return form


def client_ip(request: Request) -> str:
    """The client's address (uvicorn's proxy-header handling has already replaced it for trusted proxies)."""
    return request.client.host if request.client else "unknown"


def safe_next(value: str | None) -> str:
    """A same-site path to go back to after login; anything else (``//evil``, ``https://…``) goes home."""
    value = value or ""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and len(value) < 500:
        return value
    return "/"

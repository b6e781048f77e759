"""首页: my next meetings, unread notices and my points; the login page for a visitor."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import members, notices
from web.auth import render


async def home(request: Request) -> Response:
    member = request.state.member
    if member is None:  # "/" is the Chinese login page for a visitor
        return render(request, "login.html", {"next": "/", "number": ""})
    state = request.app.state.web
    now = state.clock()

    def load(s):
        items = state.headlines(s, "notice", member.branch.code, now)
        return {"meetings": members.upcoming_meetings(s, member, now),
                "unread": notices.unread(items, state.read_ids(s, member)), "points": state.points(s, member)}

    return render(request, "home.html", await state.read(load))


def routes() -> list[Route]:
    return [Route("/", home, methods=["GET"])]

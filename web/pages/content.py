"""党建资讯 and 通知公告: published, unexpired items only (the kiosk's review states); opening a notice
marks it read for the home page's unread count."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core import notices
from web.auth import render, to_login

KINDS = {"news": ("党建资讯", "News"), "notices": ("通知公告", "Notices")}


async def listing(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    area = request.url.path.strip("/")
    state = request.app.state.web
    now = state.clock()

    def load(s):
        items = state.headlines(s, "notice" if area == "notices" else "news", member.branch.code, now)
        return items, (state.read_ids(s, member) if area == "notices" else set())

    items, read = await state.read(load)
    return render(request, "list.html", {"area": area, "heading": KINDS[area], "items": items, "read": read})


async def item(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    area = request.url.path.split("/")[1]
    item_id = request.path_params["item_id"]
    state = request.app.state.web
    now = state.clock()

    def load(s):
        found = notices.published_item(s, item_id, "notice" if area == "notices" else "news", now)
        if found is not None and area == "notices":
            notices.mark_read(s, member, found.id)
        return found

    found = await state.run(load)
    if found is None:
        raise HTTPException(404)
    if area == "notices":
        state.forget(member.id, "read")
    return render(request, "item.html", {"area": area, "heading": KINDS[area], "item": found})


def routes() -> list[Route]:
    return [Route("/news", listing, methods=["GET"]), Route("/notices", listing, methods=["GET"]),
            Route("/news/{item_id:int}", item, methods=["GET"]), Route("/notices/{item_id:int}", item, methods=["GET"])]

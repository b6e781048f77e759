"""The pages, one module per area: home, news and notices, learning, my records, QR sign-in."""

from __future__ import annotations

from starlette.routing import Route


def routes() -> list[Route]:
    from web.pages import content, home, learning, me, qr

    return home.routes() + content.routes() + learning.routes() + me.routes() + qr.routes()

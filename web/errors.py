"""Error pages (4xx and 500) in both languages, for the app's handlers and the middleware that answers
before routing (a rate limit): one place, so both look the same."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from web.security import client_ip

log = logging.getLogger("web")


ERRORS = {
    400: ("请求无效", "Bad request"), 403: ("无权执行此操作，请刷新页面后重试", "Not allowed: reload the page and try again"),
    404: ("页面不存在", "Page not found"), 405: ("不支持的请求方式", "Method not allowed"),
    429: ("请求过于频繁，请稍后再试", "Too many requests: please wait a moment"),
}


async def http_error(request: Request, exc: HTTPException) -> Response:
    code = exc.status_code
    zh, en = ERRORS.get(code, ("出错了", "Something went wrong"))
    headers = dict(exc.headers or {})
    return request.app.state.web.templates.TemplateResponse(
        request, "error.html", {"code": code, "zh": zh, "en": en}, status_code=code, headers=headers)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("web: %s %s failed (client %s)", request.method, request.url.path, client_ip(request))
    return request.app.state.web.templates.TemplateResponse(
        request, "error.html", {"code": 500, "zh": "服务器出错，请稍后再试", "en": "Server error: please try again later"},
        status_code=500)

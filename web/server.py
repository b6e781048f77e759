"""``launcher.py web``: the web app under uvicorn, one worker, proxy headers believed only from
``web.trusted_proxies`` (so rate limits and audit rows see the phone's address, not nginx's)."""

from __future__ import annotations

import logging

log = logging.getLogger("web")


def serve(config, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    from web.app import create_app

    host = host or config.web.host
    port = port or config.web.port
    app = create_app(config)
    if config.web.secure_cookies and host in ("127.0.0.1", "::1", "localhost") and not config.web.base_url:
        log.warning("web.secure_cookies is on but no https base_url is set: browsers will not send the session "
                    "cookie over plain http (put nginx with TLS in front, see docs/mobile.md, or set "
                    "web.secure_cookies: false for a loopback test)")
    log.info("members' web app on http://%s:%d (database %s)", host, port,
             app.state.web.db.engine.url.render_as_string(hide_password=True))
    uvicorn.run(app, host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=",".join(config.web.trusted_proxies) or "127.0.0.1",
                server_header=False, log_level="info", access_log=False,
                timeout_keep_alive=30)  # nginx and phones reuse connections longer than uvicorn's 5 s
    return 0

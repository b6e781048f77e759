"""党员移动端 — the members' web app (#20): server-rendered pages for phones, beside the kiosk on the same
database (SQLite on a standalone site, the central PostgreSQL in a fleet), through core's services.

Started only by ``launcher.py web``; the kiosk never opens a listening socket. ``web.app.create_app``
builds the Starlette application; ``web.server.serve`` runs it under uvicorn.
"""

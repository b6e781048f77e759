"""Members' web app benchmark (#20): page times at 50 concurrent users, and the rate limits under a flood.
Printed, not asserted.

    .venv/bin/python bench/web_bench.py [--users 50] [--seconds 20] [--pg-url URL]

A real server (``launcher.py web``, one uvicorn worker, in its own process) on a fresh copy of the demo
site, SQLite and — with ``--pg-url`` or $DANGJIAN_TEST_PG_URL — a fresh PostgreSQL database. Each
simulated phone has its own client address (X-Forwarded-For, believed from 127.0.0.1 as from nginx), logs
in with member number + PIN and then walks the pages (home, notices, news, learning, leaderboard, my
attendance), pausing ``--think`` seconds (0.5-1.5x) between pages like a reader, then with no pause
(saturated: what the server can do at most). The reported p95 is the one with pauses. Printed: requests, p50/p95/p99 page time, throughput, p95
against the 100 ms budget, and PostgreSQL against SQLite.

Flood: from one address, 200 wrong logins and 200 made-up QR codes; and 100 wrong logins for one member
number spread over 100 addresses. Printed: how many got through to a PIN or code check (the rest were
answered 429) against the configured limits. Then every other demo member logs in right from one
address (a company behind NAT): all must get in.

Printed beside each run: the server's and this client's CPU time per page (from /proc: what the page
costs, whatever else the machine runs) and the load average before and after, since a shared machine's
load moves the page times.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PIN = "246810"
PAGES = ["/", "/notices", "/news", "/learn", "/learn/board", "/me/attendance"]
BUDGET_MS = 100.0
SERVER_LOG = Path(tempfile.gettempdir()) / "web_bench_server.log"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc): what the server itself spent,
    whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(data_dir: Path, url: str | None) -> tuple[dict, list[str]]:
    """Load the demo site into a fresh database and give every member the PIN; the server's environment."""
    from sqlalchemy import select

    from core.config import load_config
    from core.models import Member
    from core.secrets import MEMBER_PIN_MIN, hash_pin
    from core.terminal import open_terminal

    env = {"DANGJIAN__SITE__DATA_DIR": str(data_dir), "DANGJIAN__WEB__SECURE_COOKIES": "false"}
    if url:
        env["DANGJIAN__DATABASE__URL"] = url
    terminal, _ = open_terminal(load_config(environ=env))
    pin_hash = hash_pin(PIN, MEMBER_PIN_MIN)  # one hash for all: setup time, not what is measured
    with terminal.db.session() as s:
        numbers = []
        for m in s.scalars(select(Member).where(Member.active).order_by(Member.number)):
            m.pin_hash = pin_hash
            numbers.append(m.number)
    terminal.db.dispose()
    return env, numbers


def start_server(env: dict, port: int) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DANGJIAN__")} | env
    with open(SERVER_LOG, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, str(ROOT / "launcher.py"), "web", "--port", str(port)], env=full,
                                stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the server did not start: see {SERVER_LOG}") from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start in 60 s")


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def login(client, number: str, pin: str = PIN) -> int:
    page = await client.get("/login")
    r = await client.post("/login", data={"csrf": csrf(page.text), "number": number, "pin": pin, "next": "/"})
    return r.status_code


async def load(base: str, numbers: list[str], users: int, seconds: float, think: float,
               server_pid: int) -> tuple[list[float], int, float, float, float]:
    """Page times (ms), errors, wall seconds, and the server's and this client's CPU seconds while the
    pages were walked (the logins before are left out: scrypt is login cost, not page cost)."""
    import httpx

    times: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)

    async def user(i: int, clients: list) -> None:
        nonlocal errors
        client = httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": f"10.1.{i // 250}.{i % 250 + 1}"},
                                   limits=limits, timeout=30)
        clients.append(client)
        ok = await login(client, numbers[i % len(numbers)]) == 303
        logged_in.append(ok)
        if not ok:
            errors += 1
            return
        await start.wait()
        if think:  # phones do not all tap at the same millisecond: spread the first pages over one pause
            await asyncio.sleep(think * i / users)
        k = i
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            r = await client.get(PAGES[k % len(PAGES)])
            times.append((time.perf_counter() - t0) * 1000)
            errors += r.status_code != 200
            k += 1
            if think:
                await asyncio.sleep(think * (0.5 + (k * 7919 % 100) / 100))  # 0.5-1.5x: phones are not in step

    start = asyncio.Event()
    clients: list = []
    logged_in: list[bool] = []
    stop = float("inf")
    tasks = [asyncio.create_task(user(i, clients)) for i in range(users)]
    await asyncio.sleep(0)
    while len(logged_in) < users:  # logins (scrypt) finish first
        await asyncio.sleep(0.05)
    server0, client0 = cpu_seconds(server_pid), time.process_time()
    t0 = time.monotonic()
    stop = t0 + seconds
    start.set()
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    server_cpu, client_cpu = cpu_seconds(server_pid) - server0, time.process_time() - client0
    for c in clients:
        await c.aclose()
    return times, errors, wall, server_cpu, client_cpu


async def flood(base: str, number: str, colleagues: list[str]) -> dict[str, tuple[int, int]]:
    """(requests checked, requests sent) per flood; for the NAT line, (logged in, tried)."""
    import httpx

    out = {}
    async with httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": "10.9.9.9"}, timeout=30) as c:
        codes = [await login(c, f"Z{i:04d}", "000000") for i in range(200)]
        out["wrong logins from one address"] = (sum(x != 429 for x in codes), len(codes))
        codes = [(await c.get(f"/qr/made-up-{i}")).status_code for i in range(200)]
        out["made-up QR codes from one address"] = (sum(x != 429 for x in codes), len(codes))
    codes = []
    for i in range(100):
        async with httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": f"10.8.0.{i + 1}"}, timeout=30) as c:
            codes.append(await login(c, number, "000000"))
    out["wrong logins for one number from 100 addresses"] = (sum(x != 429 for x in codes), len(codes))
    codes = []
    for n in colleagues:  # one company behind NAT: every member logs in right from the one address
        async with httpx.AsyncClient(base_url=base, headers={"X-Forwarded-For": "10.7.7.7"}, timeout=30) as c:
            codes.append(await login(c, n))
    out["right logins from one address (NAT)"] = (sum(x == 303 for x in codes), len(codes))
    return out


def run(label: str, url: str | None, users: int, seconds: float, think: float) -> float:
    from core.config import load_config

    web = load_config(environ={}).web
    with tempfile.TemporaryDirectory() as tmp:
        env, numbers = prepare(Path(tmp) / "data", url)
        port = free_port()
        proc = start_server(env, port)
        try:
            base = f"http://127.0.0.1:{port}"
            p95 = float("nan")
            for pause in (think, 0.0):
                before = load_average()
                times, errors, wall, server_cpu, client_cpu = asyncio.run(
                    load(base, numbers, users, seconds, pause, proc.pid))
                server_ms, client_ms = (x * 1000 / max(len(times), 1) for x in (server_cpu, client_cpu))
                p95 = pct(times, 0.95) if pause == think else p95  # the reader's p95 is the figure
                how = f"{pause:g} s between pages" if pause else "no pause (saturated)"
                print(f"{label}: {users} users, {how}: {len(times)} pages in {wall:.1f} s ({len(times) / wall:.0f}/s), "
                      f"errors {errors}; page time p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms, "
                      f"p99 {pct(times, 0.99):.1f} ms; p95 / {BUDGET_MS:.0f} ms budget = "
                      f"{pct(times, 0.95) / BUDGET_MS:.2f}")
                print(f"  CPU per page: server {server_ms:.2f} ms, this client {client_ms:.2f} ms; "
                      f"load average 1/5/15 min {before} before, {load_average()} after")
            result = asyncio.run(flood(base, numbers[-1], numbers[:-1]))
            limit = {"wrong logins from one address": f"{web.login_per_ip_per_minute} wrong a minute",
                     "made-up QR codes from one address": f"{web.qr_per_ip_per_minute} refused a minute",
                     "wrong logins for one number from 100 addresses":
                         f"{web.login_per_member_per_minute} a minute; the 5th wrong PIN locks the number"}
            for what, (through, sent) in result.items():
                if what in limit:
                    print(f"  flood, {what}: {through} of {sent} were checked, {sent - through} answered 429 "
                          f"(limit {limit[what]})")
                else:
                    print(f"  {what}: {through} of {sent} logged in (an address is limited, never locked)")
        finally:
            proc.terminate()
            proc.wait(10)
    return p95


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--think", type=float, default=1.0, help="seconds a phone waits between pages (then 0)")
    ap.add_argument("--pg-url", default=os.environ.get("DANGJIAN_TEST_PG_URL"))
    ap.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; one uvicorn worker; client in this process")
    sqlite = float("nan") if args.no_sqlite else run("SQLite", None, args.users, args.seconds, args.think)
    if args.pg_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"web_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            pg = run("PostgreSQL", make_url(args.pg_url).set(database=name).render_as_string(hide_password=False),
                     args.users, args.seconds, args.think)
            if not args.no_sqlite:
                print(f"PostgreSQL p95 / SQLite p95 = {pg / sqlite:.2f}")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("PostgreSQL: skipped (set DANGJIAN_TEST_PG_URL or --pg-url)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

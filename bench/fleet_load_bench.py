"""Fleet load benchmark (issue #7): 100 simulated terminals on loopback against ONE mosquitto and ONE
PostgreSQL. Printed, not asserted (except that nothing is lost or doubled).

    .venv/bin/python bench/fleet_load_bench.py [--terminals 100] [--workers 4] [--messages 20]
                                               [--interval 0.25] [--members 200] [--batch 200]
                                               [--pool 8] [--pg-url URL] [--quick]

Each terminal is what a kiosk runs for the fleet: its own SQLite file (WAL, synchronous=FULL, copied from
one migrated template), a real ``fleet.push.PushSubscriber`` (persistent MQTT session, QoS 1, Ed25519
signatures checked) and a real ``fleet.outbox_sender.OutboxSender``. The terminals are spread over ``--workers``
processes (the machine has few cores; each process runs 25 paho network threads).

1. Push: ``--messages`` signed news items published with ``fleet.push.publish_item`` (a fresh publisher
   connection each, as ``launcher.py publish`` does) ``--interval`` seconds apart; latency is the
   wall-clock time from the call to ``publish_item`` to each terminal's ``NewsArrived`` (published only
   after the item is committed to that terminal's SQLite), and to the moment paho hands the message to the
   terminal's client (before checking and storing: what the broker and loopback take). All terminals ×
   messages must arrive. On this box one process serves 25 terminals, so a message's spread over the
   terminals is mostly their verification and SQLite commits queueing for two cores; a real terminal
   does only its own (see bench/fleet_bench.py for one real subscriber beside many).
2. Sync: every terminal signs in ``--members`` members with ``core.attendance.sign_in`` (each commit
   carries its outbox row), then all senders drain at once, one thread per terminal, into a fresh
   PostgreSQL database (created in the server of ``--pg-url``, default $DANGJIAN_TEST_PG_URL, migrated
   with ``core.db.Database``, dropped afterwards). Throughput is all rows / time until the last one is
   central (polled); then queries check every record is there exactly once (0 lost, 0 duplicated) and no
   terminal has anything pending.

Central connections: 100 terminals each holding a connection would take the whole server (the test
server allows 100); production puts PgBouncer in between. Here each worker process's senders share one
SQLAlchemy pool of ``--pool`` connections (``--pool 0``: one connection per terminal, as without a pooler).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORG = "load"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (f"p50 {pct(values, 0.5) * 1000:.1f} ms, p95 {pct(values, 0.95) * 1000:.1f} ms, "
            f"max {max(values) * 1000:.1f} ms")


# ----------------------------------------------------------------------------------------------- worker


def _pooled_central(url: str, pool: int):
    """One central Database for a worker's senders, its engine a pool of ``pool`` connections (the part
    PgBouncer plays in production: terminals queue for a server connection)."""
    from sqlalchemy import create_engine

    from core.db import Database
    from fleet.outbox_sender import central_url

    central = Database(url, migrate=False)
    central.engine.dispose()
    central.engine = create_engine(central_url(url), pool_size=pool, max_overflow=0, pool_timeout=120,
                                   pool_pre_ping=True)
    return central


def _worker(index: int, terminal_ids: list[str], cfg: dict, commands: mp.Queue, out: mp.Queue) -> None:
    import logging

    logging.basicConfig(level=logging.ERROR)
    from sqlalchemy import select

    from core.attendance import sign_in
    from core.db import Database
    from core.events import EventBus, NewsArrived
    from core.meetings import create_meeting
    from core.models import Branch, Meeting, Member, OutboxEntry, utcnow
    from fleet.outbox_sender import OutboxSender
    from fleet.push import PushSettings, PushSubscriber
    from fleet.signing import Verifier, load_public_key

    arrivals: list[tuple[str, int, float]] = []
    received: list[tuple[str, int, float]] = []
    lock = threading.Lock()
    number = re.compile(rb"#(\d+)")

    class TimingBus(EventBus):
        """The terminal's bus, noting when each NewsArrived is published (after the SQLite commit)."""

        def __init__(self, terminal_id: str) -> None:
            super().__init__()
            self.terminal_id = terminal_id

        def publish(self, event) -> None:
            if isinstance(event, NewsArrived):
                now = time.time()
                with lock:
                    for title in event.titles:
                        arrivals.append((self.terminal_id, int(title.rsplit("#", 1)[1]), now))
            super().publish(event)

    class TimedSubscriber(PushSubscriber):
        """Notes when paho hands a message over, before it is verified and stored."""

        def _on_message(self, client, userdata, message) -> None:
            now = time.time()
            found = number.search(message.payload)
            if found:
                with lock:
                    received.append((self.terminal_id, int(found.group(1)), now))
            super()._on_message(client, userdata, message)

    started = time.monotonic()
    verifier = Verifier([load_public_key(cfg["public_key"].encode())])
    settings = PushSettings(host="127.0.0.1", port=cfg["port"], org=ORG, keepalive=30)
    central = _pooled_central(cfg["central"], cfg["pool"]) if cfg["pool"] else None
    terminals = []
    for tid in terminal_ids:
        path = Path(cfg["folder"]) / f"{tid}.db"
        shutil.copy(cfg["template"], path)
        db = Database(f"sqlite:///{path}", migrate=False)
        now = utcnow()
        with db.session() as s:
            branch = Branch(code=f"B{tid[1:]}", name_zh=f"第{tid[1:]}党支部")
            s.add(branch)
            s.add_all([Member(number=f"M{tid[1:]}{i:04d}", name=f"党员{i}", branch=branch)
                       for i in range(cfg["members"])])
            s.flush()
            meeting = create_meeting(s, type="支部党员大会", title_zh="支部党员大会", branch_code=branch.code,
                                     starts_at=now - timedelta(minutes=3), ends_at=now + timedelta(hours=2))
            meeting_id = meeting.id
        bus = TimingBus(tid)
        sub = TimedSubscriber(settings, db, bus, verifier=verifier, terminal_id=tid)
        sender = OutboxSender(db, central if central is not None else cfg["central"], batch_size=cfg["batch"])
        terminals.append((tid, db, sub, sender, meeting_id))
    for _, _, sub, _, _ in terminals:
        sub.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(t[2].connected for t in terminals):
        time.sleep(0.02)
    out.put(("ready", index, sum(t[2].connected for t in terminals), time.monotonic() - started))

    while True:
        command = commands.get()
        if command[0] == "push_done":
            expected = command[1] * len(terminals)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with lock:
                    if len(arrivals) >= expected:
                        break
                time.sleep(0.01)
            with lock:
                out.put(("push", index, list(arrivals), list(received)))
        elif command[0] == "signin":
            t0 = time.monotonic()
            count = 0
            for tid, db, _, _, meeting_id in terminals:
                with db.session() as s:
                    meeting = s.get(Meeting, meeting_id)
                    members = list(s.scalars(select(Member).where(Member.number.like(f"M{tid[1:]}%"))
                                             .order_by(Member.number)))
                    for member in members:
                        if sign_in(s, meeting, member, method="face", terminal_id=tid, now=utcnow()).created:
                            count += 1
            out.put(("signed", index, count, time.monotonic() - t0))
        elif command[0] == "drain":
            results: dict[str, tuple[float, int, str | None]] = {}

            def drain(tid: str, sender: OutboxSender, results: dict = results) -> None:
                t0 = time.time()
                done = sender.drain()
                results[tid] = (time.time() - t0, done.inserted, done.error)

            threads = [threading.Thread(target=drain, args=(t[0], t[3])) for t in terminals]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            out.put(("drained", index, results))
        elif command[0] == "local":
            uuids, pending = {}, 0
            for tid, db, _, _, _ in terminals:
                with db.session() as s:
                    rows = list(s.scalars(select(OutboxEntry)))
                    uuids[tid] = [r.payload["uuid"] for r in rows if r.kind == "attendance"]
                    pending += sum(1 for r in rows if r.sent_at is None)
            out.put(("local", index, uuids, pending))
        elif command[0] == "stop":
            for _tid, db, sub, sender, _ in terminals:
                sub.stop()
                sender.close()
                db.dispose()
            if central is not None:
                central.dispose()
            out.put(("stopped", index))
            return


# ----------------------------------------------------------------------------------------------- parent


def _fresh_pg(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_pg(base: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Workers:
    def __init__(self, n: int, terminal_ids: list[str], cfg: dict) -> None:
        ctx = mp.get_context("spawn")  # no paho threads or engines inherited from the parent
        self.out = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(n)]
        shares = [terminal_ids[i::n] for i in range(n)]
        self.procs = [ctx.Process(target=_worker, args=(i, shares[i], cfg, self.commands[i], self.out), daemon=True)
                      for i in range(n)]
        for p in self.procs:
            p.start()

    def send(self, *command) -> None:
        for q in self.commands:
            q.put(command)

    def collect(self, kind: str, timeout: float = 300) -> list[tuple]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < len(self.procs):
            try:
                msg = self.out.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                dead = [p.pid for p in self.procs if not p.is_alive()]
                raise RuntimeError(f"no '{kind}' from {len(self.procs) - len(got)} worker(s); dead: {dead}") from None
            if msg[0] != kind:
                raise RuntimeError(f"expected {kind!r} from the workers, got {msg[:2]!r}")
            got.append(msg)
        return got

    def stop(self) -> None:
        try:
            self.send("stop")
            self.collect("stopped", timeout=60)
        finally:
            for p in self.procs:
                p.join(10)
                if p.is_alive():
                    p.kill()


def _template(folder: Path) -> Path:
    from core.db import Database

    path = folder / "template.db"
    Database(f"sqlite:///{path}").dispose()  # migrated to head once; each terminal starts from a copy
    return path


def _versions(central: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    from tests.fleet.broker import mosquitto_path

    try:
        line = subprocess.run([mosquitto_path() or "mosquitto", "-h"], capture_output=True, text=True,
                              timeout=10).stdout.splitlines()[0]
        mosq = line.replace("mosquitto version", "mosquitto").strip()
    except (OSError, IndexError, subprocess.SubprocessError):
        mosq = "mosquitto"
    engine = create_engine(central)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
        fsync = conn.execute(text("SHOW fsync")).scalar()
        sync = conn.execute(text("SHOW synchronous_commit")).scalar()
        conns = conn.execute(text("SHOW max_connections")).scalar()
    engine.dispose()
    return mosq, f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={sync}, max_connections={conns})"


def run(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization
    from sqlalchemy import create_engine, text

    from core.db import Database
    from fleet.push import PushSettings, publish_item
    from fleet.signing import generate_private_key
    from tests.fleet.broker import Mosquitto

    bench_start = time.monotonic()
    n_term, n_work = args.terminals, min(args.workers, args.terminals)
    total_rows = n_term * args.members
    rows: list[tuple[str, str]] = []
    problems: list[str] = []
    name, central = _fresh_pg(args.pg_url)
    workers = None
    try:
        Database(central).dispose()  # migrate the central database
        mosq_version, pg_version = _versions(central)
        key = generate_private_key()
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp) / "broker") as broker:
            folder = Path(tmp)
            cfg = {"port": broker.port, "public_key": public_pem, "central": central, "pool": args.pool,
                   "template": str(_template(folder)), "folder": tmp, "members": args.members, "batch": args.batch}
            ids = [f"t{i:03d}" for i in range(1, n_term + 1)]
            t0 = time.monotonic()
            workers = Workers(n_work, ids, cfg)
            ready = workers.collect("ready", timeout=180)
            connected = sum(r[2] for r in ready)
            start_s = time.monotonic() - t0
            rows.append(("terminals started (SQLite copied + filled, subscriber connected)",
                         f"{connected}/{n_term} in {start_s:.1f} s"))
            if connected < n_term:
                problems.append(f"only {connected} of {n_term} subscribers connected")

            # 1. push
            settings = PushSettings(host="127.0.0.1", port=broker.port, org=ORG)
            sent: dict[int, float] = {}
            calls = []
            for i in range(args.messages):
                item = {"guid": f"load-{i}", "title_zh": f"党建资讯压力测试 #{i}",
                        "body": "<p>" + "全面从严治党，" * 60 + "</p>", "published_at": "2026-11-26T08:00:00+08:00"}
                t = time.time()
                publish_item(settings, item, kind="news", private_key=key)
                calls.append(time.time() - t)
                sent[i] = t
                time.sleep(args.interval)
            workers.send("push_done", args.messages)
            pushed = workers.collect("push", timeout=120)
            arrivals = [a for r in pushed for a in r[2]]
            latencies = [at - sent[i] for _, i, at in arrivals if i in sent]
            handed = [at - sent[i] for r in pushed for _, i, at in r[3] if i in sent]
            per_message = {i: 0 for i in sent}
            for _, i, _ in arrivals:
                per_message[i] = per_message.get(i, 0) + 1
            delivered = len(arrivals)
            rows.append(("push: delivered (stored + NewsArrived)",
                         f"{delivered}/{n_term * args.messages} ({n_term} terminals × {args.messages} messages); "
                         f"every terminal got every message: {all(v == n_term for v in per_message.values())}"))
            rows.append(("push latency, publish_item call → NewsArrived", ms(latencies)))
            rows.append(("  of which: call → message handed to the terminal's client", ms(handed)))
            last = {}
            for _, i, at in arrivals:
                last[i] = max(last.get(i, 0.0), at - sent[i])
            rows.append((f"push: until the last of the {n_term} terminals has it (per message)", ms(list(last.values()))))
            rows.append(("publish_item call (connect, signed publish, PUBACK)", ms(calls)))
            if delivered != n_term * args.messages:
                problems.append(f"push: {delivered} of {n_term * args.messages} delivered")

            # 2. sign-ins, then every sender drains at once
            workers.send("signin")
            signed = workers.collect("signed", timeout=600)
            n_signed = sum(r[2] for r in signed)
            sign_s = max(r[3] for r in signed)
            rows.append(("sign-ins with their outbox rows (SQLite, synchronous=FULL)",
                         f"{n_signed} in {sign_s:.1f} s = {n_signed / sign_s:,.0f}/s over {n_work} processes"))
            engine = create_engine(central)
            count_sql = text("SELECT count(*) FROM fleet_attendance")
            start = time.time()
            workers.send("drain")
            last_count, all_central_s = 0, None
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    last_count = conn.execute(count_sql).scalar()
                if last_count >= total_rows:
                    all_central_s = time.time() - start
                    break
                time.sleep(0.02)
            drained = {}
            for r in workers.collect("drained", timeout=600):
                drained.update(r[2])
            errors = sorted({e for _, _, e in drained.values() if e})
            if all_central_s is None:
                problems.append(f"sync: only {last_count} of {total_rows} rows central")
                all_central_s = time.time() - start
            rows.append((f"outbox → central: all {total_rows} rows there", f"{all_central_s:.2f} s = "
                         f"{last_count / all_central_s:,.0f} records/s aggregate"))
            per_terminal = [d for d, _, _ in drained.values()]
            rows.append(("per terminal: drain time", ms(per_terminal)))
            if errors:
                problems.append("sender errors: " + "; ".join(errors[:3]))

            # verification
            workers.send("local")
            local_rows = workers.collect("local", timeout=120)
            local_uuids = {tid: set(u) for r in local_rows for tid, u in r[2].items()}
            pending = sum(r[3] for r in local_rows)
            with engine.connect() as conn:
                n, distinct, terminals = conn.execute(text(
                    "SELECT count(*), count(DISTINCT uuid), count(DISTINCT terminal_id) FROM fleet_attendance")).one()
                per = dict(conn.execute(text("SELECT terminal_id, count(*) FROM fleet_attendance GROUP BY terminal_id")).all())
                central_uuids: dict[str, set[str]] = {}
                for tid, u in conn.execute(text("SELECT terminal_id, uuid FROM fleet_attendance")):
                    central_uuids.setdefault(tid, set()).add(u)
            engine.dispose()
            lost = sum(len(u - central_uuids.get(tid, set())) for tid, u in local_uuids.items())
            extra = sum(len(u - local_uuids.get(tid, set())) for tid, u in central_uuids.items())
            dup = n - distinct
            wrong = sorted(tid for tid in local_uuids if per.get(tid, 0) != args.members)
            rows.append(("verified by query", f"{n} rows, {distinct} distinct uuids, {terminals} terminals; "
                         f"lost {lost}, duplicated {dup}, unknown {extra}, local pending {pending}"))
            if lost or dup or extra or pending or wrong or n != total_rows:
                problems.append(f"verification failed: lost {lost}, dup {dup}, unknown {extra}, pending {pending}, "
                                f"terminals with a wrong count: {wrong[:5]}")
            workers.stop()
            workers = None
    finally:
        if workers is not None:
            workers.stop()
        _drop_pg(args.pg_url, name)

    pool = f"{n_work} processes × pool {args.pool}" if args.pool else "one connection per terminal"
    print(f"fleet load bench: {n_term} terminals in {n_work} processes on loopback; {os.cpu_count()} cores, "
          f"python {sys.version.split()[0]}")
    print(f"broker: one {mosq_version}; central: one {pg_version}")
    print(f"push: {args.messages} signed messages, {args.interval * 1000:.0f} ms apart, QoS 1, persistent sessions; "
          f"sync: {args.members} sign-ins per terminal, batch {args.batch}, central connections: {pool}")
    width = max(len(r[0]) for r in rows)
    print()
    print(f"| {'measure'.ljust(width)} | result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for label, value in rows:
        print(f"| {label.ljust(width)} | {value} |")
    print(f"\n(whole run {time.monotonic() - bench_start:.0f} s, including setup and the checks)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "problems": problems}, ensure_ascii=False, indent=2))
    if problems:
        print("\nPROBLEMS: " + "; ".join(problems))
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terminals", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between published messages")
    parser.add_argument("--members", type=int, default=200, help="sign-ins per terminal")
    parser.add_argument("--batch", type=int, default=200, help="outbox batch size")
    parser.add_argument("--pool", type=int, default=8, help="central connections per worker process (0: per terminal)")
    parser.add_argument("--pg-url", default=os.environ.get("DANGJIAN_TEST_PG_URL"))
    parser.add_argument("--json", help="also write the table as JSON here")
    parser.add_argument("--quick", action="store_true", help="20 terminals, 5 messages, 50 sign-ins each")
    args = parser.parse_args()
    if args.quick:
        args.terminals, args.messages, args.members = min(args.terminals, 20), min(args.messages, 5), min(args.members, 50)
    if not args.pg_url:
        parser.error("no PostgreSQL: pass --pg-url or set DANGJIAN_TEST_PG_URL")
    import logging

    logging.basicConfig(level=logging.ERROR)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

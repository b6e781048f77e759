"""Fleet benchmark: MQTT push latency to many subscribers, and outbox throughput into PostgreSQL. Printed,
not asserted.

    .venv/bin/python bench/fleet_bench.py [--subscribers 20 50 100] [--messages 50]
                                          [--records 20000] [--terminals 4] [--pg-url URL]

Push: one mosquitto on 127.0.0.1 (a free port), N plain paho subscribers spread over worker processes,
one publisher sending ``--messages`` QoS 1 messages 20 ms apart; latency is publish → on_message, in
wall-clock time on the same machine. Then one real ``PushSubscriber`` (Ed25519 check of message and item,
sanitising, SQLite commit, ``NewsArrived`` on the bus) among those subscribers: publish → event.

Outbox: ``--records`` sign-ins enqueued in a terminal's SQLite file, then sent by ``OutboxSender`` into a
fresh PostgreSQL database (``--pg-url`` or $DANGJIAN_TEST_PG_URL), at several batch sizes; a replay of
everything already sent (all conflicts); and ``--terminals`` senders in parallel processes, each with its
own SQLite outbox, into the same central tables. Also: the cost of a sign-in commit with its outbox row.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOPIC = "dangjian/bench/news"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def ms(values: list[float]) -> str:
    return (f"p50 {pct(values, 0.5) * 1000:6.2f} ms  p95 {pct(values, 0.95) * 1000:6.2f} ms  "
            f"max {max(values) * 1000:6.2f} ms")


# ------------------------------------------------------------------------------------------------- push


def _subscriber_worker(port: int, count: int, expected: int, ready: mp.Queue, out: mp.Queue) -> None:
    import threading

    import paho.mqtt.client as mqtt

    latencies: list[float] = []
    lock = threading.Lock()
    got = [0]
    subscribed = threading.Semaphore(0)

    def on_message(client, userdata, message) -> None:
        now = time.time()
        sent = json.loads(message.payload).get("t")
        if sent is None:  # a terminal's signed message on the same topic: not this crowd's to time
            return
        with lock:
            latencies.append(now - sent)
            got[0] += 1

    clients = []
    for i in range(count):
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{os.getpid()}-{i}")
        c.on_message = on_message
        c.on_connect = lambda client, *a: client.subscribe(TOPIC, qos=1)
        c.on_subscribe = lambda *a: subscribed.release()
        c.connect("127.0.0.1", port, 30)
        c.loop_start()
        clients.append(c)
    for _ in clients:
        subscribed.acquire(timeout=30)
    ready.put(count)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if got[0] >= expected * count:
                break
        time.sleep(0.02)
    for c in clients:
        c.disconnect()
        c.loop_stop()
    out.put(latencies)


def bench_push(counts: list[int], messages: int) -> None:
    import paho.mqtt.client as mqtt

    from core.db import Database
    from core.events import EventBus, NewsArrived
    from fleet.push import PushSettings, PushSubscriber, build_message
    from fleet.signing import Verifier, generate_private_key
    from tests.fleet.broker import Mosquitto

    print(f"\n== push: one mosquitto on loopback, {messages} QoS 1 messages 20 ms apart ==")
    with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp) / "broker") as broker:
        for n in counts:
            procs_n = min(4, max(1, n // 25))
            per = [n // procs_n + (1 if i < n % procs_n else 0) for i in range(procs_n)]
            ready, out = mp.Queue(), mp.Queue()
            procs = [mp.Process(target=_subscriber_worker, args=(broker.port, k, messages, ready, out)) for k in per]
            for p in procs:
                p.start()
            for _ in procs:
                ready.get(timeout=60)
            pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub")
            pub.connect("127.0.0.1", broker.port, 30)
            pub.loop_start()
            for i in range(messages):
                pub.publish(TOPIC, json.dumps({"t": time.time(), "i": i}), qos=1)
                time.sleep(0.02)
            lat: list[float] = []
            for _ in procs:
                lat += out.get(timeout=120)
            for p in procs:
                p.join(30)
            pub.disconnect()
            pub.loop_stop()
            print(f"{n:4d} subscribers ({procs_n} processes): {len(lat)}/{n * messages} delivered  {ms(lat)}")

        # One real terminal subscriber among 50 plain ones: verify, sanitise, store, announce.
        key = generate_private_key()
        db = Database(f"sqlite:///{Path(tmp) / 'terminal.db'}")
        bus = EventBus()
        events = bus.subscribe(NewsArrived)
        settings = PushSettings(host="127.0.0.1", port=broker.port, org="bench")
        sub = PushSubscriber(settings, db, bus, verifier=Verifier([key.public_key()]), terminal_id="bench")
        ready, out = mp.Queue(), mp.Queue()
        crowd = [mp.Process(target=_subscriber_worker, args=(broker.port, 25, messages, ready, out)) for _ in range(2)]
        for p in crowd:
            p.start()
        for _ in crowd:
            ready.get(timeout=60)
        sub.start()
        deadline = time.monotonic() + 10
        while not sub.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub-2")
        pub.connect("127.0.0.1", broker.port, 30)
        pub.loop_start()
        e2e = []
        for i in range(messages):
            item = {"guid": f"b-{i}", "title_zh": f"党建资讯第{i}条", "body": "<p>" + "正文" * 200 + "</p>",
                    "published_at": "2026-11-26T08:00:00+08:00"}
            payload = json.dumps(build_message([item], org="bench", kind="news", private_key=key), ensure_ascii=False)
            start = time.monotonic()
            pub.publish(TOPIC, payload, qos=1)
            event = events.get(timeout=10)
            if event is not None:
                e2e.append(time.monotonic() - start)
            pub.publish(TOPIC, json.dumps({"t": time.time(), "i": i}), qos=1)  # the crowd's copy
            time.sleep(0.02)
        for _ in crowd:
            out.get(timeout=120)
        for p in crowd:
            p.join(30)
        sub.stop()
        pub.disconnect()
        pub.loop_stop()
        db.dispose()
        print(f"real PushSubscriber (signed, stored in SQLite, NewsArrived) beside 50 others: "
              f"{len(e2e)}/{messages}  {ms(e2e)}")


# ----------------------------------------------------------------------------------------------- outbox


def _fresh_pg(base: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:10]}"
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


def _terminal_worker(central: str, records: int, index: int, tmp: str, out: mp.Queue) -> None:
    from core.db import Database
    from fleet.outbox_sender import OutboxSender
    from tests.fleet.records import fill

    local = Database(f"sqlite:///{tmp}/terminal-{index}.db")
    fill(local, records, terminal_id=f"kiosk-{index:03d}")
    sender = OutboxSender(local, central, batch_size=500)
    sender.central()
    out.put(("ready", index))
    start = time.monotonic()
    done = sender.drain()
    out.put(("done", done.inserted, time.monotonic() - start, done.error))
    sender.close()
    local.dispose()


def bench_outbox(base: str, records: int, terminals: int) -> None:
    from sqlalchemy import text

    from core.attendance import sign_in
    from core.db import Database
    from core.meetings import create_meeting
    from core.models import Branch, Member, OutboxEntry
    from fleet.outbox_sender import OutboxSender
    from tests.fleet.records import T0, fill

    print(f"\n== outbox: {records} sign-ins from one terminal's SQLite into PostgreSQL ==")
    with tempfile.TemporaryDirectory() as tmp:
        # The cost a sign-in pays for its outbox row: the same commit, one more row.
        local = Database(f"sqlite:///{tmp}/signin.db")
        with local.session() as s:
            branch = Branch(code="B01", name_zh="第一党支部")
            s.add(branch)
            s.add_all([Member(number=f"M{i:05d}", name=f"党员{i}", branch=branch) for i in range(200)])
            s.flush()
            meeting = create_meeting(s, type="支部党员大会", title_zh="大会", branch_code="B01", starts_at=T0,
                                     ends_at=T0 + timedelta(hours=2))
        times = []
        with local.session() as s:
            members = s.query(Member).order_by(Member.number).all()
            meeting = s.merge(meeting)
            for m in members:
                start = time.monotonic()
                sign_in(s, meeting, m, method="face", terminal_id="kiosk-01", now=T0 + timedelta(minutes=1))
                times.append(time.monotonic() - start)
            assert s.query(OutboxEntry).count() == len(members)
        print(f"sign_in with its outbox row, SQLite WAL synchronous=FULL: {ms(times)}")
        local.dispose()

        local = Database(f"sqlite:///{tmp}/terminal.db")
        start = time.monotonic()
        fill(local, records)
        took = time.monotonic() - start
        print(f"enqueue {records} in one local transaction: {records / took:8.0f} records/s")
        for batch in (100, 500, 1000):
            name, central = _fresh_pg(base)
            try:
                with local.session() as s:
                    s.execute(text("UPDATE outbox SET sent_at = NULL, attempts = 0"))
                sender = OutboxSender(local, central, batch_size=batch)
                sender.central()
                start = time.monotonic()
                done = sender.drain()
                took = time.monotonic() - start
                print(f"send, batch {batch:5d}: {done.inserted} inserted in {took:6.2f} s = "
                      f"{done.inserted / took:8.0f} records/s")
                if batch == 500:
                    with local.session() as s:
                        s.execute(text("UPDATE outbox SET sent_at = NULL"))
                    start = time.monotonic()
                    again = sender.drain()
                    took = time.monotonic() - start
                    print(f"replay of all {again.already} (all already there): {again.already / took:8.0f} records/s")
                sender.close()
            finally:
                _drop_pg(base, name)
        local.dispose()

        per = max(1, records // terminals)
        print(f"\n== outbox: {terminals} terminals in parallel processes, {per} records each, batch 500 ==")
        name, central = _fresh_pg(base)
        Database(central).dispose()
        try:
            out = mp.Queue()
            procs = [mp.Process(target=_terminal_worker, args=(central, per, i, tmp, out)) for i in range(terminals)]
            for p in procs:
                p.start()
            results = []
            while len(results) < terminals:
                msg = out.get(timeout=300)
                if msg[0] == "done":
                    results.append(msg)
            for p in procs:
                p.join(60)
            total = sum(r[1] for r in results)
            wall = max(r[2] for r in results)
            errors = [r[3] for r in results if r[3]]
            print(f"{total} records from {terminals} terminals in {wall:.2f} s = {total / wall:8.0f} records/s "
                  f"aggregate{'; errors: ' + '; '.join(errors) if errors else ''}")
        finally:
            _drop_pg(base, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--terminals", type=int, default=4)
    parser.add_argument("--pg-url", default=os.environ.get("DANGJIAN_TEST_PG_URL"))
    parser.add_argument("--skip-push", action="store_true")
    parser.add_argument("--skip-outbox", action="store_true")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    print(f"cores: {os.cpu_count()}  python {sys.version.split()[0]}")
    if not args.skip_push:
        bench_push(args.subscribers, args.messages)
    if not args.skip_outbox:
        if not args.pg_url:
            print("\noutbox: skipped (no --pg-url and no $DANGJIAN_TEST_PG_URL)")
        else:
            bench_outbox(args.pg_url, args.records, args.terminals)
    return 0


if __name__ == "__main__":
    sys.exit(main())

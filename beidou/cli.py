"""``python -m beidou watch SOURCE`` (an installer's check that the receiver works) and ``simulate``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from beidou.simulate import simulate_nmea
from beidou.sources import parse_source
from beidou.worker import GnssWorker
from core.events import Position

log = logging.getLogger(__name__)


def _describe(pos: Position) -> str:
    where = f"{pos.lat:.6f}, {pos.lon:.6f}" if pos.known else "no position yet"
    state = "FIX" if pos.fix else ("no fix" + (f", last fix {pos.age_s:.0f} s ago" if pos.age_s is not None else ""))
    return (f"{where}  {state}  quality {pos.quality}  sats {pos.satellites_used} (BDS {pos.beidou_used}, "
            f"GPS {pos.gps_used}, other {pos.other_used}; in view {pos.satellites_in_view})  HDOP {pos.hdop}  "
            f"talkers {','.join(pos.talkers)}  bad checksums {pos.checksum_errors}")


def main(argv: list[str] | None = None) -> int:
    """``SOURCE`` prints what a receiver says; ``simulate`` writes a log (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m beidou", description="BeiDou/GNSS receiver tools: watch a source, simulate a log")
    sub = parser.add_subparsers(dest="command")
    sim = sub.add_parser("simulate", help="write a synthetic NMEA log at a place")
    sim.add_argument("--lat", type=float, required=True)
    sim.add_argument("--lon", type=float, required=True)
    sim.add_argument("--seconds", type=int, default=120)
    sim.add_argument("--out", type=Path, required=True)
    watch = sub.add_parser("watch", help="print fixes from a source: serial:PORT:BAUD | tcp:HOST:PORT | file:PATH")
    watch.add_argument("source")
    watch.add_argument("--seconds", type=float, default=20.0)
    watch.add_argument("--speed", type=float, default=1.0, help="replay speed for file: sources (0 = fastest)")
    args = parser.parse_args(argv)
    if args.command == "simulate":
        lines = simulate_nmea(args.lat, args.lon, seconds=args.seconds)
        args.out.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")
        print(f"wrote {len(lines)} sentences to {args.out}")
        return 0
    if args.command != "watch":
        parser.print_help()
        return 2
    try:
        source = parse_source(args.source, base_dir=Path.cwd(), replay_speed=args.speed, replay_loop=False)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if source is None:
        print("no source given", file=sys.stderr)
        return 2
    worker = GnssWorker(None, source, publish_interval_s=1.0, backoff_initial_s=1.0, backoff_max_s=5.0).start()
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline and not worker.finished:
            time.sleep(1.0)
            print(("connected  " if worker.connected else f"NOT CONNECTED ({worker.last_error})  ")
                  + _describe(worker.snapshot()), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
    final = worker.snapshot()
    print("final: " + _describe(final))
    return 0 if final.known else 1


if __name__ == "__main__":
    sys.exit(main())

"""The worker thread that owns the receiver and publishes Position events on the bus.

Why on :class:`core.background.BackgroundLoop`: start, stop, the wait that ends early at stop and the
doubling, capped, jittered retry delay are written once there for every background loop of the product;
this module keeps only what is particular to a receiver (open, read, track the fix, publish).
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from beidou.nmea import NmeaTracker
from beidou.sources import EndOfLog, FileSource, NmeaSource, parse_source
from core.background import BackgroundLoop
from core.config import Config
from core.events import DeviceStatus, EventBus, Position

log = logging.getLogger(__name__)

#: Relative ``file:`` sources are read from here (the demo's recorded log ships in the product).
PRODUCT_DIR = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------- worker


class GnssWorker(BackgroundLoop):
    """Owns one NMEA source in a thread: reads, tracks the fix, publishes :class:`Position` events.

    Publishes at most every ``publish_interval_s`` while data flows (and at once when the fix comes or
    goes, or the source connects or drops), plus ``DeviceStatus("gnss", ok | degraded | off)`` on
    changes. A source that fails to open or drops is reopened after about ``backoff_initial_s`` (±25 %
    jitter), doubling up to ``backoff_max_s``; the delay returns to the initial value once a good
    sentence arrives. ``wake()`` reopens a source that is waiting to be retried at once.
    """

    thread_name = "gnss-worker"

    def __init__(self, bus: EventBus | None, source: NmeaSource, *, publish_interval_s: float = 1.0,
                 backoff_initial_s: float = 1.0, backoff_max_s: float = 30.0, stale_after_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, rng: Callable[[], float] = random.random) -> None:
        self._init_loop()
        self.bus = bus
        self.source = source
        self.publish_interval_s = publish_interval_s
        self.backoff_base_seconds = self.backoff_initial_s = backoff_initial_s
        self.backoff_max_seconds = self.backoff_max_s = backoff_max_s
        self._rng = rng
        self.clock = clock
        self.tracker = NmeaTracker(clock, stale_after_s=stale_after_s)
        self.connected = False
        self.finished = False
        self.opens = 0
        """Successful opens of the source (the first connection and every reconnection)."""
        self.failures = 0
        """Failed opens and dropped connections since the last good sentence."""
        self.last_error = ""
        self.published = 0
        self._latest: Position | None = None
        self._lock = threading.Lock()
        self._last_publish = -math.inf
        self._last_fix_flag: bool | None = None
        self._device_state = ""
        if isinstance(source, FileSource):
            source.sleep = self._stop.wait

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> GnssWorker:
        super().start()
        return self

    def stop(self, timeout: float | None = 3.0) -> None:
        """Stop and close the source. Reads time out within a second, so the thread normally closes it
        itself; only a read stuck in a driver is broken by closing the source from here."""
        thread = self._thread
        super().stop(timeout)
        if thread is not None and thread.is_alive():
            with contextlib.suppress(Exception):
                self.source.close()
            thread.join(1.0)
            if thread.is_alive():  # still stuck: ``alive`` keeps saying so
                self._thread = thread

    @property
    def alive(self) -> bool:
        return self.running

    @property
    def backoff_s(self) -> float:
        """The delay (before jitter) the next failed open or drop waits: ``backoff_initial_s`` doubled for
        each failure since the last good sentence, capped at ``backoff_max_s``."""
        return min(self.backoff_max_s, self.backoff_initial_s * 2 ** min(self.failures, 30))

    @property
    def latest(self) -> Position | None:
        """The last Position published (or built), for a screen opened between publications."""
        with self._lock:
            return self._latest

    def snapshot(self) -> Position:
        return self.tracker.position(connected=self.connected, source=self.source.name)

    # -- loop ------------------------------------------------------------------------------------
    def run_forever(self, stop_event: threading.Event) -> None:
        while not stop_event.is_set():
            try:
                self.source.open()
            except OSError as exc:
                self._dropped(stop_event, exc)
                continue
            self.opens += 1
            self.connected = True
            self.last_error = ""
            log.info("GNSS source %s open", self.source.name)
            self._publish()
            error: Exception | None = None
            try:
                self._read(stop_event)
            except EndOfLog:
                self.finished = True
                self.connected = False
                self._publish()
                log.info("GNSS log %s replayed to its end", self.source.name)
                return
            except Exception as exc:  # OSError: unplugged or dropped; anything else must not end positioning
                error = exc
            finally:
                with contextlib.suppress(Exception):
                    self.source.close()
            if stop_event.is_set():
                break
            if error is not None:
                if not isinstance(error, OSError):
                    log.error("GNSS worker error on %s", self.source.name, exc_info=error)
                self._dropped(stop_event, error)
        self.connected = False

    def _read(self, stop_event: threading.Event) -> None:
        while not stop_event.is_set():
            line = self.source.readline(0.5)
            if line is not None and self.tracker.feed(line) is not None:
                self.failures = 0  # the link works: a later drop starts the backoff over
            now = self.clock()
            fix = self.tracker.current(now)
            if fix != self._last_fix_flag or now - self._last_publish >= self.publish_interval_s:
                self._publish()

    def _dropped(self, stop_event: threading.Event, exc: BaseException) -> None:
        self.failures += 1
        delay = self.retry_delay()
        was = self.connected
        self.connected = False
        self.last_error = str(exc) or type(exc).__name__
        if was:
            log.warning("GNSS source %s lost: %s; reopening in %.1f s", self.source.name, self.last_error, delay)
        else:
            log.info("GNSS source %s unavailable: %s; retry in %.1f s", self.source.name, self.last_error, delay)
        self._publish()
        self._wait(stop_event, delay)
        self._wake.clear()

    def _publish(self) -> None:
        now = self.clock()
        pos = self.tracker.position(connected=self.connected, source=self.source.name, now=now)
        with self._lock:
            self._latest = pos
        self._last_publish = now
        self._last_fix_flag = self.tracker.current(now)
        self.published += 1
        if self.bus is None:
            return
        self.bus.publish(pos)
        state = "ok" if pos.fix else ("degraded" if self.connected else "off")
        if state != self._device_state:
            self._device_state = state
            message = {"ok": f"北斗/GNSS 定位正常（{pos.satellites_used} 颗卫星）",
                       "degraded": "接收机已连接，暂无定位",
                       "off": f"接收机未连接：{self.last_error}" if self.last_error else "接收机未连接"}[state]
            self.bus.publish(DeviceStatus("gnss", state, message))


def start_gnss(config: Config, bus: EventBus) -> GnssWorker | None:
    """Start the worker the configuration asks for (``gnss.source``), or None when there is none.

    A relative ``file:`` source is read from the product folder (where the demo's log ships). A bad
    source string is logged and ignored: the map then uses ``map.terminal_position``.
    """
    gnss = config.gnss
    try:
        source = parse_source(gnss.source, base_dir=PRODUCT_DIR, replay_speed=gnss.replay_speed,
                              replay_loop=gnss.replay_loop)
    except ValueError as exc:
        log.error("%s", exc)
        return None
    if source is None:
        return None
    return GnssWorker(bus, source, publish_interval_s=gnss.publish_interval_s).start()

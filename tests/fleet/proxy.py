"""A TCP proxy on loopback whose connection the test can cut and restore: the network between a
terminal and the central PostgreSQL, failing at a moment the test chooses.

``cut()`` resets every open connection (RST, as a dropped link or a restarted router looks to the
client) and refuses new ones until ``restore()``.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(128)
        self.port = self.server.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = False
        self.connections = 0
        self.cuts = 0
        self.bytes_up = 0
        """Bytes forwarded from clients to the server so far."""
        self._cut_at: int | None = None
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self._lock:
                refuse = self._cut or self._closed
            if refuse:
                self._reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._reset(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
                self.connections += 1
            for src, dst, up in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(src, dst, up), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if up:
                    with self._lock:
                        self.bytes_up += len(data)
                        trip = self._cut_at is not None and self.bytes_up >= self._cut_at
                        if trip:
                            keep = len(data) - (self.bytes_up - self._cut_at)
                            self._cut_at = None
                    if trip:  # forward part of this chunk, then drop the link: the statement is cut in two
                        dst.sendall(data[:max(keep, 0)])
                        self.cut()
                        break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(src)
                self._open.discard(dst)
            self._reset(src)
            self._reset(dst)

    def cut_after(self, total_bytes_up: int) -> None:
        """Cut the link once ``bytes_up`` reaches ``total_bytes_up``, in the middle of whatever is in flight."""
        with self._lock:
            self._cut_at = total_bytes_up

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            self.cuts += 1
            victims = list(self._open)
            self._open.clear()
        for sock in victims:
            self._reset(sock)

    def restore(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self.server.close()

"""``tests.fleet.proxy.TcpProxy`` plus the one cut it cannot make: a lost acknowledgement.

``cut_after_commit()`` lets the next COMMIT a client sends reach the server but drops the client's side
of the link first, so the server commits and the client never hears it did: the batch is in the central
database while the terminal still believes it unsent. The sender must send it again and the central side
must keep one copy.
"""

from __future__ import annotations

import socket
import time

from tests.fleet.proxy import TcpProxy


class AckLossProxy(TcpProxy):
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self._cut_on_commit = False
        self.commits_cut = 0
        super().__init__(target_port, target_host)

    def cut_after_commit(self) -> None:
        with self._lock:
            self._cut_on_commit = True

    def _pump(self, src: socket.socket, dst: socket.socket, up: bool) -> None:
        if up:
            self._pump_up(src, dst)
        else:
            super()._pump(src, dst, up)

    def _pump_up(self, src: socket.socket, dst: socket.socket) -> None:
        """Client → server: as TcpProxy's (``cut_after`` included), watching for COMMIT."""
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._lock:
                    self.bytes_up += len(data)
                    trip = self._cut_at is not None and self.bytes_up >= self._cut_at
                    if trip:
                        keep = len(data) - (self.bytes_up - self._cut_at)
                        self._cut_at = None
                    ack = self._cut_on_commit and b"COMMIT" in data
                    if ack:
                        self._cut_on_commit = False
                        self._cut = True  # refuse reconnections from now on
                if trip:
                    dst.sendall(data[:max(keep, 0)])
                    self.cut()
                    break
                if ack:
                    self._reset(src)  # the client loses the link before any answer can reach it ...
                    dst.sendall(data)  # ... and the server still gets the COMMIT and carries it out
                    time.sleep(0.2)
                    self.commits_cut += 1
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

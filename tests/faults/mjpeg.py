"""A network camera on loopback: an MJPEG stream over HTTP (``multipart/x-mixed-replace``, as IP cameras
and ``mjpg-streamer`` serve it) that a test can unplug and plug back in.

``unplug()`` closes the listening socket and every open stream (the camera lost power or its cable);
``plug()`` listens again on the same port. Frames are JPEG-encoded once and sent at ``fps``; ``show()``
changes what the camera sees.
"""

from __future__ import annotations

import contextlib
import socket
import threading

import cv2
import numpy as np

BOUNDARY = b"frame"


class MjpegCamera:
    def __init__(self, frames: list[np.ndarray], fps: float = 15.0, port: int = 0) -> None:
        self.show(frames)
        self.fps = fps
        self.sent = 0
        self._lock = threading.Lock()
        self._clients: set[socket.socket] = set()
        self._server: socket.socket | None = None
        self._stop = threading.Event()
        self.port = port
        self.plug()

    def show(self, frames: list[np.ndarray]) -> None:
        self.jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes() for f in frames]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def plug(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(8)
        self.port = server.getsockname()[1]
        self._server = server
        self._stop = threading.Event()
        threading.Thread(target=self._accept, args=(server, self._stop), name="mjpeg-accept", daemon=True).start()

    def unplug(self) -> None:
        self._stop.set()
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()
        with self._lock:
            clients = list(self._clients)
            self._clients.clear()
        for c in clients:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()

    close = unplug

    def _accept(self, server: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._clients.add(client)
            threading.Thread(target=self._serve, args=(client, stop), name="mjpeg-client", daemon=True).start()

    def _serve(self, client: socket.socket, stop: threading.Event) -> None:
        try:
            client.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = client.recv(4096)
                if not chunk:
                    return
                request += chunk
            client.sendall(b"HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\n"
                           b"Content-Type: multipart/x-mixed-replace; boundary=" + BOUNDARY + b"\r\n\r\n")
            i = 0
            while not stop.is_set():
                jpegs = self.jpegs
                jpeg = jpegs[i % len(jpegs)]
                client.sendall(b"--" + BOUNDARY + b"\r\nContent-Type: image/jpeg\r\nContent-Length: "
                               + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
                self.sent += 1
                i += 1
                stop.wait(1.0 / self.fps)
        except OSError:
            pass
        finally:
            with self._lock:
                self._clients.discard(client)
            with contextlib.suppress(OSError):
                client.close()

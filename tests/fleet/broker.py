"""A real mosquitto broker on 127.0.0.1 for tests and the fleet benchmark: a free port, a temporary
configuration, optional password file and TLS; started with ``mosquitto -c conf`` and stopped by its pid.

Only ever listens on the loopback address.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def mosquitto_path() -> str | None:
    """The broker binary (Debian puts it in /usr/sbin, which a normal user's PATH may lack)."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False


@dataclass
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


class Mosquitto:
    """One broker process; ``start()`` waits until it accepts connections, ``stop()`` ends it."""

    def __init__(self, folder: Path, port: int | None = None, *, users: dict[str, str] | None = None,
                 tls: TlsFiles | None = None) -> None:
        self.folder = Path(folder)
        self.port = port or free_port()
        self.users = users
        self.tls = tls
        self.proc: subprocess.Popen | None = None
        self.log = self.folder / "mosquitto.log"

    def _config(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "max_queued_messages 100000",
                 "log_dest stderr", "log_type error", "log_type warning",
                 f"user {getpass.getuser()}"]  # as root mosquitto would otherwise switch to user 'mosquitto'
        if self.users:
            pwfile = self.folder / "passwd"
            pwfile.write_text("")
            for name, password in self.users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(pwfile), name, password], check=True,
                               capture_output=True, timeout=30)
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls:
            lines += [f"cafile {self.tls.ca}", f"certfile {self.tls.cert}", f"keyfile {self.tls.key}"]
        conf = self.folder / "mosquitto.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self, timeout: float = 5.0) -> Mosquitto:
        binary = mosquitto_path()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed (Debian package mosquitto)")
        conf = self._config()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)
        if not wait_for_port(self.port, timeout):
            self.stop()
            raise RuntimeError(f"mosquitto did not start on port {self.port}: {self.log.read_text()[-2000:]}")
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The terminal's disk fills up: a sign-in fails with a clear message and writes nothing, what was
committed stays, the outbox's "sent" mark fails harmlessly, and once space is freed everything works.

The database lives on a 3 MiB tmpfs mounted for the test (root only; skipped elsewhere, required in CI),
filled to the last byte by another file, as logs or photos fill a real terminal's disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.attendance import SignInError, SignInStorageFullError, sign_in
from core.db import Database, StorageFullError
from core.meetings import create_meeting
from core.models import Attendance, AuditEntry, Branch, Meeting, Member, OutboxEntry
from core.quiz import Quiz
from fleet.outbox_sender import OutboxSender
from tests.conftest import need
from tests.faults.conftest import report
from tests.fleet.conftest import T0
from tests.fleet.records import central_count, pending


@contextlib.contextmanager
def small_disk(where: Path, size: str = "3m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` for the duration (unmounted even when the test fails)."""
    where.mkdir()
    can = os.geteuid() == 0
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                          capture_output=True, text=True) if can else None
    need(done is not None and done.returncode == 0,
         f"cannot mount a tmpfs here (root and mount permission needed): {done.stderr.strip() if done else 'not root'}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill_up(disk: Path) -> Path:
    """Write a filler file until the file system refuses another byte."""
    filler = disk / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)
    st = os.statvfs(disk)
    assert st.f_bavail == 0, "the disk is not full"
    return filler


def member(s, number: str) -> Member:
    return s.scalars(select(Member).where(Member.number == number)).one()


def sign(db: Database, number: str):
    with db.session() as s:
        meeting = s.scalars(select(Meeting)).one()
        return sign_in(s, meeting, member(s, number), method="pin", terminal_id="kiosk-full",
                       now=T0 + timedelta(minutes=2))


def test_disk_full_during_sign_in_and_outbox_mark(tmp_path: Path):
    with small_disk(tmp_path / "disk") as disk:
        db = Database(f"sqlite:///{disk / 'terminal.db'}")
        central = Database(f"sqlite:///{tmp_path / 'central.db'}")  # elsewhere: the central side has room
        try:
            with db.session() as s:
                branch = Branch(code="B01", name_zh="第一党支部")
                s.add(branch)
                s.add_all([Member(number=f"M{i:04d}", name=f"党员{i}", branch=branch) for i in range(20)])
                s.flush()
                create_meeting(s, type="支委会", title_zh="十一月支委会", branch_code="B01", starts_at=T0,
                               ends_at=T0 + timedelta(hours=2))
            committed = {sign(db, f"M{i:04d}").record.uuid for i in range(10)}
            with db.engine.connect() as c:  # an empty WAL: the next commit must take new space
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            filler = fill_up(disk)

            # 1. A sign-in: refused with a message the kiosk shows (it catches SignInError), nothing written.
            with pytest.raises(SignInStorageFullError) as info:
                sign(db, "M0010")
            message = str(info.value)
            assert isinstance(info.value, SignInError) and isinstance(info.value, StorageFullError)
            assert "存储空间已满" in message and "disk full" in message and str(disk / "terminal.db") in message
            assert " / " in message  # "中文 / English", as split_bilingual expects

            # 2. Any other write (a quiz result) through Database.session: StorageFullError, not a driver error.
            with pytest.raises(StorageFullError, match="存储空间已满.*disk full"), db.session() as s:
                Quiz([], "practice", T0).save(s, member(s, "M0001"), T0, "kiosk-full")

            # 3. The outbox: the central commit succeeds, the local "sent" mark cannot be written.
            sender = OutboxSender(db, central, batch_size=50)
            result = sender.send_batch()
            assert result.error and "StorageFullError" in result.error and "local database" in result.error
            assert central_count(central) == 10 and pending(db) == 10

            # Nothing half-written: the file is sound, the ten sign-ins are there with their rows, no more.
            with db.session() as s:
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert set(s.scalars(select(Attendance.uuid))) == committed
                assert s.scalar(select(func.count()).select_from(OutboxEntry)) == 10
                assert s.scalar(select(func.count()).select_from(AuditEntry)
                                .where(AuditEntry.action == "attendance.sign_in")) == 10

            # 4. Space freed: the refused sign-in goes through, the outbox replays its batch harmlessly.
            filler.unlink()
            again = sign(db, "M0010")
            assert again.created
            replay = sender.send_batch()
            assert (replay.error, replay.already, replay.inserted) == (None, 10, 1)
            assert central_count(central) == 11 and pending(db) == 0
            with db.session() as s:
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert len(set(s.scalars(select(Attendance.uuid)))) == 11
        finally:
            db.dispose()
            central.dispose()
    report("disk_full", message=message, integrity="ok", committed_before=10, lost=0,
           outbox_mark="failed, replayed as already-sent after space was freed")

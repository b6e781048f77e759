"""A terminal signing members in, in a process of its own, for the SIGKILL test to kill.

    python -m tests.faults.signin_child SQLITE_URL

Opens the (already migrated) database, prints READY, then signs every member in to every meeting with
``core.attendance.sign_in`` — one commit each, WAL and ``synchronous=FULL`` as ``core.db`` sets them —
and after each commit prints the attendance uuid (one write, flushed). A line printed is therefore a
sign-in the terminal would have shown as done. Pairs already signed in (by an earlier, killed child) are
skipped, so every restart carries on where the last one died. Prints DONE when nothing is left.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.attendance import sign_in
from core.db import Database
from core.models import Attendance, Meeting, Member


def main(argv: list[str]) -> int:
    db = Database(argv[0], migrate=False)  # migrated by the parent once: start-up stays short
    out = sys.stdout
    with db.session() as s:
        meetings = list(s.scalars(select(Meeting).options(selectinload(Meeting.branch)).order_by(Meeting.id)))
        members = list(s.scalars(select(Member).order_by(Member.id)))
        done = set(s.execute(select(Attendance.meeting_id, Attendance.member_id)).tuples())
        out.write("READY\n")
        out.flush()
        for meeting in meetings:
            now = meeting.starts_at + timedelta(minutes=3)
            for member in members:
                if (meeting.id, member.id) in done:
                    continue
                result = sign_in(s, meeting, member, method="pin", terminal_id="kiosk-kill", now=now)
                out.write(result.record.uuid + "\n")  # committed: only now is it "shown"
                out.flush()
    out.write("DONE\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

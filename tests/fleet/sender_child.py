"""A terminal's outbox sender in a process of its own, for the crash tests to SIGKILL.

    python -m tests.fleet.sender_child LOCAL_URL CENTRAL_URL [--stall-after-commit]

Prints READY before sending; with ``--stall-after-commit`` it prints COMMITTED after the first central
commit and then stalls before marking the rows sent locally, so the parent can kill it exactly there.
"""

from __future__ import annotations

import sys
import time

from core.db import Database
from fleet.outbox_sender import OutboxSender


def main(argv: list[str]) -> int:
    local, central = argv[0], argv[1]
    sender = OutboxSender(Database(local, migrate=False), central, batch_size=50)
    sender.central()  # connect (and check the schema) before saying READY
    if "--stall-after-commit" in argv:
        def stall(ids: list[int]) -> None:
            print("COMMITTED", len(ids), flush=True)
            time.sleep(60)

        sender.after_central_commit = stall
    print("READY", flush=True)
    done = sender.drain()
    print("DONE", done.inserted, done.already, done.error, flush=True)
    return 0 if done.error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

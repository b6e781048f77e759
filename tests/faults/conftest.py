"""Fault-suite fixtures: the fleet's terminal database (``local_db``) and a way to hand measured figures
to whoever runs the suite.

Why a report file and not print: the suite runs quietly in CI; a person quoting the figures sets
``DANGJIAN_FAULT_REPORT`` to a path and gets one JSON line per measuring test appended there.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from tests.fleet.conftest import local_db  # noqa: F401 — re-exported as a fixture for this folder

REPORT_ENV = "DANGJIAN_FAULT_REPORT"


def report(test: str, **figures: Any) -> None:
    """Append ``{"test": test, "at": ..., **figures}`` as one JSON line to $DANGJIAN_FAULT_REPORT, if set."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    line = json.dumps({"test": test, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}, ensure_ascii=False)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")

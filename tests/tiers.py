"""The quick tier: which tests are slow, measured, not guessed.

``pytest -m "not slow"`` is the everyday run (under 4 minutes on 2 cores); ``bash setup.sh test`` and CI run
everything. A test is slow when it is marked ``@pytest.mark.slow`` or listed in ``tests/slow_tests.txt``
— the tests that took more than ``SLOW_SECONDS`` in a measured full run. Refresh the list after adding
slow tests:

    .venv/bin/python -m pytest --junitxml=/tmp/run.xml && .venv/bin/python tests/tiers.py /tmp/run.xml
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

LIST = Path(__file__).with_name("slow_tests.txt")
#: Measured on a loaded 2-core machine (about twice an idle one's time): keeps the quick tier near 4 minutes.
SLOW_SECONDS = 1.0


def slow_ids() -> set[str]:
    """Node ids (``tests/x.py::test_y[param]``) and files (``tests/x.py``) listed as slow."""
    if not LIST.is_file():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in LIST.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


def is_slow(nodeid: str, listed: set[str]) -> bool:
    return nodeid in listed or nodeid.split("::", 1)[0] in listed or nodeid.split("[", 1)[0] in listed


def measured(report: Path) -> dict[str, float]:
    """Seconds per test id (parameters folded: the slowest case counts) from a JUnit report."""
    times: dict[str, float] = {}
    for case in ET.parse(report).iter("testcase"):
        parts = [p for p in (case.get("classname") or "").split(".") if p]
        # classname is the module path with dots, possibly ending in a test class's name
        path_parts, cls = (parts[:-1], parts[-1]) if parts and parts[-1][:1].isupper() else (parts, None)
        nodeid = "/".join(path_parts) + ".py" + (f"::{cls}" if cls else "") + f"::{case.get('name')}"
        nodeid = nodeid.split("[", 1)[0]
        times[nodeid] = max(times.get(nodeid, 0.0), float(case.get("time") or 0))
    return times


def write_list(reports: list[Path], threshold: float = SLOW_SECONDS) -> list[str]:
    """List every test over ``threshold`` seconds (setup, call and teardown); a later report's figure
    for a test replaces an earlier one's (re-run the tests that failed, then pass both reports)."""
    times: dict[str, float] = {}
    for report in reports:
        times.update(measured(report))
    ids = sorted(t for t, seconds in times.items() if seconds >= threshold)
    LIST.write_text(f"# Tests over {threshold:.1f} s in a measured full run (tests/tiers.py); "
                    "pytest -m 'not slow' leaves them out.\n" + "\n".join(ids) + "\n", encoding="utf-8")
    return ids


if __name__ == "__main__":
    given = [Path(a) for a in sys.argv[1:]]
    if not given:
        sys.exit("usage: python tests/tiers.py REPORT.xml [LATER_REPORT.xml ...]")
    print(f"{len(write_list(given))} slow tests listed in {LIST}")

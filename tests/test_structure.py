"""The structure holds: import-linter's layering contracts (pyproject.toml) and no import cycle.

Why a test: a cycle or a layer crossed is easy to add in one line and expensive to untangle later (the
README's map of the code says which package may import which). Imports inside functions count: hiding an
import in a function does not remove the dependency.
"""

from __future__ import annotations

import graphlib
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "kiosk", "vr_hall", "robot_assistant", "beidou", "fleet", "web", "textshape")


def test_the_layering_contracts_are_kept():
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--config", str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i != m} for m in graph.modules}
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_no_package_imports_itself_through_others():
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    top = {p: set() for p in PACKAGES}
    for m in graph.modules:
        for i in graph.find_modules_directly_imported_by(m):
            if i.split(".")[0] != m.split(".")[0]:
                top[m.split(".")[0]].add(i.split(".")[0])
    try:
        graphlib.TopologicalSorter(top).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"package cycle: {' -> '.join(exc.args[1])}") from None


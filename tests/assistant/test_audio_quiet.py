"""ALSA's lines on a machine without sound hardware stay off the terminal; Python's own errors do not."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import os, sys
from robot_assistant.audio import quiet_native_stderr
with quiet_native_stderr():
    os.write(2, b"ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\\n")
os.write(2, b"after\\n")
sys.stderr.write("python after\\n")
"""


def test_native_stderr_is_silenced_only_inside():
    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "ALSA" not in done.stderr and "after" in done.stderr and "python after" in done.stderr

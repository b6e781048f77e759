"""What every fuzz test asks of an error: it is the documented type, and each of its messages is one
readable line that starts with where the problem is (``file:line: key: message``).

Example counts are sized so that the whole folder runs in under a minute on two cores, derandomized so
that a run is reproducible. ``DANGJIAN_FUZZ_SCALE=20 pytest tests/fuzz`` runs twenty times as many
examples with fresh randomness: a deeper search, for a developer's machine rather than CI.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable

from hypothesis import HealthCheck, event, settings
from hypothesis.errors import InvalidArgument

SCALE = float(os.environ.get("DANGJIAN_FUZZ_SCALE") or 1)

#: A message longer than this is not something an administrator reads on a kiosk's console.
MAX_MESSAGE = 600


def fuzz(max_examples: int) -> settings:
    """Bounded and reproducible (at scale 1), no example database, no deadline (CI machines stall)."""
    return settings(max_examples=max(1, round(max_examples * SCALE)), derandomize=SCALE == 1, deadline=None,
                    database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def assert_clear(messages: Iterable[str], where: Iterable[str], *, need_key: bool = True) -> None:
    """Each message is one line of bounded length of the form ``WHERE[:line]: key: problem`` (or
    ``WHERE[:line]: problem`` when ``need_key`` is False), WHERE being one of ``where``."""
    messages = list(messages)
    assert messages, "an error without a message"
    alternatives = "|".join(re.escape(w) for w in where)
    middle = r"(?::\d+)?: [^\n]+?: \S" if need_key else r"(?::\d+)?: \S"
    pattern = re.compile(rf"^(?:{alternatives}){middle}")
    for message in messages:
        assert isinstance(message, str)
        assert "\n" not in message and len(message) <= MAX_MESSAGE, message[:MAX_MESSAGE]
        assert pattern.match(message), message


def outcome(value: str) -> None:
    """Count an outcome for ``pytest --hypothesis-show-statistics``; a no-op outside a hypothesis test."""
    with contextlib.suppress(InvalidArgument):
        event(value)

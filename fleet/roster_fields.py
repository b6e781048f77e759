"""Reading a roster row's payload on the terminal: each field checked, a bad one skips the row.

Why apart: the roster's rows are applied by ``fleet.roster_apply`` (branches, members, meetings) and
``fleet.roster_faces`` (face templates and erasures), and both must refuse a malformed field the same
way — ``RowSkip("malformed payload: …")``, recorded with the row's revision, the cursor moving past it —
before anything is changed. The readers themselves are the outbox's too (``fleet.payload_fields``).
"""

from __future__ import annotations

from fleet.payload_fields import PayloadFields
from fleet.roster_common import RowSkip

FIELDS = PayloadFields(RowSkip, "malformed payload: ")
_text, _when, _bool, _number = FIELDS.text, FIELDS.when, FIELDS.flag, FIELDS.number


def _same_key(key: str, value: str) -> None:
    """A row's key is the natural key inside its payload: a row whose two disagree is not applied."""
    if key != value:
        raise RowSkip(f"malformed row: key {key!r} does not match its payload ({value!r})")

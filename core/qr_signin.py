"""What the web app shows before a QR sign-in is confirmed (#20): the meeting a scanned code names.

``core.qrsign.sign_in_with_token`` does the sign-in itself; this is the read-only look a phone gets
when it opens ``/qr/<code>`` — the code checked the same way (and a refusal audited the same way, as
``qr.refused``), the meeting found by its uuid, and the member's sign-in when there already is one (the
page then says 您已签到 instead of asking again); nothing written but the audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import audit
from core.models import Attendance, Meeting
from core.qrsign import QrClaim, QrRefused, find_meeting, verify


def preview(session: Session, token: str, *, key: bytes, now: datetime, actor: str, ip: str,
            member_id: int | None = None, write_audit: bool = True
            ) -> tuple[QrClaim, Meeting, Attendance | None]:
    """The claim, its meeting and ``member_id``'s sign-in there (None when not signed in or no member),
    or ``QrRefused`` (audited as ``qr.refused`` unless ``write_audit`` is False: a flood of made-up codes
    is counted, not written row by row)."""
    try:
        claim = verify(token, key=key, now=now)
        meeting = find_meeting(session, claim)
    except QrRefused as exc:
        if write_audit:
            audit(session, actor[:100], "qr.refused", "", "", code=exc.code, ip=ip, step="open")
        raise
    record = None
    if member_id is not None:
        record = session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                          Attendance.member_id == member_id)).first()
    return claim, meeting, record

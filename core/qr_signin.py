"""What the web app shows before a QR sign-in is confirmed (#20): the meeting a scanned code names.

``core.qrsign.sign_in_with_token`` does the sign-in itself; this is the read-only look a phone gets
when it opens ``/qr/<code>`` — the code checked the same way (and a refusal audited the same way, as
``qr.refused``), the meeting found, nothing written but the audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from core.audit import audit
from core.models import Meeting
from core.qrsign import QrClaim, QrRefused, verify


def preview(session: Session, token: str, *, key: bytes, now: datetime, actor: str, ip: str,
            write_audit: bool = True) -> tuple[QrClaim, Meeting]:
    """The claim and its meeting, or ``QrRefused`` (audited as ``qr.refused`` unless ``write_audit`` is
    False: a flood of made-up codes is counted, not written row by row)."""
    try:
        claim = verify(token, key=key, now=now, meeting_exists=lambda mid: session.get(Meeting, mid) is not None)
    except QrRefused as exc:
        if write_audit:
            audit(session, actor[:100], "qr.refused", "", "", code=exc.code, ip=ip, step="open")
        raise
    meeting = session.get(Meeting, claim.meeting_id, options=[selectinload(Meeting.branch)])
    return claim, meeting

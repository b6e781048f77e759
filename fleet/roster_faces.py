"""Applying the roster's face rows on a terminal: templates re-encrypted for this terminal, erasures.

Why apart: this is the part of the roster that carries biometric data, with its own rules — nothing
without a consent record, templates decrypted with the organisation's face key (bound to the member
number) and re-encrypted bound to this terminal's member row, erasures that also remove kept photos,
withdraw the consent, zero the freed pages (SQLite ``secure_delete``) and are audited. Keeping it in one
short module keeps those rules reviewable. ``fleet.roster_apply._Applier`` mixes it in.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from core.audit import audit
from core.facecrypt import FaceKeyError
from core.models import Consent, FacePhoto, FaceTemplate, Member
from fleet.roster_common import ACTOR, ENCODING_BYTES, MAX_TEMPLATES, RowSkip
from fleet.roster_fields import _same_key, _text, _when

if TYPE_CHECKING:
    from fleet.roster_sync import RosterPuller


class FaceRows:
    """``upsert_face``, ``delete_face`` and ``erase_face`` of the row applier (its ``p``, the puller;
    ``s``, the batch's session; ``member()``; ``erased``, set when anything was erased)."""

    p: RosterPuller
    s: Session
    erased: bool

    if TYPE_CHECKING:
        def member(self, number: str, depth: int, resolve: bool = True) -> Member | None: ...

    def upsert_face(self, row: Any, depth: int) -> None:
        if not self.p.faces:
            raise RowSkip("face sign-in is off on this terminal", policy=True)
        p = row.payload
        number = _text(p, "member_number", 32)
        _same_key(row.key, number)
        c = p.get("consent")
        if not isinstance(c, dict):
            raise RowSkip("malformed payload: consent: an object expected (no face data without consent)")
        consent = {"purpose": _text(c, "purpose", 32, empty=True) or "face_sign_in",
                   "text_version": _text(c, "text_version", 32), "given_at": _when(c, "given_at"),
                   "recorded_by": _text(c, "recorded_by", 100, empty=True)}
        items = p.get("templates")
        if not isinstance(items, list) or not 0 < len(items) <= MAX_TEMPLATES:
            raise RowSkip(f"malformed payload: templates: a list of 1-{MAX_TEMPLATES} expected")
        cipher = self.p.cipher()
        plains = []
        for t in items:
            if not isinstance(t, dict):
                raise RowSkip("malformed payload: a template must be an object")
            jitters = t.get("jitters", 1)
            if not isinstance(jitters, int) or isinstance(jitters, bool) or not 0 < jitters <= 1000:
                raise RowSkip("malformed payload: jitters: an integer 1-1000 expected")
            quality = t.get("quality", {})
            if not isinstance(quality, dict):
                raise RowSkip("malformed payload: quality: an object expected")
            try:
                blob = base64.b64decode(_text(t, "blob", 4096), validate=True)
            except (binascii.Error, ValueError):
                raise RowSkip("malformed payload: blob: base64 expected") from None
            try:
                plain = cipher.unseal(blob, "template", number)
            except FaceKeyError:
                raise RowSkip("a template does not decrypt: another organisation's face key, or the row was "
                              "altered") from None
            if len(plain) != ENCODING_BYTES:
                raise RowSkip(f"a template holds {len(plain)} bytes, not {ENCODING_BYTES}")
            plains.append((plain, _text(t, "model", 64), jitters, quality, _text(t, "source", 200, empty=True)))
        m = self.member(number, depth)
        if m is None:
            raise RowSkip(f"unknown member {number!r}")
        if m.id is None:
            self.s.flush()
        _secure_delete(self.s)
        self.s.execute(delete(FaceTemplate).where(FaceTemplate.member_id == m.id))
        current = list(self.s.scalars(select(Consent).where(Consent.member_id == m.id, Consent.withdrawn_at.is_(None))))
        keep = next((x for x in current if x.text_version == consent["text_version"]
                     and x.given_at == consent["given_at"]), None)
        for x in current:
            if x is not keep:
                x.withdrawn_at, x.withdrawn_by = self.p.now(), f"{ACTOR}: superseded"
        if keep is None:
            self.s.add(Consent(member_id=m.id, **consent))
        for plain, model, jitters, quality, source in plains:
            self.s.add(FaceTemplate(member_id=m.id, blob=cipher.encrypt(plain, "template", m.id), model=model,
                                    jitters=jitters, quality=quality, source=source, created_at=self.p.now()))
        audit(self.s, ACTOR, "face.sync", f"member:{number}", self.p.terminal_id, templates=len(plains),
              consent_version=consent["text_version"], revision=row.revision)

    def delete_face(self, row: Any, depth: int) -> None:
        m = self.member(row.key, depth, resolve=False)
        if m is None:
            return
        if m.id is None:
            self.s.flush()
        reason = row.payload.get("reason")
        self.erase_face(m, row.revision, reason[:100] if isinstance(reason, str) else "erased centrally")

    def erase_face(self, m: Member, revision: int, reason: str, quiet: bool = False) -> None:
        """Delete the member's templates and kept photos, withdraw the consent, audit ``face.erase``
        (``quiet``: no audit row when there was nothing to erase)."""
        _secure_delete(self.s)
        templates = self.s.execute(delete(FaceTemplate).where(FaceTemplate.member_id == m.id)).rowcount or 0
        photos = self.s.execute(delete(FacePhoto).where(FacePhoto.member_id == m.id)).rowcount or 0
        withdrawn = 0
        for c in self.s.scalars(select(Consent).where(Consent.member_id == m.id, Consent.withdrawn_at.is_(None))):
            c.withdrawn_at, c.withdrawn_by = self.p.now(), ACTOR
            withdrawn += 1
        if templates or photos or withdrawn:
            self.erased = True
        elif quiet:
            return
        audit(self.s, ACTOR, "face.erase", f"member:{m.number}", self.p.terminal_id, templates=templates,
              photos=photos, consents_withdrawn=withdrawn, reason=reason, revision=revision)


def _secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))

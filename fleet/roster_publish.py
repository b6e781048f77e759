"""The central side of the roster log: ``publish_roster`` appends what changed on the master roster.

See ``fleet.roster_sync`` for how the log works."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.orm import Session, selectinload

from core.db import Database
from core.facecrypt import FaceCipher, FaceKeyError
from core.models import (
    ROSTER_KINDS,
    Branch,
    Consent,
    FaceTemplate,
    Meeting,
    Member,
    utcnow,
)
from fleet.roster_common import (
    DELETED_DIGEST,
    TABLE,
    branch_payload,
    canonical,
    digest,
    meeting_payload,
    member_payload,
    signed_body,
)
from fleet.signing import SIG_FIELD, sign

log = logging.getLogger(__name__)


@dataclass
class RosterSnapshot:
    """The master roster as central rows would state it: kind → key → (payload, digest)."""

    rows: dict[str, dict[str, tuple[dict[str, Any], str]]] = field(
        default_factory=lambda: {k: {} for k in ROSTER_KINDS})
    face_wanted: set[str] = field(default_factory=set)
    """Member numbers that should have a face row (active, valid consent, templates), key or no key."""
    no_face: dict[str, str] = field(default_factory=dict)
    """Why a member has no face row (the reason a face deletion carries)."""
    faces_withheld: str | None = None
    """Why face rows could not be built (no key): they are then neither published nor deleted."""


def build_snapshot(session: Session, cipher: FaceCipher | None, key_error: str | None = None) -> RosterSnapshot:
    """Read branches, members, meetings and faces from the master database."""
    snap = RosterSnapshot()
    for b in session.scalars(select(Branch).order_by(Branch.code)):
        p = branch_payload(b)
        snap.rows["branch"][b.code] = (p, digest(p))
    members = list(session.scalars(select(Member).options(selectinload(Member.branch)).order_by(Member.number)))
    for m in members:
        p = member_payload(m)
        snap.rows["member"][m.number] = (p, digest(p))
    for mt in session.scalars(select(Meeting).options(selectinload(Meeting.branch), selectinload(Meeting.roster))
                              .order_by(Meeting.uuid)):
        p = meeting_payload(mt)
        snap.rows["meeting"][mt.uuid] = (p, digest(p))
    consents: dict[int, Consent] = {}
    for c in session.scalars(select(Consent).where(Consent.withdrawn_at.is_(None)).order_by(Consent.given_at,
                                                                                         Consent.id)):
        consents[c.member_id] = c  # the latest valid one wins
    templates: dict[int, list[FaceTemplate]] = {}
    for t in session.scalars(select(FaceTemplate).order_by(FaceTemplate.id)):
        templates.setdefault(t.member_id, []).append(t)
    for m in members:
        if not m.active:
            snap.no_face[m.number] = "member inactive"
        elif m.id not in consents:
            snap.no_face[m.number] = "no valid consent"
        elif m.id not in templates:
            snap.no_face[m.number] = "no templates"
        else:
            snap.face_wanted.add(m.number)
    if cipher is None:
        if snap.face_wanted:
            snap.faces_withheld = key_error or "no face key"
        return snap
    for m in members:
        if m.number not in snap.face_wanted:
            continue
        c = consents[m.id]
        consent = {"purpose": c.purpose, "text_version": c.text_version, "given_at": c.given_at.isoformat(),
                   "recorded_by": c.recorded_by or ""}
        sent, summary = [], []
        for t in templates[m.id]:
            try:
                plain = cipher.decrypt(t.blob, "template", m.id)
            except FaceKeyError as exc:
                raise FaceKeyError(f"member {m.number}: {exc}") from None
            meta = {"model": t.model, "jitters": int(t.jitters or 1), "quality": dict(t.quality or {}),
                    "source": t.source or ""}
            sent.append({**meta, "blob": base64.b64encode(cipher.seal(plain, "template", m.number)).decode()})
            summary.append({**meta, "sha256": hashlib.sha256(plain).hexdigest()})
        payload = {"member_number": m.number, "consent": consent, "templates": sent}
        # ciphertexts change at every publish (fresh nonces): the digest covers what they hold, keyed
        snap.rows["face"][m.number] = (payload, cipher.mac(canonical(
            {"member_number": m.number, "consent": consent, "templates": summary})))
    return snap


@dataclass
class PublishResult:
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROSTER_KINDS, 0))
    faces_withheld: int = 0
    faces_withheld_reason: str | None = None
    scrubbed: int = 0
    """Superseded face rows removed from the central log (their ciphertexts go with them)."""
    compacted: int = 0
    revision: int = 0
    """The log's last revision after this publish."""
    seconds: float = 0.0

    @property
    def appended(self) -> int:
        return sum(self.added.values()) + sum(self.deleted.values())

    def summary(self) -> str:
        parts = [f"{k} +{self.added[k]}" + (f" -{self.deleted[k]}" if self.deleted[k] else "") for k in ROSTER_KINDS]
        line = (f"roster published: {self.appended} change(s) ({', '.join(parts)}); "
                f"{sum(self.unchanged.values())} unchanged; log at revision {self.revision}")
        if self.compacted:
            line += f"; {self.compacted} superseded row(s) compacted"
        return line


def _latest(conn: Connection) -> dict[tuple[str, str], tuple[int, str, bool]]:
    """(kind, key) → (revision, digest, deleted) of the latest central row of each key."""
    last = select(func.max(TABLE.c.revision).label("r")).group_by(TABLE.c.kind, TABLE.c.key).subquery()
    rows = conn.execute(select(TABLE.c.kind, TABLE.c.key, TABLE.c.revision, TABLE.c.digest, TABLE.c.deleted)
                        .join(last, TABLE.c.revision == last.c.r))
    return {(k, key): (rev, dg, bool(dl)) for k, key, rev, dg, dl in rows}


def plan_changes(snap: RosterSnapshot, latest: dict[tuple[str, str], tuple[int, str, bool]],
                 result: PublishResult) -> list[dict[str, Any]]:
    """The rows to append, in dependency order: upserts of branches, members, meetings, faces, then
    deletions of faces, meetings, members, branches."""
    out: list[dict[str, Any]] = []
    for kind in ROSTER_KINDS:
        for key, (payload, dg) in snap.rows[kind].items():
            prev = latest.get((kind, key))
            if prev is None or prev[2] or prev[1] != dg:
                out.append({"kind": kind, "key": key, "payload": payload, "deleted": False, "digest": dg})
                result.added[kind] += 1
            else:
                result.unchanged[kind] += 1
    if snap.faces_withheld:
        result.faces_withheld = len(snap.face_wanted)
        result.faces_withheld_reason = snap.faces_withheld
    live = {k: {key for (kind, key), v in latest.items() if kind == k and not v[2]} for k in ROSTER_KINDS}
    for kind in ("face", "meeting", "member", "branch"):
        for key in sorted(live[kind]):
            if kind == "face":
                if key in snap.face_wanted:
                    continue
                payload = {"member_number": key, "reason": snap.no_face.get(key, "member removed")}
            elif key in snap.rows[kind]:
                continue
            else:
                payload = {"key": key}
            out.append({"kind": kind, "key": key, "payload": payload, "deleted": True, "digest": DELETED_DIGEST})
            result.deleted[kind] += 1
    return out



def publish_roster(local_db: Database, central: Database, cipher: FaceCipher | None, *, compact: bool = False,
                   key_error: str | None = None, now: Callable[[], datetime] = utcnow,
                   private_key: Any = None) -> PublishResult:
    """Append the master roster's changes to the central log in one locked transaction.

    ``cipher`` None: face rows are neither published nor deleted for members who should have one (their
    templates cannot be read), but deletions for the others still go out. ``compact`` also removes every
    superseded row (deletions are kept: a terminal that is behind still needs them)."""
    started = time.monotonic()
    with local_db.session() as s:
        snap = build_snapshot(s, cipher, key_error)
    if private_key is not None:
        # Signed rows carry their own digest form, so turning signing on republishes every unsigned row
        # (a terminal that requires signatures could not use them) and turning it off does the reverse.
        snap.rows = {kind: {key: (p, "s" + dg[:63]) for key, (p, dg) in rows.items()} for kind, rows in snap.rows.items()}
    result = PublishResult()
    when = now()
    with central.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"LOCK TABLE {TABLE.name} IN EXCLUSIVE MODE"))
        rows = plan_changes(snap, _latest(conn), result)
        if rows and private_key is not None:
            # Signed rows name their revision, so it is chosen here (the lock keeps it unique) and the
            # id sequence is moved past it afterwards.
            base = int(conn.execute(select(func.max(TABLE.c.revision))).scalar() or 0)
            for i, r in enumerate(rows, start=1):
                r["revision"] = base + i
                sig = sign(signed_body(r["revision"], r["kind"], r["key"], r["deleted"], r["payload"]), private_key)
                r["payload"] = {**r["payload"], SIG_FIELD: sig[SIG_FIELD]}
        if rows:
            conn.execute(insert(TABLE), [{**r, "changed_at": when} for r in rows])
            if private_key is not None and conn.dialect.name == "postgresql":
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{TABLE.name}', 'revision'), :v)"),
                             {"v": rows[-1]["revision"]})
        faces = select(func.max(TABLE.c.revision)).where(TABLE.c.kind == "face").group_by(TABLE.c.key)
        result.scrubbed = conn.execute(delete(TABLE).where(TABLE.c.kind == "face",
                                                           TABLE.c.revision.not_in(faces))).rowcount or 0
        if compact:
            last = select(func.max(TABLE.c.revision)).group_by(TABLE.c.kind, TABLE.c.key)
            result.compacted = conn.execute(delete(TABLE).where(TABLE.c.revision.not_in(last))).rowcount or 0
        result.revision = int(conn.execute(select(func.max(TABLE.c.revision))).scalar() or 0)
    result.seconds = time.monotonic() - started
    return result


# ========================================================================================= pulling

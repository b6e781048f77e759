"""Database tables (SQLAlchemy 2 ORM). The schema itself is created and changed only by Alembic
migrations in ``core/migrations``; a test checks that the migrations and these classes agree.

Times are stored as UTC: SQLite keeps no time zone, so ``UTCDateTime`` strips it on the way in and puts
it back on the way out, and every datetime the domain sees is aware.
"""

from __future__ import annotations

import uuid as uuid_mod
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Closed vocabularies, kept as plain strings in the database (readable in reports and SQL).
MEETING_TYPES = ("支部党员大会", "支委会", "党小组会", "党课")
MEMBER_STATUSES = ("正式", "预备")
MEMBER_CATEGORIES = ("在职", "退休", "学生", "无业")
SIGN_IN_METHODS = ("face", "pin", "admin", "qr")
REVIEW_STATES = ("draft", "branch_approved", "published", "rejected")
CONTENT_KINDS = ("news", "notice", "article", "guide")
QUESTION_KINDS = ("single", "multi", "truefalse")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid_mod.uuid4())


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, naive UTC in the column."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Small key/value facts about this installation (organisation, when the demo was loaded)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)


class Branch(Base):
    """A party branch (党支部)."""

    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    secretary_number: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(40), default="")
    place_zh: Mapped[str] = mapped_column(String(200), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    members: Mapped[list[Member]] = relationship(back_populates="branch")


class Member(Base):
    """A party member (党员). ``number`` is the member number used at the keypad."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    gender: Mapped[str] = mapped_column(String(4), default="")
    role: Mapped[str] = mapped_column(String(32), default="党员")
    status: Mapped[str] = mapped_column(String(8), default="正式")
    category: Mapped[str] = mapped_column(String(8), default="在职")
    group_name: Mapped[str] = mapped_column(String(64), default="")
    joined_on: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40), default="")
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship(back_populates="members")

    @property
    def retired(self) -> bool:
        return self.category == "退休"


class Meeting(Base):
    """One 三会一课 meeting: type, branch, place, time window and roster."""

    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)
    place_zh: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch: Mapped[Branch] = relationship()
    roster: Mapped[list[Member]] = relationship(secondary="meeting_roster", order_by="Member.number")
    attendance: Mapped[list[Attendance]] = relationship(back_populates="meeting")


class MeetingRoster(Base):
    """Who is expected at a meeting."""

    __tablename__ = "meeting_roster"
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)


class Attendance(Base):
    """A sign-in: at most one per member per meeting (the unique constraint makes it idempotent)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id", name="uq_attendance_meeting_member"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(8))
    terminal_id: Mapped[str] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    match_distance: Mapped[float | None] = mapped_column(Float)
    liveness: Mapped[str | None] = mapped_column(String(16))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[Member] = relationship()


class ContentItem(Base):
    """News, notices and learning articles, with a review state; only ``published`` ones are shown."""

    __tablename__ = "content_items"
    __table_args__ = (
        UniqueConstraint("source", "guid", name="uq_content_source_guid"),
        Index("ix_content_kind_state_published", "kind", "review_state", "published_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(100))
    guid: Mapped[str] = mapped_column(String(500))
    title_zh: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(1000), default="")
    image_path: Mapped[str | None] = mapped_column(String(1000))
    category: Mapped[str] = mapped_column(String(100), default="")
    branch_code: Mapped[str | None] = mapped_column(String(32))
    review_state: Mapped[str] = mapped_column(String(16), default="draft")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizQuestion(Base):
    """A question of the bank: single choice, multiple choice or true/false."""

    __tablename__ = "quiz_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    difficulty: Mapped[int] = mapped_column(Integer, default=1)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    question_zh: Mapped[str] = mapped_column(Text)
    question_en: Mapped[str] = mapped_column(Text, default="")
    options_zh: Mapped[list] = mapped_column(JSON, default=list)
    options_en: Mapped[list] = mapped_column(JSON, default=list)
    answer: Mapped[list] = mapped_column(JSON)
    explanation_zh: Mapped[str] = mapped_column(Text, default="")
    explanation_en: Mapped[str] = mapped_column(Text, default="")


class QuizResult(Base):
    """One finished practice quiz or exam, with the answers given."""

    __tablename__ = "quiz_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    terminal_id: Mapped[str] = mapped_column(String(64), default="")


class AuditEntry(Base):
    """Who did what, when, on which terminal: enrolment, erasure, sign-ins, admin actions, rejections."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    terminal_id: Mapped[str] = mapped_column(String(64), default="")
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class FaceTemplate(Base):
    """One encrypted 128-d face encoding of a member (biometric data: never stored in clear).

    ``blob`` is AES-GCM ciphertext bound to ``member_id`` (see robot_assistant/face/templates.py);
    ``quality`` holds the photo checks (face size, sharpness, pose), never image data.
    """

    __tablename__ = "face_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    model: Mapped[str] = mapped_column(String(64))
    jitters: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(200), default="")
    quality: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FacePhoto(Base):
    """An enrolment photo kept (only when ``keep_photos`` is on) to re-enrol after an engine change;
    encrypted like the templates and erased with them."""

    __tablename__ = "face_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Consent(Base):
    """A member's consent to face sign-in: which consent text they agreed to, when, who recorded it,
    and when it was withdrawn (erasing the face data). Kept after withdrawal as the record of both."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32), default="face_sign_in")
    text_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100))


# ------------------------------------------------------------------------------------------------ fleet

OUTBOX_KINDS = ("attendance", "quiz_result")


class OutboxEntry(Base):
    """A record committed on this terminal that the central database has not confirmed yet.

    Written in the same transaction as the record itself (``core.outbox.enqueue``), so a record never
    exists without its outbox row, and sent in ``id`` order. ``payload`` is self-contained (natural keys:
    meeting uuid, member number), because local ids mean nothing on the central side. A row is kept after
    it is sent (``sent_at``) for a while, then pruned; one the central side refused as malformed gets
    ``failed_at`` and is skipped, so it cannot block the rows behind it.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "failed_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    record_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FleetAttendance(Base):
    """Central side: a sign-in received from a terminal's outbox, keyed by the record's uuid.

    Uses natural keys only (meeting uuid, member number, branch code) so rows from thousands of terminals,
    each with its own local ids, land in one table; the uuid's uniqueness makes a replayed send a no-op.
    """

    __tablename__ = "fleet_attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    outbox_seq: Mapped[int] = mapped_column(Integer)
    meeting_uuid: Mapped[str] = mapped_column(String(36), index=True)
    meeting_type: Mapped[str] = mapped_column(String(16))
    meeting_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    branch_code: Mapped[str] = mapped_column(String(32))
    member_number: Mapped[str] = mapped_column(String(32), index=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(8))
    late: Mapped[bool] = mapped_column(Boolean)
    match_distance: Mapped[float | None] = mapped_column(Float)
    liveness: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FleetQuizResult(Base):
    """Central side: a quiz, exam or reading result received from a terminal's outbox (see FleetAttendance)."""

    __tablename__ = "fleet_quiz_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    terminal_id: Mapped[str] = mapped_column(String(64), index=True)
    outbox_seq: Mapped[int] = mapped_column(Integer)
    member_number: Mapped[str | None] = mapped_column(String(32), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    score: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


ROSTER_KINDS = ("branch", "member", "meeting", "face")


class FleetRosterChange(Base):
    """Central side: the roster change log that terminals pull (``fleet.roster_sync``), central → terminals.

    Each row is the full new state of one branch, member, meeting (with its roster's member numbers) or
    member's face-template set, under its natural key (branch code, member number, meeting uuid, member
    number), or a deletion (``deleted``). ``revision`` orders the log: the publisher locks the table, so
    revision order is commit order and a terminal only keeps "the last revision applied". ``digest``
    lets the publisher append only what changed. Face payloads hold ciphertexts only (bound to the member
    number), and only the latest face row of a member is kept.
    """

    __tablename__ = "fleet_roster_changes"
    __table_args__ = (Index("ix_fleet_roster_changes_kind_key", "kind", "key", "revision"),)
    revision: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

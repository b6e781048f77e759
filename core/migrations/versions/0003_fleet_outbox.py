"""fleet: the terminal's outbox, and the central tables it is sent to

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

Both sides run the same migrations: a terminal uses ``outbox``, the central database the ``fleet_*``
tables (each side simply leaves the other's tables empty).
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_uuid", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", core.models.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", core.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", core.models.UTCDateTime(), nullable=True),
        sa.Column("failed_at", core.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_uuid"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending", ["sent_at", "failed_at", "id"], unique=False)

    op.create_table(
        "fleet_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("outbox_seq", sa.Integer(), nullable=False),
        sa.Column("meeting_uuid", sa.String(length=36), nullable=False),
        sa.Column("meeting_type", sa.String(length=16), nullable=False),
        sa.Column("meeting_starts_at", core.models.UTCDateTime(), nullable=False),
        sa.Column("branch_code", sa.String(length=32), nullable=False),
        sa.Column("member_number", sa.String(length=32), nullable=False),
        sa.Column("signed_at", core.models.UTCDateTime(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("match_distance", sa.Float(), nullable=True),
        sa.Column("liveness", sa.String(length=16), nullable=True),
        sa.Column("received_at", core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("fleet_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_attendance_meeting_uuid"), ["meeting_uuid"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_attendance_member_number"), ["member_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_attendance_signed_at"), ["signed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_attendance_terminal_id"), ["terminal_id"], unique=False)

    op.create_table(
        "fleet_quiz_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("outbox_seq", sa.Integer(), nullable=False),
        sa.Column("member_number", sa.String(length=32), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", core.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", core.models.UTCDateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("received_at", core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uuid"),
    )
    with op.batch_alter_table("fleet_quiz_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fleet_quiz_results_finished_at"), ["finished_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_quiz_results_member_number"), ["member_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_fleet_quiz_results_terminal_id"), ["terminal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fleet_quiz_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_quiz_results_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_fleet_quiz_results_member_number"))
        batch_op.drop_index(batch_op.f("ix_fleet_quiz_results_finished_at"))
    op.drop_table("fleet_quiz_results")
    with op.batch_alter_table("fleet_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fleet_attendance_terminal_id"))
        batch_op.drop_index(batch_op.f("ix_fleet_attendance_signed_at"))
        batch_op.drop_index(batch_op.f("ix_fleet_attendance_member_number"))
        batch_op.drop_index(batch_op.f("ix_fleet_attendance_meeting_uuid"))
    op.drop_table("fleet_attendance")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
    op.drop_table("outbox")

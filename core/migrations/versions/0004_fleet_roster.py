"""fleet: the roster change log (central → terminals)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Like 0003, both sides run it: the central database fills ``fleet_roster_changes`` (``launcher.py sync
--publish-roster``), terminals read it (``fleet.roster_sync.RosterPuller``) and leave their own copy empty.
"""

import sqlalchemy as sa
from alembic import op

import core.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fleet_roster_changes",
        sa.Column("revision", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("changed_at", core.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("revision"),
    )
    with op.batch_alter_table("fleet_roster_changes", schema=None) as batch_op:
        batch_op.create_index("ix_fleet_roster_changes_kind_key", ["kind", "key", "revision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fleet_roster_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_fleet_roster_changes_kind_key")
    op.drop_table("fleet_roster_changes")

"""relay: operator actions and live frames

Revision ID: 0003_relay
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_relay"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "relay_actions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("operator_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_actions")),
        sa.UniqueConstraint("handoff_id", "seq", name="uq_relay_actions_handoff_seq"),
    )
    op.create_index("ix_relay_actions_tenant_handoff", "relay_actions", ["tenant_id", "handoff_id"])
    op.create_table(
        "relay_frames",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("viewport", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_frames")),
    )
    op.create_index(
        "ix_relay_frames_tenant_handoff", "relay_frames", ["tenant_id", "handoff_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_relay_frames_tenant_handoff", table_name="relay_frames")
    op.drop_table("relay_frames")
    op.drop_index("ix_relay_actions_tenant_handoff", table_name="relay_actions")
    op.drop_table("relay_actions")

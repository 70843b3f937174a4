"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handoff_events',
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('handoff_id', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=60), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_handoff_events')),
    sa.UniqueConstraint('tenant_id', 'seq', name='uq_handoff_events_tenant_seq')
    )
    with op.batch_alter_table('handoff_events', schema=None) as batch_op:
        batch_op.create_index('ix_handoff_events_handoff_seq', ['handoff_id', 'seq'], unique=False)
        batch_op.create_index('ix_handoff_events_tenant_time', ['tenant_id', 'occurred_at'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('mobile_links',
    sa.Column('jti', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('handoff_id', sa.String(length=40), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_mobile_links'))
    )
    with op.batch_alter_table('mobile_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mobile_links_handoff_id'), ['handoff_id'], unique=False)

    op.create_table('operator_sessions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('handoff_id', sa.String(length=40), nullable=False),
    sa.Column('operator_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_operator_sessions_token_hash'))
    )
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_sessions_handoff_id'), ['handoff_id'], unique=False)

    op.create_table('tenants',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('snapshot_key_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_table('trace_events',
    sa.Column('pos', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('handoff_id', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('occurred_at', sa.String(length=32), nullable=False),
    sa.Column('duration_ms', sa.Double(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('pos', name=op.f('pk_trace_events')),
    sa.UniqueConstraint('id', name=op.f('uq_trace_events_id'))
    )
    with op.batch_alter_table('trace_events', schema=None) as batch_op:
        batch_op.create_index('ix_trace_events_handoff', ['handoff_id'], unique=False)
        batch_op.create_index('ix_trace_events_tenant_pos', ['tenant_id', 'pos'], unique=False)

    op.create_table('api_keys',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('display_prefix', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_api_keys_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('chain_heads',
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_chain_heads_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_chain_heads'))
    )
    op.create_table('handoffs',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=False),
    sa.Column('interruption_type', sa.String(length=16), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('task', sa.Text(), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.String(length=40), nullable=True),
    sa.Column('operator_id', sa.String(length=40), nullable=True),
    sa.Column('resolution', sa.JSON(), nullable=True),
    sa.Column('task_outcome', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_handoffs_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoffs'))
    )
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoffs_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_handoffs_tenant_created', ['tenant_id', 'id'], unique=False)
        batch_op.create_index('ix_handoffs_tenant_state', ['tenant_id', 'state'], unique=False)

    op.create_table('snapshots',
    sa.Column('handoff_id', sa.String(length=40), nullable=False),
    sa.Column('tenant_id', sa.String(length=40), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('viewport', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoffs.id'], name=op.f('fk_snapshots_handoff_id_handoffs')),
    sa.PrimaryKeyConstraint('handoff_id', name=op.f('pk_snapshots'))
    )


def downgrade() -> None:
    op.drop_table('snapshots')
    with op.batch_alter_table('handoffs', schema=None) as batch_op:
        batch_op.drop_index('ix_handoffs_tenant_state')
        batch_op.drop_index('ix_handoffs_tenant_created')
        batch_op.drop_index(batch_op.f('ix_handoffs_agent_id'))

    op.drop_table('handoffs')
    op.drop_table('chain_heads')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_tenant_id'))

    op.drop_table('api_keys')
    with op.batch_alter_table('trace_events', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_events_tenant_pos')
        batch_op.drop_index('ix_trace_events_handoff')

    op.drop_table('trace_events')
    op.drop_table('tenants')
    with op.batch_alter_table('operator_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operator_sessions_handoff_id'))

    op.drop_table('operator_sessions')
    with op.batch_alter_table('mobile_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mobile_links_handoff_id'))

    op.drop_table('mobile_links')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('handoff_events', schema=None) as batch_op:
        batch_op.drop_index('ix_handoff_events_tenant_time')
        batch_op.drop_index('ix_handoff_events_handoff_seq')

    op.drop_table('handoff_events')

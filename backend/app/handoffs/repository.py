from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.problems import NotFound
from app.models import Handoff, HandoffEvent, IdempotencyKey, Snapshot, TraceEvent


async def get_handoff(session: AsyncSession, tenant_id: str, handoff_id: str) -> Handoff:
    """Another tenant's handoff and a missing one look the same: 404."""
    handoff = (
        await session.execute(select(Handoff).where(Handoff.id == handoff_id, Handoff.tenant_id == tenant_id))
    ).scalar_one_or_none()
    if handoff is None:
        raise NotFound(f"No handoff {handoff_id} in this tenant.")
    return handoff


async def find_handoff_tenant(session: AsyncSession, handoff_id: str) -> str | None:
    return (await session.execute(select(Handoff.tenant_id).where(Handoff.id == handoff_id))).scalar_one_or_none()


async def list_handoffs(
    session: AsyncSession,
    tenant_id: str,
    *,
    states: Sequence[str],
    agent_id: str | None,
    interruption_type: str | None,
    domain: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
    before_id: str | None,
    limit: int,
) -> list[Handoff]:
    """Newest first; ULID ids sort by creation time, so the cursor is simply the last id seen."""
    query = select(Handoff).where(Handoff.tenant_id == tenant_id)
    if states:
        query = query.where(Handoff.state.in_(states))
    if agent_id:
        query = query.where(Handoff.agent_id == agent_id)
    if interruption_type:
        query = query.where(Handoff.interruption_type == interruption_type)
    if domain:
        query = query.where(Handoff.domain == domain)
    if created_after:
        query = query.where(Handoff.created_at >= created_after)
    if created_before:
        query = query.where(Handoff.created_at < created_before)
    if before_id:
        query = query.where(Handoff.id < before_id)
    rows = await session.execute(query.order_by(Handoff.id.desc()).limit(limit))
    return list(rows.scalars())


async def get_snapshot(session: AsyncSession, tenant_id: str, handoff_id: str) -> Snapshot | None:
    return (
        await session.execute(
            select(Snapshot).where(Snapshot.handoff_id == handoff_id, Snapshot.tenant_id == tenant_id)
        )
    ).scalar_one_or_none()


async def handoff_events_after(
    session: AsyncSession, tenant_id: str, handoff_id: str, after_seq: int
) -> list[HandoffEvent]:
    rows = await session.execute(
        select(HandoffEvent)
        .where(
            HandoffEvent.tenant_id == tenant_id,
            HandoffEvent.handoff_id == handoff_id,
            HandoffEvent.seq > after_seq,
        )
        .order_by(HandoffEvent.seq)
    )
    return list(rows.scalars())


async def get_idempotency_key(session: AsyncSession, tenant_id: str, key: str) -> IdempotencyKey | None:
    return (
        await session.execute(
            select(IdempotencyKey).where(IdempotencyKey.tenant_id == tenant_id, IdempotencyKey.key == key)
        )
    ).scalar_one_or_none()


async def trace_of(session: AsyncSession, tenant_id: str, handoff_id: str) -> list[TraceEvent]:
    rows = await session.execute(
        select(TraceEvent)
        .where(TraceEvent.tenant_id == tenant_id, TraceEvent.handoff_id == handoff_id)
        .order_by(TraceEvent.pos)
    )
    return list(rows.scalars())

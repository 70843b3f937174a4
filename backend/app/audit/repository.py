from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import HandoffEvent, TraceEvent

_events = HandoffEvent.__table__


def row_to_record(row: RowMapping) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "event_id": row["event_id"],
        "tenant_id": row["tenant_id"],
        "handoff_id": row["handoff_id"],
        "occurred_at": row["occurred_at"],
        "actor": {"type": row["actor_type"], "id": row["actor_id"]},
        "action": row["action"],
        "from_state": row["from_state"],
        "to_state": row["to_state"],
        "reason": row["reason"],
        "ip": row["ip"],
        "user_agent": row["user_agent"],
        "request_id": row["request_id"],
        "payload": row["payload"],
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


async def event_batch(
    session: AsyncSession, tenant_id: str, *, after_seq: int, limit: int, up_to_seq: int | None = None
) -> Sequence[RowMapping]:
    """Chain records in seq order (keyset pagination: constant cost per batch however deep the export)."""
    query = select(_events).where(_events.c.tenant_id == tenant_id, _events.c.seq > after_seq)
    if up_to_seq is not None:
        query = query.where(_events.c.seq <= up_to_seq)
    result = await session.execute(query.order_by(_events.c.seq).limit(limit))
    return result.mappings().all()


async def seq_window(
    session: AsyncSession, tenant_id: str, occurred_from: str | None, occurred_to: str | None
) -> tuple[int, int] | None:
    """A time window as a contiguous seq range: from the first record at or after `from` to the last one
    before `to`. Records are timestamped when their transition happens but chained at commit, so times may
    interleave by milliseconds between concurrent transactions; a seq range keeps every export verifiable."""
    bounds = [_events.c.tenant_id == tenant_id]
    if occurred_from:
        bounds.append(_events.c.occurred_at >= occurred_from)
    if occurred_to:
        bounds.append(_events.c.occurred_at < occurred_to)
    low, high = (await session.execute(select(func.min(_events.c.seq), func.max(_events.c.seq)).where(*bounds))).one()
    return None if low is None else (int(low), int(high))


async def trace_batch(session: AsyncSession, tenant_id: str, after_pos: int, limit: int) -> list[TraceEvent]:
    rows = await session.execute(
        select(TraceEvent)
        .where(TraceEvent.tenant_id == tenant_id, TraceEvent.pos > after_pos)
        .order_by(TraceEvent.pos)
        .limit(limit)
    )
    return list(rows.scalars())


async def trace_pos(session: AsyncSession, tenant_id: str, trace_id: str) -> int | None:
    pos = (
        await session.execute(
            select(TraceEvent.pos).where(TraceEvent.tenant_id == tenant_id, TraceEvent.id == trace_id)
        )
    ).scalar_one_or_none()
    return None if pos is None else int(pos)

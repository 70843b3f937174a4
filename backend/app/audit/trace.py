"""The trace stream: finer than the audit chain (classifier features, step durations), not hash-chained."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit
from app.events.bus import EventBus, trace_channel
from app.kit.ids import new_id
from app.kit.timeutil import rfc3339, utcnow
from app.models import TraceEvent


def trace_record(row: TraceEvent) -> dict[str, Any]:
    return {
        "id": row.id,
        "tenant_id": row.tenant_id,
        "handoff_id": row.handoff_id,
        "kind": row.kind,
        "occurred_at": row.occurred_at,
        "duration_ms": row.duration_ms,
        "data": row.data,
    }


def record_trace(
    session: AsyncSession,
    bus: EventBus | None,
    tenant_id: str,
    handoff_id: str | None,
    kind: str,
    data: dict[str, Any],
    *,
    duration_ms: float | None = None,
) -> TraceEvent:
    row = TraceEvent(
        id=new_id("trace"),
        tenant_id=tenant_id,
        handoff_id=handoff_id,
        kind=kind,
        occurred_at=rfc3339(utcnow()),
        duration_ms=None if duration_ms is None else round(duration_ms, 3),
        data=data,
    )
    session.add(row)
    pending_key = f"trace_wake:{tenant_id}"
    if bus is not None and not session.info.get(pending_key):
        session.info[pending_key] = True

        async def wake() -> None:
            session.info.pop(pending_key, None)
            await bus.publish(trace_channel(tenant_id))

        after_commit(session, wake)
    return row

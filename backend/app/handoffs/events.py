from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.events.bus import handoff_channel
from app.handoffs import repository
from app.kit.problems import Problem
from app.kit.sse import Batch, replay_then_follow, sse_event, sse_response
from app.lifecycle.states import TERMINAL_STATES, State
from app.lifecycle.transition import event_record
from app.models import Handoff, HandoffEvent
from app.runtime import Runtime


class UnknownLastEventId(Problem):
    slug, title = "unknown-last-event-id", "Unknown Last-Event-ID"


async def seq_of_event(session: AsyncSession, tenant_id: str, event_id: str | None) -> int:
    if not event_id:
        return 0
    seq = (
        await session.execute(
            select(HandoffEvent.seq).where(
                HandoffEvent.tenant_id == tenant_id, HandoffEvent.event_id == event_id
            )
        )
    ).scalar_one_or_none()
    if seq is None:
        raise UnknownLastEventId(f"Last-Event-ID {event_id} is not an event of this tenant.")
    return int(seq)


def stream_payload(event: HandoffEvent) -> dict[str, Any]:
    record = event_record(event)
    record["state"] = event.to_state
    return record


async def handoff_stream(
    runtime: Runtime,
    session: AsyncSession,
    *,
    tenant_id: str,
    handoff_id: str,
    last_event_id: str | None,
    with_resolution: bool,
) -> EventSourceResponse:
    """The agent's channel: lifecycle events in order; `solved` carries the operator's action to the agent."""
    start_seq = await seq_of_event(session, tenant_id, last_event_id)

    async def fetch(after_seq: int) -> Batch:
        async with runtime.database.readers() as reader:
            rows = await repository.handoff_events_after(reader, tenant_id, handoff_id, after_seq)
            resolution = None
            if with_resolution and any(r.to_state == State.SOLVED for r in rows):
                resolution = (
                    await reader.execute(select(Handoff.resolution).where(Handoff.id == handoff_id))
                ).scalar_one_or_none()
        events: list[ServerSentEvent] = []
        finished = False
        for row in rows:
            data = stream_payload(row)
            if row.to_state == State.SOLVED and resolution is not None:
                data["resolution"] = resolution
            events.append(sse_event(row.event_id, row.action, data))
            after_seq = row.seq
            finished = finished or State(row.to_state) in TERMINAL_STATES
        return events, after_seq, finished

    stream = replay_then_follow(runtime.bus, handoff_channel(handoff_id), start_seq, fetch)
    return sse_response(stream, runtime.settings.sse_ping_s)

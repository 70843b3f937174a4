from typing import Any

import orjson
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
from app.relay import repository as relay_repository
from app.relay.messages import action_message, frame_message
from app.runtime import Runtime


class UnknownLastEventId(Problem):
    slug, title = "unknown-last-event-id", "Unknown Last-Event-ID"


async def seq_of_event(session: AsyncSession, tenant_id: str, event_id: str | None) -> int:
    if not event_id:
        return 0
    seq = (
        await session.execute(
            select(HandoffEvent.seq).where(HandoffEvent.tenant_id == tenant_id, HandoffEvent.event_id == event_id)
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
    relay_actions: bool | None = None,
    relay_frames: bool | None = None,
) -> EventSourceResponse:
    """The handoff's channel: lifecycle events in order; `solved` carries the operator's action to the agent.

    Merged in (app.relay): the agent's stream (`with_resolution`) also carries `relay.action` messages in seq
    order, starting after the highest seq a frame acknowledged, so a reconnect re-sends every unacknowledged
    action; the operator's stream carries `relay.frame` for the newest frame (the current one on connect).
    Relay messages have no SSE `id`, so `Last-Event-ID` stays the last lifecycle event id.
    """
    start_seq = await seq_of_event(session, tenant_id, last_event_id)
    send_actions = with_resolution if relay_actions is None else relay_actions
    send_frames = (not with_resolution) if relay_frames is None else relay_frames
    start_action = await relay_repository.acked_seq(session, handoff_id) if send_actions else 0

    async def fetch(cursor: tuple[int, int, int]) -> Batch:
        after_seq, after_action, after_frame = cursor
        async with runtime.database.readers() as reader:
            rows = await repository.handoff_events_after(reader, tenant_id, handoff_id, after_seq)
            resolution = None
            if with_resolution and any(r.to_state == State.SOLVED for r in rows):
                resolution = (
                    await reader.execute(select(Handoff.resolution).where(Handoff.id == handoff_id))
                ).scalar_one_or_none()
            actions = (
                await relay_repository.actions_after(reader, tenant_id, handoff_id, after_action)
                if send_actions
                else []
            )
            frame = (
                await relay_repository.latest_frame(reader, tenant_id, handoff_id, after_id=after_frame)
                if send_frames
                else None
            )
            # A client reconnecting after the terminal event (EventSource always reconnects) is told it is over.
            ended_before = (
                not rows
                and (await reader.execute(select(Handoff.state).where(Handoff.id == handoff_id))).scalar_one_or_none()
                in TERMINAL_STATES
            )
        timeline: list[tuple[str, int, ServerSentEvent]] = []
        finished = ended_before
        for row in rows:
            data = stream_payload(row)
            if row.to_state == State.SOLVED and resolution is not None:
                data["resolution"] = resolution
            timeline.append((row.occurred_at, 0, sse_event(row.event_id, row.action, data)))
            after_seq = row.seq
            finished = finished or State(row.to_state) in TERMINAL_STATES
        for action in actions:
            message = action_message(action)
            sse = ServerSentEvent(event="relay.action", data=orjson.dumps(message).decode())
            timeline.append((message["created_at"], 1, sse))
            after_action = action.seq
        timeline.sort(key=lambda item: (item[0], item[1]))
        events = [event for _, _, event in timeline]
        if frame is not None:
            events.append(ServerSentEvent(event="relay.frame", data=orjson.dumps(frame_message(frame)).decode()))
            after_frame = frame.id
        return events, (after_seq, after_action, after_frame), finished

    stream = replay_then_follow(runtime.bus, handoff_channel(handoff_id), (start_seq, start_action, 0), fetch)
    return sse_response(stream, runtime.settings.sse_ping_s)

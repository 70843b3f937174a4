"""Server-sent events from the database: replay what the client missed, then wait for wake-ups."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
from sse_starlette import EventSourceResponse, ServerSentEvent

from app.events.bus import EventBus

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}

Batch = tuple[Sequence[ServerSentEvent], Any, bool]
"""(events to send, the new cursor, whether the stream is finished)."""


async def replay_then_follow(
    bus: EventBus,
    channel: str,
    cursor: Any,
    fetch: Callable[[Any], Awaitable[Batch]],
) -> AsyncIterator[ServerSentEvent]:
    """Subscribe first, then read from the database, so an event committed in between is never missed."""
    async with bus.subscribe(channel) as subscription:
        while True:
            events, cursor, finished = await fetch(cursor)
            for event in events:
                yield event
            if finished:
                return
            if not events:  # a non-empty batch may have been capped: read again before sleeping
                await subscription.wait()


def sse_event(event_id: str, name: str, data: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(id=event_id, event=name, data=orjson.dumps(data).decode())


def sse_response(stream: AsyncIterator[ServerSentEvent], ping_s: float) -> EventSourceResponse:
    return EventSourceResponse(stream, ping=ping_s, headers=SSE_HEADERS)

"""Wake-ups for SSE subscribers. The database is the source of truth; a message only says "look again".

In-process by default; with Redis, one pub/sub connection per process fans messages in and local queues
fan them out, so any replica can serve any stream.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger(__name__)

_REDIS_PREFIX = "batonpass:"


def handoff_channel(handoff_id: str) -> str:
    return f"handoff:{handoff_id}"


def audit_channel(tenant_id: str) -> str:
    return f"audit:{tenant_id}"


def trace_channel(tenant_id: str) -> str:
    return f"trace:{tenant_id}"


class Subscription:
    """A queue of wake-ups; it coalesces, so a slow reader never makes the publisher wait."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, within_s: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), within_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class EventBus(Protocol):
    async def publish(self, channel: str) -> None: ...

    def subscribe(self, channel: str) -> "contextlib.AbstractAsyncContextManager[Subscription]": ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class _LocalFanout:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)

    def deliver(self, channel: str) -> None:
        for subscription in self._subscribers.get(channel, ()):
            subscription.wake()

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        self._subscribers[channel].add(subscription)
        try:
            yield subscription
        finally:
            members = self._subscribers.get(channel)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._subscribers[channel]


class InProcessBus(_LocalFanout):
    async def publish(self, channel: str) -> None:
        self.deliver(channel)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisBus(_LocalFanout):
    def __init__(self, url: str) -> None:
        super().__init__()
        self._redis = aioredis.from_url(url)
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        await self._redis.ping()
        self._listener = asyncio.create_task(self._listen(), name="batonpass-redis-bus")
        await asyncio.wait_for(self._ready.wait(), 10)

    async def _listen(self) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(_REDIS_PREFIX + "*")
                    self._ready.set()
                    # After a reconnect anything may have been missed: wake every local subscriber.
                    for channel in list(self._subscribers):
                        self.deliver(channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            raw = message["channel"]
                            name = raw.decode() if isinstance(raw, bytes) else str(raw)
                            self.deliver(name.removeprefix(_REDIS_PREFIX))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis event bus lost its subscription; reconnecting in 1 s")
                await asyncio.sleep(1)

    async def publish(self, channel: str) -> None:
        try:
            await self._redis.publish(_REDIS_PREFIX + channel, b"1")
        except Exception:
            # Subscribers still catch up from the database on their next wake-up or reconnect.
            log.exception("could not publish to redis; delivering locally only")
            self.deliver(channel)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()

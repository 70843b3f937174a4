"""Scale-out: with Redis, a stream served by one process wakes for transitions made by another."""

import asyncio
import json

import httpx
import pytest
from conftest import REDIS_URL, make_tenant, start_live_server
from httpx_sse import aconnect_sse
from support.flows import create_handoff, drive_to_completed

from app.config import Settings
from app.db import Database
from app.events.bus import RedisBus

pytestmark = pytest.mark.skipif(
    REDIS_URL is None, reason="BATONPASS_TEST_REDIS_URL is not set (.ci/run sets it): Redis bus not tested"
)


async def test_redis_bus_wakes_subscribers_in_another_connection() -> None:
    assert REDIS_URL
    publisher, subscriber = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    await publisher.start()
    await subscriber.start()
    try:
        async with subscriber.subscribe("handoff:h_test") as subscription:
            await publisher.publish("handoff:h_other")
            assert await subscription.wait(within_s=0.3) is False
            await publisher.publish("handoff:h_test")
            assert await subscription.wait(within_s=5) is True
    finally:
        await publisher.close()
        await subscriber.close()


async def test_stream_on_one_replica_sees_transitions_made_on_another(settings: Settings) -> None:
    assert REDIS_URL
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    database = Database(shared.resolved_database_url())
    keys = await make_tenant(database, "scale-out")
    await database.dispose()
    replica_a, replica_b = start_live_server(shared), start_live_server(shared)
    try:
        async with httpx.AsyncClient(base_url=replica_b.url, timeout=20) as writer:
            created = await create_handoff(writer, keys.agent)

            async def follow() -> list[str]:
                states: list[str] = []
                async with (
                    httpx.AsyncClient(timeout=20) as reader,
                    aconnect_sse(
                        reader,
                        "GET",
                        f"{replica_a.url}/api/v1/handoffs/{created['id']}/events",
                        headers=keys.agent,
                    ) as source,
                ):
                    async for event in source.aiter_sse():
                        states.append(json.loads(event.data)["state"])
                return states

            stream = asyncio.create_task(follow())
            await asyncio.sleep(0.5)
            await drive_to_completed(writer, keys.agent, created)
            states = await asyncio.wait_for(stream, 15)
        assert states[-1] == "completed"
        assert len(states) == 10
    finally:
        replica_a.stop()
        replica_b.stop()

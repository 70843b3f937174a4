"""No loss: kill -9 the server in the middle of a burst; after a restart every committed delivery arrives."""

import asyncio
from typing import Any

import httpx
from conftest import make_tenant, start_live_server
from sqlalchemy import select
from support.payloads import handoff_body

from app.config import Settings
from app.db import Database
from app.models import WebhookDelivery

from .receiver import Received, Receiver, Reply

LIVE_ENV = {
    "BATONPASS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "BATONPASS_WEBHOOK_ALLOW_HTTP": "true",
    "BATONPASS_WEBHOOK_RETRY_SCALE": "0.001",
    "BATONPASS_WEBHOOK_POLL_S": "0.2",
    "BATONPASS_WEBHOOK_ATTEMPT_TIMEOUT_S": "2",
    "BATONPASS_WEBHOOK_LEASE_S": "1",
}
BURST = 30


async def _committed(database: Database, endpoint_id: str) -> set[str]:
    async with database.readers() as session:
        rows = await session.execute(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id))
        return set(rows.scalars())


async def test_kill_9_mid_burst_loses_no_committed_delivery(settings: Settings, receiver: Receiver) -> None:
    database = Database(settings.resolved_database_url())
    try:
        tenant = await make_tenant(database, "kill-9")
        # The first requests are held open, so the kill lands while attempts are in flight.
        receiver.plan("/burst", *[Reply(200, delay_s=0.5)] * 8)
        server = start_live_server(settings, LIVE_ENV)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
                response = await http.post(
                    "/api/v1/webhooks/endpoints", json={"url": receiver.url("/burst")}, headers=tenant.admin
                )
                assert response.status_code == 201, response.text
                endpoint: dict[str, Any] = response.json()
                gate = asyncio.Semaphore(3)
                created: list[str] = []
                enough = asyncio.Event()

                async def create_one() -> None:
                    async with gate:
                        try:
                            reply = await http.post("/api/v1/handoffs", json=handoff_body(), headers=tenant.agent)
                        except httpx.HTTPError:
                            return  # the server died under this request: it may or may not have committed
                        if reply.status_code == 201:
                            created.append(reply.json()["id"])
                            if len(created) >= 5:
                                enough.set()

                burst = [asyncio.create_task(create_one()) for _ in range(BURST)]
                await receiver.wait_count("/burst", 1, timeout_s=30)
                await asyncio.wait_for(enough.wait(), 30)
                server.process.kill()
                server.process.wait(10)
                await asyncio.gather(*burst)
        finally:
            server.stop()

        committed = await _committed(database, endpoint["id"])
        assert len(committed) >= 4 * len(created) >= 20
        assert len(created) < BURST, "the kill must land mid-burst"
        seen_at_kill = receiver.requests("/burst")
        assert {r.headers["webhook-id"] for r in seen_at_kill} < committed, "unsent deliveries at the kill"
        # Its answer was still being held back when the process died: no outcome was ever recorded.
        in_flight = seen_at_kill[0].headers["webhook-id"]

        def all_arrived(seen: list[Received]) -> bool:
            ids = [r.headers["webhook-id"] for r in seen]
            return committed <= set(ids) and ids.count(in_flight) >= 2

        restarted = start_live_server(settings, LIVE_ENV)
        try:
            await receiver.wait_for(all_arrived, "/burst", timeout_s=30)
        finally:
            restarted.stop()

        received = receiver.requests("/burst")
        for request in received:
            assert request.verify(endpoint["secret"])["data"]["handoff_id"]
        ids = [r.headers["webhook-id"] for r in received]
        assert set(ids) == committed
    finally:
        await database.dispose()

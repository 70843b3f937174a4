"""Several dispatchers on one database share the work and never send the same attempt twice at once."""

import asyncio
import time

from conftest import make_tenant
from sqlalchemy import func, insert, select

from app.config import Settings
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.models import WebhookDelivery
from app.runtime import Runtime
from app.webhooks.dispatcher import run_dispatcher
from app.webhooks.schemas import EndpointCreate
from app.webhooks.service import WebhookService

from .receiver import Receiver

BACKLOG = 300


async def test_three_dispatchers_send_each_delivery_exactly_once(settings: Settings, receiver: Receiver) -> None:
    runtimes = [Runtime.build(settings.model_copy(update={"webhook_concurrency": 16})) for _ in range(3)]
    for runtime in runtimes:
        await runtime.start()
    database = runtimes[0].database
    stop = asyncio.Event()
    try:
        tenant = await make_tenant(database, "crowd")
        async with database.transaction() as session:
            endpoint, _ = await WebhookService(session, runtimes[0], tenant.tenant_id).create(
                EndpointCreate(url=receiver.url("/crowd"))
            )
        now = utcnow()
        async with database.transaction() as session:
            await session.execute(
                insert(WebhookDelivery),
                [
                    {
                        "id": new_id("delivery"),
                        "tenant_id": tenant.tenant_id,
                        "endpoint_id": endpoint.id,
                        "event_id": new_id("event"),
                        "handoff_id": new_id("handoff"),
                        "event_type": "handoff.created",
                        "payload": '{"type":"handoff.created","timestamp":"t","data":{}}',
                        "status": "pending",
                        "attempt_count": 0,
                        "schedule_step": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for _ in range(BACKLOG)
                ],
            )
        workers = [asyncio.create_task(run_dispatcher(runtime, stop)) for runtime in runtimes]
        await receiver.wait_count("/crowd", BACKLOG, timeout_s=30)

        async def delivered() -> int:
            async with database.readers() as session:
                query = select(func.count()).where(
                    WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "delivered"
                )
                return int((await session.execute(query)).scalar_one())

        deadline = time.monotonic() + 10
        while (done := await delivered()) < BACKLOG:
            assert time.monotonic() < deadline, f"{done} of {BACKLOG} recorded as delivered"
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*workers)
        ids = [r.headers["webhook-id"] for r in receiver.requests("/crowd")]
        assert len(set(ids)) == BACKLOG
        assert len(ids) == BACKLOG, "a delivery was sent by two dispatchers"
    finally:
        stop.set()
        for runtime in runtimes:
            await runtime.close()

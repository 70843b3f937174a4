"""A commit wakes the dispatcher at once (polling is only the fallback), in-process and across processes."""

import asyncio

import httpx
import pytest
from conftest import REDIS_URL, make_tenant, start_live_server
from support.flows import create_handoff

from app.config import Settings
from app.runtime import Runtime
from app.webhooks.dispatcher import run_dispatcher

from .conftest import Hooks
from .receiver import Receiver

SLEEPY = 30.0  # far longer than any wait below: only a wake-up can deliver in time


@pytest.mark.webhook_settings(webhook_poll_s=SLEEPY)
async def test_a_commit_wakes_the_in_process_dispatcher(hooks: Hooks, receiver: Receiver) -> None:
    await hooks.create_endpoint(receiver.url("/awake"))
    await create_handoff(hooks.client, hooks.tenant.agent)
    await receiver.wait_count("/awake", 4, timeout_s=3)


@pytest.mark.skipif(not REDIS_URL, reason="needs BATONPASS_TEST_REDIS_URL")
async def test_with_redis_a_commit_on_an_api_server_wakes_a_separate_worker(
    settings: Settings, receiver: Receiver
) -> None:
    worker_settings = settings.model_copy(update={"redis_url": REDIS_URL, "webhook_poll_s": SLEEPY})
    runtime = Runtime.build(worker_settings)
    await runtime.start()
    stop = asyncio.Event()
    worker = asyncio.create_task(run_dispatcher(runtime, stop))
    try:
        tenant = await make_tenant(runtime.database, "split")
        api = start_live_server(
            worker_settings,
            {
                "BATONPASS_WEBHOOK_DISPATCHER": "false",
                "BATONPASS_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
                "BATONPASS_WEBHOOK_ALLOW_HTTP": "true",
            },
        )
        try:
            async with httpx.AsyncClient(base_url=api.url, timeout=10) as http:
                created = await http.post(
                    "/api/v1/webhooks/endpoints", json={"url": receiver.url("/split")}, headers=tenant.admin
                )
                assert created.status_code == 201, created.text
                await asyncio.sleep(0.2)  # the worker's first look found nothing: it sleeps for SLEEPY s
                await create_handoff(http, tenant.agent)
                received = await receiver.wait_count("/split", 4, timeout_s=3)
            for request in received:
                request.verify(created.json()["secret"])
        finally:
            api.stop()
    finally:
        stop.set()
        await worker
        await runtime.close()

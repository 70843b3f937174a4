"""Timers survive restarts and run once across processes (real uvicorn processes, shared database)."""

import asyncio
import signal
from functools import partial
from typing import Any

import httpx
from conftest import LiveServer, TenantKeys, make_tenant, start_live_server
from support.flows import create_handoff
from support.waiting import audit_records, eventually, states_of

from app.config import Settings
from app.db import Database


async def _setup(server: LiveServer, settings: Settings, timeout_s: int) -> tuple[TenantKeys, list[str]]:
    database = Database(settings.resolved_database_url())
    try:
        keys = await make_tenant(database, "durable")
    finally:
        await database.dispose()
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
        ops = []
        for name in ("first", "second"):
            response = await client.post(
                "/api/v1/operators", json={"name": name, "channels": ["console"]}, headers=keys.admin
            )
            ops.append(response.json()["id"])
        steps = [{"operator_id": op, "timeout_s": timeout_s} for op in ops]
        response = await client.post(
            "/api/v1/escalation-chains", json={"name": "c", "steps": steps, "is_default": True}, headers=keys.admin
        )
        assert response.status_code == 201, response.text
    return keys, ops


async def test_escalation_due_while_the_server_is_down_fires_once_after_restart(settings: Settings) -> None:
    server = start_live_server(settings)
    try:
        keys, ops = await _setup(server, settings, timeout_s=2)
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
            hid = (await create_handoff(client, keys.agent))["id"]
            await eventually(lambda: _has(client, keys, hid, "notified"))
    finally:
        server.process.send_signal(signal.SIGKILL)  # no graceful shutdown: the timer row is all that is left
        server.process.wait()
        server.stop()

    await asyncio.sleep(3)  # the step timeout passes while nothing runs
    restarted = start_live_server(settings)
    try:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=20) as client:
            await eventually(lambda: _count(client, keys, hid, "notified", 2), within_s=15)
            await eventually(lambda: _has(client, keys, hid, "expired"), within_s=15)
            records = await audit_records(client, keys.admin, hid)
    finally:
        restarted.stop()
    states = [r["to_state"] for r in records]
    assert states == ["created", "detected", "frozen", "notified", "escalated", "notified", "expired"]
    escalated = records[4]["payload"]
    assert (escalated["from_operator"], escalated["to_operator"]) == (ops[0], ops[1])


async def test_two_workers_fire_each_timer_exactly_once(settings: Settings) -> None:
    first = start_live_server(settings)
    second = start_live_server(settings)
    try:
        keys, _ = await _setup(first, settings, timeout_s=1)
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=20) as a,
            httpx.AsyncClient(base_url=second.url, timeout=20) as b,
        ):
            ids = [(await create_handoff(client, keys.agent))["id"] for client in (a, b) * 4]
            for hid in ids:
                await eventually(partial(_has, a, keys, hid, "expired"), within_s=20)
            for hid in ids:
                states = await states_of(a, keys.admin, hid)
                assert states == ["created", "detected", "frozen", "notified", "escalated", "notified", "expired"], (
                    hid,
                    states,
                )
    finally:
        first.stop()
        second.stop()


async def _has(client: httpx.AsyncClient, keys: TenantKeys, hid: str, state: str) -> bool:
    return state in await states_of(client, keys.admin, hid)


async def _count(client: httpx.AsyncClient, keys: TenantKeys, hid: str, state: str, n: int) -> Any:
    return (await states_of(client, keys.admin, hid)).count(state) >= n

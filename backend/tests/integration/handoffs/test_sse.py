"""SSE through a real uvicorn process and a real SSE client (httpx-sse)."""

import asyncio
import json
from typing import Any

import httpx
from conftest import LiveServer, TenantKeys, make_tenant
from httpx_sse import aconnect_sse
from support.flows import create_handoff, drive_to_completed, open_handoff

from app.config import Settings
from app.db import Database


async def _collect(
    url: str, headers: dict[str, str], *, until: int | None = None, last_event_id: str | None = None
) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    if last_event_id:
        headers = {**headers, "Last-Event-ID": last_event_id}
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(20)) as http,
        aconnect_sse(http, "GET", url, headers=headers) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        async for event in source.aiter_sse():
            received.append({"id": event.id, "event": event.event, "data": json.loads(event.data)})
            if until is not None and len(received) >= until:
                break
    return received


async def _live_tenant(settings: Settings) -> TenantKeys:
    database = Database(settings.resolved_database_url())
    try:
        return await make_tenant(database, "live")
    finally:
        await database.dispose()


async def test_handoff_stream_shows_each_step_and_ends_at_terminal(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        stream = asyncio.create_task(_collect(f"{live_server.url}/api/v1/handoffs/{created['id']}/events", keys.agent))
        await asyncio.sleep(0.3)
        await drive_to_completed(client, keys.agent, created)
        events = await asyncio.wait_for(stream, 20)  # returns only because the stream ended itself

    assert [e["data"]["state"] for e in events] == [
        "created", "detected", "frozen", "notified", "opened", "solving",
        "solved", "resume_requested", "resumed", "completed",
    ]  # fmt: skip
    assert all(e["id"].startswith("evt_") and e["id"] == e["data"]["event_id"] for e in events)
    solved = next(e for e in events if e["event"] == "handoff.solved")
    assert solved["data"]["resolution"] == {"type": "otp", "code": "123456"}


async def test_reconnect_with_last_event_id_misses_nothing(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    url_base = f"{live_server.url}/api/v1/handoffs"
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        first = await _collect(f"{url_base}/{created['id']}/events", keys.agent, until=2)
        assert [e["data"]["state"] for e in first] == ["created", "detected"]

        # While disconnected, the handoff moves on.
        operator = await open_handoff(client, created)
        await client.post(f"/api/v1/handoffs/{created['id']}/solving", headers=operator)

        rest = await _collect(f"{url_base}/{created['id']}/events", keys.agent, until=4, last_event_id=first[-1]["id"])
    assert [e["data"]["state"] for e in rest] == ["frozen", "notified", "opened", "solving"]


async def test_stream_sends_ping_comments(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        raw = b""
        async with client.stream("GET", f"/api/v1/handoffs/{created['id']}/events", headers=keys.agent) as response:
            async for chunk in response.aiter_bytes():
                raw += chunk
                if b": ping" in raw:
                    break
    assert b": ping" in raw


async def test_unknown_last_event_id_is_a_problem(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        response = await client.get(
            f"/api/v1/handoffs/{created['id']}/events",
            headers={**keys.agent, "Last-Event-ID": "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_audit_and_trace_streams(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        audit = asyncio.create_task(_collect(f"{live_server.url}/api/v1/audit/stream", keys.admin, until=4))
        trace = asyncio.create_task(_collect(f"{live_server.url}/api/v1/audit/trace/stream", keys.admin, until=4))
        await asyncio.sleep(0.3)
        created = await create_handoff(client, keys.agent)
        audit_events = await asyncio.wait_for(audit, 20)
        trace_events = await asyncio.wait_for(trace, 20)
    assert [e["data"]["to_state"] for e in audit_events] == ["created", "detected", "frozen", "notified"]
    assert all(e["data"]["handoff_id"] == created["id"] for e in audit_events)
    kinds = [e["event"] for e in trace_events]
    assert kinds == ["classifier.verdict", "pipeline.freeze", "policy.decisions", "notify.attempt"]
    verdict = trace_events[0]["data"]["data"]
    assert verdict["confirmed"] is True
    assert verdict["features"]
    assert trace_events[0]["data"]["duration_ms"] >= 0


async def test_reconnecting_after_the_terminal_event_ends_at_once(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        await drive_to_completed(client, keys.agent, created)
        url = f"{live_server.url}/api/v1/handoffs/{created['id']}/events"
        everything = await asyncio.wait_for(_collect(url, keys.agent), 10)
        after = await asyncio.wait_for(_collect(url, keys.agent, last_event_id=everything[-1]["id"]), 10)
    assert everything[-1]["data"]["state"] == "completed"
    assert [e for e in after if e["event"].startswith("handoff.")] == []

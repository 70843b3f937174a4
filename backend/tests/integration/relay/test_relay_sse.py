"""The relay over the handoff SSE stream, through a real uvicorn process and a real SSE client."""

import asyncio
import base64
import json
from typing import Any

import httpx
from conftest import LiveServer, TenantKeys, make_tenant
from httpx_sse import aconnect_sse
from support.flows import create_handoff, open_handoff
from support.payloads import tiny_png

from app.config import Settings
from app.db import Database

Event = dict[str, Any]


async def _read(
    url: str,
    headers: dict[str, str],
    *,
    until: Any,
    last_event_id: str | None = None,
    within_s: float = 15,
) -> list[Event]:
    """Collect events until `until(events)` is true; `last_id` is the client's last event id at that event."""
    received: list[Event] = []
    if last_event_id:
        headers = {**headers, "Last-Event-ID": last_event_id}

    async def run() -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(within_s)) as http,
            aconnect_sse(http, "GET", url, headers=headers) as source,
        ):
            async for sse in source.aiter_sse():
                received.append({"event": sse.event, "data": json.loads(sse.data), "last_id": sse.id})
                if until(received):
                    return

    await asyncio.wait_for(run(), within_s)
    return received


async def _live_tenant(settings: Settings) -> TenantKeys:
    database = Database(settings.resolved_database_url())
    try:
        return await make_tenant(database, "relay-live")
    finally:
        await database.dispose()


def _relay(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e["event"] == name]


async def _frame(client: httpx.AsyncClient, hid: str, agent: dict[str, str], seq: int) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/handoffs/{hid}/frames",
        json={"seq": seq, "image": base64.b64encode(tiny_png(3, 3)).decode()},
        headers=agent,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_agent_receives_actions_in_order_and_operator_receives_frames(
    settings: Settings, live_server: LiveServer
) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        hid = created["id"]
        events_url = f"{live_server.url}/api/v1/handoffs/{hid}/events"
        operator = await open_handoff(client, created)

        agent_stream = asyncio.create_task(
            _read(events_url, keys.agent, until=lambda ev: len(_relay(ev, "relay.action")) >= 3)
        )
        operator_stream = asyncio.create_task(
            _read(events_url, operator, until=lambda ev: len(_relay(ev, "relay.frame")) >= 1)
        )
        await asyncio.sleep(0.3)
        for action in (
            {"type": "click", "x": 100, "y": 200},
            {"type": "type", "text": "abc"},
            {"type": "press", "key": "Enter"},
        ):
            response = await client.post(f"/api/v1/handoffs/{hid}/actions", json=action, headers=operator)
            assert response.status_code == 202
        agent_events = await agent_stream
        frame = await _frame(client, hid, keys.agent, 3)
        operator_events = await operator_stream

    states = [e["data"]["state"] for e in agent_events if e["event"].startswith("handoff.")]
    assert states == ["created", "detected", "frozen", "notified", "opened", "solving"]
    actions = _relay(agent_events, "relay.action")
    assert [a["data"]["seq"] for a in actions] == [1, 2, 3]
    assert actions[0]["data"]["action"] == {"type": "click", "x": 100.0, "y": 200.0}
    assert actions[1]["data"]["action"] == {"type": "type", "text": "abc"}
    assert all(a["data"]["handoff_id"] == hid for a in actions)
    assert agent_events.index(actions[0]) > [e["event"] for e in agent_events].index("handoff.solving")
    assert _relay(agent_events, "relay.frame") == [], "the agent is not sent its own frames"
    # Relay messages carry no SSE id: Last-Event-ID stays the id of the last lifecycle event.
    solving_id = next(e["data"]["event_id"] for e in agent_events if e["event"] == "handoff.solving")
    assert all(a["last_id"] == solving_id for a in actions)

    assert _relay(operator_events, "relay.action") == [], "the operator is not sent actions"
    (frame_event,) = _relay(operator_events, "relay.frame")
    assert frame_event["data"]["seq"] == 3
    assert frame_event["data"]["frame_id"] == frame["frame_id"]
    assert frame_event["data"]["url"] == frame["url"]


async def test_reconnect_redelivers_every_unacknowledged_action(settings: Settings, live_server: LiveServer) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        hid = created["id"]
        events_url = f"{live_server.url}/api/v1/handoffs/{hid}/events"
        operator = await open_handoff(client, created)
        for key in ("Tab", "Tab", "Enter"):
            await client.post(f"/api/v1/handoffs/{hid}/actions", json={"type": "press", "key": key}, headers=operator)
        first = await _read(events_url, keys.agent, until=lambda ev: len(_relay(ev, "relay.action")) >= 3)
        assert [a["data"]["seq"] for a in _relay(first, "relay.action")] == [1, 2, 3]
        last_lifecycle = first[-1]["last_id"]

        # The agent applied 1 and 2 (its frame says so) and lost the connection before applying 3.
        await _frame(client, hid, keys.agent, 2)
        await client.post(f"/api/v1/handoffs/{hid}/actions", json={"type": "type", "text": "x"}, headers=operator)
        again = await _read(
            events_url,
            keys.agent,
            last_event_id=last_lifecycle,
            until=lambda ev: len(_relay(ev, "relay.action")) >= 2,
        )
        # A fresh connection without Last-Event-ID replays lifecycle events and still only unacked actions.
        fresh = await _read(events_url, keys.agent, until=lambda ev: len(_relay(ev, "relay.action")) >= 2)

    assert [e["event"] for e in again] == ["relay.action", "relay.action"], "no lifecycle event is repeated"
    assert [a["data"]["seq"] for a in again] == [3, 4]
    assert [a["data"]["seq"] for a in _relay(fresh, "relay.action")] == [3, 4]
    assert fresh[0]["event"] == "handoff.created"


async def test_operator_gets_the_current_frame_on_connect_and_lifecycle_to_the_end(
    settings: Settings, live_server: LiveServer
) -> None:
    keys = await _live_tenant(settings)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        created = await create_handoff(client, keys.agent)
        hid = created["id"]
        events_url = f"{live_server.url}/api/v1/handoffs/{hid}/events"
        operator = await open_handoff(client, created)
        for _ in range(2):
            newest = await _frame(client, hid, keys.agent, 0)
        on_connect = await _read(events_url, operator, until=lambda ev: bool(_relay(ev, "relay.frame")))
        assert [f["data"]["frame_id"] for f in _relay(on_connect, "relay.frame")] == [newest["frame_id"]]

        stream = asyncio.create_task(_read(events_url, operator, until=lambda ev: False, within_s=20))
        await asyncio.sleep(0.3)
        for path, body, who in (
            ("resolve", {"action": {"type": "otp", "code": "123456"}}, operator),
            ("resumed", None, keys.agent),
            ("completed", {"task_outcome": "success"}, keys.agent),
        ):
            assert (await client.post(f"/api/v1/handoffs/{hid}/{path}", json=body, headers=who)).is_success
        with_timeout: list[Event] = []
        try:
            with_timeout = await stream
        except TimeoutError:
            raise AssertionError("the operator stream did not end after the terminal state") from None
    lifecycle = [e["data"]["state"] for e in with_timeout if e["event"].startswith("handoff.")]
    assert lifecycle[-3:] == ["resume_requested", "resumed", "completed"]
    solved = next(e for e in with_timeout if e["event"] == "handoff.solved")
    assert "resolution" not in solved["data"], "the operator's stream never echoes the code"

"""POST /handoffs/{id}/actions: validation, ordering, the first action starting `solving`, access."""

import asyncio
from typing import Any

import pytest
from conftest import TenantKeys
from sqlalchemy import select

from app.db import Database
from app.models import HandoffEvent, RelayAction, TraceEvent


async def test_first_action_starts_solving_and_seq_rises_by_one(opened: Any, database: Database) -> None:
    assert await opened.state() == "opened"
    first = await opened.act({"type": "click", "x": 640.5, "y": 400})
    assert first.status_code == 202, first.text
    assert first.json()["seq"] == 1
    assert first.json()["handoff_state"] == "solving"
    assert first.json()["action"] == {"type": "click", "x": 640.5, "y": 400.0}
    assert await opened.state() == "solving"

    second = await opened.act({"type": "type", "text": "hello"})
    third = await opened.act({"type": "press", "key": "Enter"})
    assert [second.json()["seq"], third.json()["seq"]] == [2, 3]

    async with database.readers() as session:
        events = (
            await session.execute(
                select(HandoffEvent).where(HandoffEvent.handoff_id == opened.id).order_by(HandoffEvent.seq)
            )
        ).scalars()
        solving = [e for e in events if e.to_state == "solving"]
        rows = (
            await session.execute(
                select(RelayAction).where(RelayAction.handoff_id == opened.id).order_by(RelayAction.seq)
            )
        ).scalars()
        stored = [(r.seq, r.type, r.acked_at) for r in rows]
    assert len(solving) == 1, "only the first action moves the handoff to solving"
    assert solving[0].actor_type == "operator"
    assert solving[0].payload == {"first_action": "click"}
    assert stored == [(1, "click", None), (2, "type", None), (3, "press", None)]


async def test_explicit_solving_then_action_does_not_transition_again(opened: Any) -> None:
    response = await opened.client.post(opened.path("solving"), headers=opened.operator)
    assert response.status_code == 200
    action = await opened.act({"type": "press", "key": "Tab"})
    assert action.status_code == 202
    assert action.json()["seq"] == 1


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"type": "tap", "x": 1, "y": 1}, "type"),
        ({"type": "click", "x": -1, "y": 1}, "x"),
        ({"type": "click", "x": 1}, "y"),
        ({"type": "type", "text": ""}, "text"),
        ({"type": "type", "text": "x" * 2001}, "text"),
        ({"type": "press", "key": "F13"}, "key"),
        ({"type": "press", "key": "Enter", "extra": 1}, "extra"),
    ],
)
async def test_invalid_actions_are_422_problems(opened: Any, action: dict[str, Any], field: str) -> None:
    response = await opened.act(action)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in response.text
    assert await opened.state() == "opened", "a refused action changes nothing"


async def test_tap_outside_the_captured_viewport_is_refused(opened: Any) -> None:
    response = await opened.act({"type": "click", "x": 1281, "y": 10})  # the snapshot is 1280×800
    assert response.status_code == 422
    body = response.json()
    assert body["type"].endswith("/tap-off-screen")
    assert body["viewport"]["width"] == 1280


async def test_actions_are_refused_once_resolved(opened: Any) -> None:
    await opened.act({"type": "press", "key": "Enter"})
    resolved = await opened.client.post(
        opened.path("resolve"), json={"action": {"type": "done"}}, headers=opened.operator
    )
    assert resolved.status_code == 200
    response = await opened.act({"type": "press", "key": "Enter"})
    assert response.status_code == 409
    assert response.json()["type"].endswith("/relay-closed")
    assert response.json()["current_state"] == "resume_requested"


async def test_only_the_operator_session_of_that_handoff_may_act(
    opened: Any, new_opened: Any, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    as_agent = await opened.client.post(
        opened.path("actions"), json={"type": "press", "key": "Enter"}, headers=tenant.agent
    )
    assert as_agent.status_code == 403
    anonymous = await opened.client.post(opened.path("actions"), json={"type": "press", "key": "Enter"})
    assert anonymous.status_code == 401

    other = await new_opened(other_tenant)
    cross = await opened.client.post(
        opened.path("actions"), json={"type": "press", "key": "Enter"}, headers=other.operator
    )
    assert cross.status_code == 404, "another handoff's session does not even learn this one exists"
    assert await opened.state() == "opened"


async def test_concurrent_actions_get_distinct_consecutive_seqs(opened: Any) -> None:
    responses = await asyncio.gather(*(opened.act({"type": "type", "text": f"t{i}"}) for i in range(12)))
    assert all(r.status_code == 202 for r in responses), [r.text for r in responses]
    assert sorted(r.json()["seq"] for r in responses) == list(range(1, 13))
    assert await opened.state() == "solving"


async def test_action_is_traced_without_its_text(opened: Any, database: Database) -> None:
    await opened.act({"type": "type", "text": "hunter2"})
    async with database.readers() as session:
        traces = (
            await session.execute(
                select(TraceEvent).where(TraceEvent.handoff_id == opened.id, TraceEvent.kind == "relay.action")
            )
        ).scalars()
        data = [t.data for t in traces]
    assert data == [{"seq": 1, "type": "type"}]

import asyncio

import httpx
import pytest
from conftest import TenantKeys
from fastapi import FastAPI
from sqlalchemy import select
from support.flows import create_handoff, open_handoff
from support.payloads import handoff_body

from app.audit.export import verify_tenant_chain
from app.db import Database
from app.kit.problems import Problem
from app.lifecycle.errors import IllegalTransition
from app.lifecycle.states import ActorType, State
from app.lifecycle.transition import (
    Actor,
    StateWrittenOutsideTransition,
    register_outbox_hook,
    transition,
    unregister_outbox_hook,
)
from app.models import Handoff, HandoffEvent

OPERATOR = Actor(ActorType.OPERATOR, "op_test")


async def test_concurrent_resolves_have_exactly_one_winner(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database, app: FastAPI
) -> None:
    created = await create_handoff(client, tenant.agent)
    await open_handoff(client, created)
    bus = app.state.runtime.bus

    async def resolve() -> str:
        try:
            async with database.transaction() as session:
                await transition(session, bus, tenant.tenant_id, created["id"], State.SOLVED, OPERATOR)
        except IllegalTransition as exc:
            return f"lost:{exc.current}"
        return "won"

    outcomes = await asyncio.gather(*(resolve() for _ in range(6)))
    assert outcomes.count("won") == 1
    assert set(outcomes) - {"won"} == {"lost:solved"}
    async with database.readers() as session:
        solved = await session.execute(
            select(HandoffEvent).where(HandoffEvent.handoff_id == created["id"], HandoffEvent.to_state == "solved")
        )
        assert len(solved.scalars().all()) == 1
    assert (await verify_tenant_chain(database, tenant.tenant_id)).ok


async def test_a_failing_outbox_hook_rolls_back_state_and_audit_row(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database, app: FastAPI
) -> None:
    created = await create_handoff(client, tenant.agent)

    async def broken_hook(*_: object) -> None:
        raise RuntimeError("outbox unavailable")

    register_outbox_hook(broken_hook)
    try:
        with pytest.raises(RuntimeError):
            async with database.transaction() as session:
                await transition(
                    session, app.state.runtime.bus, tenant.tenant_id, created["id"], State.EXPIRED,
                    Actor(ActorType.ADMIN, "key_x"),
                )  # fmt: skip
    finally:
        unregister_outbox_hook(broken_hook)

    async with database.readers() as session:
        handoff = (await session.execute(select(Handoff).where(Handoff.id == created["id"]))).scalar_one()
        events = (await session.execute(select(HandoffEvent).where(HandoffEvent.handoff_id == created["id"]))).all()
    assert handoff.state == "notified"
    assert len(events) == 4
    assert (await verify_tenant_chain(database, tenant.tenant_id)).ok


async def test_api_request_that_fails_midway_leaves_nothing(
    app: FastAPI, tenant: TenantKeys, database: Database
) -> None:
    async def broken_hook(_session: object, _bus: object, _handoff: object, event: HandoffEvent) -> None:
        if event.to_state == "frozen":
            raise RuntimeError("disk full")

    register_outbox_hook(broken_hook)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/api/v1/handoffs", json=handoff_body(), headers=tenant.agent)
    finally:
        unregister_outbox_hook(broken_hook)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    async with database.readers() as session:
        assert (await session.execute(select(Handoff).where(Handoff.tenant_id == tenant.tenant_id))).first() is None
        assert (
            await session.execute(select(HandoffEvent).where(HandoffEvent.tenant_id == tenant.tenant_id))
        ).first() is None


async def test_writing_state_outside_transition_is_refused(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database
) -> None:
    created = await create_handoff(client, tenant.agent)
    async with database.sessions() as session:
        handoff = (await session.execute(select(Handoff).where(Handoff.id == created["id"]))).scalar_one()
        handoff.state = "solved"
        with pytest.raises(StateWrittenOutsideTransition):
            await session.flush()


async def test_illegal_transition_writes_nothing(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database, app: FastAPI
) -> None:
    created = await create_handoff(client, tenant.agent)
    with pytest.raises(Problem):
        async with database.transaction() as session:
            await transition(
                session, app.state.runtime.bus, tenant.tenant_id, created["id"], State.COMPLETED,
                Actor(ActorType.AGENT, "key_x"),
            )  # fmt: skip
    async with database.readers() as session:
        count = len((await session.execute(select(HandoffEvent).where(HandoffEvent.handoff_id == created["id"]))).all())
    assert count == 4

"""Random operation sequences against the real database: the state never leaves the table, every
accepted move is exactly one audit record, and the chain always verifies."""

from datetime import timedelta

from conftest import TenantKeys
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.audit.export import verify_tenant_chain
from app.db import Database
from app.kit.ids import new_id
from app.kit.problems import Problem
from app.kit.timeutil import utcnow
from app.lifecycle.states import ActorType, State
from app.lifecycle.table import EDGES, INITIAL_STATE, is_legal
from app.lifecycle.transition import Actor, begin_lifecycle, transition
from app.models import Handoff, HandoffEvent

any_move = st.tuples(st.sampled_from(list(State)), st.sampled_from(list(ActorType)))


def legal_moves(current: State) -> list[tuple[State, ActorType]]:
    return [(to, actor) for (frm, to), actors in EDGES.items() if frm == current for actor in sorted(actors)]


def _new_handoff(tenant_id: str) -> Handoff:
    now = utcnow()
    return Handoff(
        id=new_id("handoff"), tenant_id=tenant_id, agent_id="prop", interruption_type="other",
        domain="example.com", url="https://example.com/", task=None, extra={}, failure_reason=None,
        operator_id=None, opened_at=None, resolution=None, task_outcome=None, created_at=now,
        updated_at=now, expires_at=now + timedelta(minutes=5),
    )  # fmt: skip


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_operations_follow_the_table_and_keep_the_chain(
    data: st.DataObject, app: FastAPI, database: Database, tenant: TenantKeys
) -> None:
    bus = app.state.runtime.bus
    handoff = _new_handoff(tenant.tenant_id)
    async with database.transaction() as session:
        await begin_lifecycle(session, bus, handoff, Actor(ActorType.AGENT, "prop"))
    model, accepted = INITIAL_STATE, 1

    for _ in range(data.draw(st.integers(0, 16), label="steps")):
        # Half the moves are drawn from the legal ones, so long paths (escalation loops, resume) are explored.
        legal = legal_moves(model)
        move = st.one_of(any_move, st.sampled_from(legal)) if legal else any_move
        target, actor_type = data.draw(move, label="move")
        try:
            async with database.transaction() as session:
                await transition(session, bus, tenant.tenant_id, handoff.id, target, Actor(actor_type, "prop"))
        except Problem:
            assert not is_legal(model, target, actor_type)
        else:
            assert is_legal(model, target, actor_type)
            model, accepted = target, accepted + 1

    async with database.readers() as session:
        stored = (await session.execute(select(Handoff.state).where(Handoff.id == handoff.id))).scalar_one()
        records = (
            await session.execute(select(func.count()).where(HandoffEvent.handoff_id == handoff.id))
        ).scalar_one()
    assert stored == model
    assert records == accepted
    assert (await verify_tenant_chain(database, tenant.tenant_id)).ok

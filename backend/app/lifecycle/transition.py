"""The only writer of a handoff's `state`.

`transition()` locks the handoff row (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions already hold the
write lock), checks the edge against the table, bumps `version` (the mapper compare-and-sets it, so a stale
writer fails instead of overwriting), appends the audit record to the tenant's hash chain — taking the chain
lock last, so it is held for as little time as possible — and runs the outbox hooks, all in the caller's
transaction. Subscribers are woken only after that transaction commits.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH, record_hash
from app.db import after_commit
from app.events.bus import EventBus, audit_channel, handoff_channel
from app.kit.ids import new_id
from app.kit.problems import NotFound
from app.kit.timeutil import rfc3339, utcnow
from app.lifecycle.errors import ActorNotAllowed, IllegalTransition
from app.lifecycle.states import ActorType, State
from app.lifecycle.table import EDGES, INITIAL_STATE, allowed_targets
from app.models import ChainHead, Handoff, HandoffEvent


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


SERVER = Actor(ActorType.SERVER, "batonpass")
NO_CONTEXT = RequestContext()

_state_writer_active: ContextVar[bool] = ContextVar("_state_writer_active", default=False)


class StateWrittenOutsideTransition(RuntimeError):
    pass


@contextmanager
def _writing_state() -> Iterator[None]:
    token = _state_writer_active.set(True)
    try:
        yield
    finally:
        _state_writer_active.reset(token)


@orm_event.listens_for(Handoff, "before_update")
def _guard_state_update(_mapper: Any, _connection: Any, target: Handoff) -> None:
    if inspect(target).attrs.state.history.has_changes() and not _state_writer_active.get():
        raise StateWrittenOutsideTransition(
            f"handoff {target.id}: state may only change through transition()"
        )


@orm_event.listens_for(Handoff, "before_insert")
def _guard_state_insert(_mapper: Any, _connection: Any, target: Handoff) -> None:
    if not _state_writer_active.get():
        raise StateWrittenOutsideTransition(f"handoff {target.id}: insert it through begin_lifecycle()")


OutboxHook = Callable[[AsyncSession, Handoff, HandoffEvent], Awaitable[None]]
_outbox_hooks: list[OutboxHook] = []


def register_outbox_hook(hook: OutboxHook) -> None:
    """Subsystems that act on a transition inside its transaction (webhook rows, timers) hook in here."""
    if hook not in _outbox_hooks:
        _outbox_hooks.append(hook)


def unregister_outbox_hook(hook: OutboxHook) -> None:
    if hook in _outbox_hooks:
        _outbox_hooks.remove(hook)


def event_record(event: HandoffEvent) -> dict[str, Any]:
    """The audit record exactly as hashed and exported (DESIGN §6)."""
    return {
        "seq": event.seq,
        "event_id": event.event_id,
        "tenant_id": event.tenant_id,
        "handoff_id": event.handoff_id,
        "occurred_at": event.occurred_at,
        "actor": {"type": event.actor_type, "id": event.actor_id},
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


async def _append_to_chain(
    session: AsyncSession,
    handoff: Handoff,
    from_state: State | None,
    to_state: State,
    actor: Actor,
    reason: str | None,
    payload: dict[str, Any],
    context: RequestContext,
) -> HandoffEvent:
    head = (
        await session.execute(
            select(ChainHead).where(ChainHead.tenant_id == handoff.tenant_id).with_for_update()
        )
    ).scalar_one_or_none()
    if head is None:
        head = ChainHead(tenant_id=handoff.tenant_id, seq=0, head_hash=GENESIS_HASH)
        session.add(head)
    event = HandoffEvent(
        event_id=new_id("event"),
        tenant_id=handoff.tenant_id,
        seq=head.seq + 1,
        handoff_id=handoff.id,
        occurred_at=rfc3339(utcnow()),
        actor_type=str(actor.type),
        actor_id=actor.id,
        action=f"handoff.{to_state}",
        from_state=None if from_state is None else str(from_state),
        to_state=str(to_state),
        reason=reason,
        ip=context.ip,
        user_agent=context.user_agent,
        request_id=context.request_id,
        payload=payload,
        prev_hash=head.head_hash,
        hash="",
    )
    event.hash = record_hash(event_record(event))
    head.seq, head.head_hash = event.seq, event.hash
    session.add(event)
    return event


async def _after(session: AsyncSession, bus: EventBus | None, handoff: Handoff, event: HandoffEvent) -> None:
    for hook in list(_outbox_hooks):
        await hook(session, handoff, event)
    await session.flush()
    if bus is not None:
        tenant_id, handoff_id = handoff.tenant_id, handoff.id

        async def wake() -> None:
            await bus.publish(handoff_channel(handoff_id))
            await bus.publish(audit_channel(tenant_id))

        after_commit(session, wake)


async def begin_lifecycle(
    session: AsyncSession,
    bus: EventBus | None,
    handoff: Handoff,
    actor: Actor,
    *,
    payload: dict[str, Any] | None = None,
    context: RequestContext = NO_CONTEXT,
) -> HandoffEvent:
    """Insert a new handoff in its initial state, with its first audit record."""
    with _writing_state():
        handoff.state = INITIAL_STATE
        session.add(handoff)
        await session.flush()
    event = await _append_to_chain(session, handoff, None, INITIAL_STATE, actor, None, payload or {}, context)
    await _after(session, bus, handoff, event)
    return event


async def transition(
    session: AsyncSession,
    bus: EventBus | None,
    tenant_id: str,
    handoff_id: str,
    to: State,
    actor: Actor,
    *,
    reason: str | None = None,
    payload: dict[str, Any] | None = None,
    context: RequestContext = NO_CONTEXT,
) -> tuple[Handoff, HandoffEvent]:
    """Move a handoff along one edge of the lifecycle table, or raise without writing anything."""
    handoff = (
        await session.execute(
            select(Handoff)
            .where(Handoff.id == handoff_id, Handoff.tenant_id == tenant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if handoff is None:
        raise NotFound(f"No handoff {handoff_id} in this tenant.")
    current = State(handoff.state)
    allowed_actors = EDGES.get((current, to))
    if allowed_actors is None:
        raise IllegalTransition(handoff.id, current, to, allowed_targets(current))
    if actor.type not in allowed_actors:
        raise ActorNotAllowed(current, to, actor.type)
    with _writing_state():
        handoff.state = to
        handoff.updated_at = utcnow()
        await session.flush()
    event = await _append_to_chain(session, handoff, current, to, actor, reason, payload or {}, context)
    await _after(session, bus, handoff, event)
    return handoff, event

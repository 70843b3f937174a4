"""The only writer of a handoff's `state`.

`transition()` locks the handoff row (SELECT … FOR UPDATE on PostgreSQL; SQLite write transactions already
hold the database lock) once per transaction, checks the edge against the table, sets the state (the mapper
compare-and-sets `version` when it flushes, so a stale writer fails instead of overwriting), records the audit
event and runs the outbox hooks — all in the caller's transaction.

The audit record joins the tenant's hash chain only when the transaction is about to commit
(`seal_audit_chain`, called by `Database.transaction`): the chain-head row lock, which serialises a tenant's
appends, is taken last and held only for the final flush and the commit. Subscribers are woken after commit.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.audit.chain import GENESIS_HASH, record_hash
from app.db import after_commit, before_commit
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

_LOCKED_KEY = "lifecycle.locked_handoffs"
_PENDING_KEY = "lifecycle.pending_audit"
_AUTHORISED = "_bp_authorised_state"


class StateWrittenOutsideTransition(RuntimeError):
    pass


def _authorise(handoff: Handoff, state: State) -> None:
    handoff.__dict__[_AUTHORISED] = str(state)


@orm_event.listens_for(Handoff, "before_update")
def _guard_state_update(_mapper: Any, _connection: Any, target: Handoff) -> None:
    history = inspect(target).attrs.state.history
    if history.has_changes() and target.__dict__.get(_AUTHORISED) != target.state:
        raise StateWrittenOutsideTransition(f"handoff {target.id}: state may only change through transition()")


@orm_event.listens_for(Handoff, "before_insert")
def _guard_state_insert(_mapper: Any, _connection: Any, target: Handoff) -> None:
    if target.__dict__.get(_AUTHORISED) != target.state:
        raise StateWrittenOutsideTransition(f"handoff {target.id}: insert it through begin_lifecycle()")


@orm_event.listens_for(Session, "before_commit")
def _refuse_unsealed_audit(session: Session) -> None:
    if session.info.get(_PENDING_KEY):
        raise RuntimeError("audit records pending: commit through Database.transaction(), which seals the chain")


OutboxHook = Callable[[AsyncSession, EventBus | None, Handoff, HandoffEvent], Awaitable[None]]
_outbox_hooks: list[OutboxHook] = []


def register_outbox_hook(hook: OutboxHook) -> None:
    """Subsystems that act on a transition inside its transaction (webhook rows, timers) hook in here, as
    `hook(session, bus, handoff, event)`; the bus is for after-commit wake-ups.

    The event they get has every field of the audit record except `seq`, `prev_hash` and `hash`, which are
    assigned when the chain is sealed at commit."""
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


async def lock_handoff(session: AsyncSession, handoff_id: str, tenant_id: str | None = None) -> Handoff | None:
    """The handoff, row-locked for the rest of this transaction; later calls in it cost no query."""
    locked: set[str] = session.info.setdefault(_LOCKED_KEY, set())
    if handoff_id in locked:
        handoff = await session.get(Handoff, handoff_id)
        if handoff is not None and (tenant_id is None or handoff.tenant_id == tenant_id):
            return handoff
        return None
    query = select(Handoff).where(Handoff.id == handoff_id)
    if tenant_id is not None:
        query = query.where(Handoff.tenant_id == tenant_id)
    handoff = (
        await session.execute(query.with_for_update().execution_options(populate_existing=True))
    ).scalar_one_or_none()
    if handoff is not None:
        locked.add(handoff_id)
    return handoff


def _record(
    session: AsyncSession,
    handoff: Handoff,
    from_state: State | None,
    to_state: State,
    actor: Actor,
    reason: str | None,
    payload: dict[str, Any],
    context: RequestContext,
) -> HandoffEvent:
    event = HandoffEvent(
        event_id=new_id("event"),
        tenant_id=handoff.tenant_id,
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
    )
    pending: list[HandoffEvent] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        before_commit(session, seal_audit_chain)
    pending.append(event)
    return event


async def seal_audit_chain(session: AsyncSession) -> None:
    """Append this transaction's audit records to their tenants' chains: lock each chain head (last thing
    before commit), assign seq and hashes in order, insert the records, move the head."""
    pending: list[HandoffEvent] = session.info.pop(_PENDING_KEY, [])
    for tenant_id in dict.fromkeys(e.tenant_id for e in pending):
        head = (
            await session.execute(select(ChainHead).where(ChainHead.tenant_id == tenant_id).with_for_update())
        ).scalar_one_or_none()
        if head is None:
            head = ChainHead(tenant_id=tenant_id, seq=0, head_hash=GENESIS_HASH)
            session.add(head)
        for event in (e for e in pending if e.tenant_id == tenant_id):
            event.seq = head.seq + 1
            event.prev_hash = head.head_hash
            event.hash = ""
            event.hash = record_hash(event_record(event))
            head.seq, head.head_hash = event.seq, event.hash
            session.add(event)


async def _after(session: AsyncSession, bus: EventBus | None, handoff: Handoff, event: HandoffEvent) -> None:
    for hook in list(_outbox_hooks):
        await hook(session, bus, handoff, event)
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
    handoff.state = INITIAL_STATE
    _authorise(handoff, INITIAL_STATE)
    session.add(handoff)
    await session.flush()  # rows that reference the handoff (snapshot, links) may follow in this transaction
    session.info.setdefault(_LOCKED_KEY, set()).add(handoff.id)
    event = _record(session, handoff, None, INITIAL_STATE, actor, None, payload or {}, context)
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
    handoff = await lock_handoff(session, handoff_id, tenant_id)
    if handoff is None:
        raise NotFound(f"No handoff {handoff_id} in this tenant.")
    current = State(handoff.state)
    allowed_actors = EDGES.get((current, to))
    if allowed_actors is None:
        raise IllegalTransition(handoff.id, current, to, allowed_targets(current))
    if actor.type not in allowed_actors:
        raise ActorNotAllowed(current, to, actor.type)
    _authorise(handoff, to)
    handoff.state = to
    handoff.updated_at = utcnow()
    event = _record(session, handoff, current, to, actor, reason, payload or {}, context)
    await _after(session, bus, handoff, event)
    return handoff, event

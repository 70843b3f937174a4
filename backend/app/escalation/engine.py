"""Routing and escalation, in the manner of Grafana OnCall: the chain is snapshotted onto the handoff when
it freezes; one active fence token per handoff; each step runs once from a durable timer, checks the token
under the handoff's row lock, and schedules the next step in the same transaction."""

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trace import record_trace
from app.db import after_commit
from app.escalation.repository import default_chain, get_chain
from app.handoffs.retention import public_resolution, purge_ended
from app.kit.ids import new_id
from app.kit.timeutil import rfc3339, utcnow
from app.lifecycle.states import ActorType, State
from app.lifecycle.table import EDGES
from app.lifecycle.transition import SERVER, Actor, RequestContext, lock_handoff, transition
from app.mobile.service import MintedLink, mint_link
from app.models import Handoff, Operator, PushSubscription, Tenant
from app.notify.channels import CHANNELS, ChannelContext, ChannelResult, Notification, PushTarget
from app.operators.repository import subscriptions_of
from app.policies.evaluate import Subject, evaluate
from app.policies.service import list_policies, totp_code
from app.runtime import Runtime
from app.timers.service import complete, lock_pending, schedule

TIMER = Actor(ActorType.TIMER, "batonpass-timer")
NOTIFY, STEP_TIMEOUT, HANDOFF_TTL = "notify", "escalation_timeout", "handoff_ttl"
EXPIRABLE = frozenset(frm for (frm, to) in EDGES if to == State.EXPIRED)


@dataclass(frozen=True)
class FreezeOutcome:
    link: MintedLink | None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def route_at_freeze(
    session: AsyncSession, runtime: Runtime, tenant: Tenant, handoff: Handoff, context: RequestContext
) -> FreezeOutcome:
    """Decide what happens to a frozen handoff: auto-resolve, a chain, a single operator, or the console."""
    bus, settings = runtime.bus, runtime.settings
    started = time.perf_counter()
    # Configuration reads see nothing this transaction wrote: let the pending rows go out in one flush.
    with session.no_autoflush:
        policies = await list_policies(session, tenant.id)
        outcome = evaluate(policies, Subject(handoff.interruption_type, handoff.domain, handoff.agent_id))
        steps, source = await _route(session, tenant.id, outcome.route, settings.default_step_timeout_s)
    if outcome.ttl_s is not None:
        handoff.expires_at = handoff.created_at + timedelta(seconds=outcome.ttl_s)
    schedule(session, bus, tenant_id=tenant.id, handoff_id=handoff.id, kind=HANDOFF_TTL, due_at=handoff.expires_at)
    record_trace(
        session, bus, tenant.id, handoff.id, "policy.decisions",
        {"decisions": outcome.decisions, "route": source, "ttl_s": outcome.ttl_s,
         "auto_resolve": outcome.auto_resolve.id if outcome.auto_resolve else None},
        duration_ms=_ms(started),
    )  # fmt: skip

    if outcome.auto_resolve is not None:
        policy = outcome.auto_resolve
        mode = str(policy.action["mode"])
        resolution: dict[str, Any] = (
            {"type": "approve"} if mode == "approve" else {"type": "otp", "code": totp_code(policy, runtime.cipher)}
        )
        await transition(
            session, bus, tenant.id, handoff.id, State.SOLVED, SERVER,
            payload={"action": public_resolution(resolution), "auto_resolved_by": policy.id,
                     "human_assist_seconds": 0},
            context=context,
        )  # fmt: skip
        handoff.resolution = resolution
        await transition(session, bus, tenant.id, handoff.id, State.RESUME_REQUESTED, SERVER, context=context)
        return FreezeOutcome(link=None)

    if steps is None:
        return FreezeOutcome(link=await _notify_console_inline(session, runtime, handoff, context))

    fence = new_id("fence")
    handoff.escalation = {"source": source, "steps": steps, "repeat": _repeat(source), "loop": 0, "step": 0,
                          "fence": fence, "attempt": 1}  # fmt: skip
    schedule(session, bus, tenant_id=tenant.id, handoff_id=handoff.id, kind=NOTIFY, due_at=utcnow(), fence=fence)
    return FreezeOutcome(link=None)


def _repeat(source: dict[str, Any]) -> int:
    return int(source.get("repeat", 0))


async def _route(
    session: AsyncSession, tenant_id: str, route: dict[str, Any] | None, default_timeout_s: int
) -> tuple[list[dict[str, Any]] | None, dict[str, Any]]:
    if route and route.get("operator_id"):
        step = {"operator_id": route["operator_id"], "channels": None,
                "timeout_s": int(route.get("timeout_s") or default_timeout_s)}  # fmt: skip
        return [step], {"type": "operator", "id": route["operator_id"], "repeat": 0}
    chain = await get_chain(session, tenant_id, route["chain_id"]) if route else await default_chain(session, tenant_id)
    if chain is None:
        return None, {"type": "console"}
    return [dict(s) for s in chain.steps], {"type": "chain", "id": chain.id, "repeat": chain.repeat}


async def _notify_console_inline(
    session: AsyncSession, runtime: Runtime, handoff: Handoff, context: RequestContext
) -> MintedLink:
    """No chain, no operator: the development console channel, in the creating transaction."""
    settings = runtime.settings
    started = time.perf_counter()
    link = await mint_link(
        session, runtime.links, public_url=settings.public_url, tenant_id=handoff.tenant_id,
        handoff_id=handoff.id, operator_id=None, ttl_s=settings.mobile_link_ttl_s,
    )  # fmt: skip
    note = _notification(handoff, None, [], link)
    console = CHANNELS["console"]
    ctx = ChannelContext(runtime.http, settings, runtime.vapid)

    async def announce() -> None:
        await console.send(note, ctx)

    after_commit(session, announce)
    await transition(
        session, runtime.bus, handoff.tenant_id, handoff.id, State.NOTIFIED, SERVER,
        payload={"channel": "console", "operator_id": None, "link_expires_at": rfc3339(link.expires_at)},
        context=context,
    )  # fmt: skip
    record_trace(
        session, runtime.bus, handoff.tenant_id, handoff.id, "notify.attempt",
        {"channel": "console", "ok": True, "operator_id": None}, duration_ms=_ms(started),
    )  # fmt: skip
    return link


def _notification(
    handoff: Handoff, operator: Operator | None, subscriptions: list[PushSubscription], link: MintedLink
) -> Notification:
    seconds_left = max(1, int((handoff.expires_at - utcnow()).total_seconds()))
    return Notification(
        handoff_id=handoff.id, tenant_id=handoff.tenant_id, agent_id=handoff.agent_id,
        interruption_type=handoff.interruption_type, domain=handoff.domain, task=handoff.task,
        operator_id=operator.id if operator else None, operator_name=operator.name if operator else None,
        phone=operator.phone if operator else None, email=operator.email if operator else None,
        push_targets=tuple(PushTarget(s.id, s.endpoint, s.p256dh, s.auth) for s in subscriptions),
        link_url=link.url, link_expires_at=link.expires_at, seconds_left=seconds_left,
    )  # fmt: skip


def _is_current(handoff: Handoff | None, fence: str | None, states: frozenset[State]) -> bool:
    return (
        handoff is not None
        and handoff.escalation is not None
        and handoff.escalation.get("fence") == fence
        and State(handoff.state) in states
    )


def _next_position(escalation: dict[str, Any]) -> tuple[int, int] | None:
    step, loop = int(escalation["step"]) + 1, int(escalation["loop"])
    if step >= len(escalation["steps"]):
        step, loop = 0, loop + 1
    if loop > int(escalation["repeat"]):
        return None
    return loop, step


def _advance(session: AsyncSession, runtime: Runtime, handoff: Handoff, position: tuple[int, int]) -> str:
    """Move the escalation to `position` with a fresh fence and schedule its notification now."""
    assert handoff.escalation is not None
    fence = new_id("fence")
    loop, step = position
    handoff.escalation = {**handoff.escalation, "loop": loop, "step": step, "fence": fence,
                          "attempt": int(handoff.escalation.get("attempt", 1)) + 1}  # fmt: skip
    schedule(
        session, runtime.bus, tenant_id=handoff.tenant_id, handoff_id=handoff.id, kind=NOTIFY, due_at=utcnow(),
        fence=fence,
    )  # fmt: skip
    return str(handoff.escalation["steps"][step]["operator_id"])


async def _exhaust(
    session: AsyncSession, runtime: Runtime, handoff: Handoff, *, all_channels_failed: bool = False
) -> None:
    payload: dict[str, Any] = {"timeout_chain_exhausted": True}
    if all_channels_failed:
        payload["all_channels_failed"] = True
    await transition(
        session, runtime.bus, handoff.tenant_id, handoff.id, State.EXPIRED, TIMER, reason="chain_exhausted",
        payload=payload,
    )  # fmt: skip
    await purge_ended(session, handoff)


async def fire_notify(runtime: Runtime, timer_id: str) -> None:
    """Alert the operator of the current step: mint a link, try the step's channels in order (outside any
    transaction), then record the attempts and move to `notified` — or on to the next step if every channel
    failed."""
    database, settings = runtime.database, runtime.settings
    async with database.transaction() as session:
        timer = await lock_pending(session, timer_id)
        if timer is None:
            return
        handoff = await lock_handoff(session, timer.handoff_id)
        if not _is_current(handoff, timer.fence, frozenset({State.FROZEN, State.ESCALATED})):
            complete(timer, "stale")
            return
        assert handoff is not None
        assert handoff.escalation is not None
        step = handoff.escalation["steps"][handoff.escalation["step"]]
        operator = (
            await session.execute(
                select(Operator).where(Operator.id == step["operator_id"], Operator.tenant_id == handoff.tenant_id)
            )
        ).scalar_one_or_none()
        if operator is None or not operator.on_duty:
            why = "operator_deleted" if operator is None else "operator_off_duty"
            record_trace(session, runtime.bus, handoff.tenant_id, handoff.id, "escalation.step_skipped",
                         {"operator_id": step["operator_id"], "why": why})  # fmt: skip
            await _move_on_or_exhaust(session, runtime, handoff, all_failed=False)
            complete(timer, why)
            return
        subscriptions = await subscriptions_of(session, operator.id)
        link = await mint_link(
            session, runtime.links, public_url=settings.public_url, tenant_id=handoff.tenant_id,
            handoff_id=handoff.id, operator_id=operator.id, ttl_s=settings.mobile_link_ttl_s,
        )  # fmt: skip
        note = _notification(handoff, operator, subscriptions, link)
        channels = list(step.get("channels") or operator.channels)
        fence, handoff_id, tenant_id = timer.fence, handoff.id, handoff.tenant_id
        timeout_s = int(step["timeout_s"])

    attempts = await _send(runtime, note, channels)

    async with database.transaction() as session:
        timer = await lock_pending(session, timer_id)
        if timer is None:
            return
        handoff = await lock_handoff(session, handoff_id)
        for attempt in attempts:
            record_trace(session, runtime.bus, tenant_id, handoff_id, "notify.attempt", attempt["trace"],
                         duration_ms=attempt["ms"])  # fmt: skip
            if attempt["gone"]:
                await session.execute(delete(PushSubscription).where(PushSubscription.id.in_(attempt["gone"])))
        if not _is_current(handoff, fence, frozenset({State.FROZEN, State.ESCALATED})):
            complete(timer, "stale_after_send")
            return
        assert handoff is not None
        assert handoff.escalation is not None
        delivered = next((a for a in attempts if a["trace"]["ok"]), None)
        if delivered is None:
            await _move_on_or_exhaust(session, runtime, handoff, all_failed=True)
            complete(timer, "all_channels_failed")
            return
        await transition(
            session, runtime.bus, tenant_id, handoff_id, State.NOTIFIED,
            TIMER if State(handoff.state) is State.ESCALATED else SERVER,
            payload={"operator_id": operator.id, "channel": delivered["trace"]["channel"],
                     "attempt": handoff.escalation["attempt"], "step": handoff.escalation["step"],
                     "link_expires_at": rfc3339(link.expires_at)},
        )  # fmt: skip
        handoff.operator_id = operator.id
        new_fence = new_id("fence")
        handoff.escalation = {**handoff.escalation, "fence": new_fence}
        schedule(
            session, runtime.bus, tenant_id=tenant_id, handoff_id=handoff_id, kind=STEP_TIMEOUT,
            due_at=utcnow() + timedelta(seconds=timeout_s), fence=new_fence,
        )  # fmt: skip
        complete(timer, "notified")


async def _move_on_or_exhaust(session: AsyncSession, runtime: Runtime, handoff: Handoff, *, all_failed: bool) -> None:
    assert handoff.escalation is not None
    position = _next_position(handoff.escalation)
    if position is None:
        await _exhaust(session, runtime, handoff, all_channels_failed=all_failed)
    else:
        _advance(session, runtime, handoff, position)


async def _send(runtime: Runtime, note: Notification, channels: list[str]) -> list[dict[str, Any]]:
    """Try channels in order until one delivers; a failing channel never stalls the pipeline."""
    ctx = ChannelContext(runtime.http, runtime.settings, runtime.vapid)
    attempts: list[dict[str, Any]] = []
    for name in channels:
        channel = CHANNELS.get(name)
        started = time.perf_counter()
        if channel is None:
            result = ChannelResult(ok=False, error=f"unknown channel {name}")
        else:
            try:
                result = await channel.send(note, ctx)
            except Exception as exc:  # a channel bug must not stop the chain
                result = ChannelResult(ok=False, error=f"channel crashed: {exc!r}")
        ms = _ms(started)
        attempts.append(
            {"ms": ms, "gone": result.gone_subscriptions,
             "trace": {"channel": name, "ok": result.ok, "operator_id": note.operator_id, "latency_ms": round(ms, 1),
                       "error": result.error, "detail": result.detail}}
        )  # fmt: skip
        if result.ok:
            break
    return attempts


async def fire_step_timeout(runtime: Runtime, timer_id: str) -> None:
    """Nobody opened the link in time: escalate to the next step, or expire when the chain is exhausted."""
    async with runtime.database.transaction() as session:
        timer = await lock_pending(session, timer_id)
        if timer is None:
            return
        handoff = await lock_handoff(session, timer.handoff_id)
        if not _is_current(handoff, timer.fence, frozenset({State.NOTIFIED})):
            complete(timer, "acknowledged_or_stale")
            return
        assert handoff is not None
        assert handoff.escalation is not None
        position = _next_position(handoff.escalation)
        if position is None:
            await _exhaust(session, runtime, handoff)
            complete(timer, "chain_exhausted")
            return
        to_operator = handoff.escalation["steps"][position[1]]["operator_id"]
        await transition(
            session, runtime.bus, handoff.tenant_id, handoff.id, State.ESCALATED, TIMER,
            payload={"from_operator": handoff.operator_id, "to_operator": to_operator,
                     "loop": position[0], "step": position[1]},
        )  # fmt: skip
        _advance(session, runtime, handoff, position)
        complete(timer, "escalated")


async def fire_ttl(runtime: Runtime, timer_id: str) -> None:
    async with runtime.database.transaction() as session:
        timer = await lock_pending(session, timer_id)
        if timer is None:
            return
        handoff = await lock_handoff(session, timer.handoff_id)
        if handoff is None or State(handoff.state) not in EXPIRABLE:
            complete(timer, "not_expirable")
            return
        if handoff.expires_at > utcnow() + timedelta(seconds=1):
            complete(timer, "ttl_moved")
            return
        await transition(
            session, runtime.bus, handoff.tenant_id, handoff.id, State.EXPIRED, TIMER, reason="ttl",
            payload={"timeout_chain_exhausted": False},
        )  # fmt: skip
        await purge_ended(session, handoff)
        complete(timer, "expired")


HANDLERS = {NOTIFY: fire_notify, STEP_TIMEOUT: fire_step_timeout, HANDOFF_TTL: fire_ttl}

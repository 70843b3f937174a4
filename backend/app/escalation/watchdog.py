"""Finds handoffs whose next escalation step or expiry has no pending timer (a lost row, a bug, a restore
from backup) and schedules it again; every rescue is on the trace stream."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trace import record_trace
from app.escalation.engine import EXPIRABLE, HANDOFF_TTL, NOTIFY, STEP_TIMEOUT
from app.kit.timeutil import utcnow
from app.lifecycle.states import State
from app.models import Handoff, Timer
from app.runtime import Runtime
from app.timers.service import PENDING, schedule

log = logging.getLogger("batonpass.watchdog")
SCAN_LIMIT = 500


async def watchdog(runtime: Runtime) -> None:
    async with runtime.database.transaction() as session:
        handoffs = (
            await session.execute(
                select(Handoff).where(Handoff.state.in_([str(s) for s in EXPIRABLE])).limit(SCAN_LIMIT)
            )
        ).scalars()
        for handoff in handoffs:
            pending = (
                await session.execute(select(Timer).where(Timer.handoff_id == handoff.id, Timer.status == PENDING))
            ).scalars()
            kinds_fences = {(t.kind, t.fence) for t in pending}
            if not any(kind == HANDOFF_TTL for kind, _ in kinds_fences):
                _rescue(session, runtime, handoff, HANDOFF_TTL, None, handoff.expires_at)
            escalation = handoff.escalation
            if escalation is None:
                continue
            fence = escalation.get("fence")
            state = State(handoff.state)
            wanted = STEP_TIMEOUT if state is State.NOTIFIED else NOTIFY
            if state in (State.FROZEN, State.ESCALATED, State.NOTIFIED) and (wanted, fence) not in kinds_fences:
                _rescue(session, runtime, handoff, wanted, fence, utcnow())


def _rescue(
    session: AsyncSession, runtime: Runtime, handoff: Handoff, kind: str, fence: str | None, due: datetime
) -> None:
    log.warning("watchdog: handoff %s had no pending %s timer; scheduling one", handoff.id, kind)
    schedule(
        session, runtime.bus, tenant_id=handoff.tenant_id, handoff_id=handoff.id, kind=kind, due_at=due, fence=fence
    )
    record_trace(session, runtime.bus, handoff.tenant_id, handoff.id, "watchdog.rescheduled", {"kind": kind})

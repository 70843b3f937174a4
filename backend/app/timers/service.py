"""Durable timers: rows with a `due_at`, claimed under a lease, completed in the same transaction as their
effect."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database, after_commit
from app.events.bus import EventBus
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.models import Timer

TIMERS_CHANNEL = "timers"
PENDING, DONE = "pending", "done"


def schedule(
    session: AsyncSession,
    bus: EventBus | None,
    *,
    tenant_id: str,
    handoff_id: str,
    kind: str,
    due_at: datetime,
    fence: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Timer:
    timer = Timer(
        id=new_id("timer"),
        tenant_id=tenant_id,
        handoff_id=handoff_id,
        kind=kind,
        fence=fence,
        due_at=due_at,
        status=PENDING,
        claimed_until=None,
        attempts=0,
        payload=payload or {},
        created_at=utcnow(),
        fired_at=None,
    )
    session.add(timer)
    if bus is not None and not session.info.get("timers_wake_pending"):
        session.info["timers_wake_pending"] = True

        async def wake() -> None:
            await bus.publish(TIMERS_CHANNEL)

        after_commit(session, wake)
    return timer


async def claim_due(database: Database, *, limit: int, lease_s: float) -> list[Timer]:
    """Reserve up to `limit` due timers for this worker. SKIP LOCKED lets several workers claim side by
    side on PostgreSQL; on SQLite the write lock serialises claimers. A worker that dies loses its lease
    and another claims the timer again: firing is at-least-once, the effect exactly-once."""
    now = utcnow()
    async with database.transaction() as session:
        query = (
            select(Timer)
            .where(
                Timer.status == PENDING,
                Timer.due_at <= now,
                (Timer.claimed_until.is_(None)) | (Timer.claimed_until < now),
            )
            .order_by(Timer.due_at)
            .limit(limit)
        )
        if database.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        timers = list((await session.execute(query)).scalars())
        for timer in timers:
            timer.claimed_until = now + timedelta(seconds=lease_s)
            timer.attempts += 1
        return timers


async def lock_pending(session: AsyncSession, timer_id: str) -> Timer | None:
    """The timer, row-locked, if it has not fired yet — its effect must commit in this same transaction."""
    timer = (
        await session.execute(
            select(Timer).where(Timer.id == timer_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    return timer if timer is not None and timer.status == PENDING else None


def complete(timer: Timer, outcome: str) -> None:
    timer.status = DONE
    timer.fired_at = utcnow()
    timer.payload = {**timer.payload, "outcome": outcome}


async def next_due_at(database: Database) -> datetime | None:
    async with database.readers() as session:
        due: datetime | None = (
            await session.execute(select(func.min(Timer.due_at)).where(Timer.status == PENDING))
        ).scalar_one_or_none()
    return due


async def pending_for(session: AsyncSession, handoff_id: str) -> list[Timer]:
    rows = await session.execute(select(Timer).where(Timer.handoff_id == handoff_id, Timer.status == PENDING))
    return list(rows.scalars())


async def cancel_for(session: AsyncSession, handoff_id: str) -> None:
    await session.execute(
        update(Timer)
        .where(Timer.handoff_id == handoff_id, Timer.status == PENDING)
        .values(status=DONE, fired_at=utcnow())
    )

"""Queries for relay actions and frames. Nothing here commits."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Handoff, RelayAction, RelayFrame


async def lock_handoff(session: AsyncSession, tenant_id: str, handoff_id: str) -> Handoff | None:
    """Serialise writers of one handoff's relay (SQLite writers are serialised by BEGIN IMMEDIATE)."""
    return (
        await session.execute(
            select(Handoff)
            .where(Handoff.id == handoff_id, Handoff.tenant_id == tenant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def last_action_seq(session: AsyncSession, handoff_id: str) -> int:
    value = (
        await session.execute(select(func.max(RelayAction.seq)).where(RelayAction.handoff_id == handoff_id))
    ).scalar_one_or_none()
    return int(value or 0)


async def acked_seq(session: AsyncSession, handoff_id: str) -> int:
    """Acknowledgements are cumulative, so the acknowledged actions are exactly those up to this seq."""
    value = (
        await session.execute(
            select(func.max(RelayAction.seq)).where(
                RelayAction.handoff_id == handoff_id, RelayAction.acked_at.is_not(None)
            )
        )
    ).scalar_one_or_none()
    return int(value or 0)


async def actions_after(
    session: AsyncSession, tenant_id: str, handoff_id: str, after_seq: int, limit: int = 500
) -> list[RelayAction]:
    rows = await session.execute(
        select(RelayAction)
        .where(
            RelayAction.tenant_id == tenant_id,
            RelayAction.handoff_id == handoff_id,
            RelayAction.seq > after_seq,
        )
        .order_by(RelayAction.seq)
        .limit(limit)
    )
    return list(rows.scalars())


async def acknowledge(session: AsyncSession, handoff_id: str, up_to_seq: int, at: datetime) -> None:
    await session.execute(
        update(RelayAction)
        .where(
            RelayAction.handoff_id == handoff_id,
            RelayAction.seq <= up_to_seq,
            RelayAction.acked_at.is_(None),
        )
        .values(acked_at=at)
    )


async def latest_frame(
    session: AsyncSession, tenant_id: str, handoff_id: str, *, after_id: int = 0
) -> RelayFrame | None:
    """The newest frame (newer than `after_id`); older ones are never worth sending to a phone."""
    return (
        await session.execute(
            select(RelayFrame)
            .where(
                RelayFrame.tenant_id == tenant_id,
                RelayFrame.handoff_id == handoff_id,
                RelayFrame.id > after_id,
            )
            .order_by(RelayFrame.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def prune_frames(session: AsyncSession, tenant_id: str, handoff_id: str, keep: int) -> None:
    kept = (
        select(RelayFrame.id)
        .where(RelayFrame.tenant_id == tenant_id, RelayFrame.handoff_id == handoff_id)
        .order_by(RelayFrame.id.desc())
        .limit(keep)
        .scalar_subquery()
    )
    await session.execute(
        delete(RelayFrame).where(
            RelayFrame.tenant_id == tenant_id,
            RelayFrame.handoff_id == handoff_id,
            RelayFrame.id.not_in(kept),
        )
    )


async def purge(session: AsyncSession, tenant_id: str, handoff_id: str) -> Sequence[RelayAction]:
    """A finished handoff keeps no image of the page; returns the actions for the caller to redact."""
    await session.execute(
        delete(RelayFrame).where(RelayFrame.tenant_id == tenant_id, RelayFrame.handoff_id == handoff_id)
    )
    rows = await session.execute(
        select(RelayAction).where(
            RelayAction.tenant_id == tenant_id,
            RelayAction.handoff_id == handoff_id,
            RelayAction.type == "type",
        )
    )
    return list(rows.scalars())

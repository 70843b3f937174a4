"""Every query of the webhooks package."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.problems import NotFound
from app.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.models.base import UTCDateTime
from app.webhooks.retry import Status


async def get_endpoint(session: AsyncSession, tenant_id: str, endpoint_id: str) -> WebhookEndpoint:
    """Another tenant's endpoint and a missing one look the same: 404."""
    endpoint = (
        await session.execute(
            select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.tenant_id == tenant_id)
        )
    ).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(f"No webhook endpoint {endpoint_id} in this tenant.")
    return endpoint


async def list_endpoints(
    session: AsyncSession, tenant_id: str, *, before_id: str | None, limit: int
) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
    if before_id:
        query = query.where(WebhookEndpoint.id < before_id)
    rows = await session.execute(query.order_by(WebhookEndpoint.id.desc()).limit(limit))
    return list(rows.scalars())


async def subscriptions(session: AsyncSession, tenant_id: str) -> list[tuple[str, list[str]]]:
    """(endpoint id, event-type filter) of the tenant's enabled endpoints."""
    rows = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled.is_(True)
        )
    )
    return [(endpoint_id, list(types or [])) for endpoint_id, types in rows]


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    await session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    await session.delete(endpoint)


async def get_delivery(session: AsyncSession, tenant_id: str, delivery_id: str) -> WebhookDelivery:
    delivery = (
        await session.execute(
            select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.tenant_id == tenant_id)
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No webhook delivery {delivery_id} in this tenant.")
    return delivery


async def list_deliveries(
    session: AsyncSession,
    tenant_id: str,
    *,
    endpoint_id: str | None,
    status: str | None,
    before_id: str | None,
    limit: int,
) -> list[WebhookDelivery]:
    """Newest first; ULID ids sort by creation time, so the cursor is the last id seen."""
    query = select(WebhookDelivery).where(WebhookDelivery.tenant_id == tenant_id)
    if endpoint_id:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if before_id:
        query = query.where(WebhookDelivery.id < before_id)
    rows = await session.execute(query.order_by(WebhookDelivery.id.desc()).limit(limit))
    return list(rows.scalars())


async def attempts_of(session: AsyncSession, delivery_id: str) -> list[WebhookAttempt]:
    rows = await session.execute(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(WebhookAttempt.id)
    )
    return list(rows.scalars())


async def requeue_failed_since(session: AsyncSession, endpoint_id: str, since: datetime, now: datetime) -> int:
    result = await session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint_id,
            WebhookDelivery.status == Status.FAILED,
            WebhookDelivery.created_at >= since,
        )
        .values(
            status=Status.PENDING,
            schedule_step=0,
            next_attempt_at=now,
            locked_until=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# The dispatcher's queries.


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        WebhookDelivery.status == Status.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
    )


async def next_due(session: AsyncSession, now: datetime) -> datetime | None:
    """When the next delivery may be claimed: at most `now` if one is claimable already.

    Both lookups walk the (status, next_attempt_at) index. A lease that runs out is noticed by the next poll,
    not timed exactly: only a dispatcher that died leaves one behind.
    """
    due = (
        await session.execute(
            select(WebhookDelivery.next_attempt_at)
            .where(_claimable(now))
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if due is not None:
        return due
    later: datetime | None = (
        await session.execute(
            select(func.min(WebhookDelivery.next_attempt_at)).where(
                WebhookDelivery.status == Status.PENDING, WebhookDelivery.next_attempt_at > now
            )
        )
    ).scalar_one_or_none()
    return later


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, *, skip_locked: bool
) -> list[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Due, unleased deliveries with their endpoints, oldest due first. On PostgreSQL the rows are locked
    with SKIP LOCKED, so concurrent dispatchers each get different rows; SQLite serialises writers anyway."""
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(_claimable(now))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = await session.execute(query)
    return [(delivery, endpoint) for delivery, endpoint in rows]


_deliveries: Table = WebhookDelivery.__table__  # type: ignore[assignment]
_RECORD_OUTCOME = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempt_count=bindparam("b_attempt_count"),
        schedule_step=bindparam("b_schedule_step"),
        next_attempt_at=bindparam("b_next_attempt_at"),
        locked_until=None,
        last_status_code=bindparam("b_last_status_code"),
        last_error=bindparam("b_last_error"),
        updated_at=bindparam("b_updated_at"),
        delivered_at=func.coalesce(bindparam("b_delivered_at", type_=UTCDateTime()), _deliveries.c.delivered_at),
    )
)


async def record_outcomes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One executemany for a batch of outcomes (keys as `_RECORD_OUTCOME` binds them, with a `b_` prefix);
    a None `delivered_at` keeps the stored one."""
    if rows:
        await session.execute(_RECORD_OUTCOME, [{f"b_{key}": value for key, value in row.items()} for row in rows])


async def insert_attempts(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookAttempt), rows)


async def endpoints_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, WebhookEndpoint]:
    rows = await session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
    return {row.id: row for row in rows.scalars()}


async def fail_pending(session: AsyncSession, endpoint_id: str, error: str, now: datetime) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == Status.PENDING)
        .values(status=Status.FAILED, next_attempt_at=None, locked_until=None, last_error=error, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def release_leases(session: AsyncSession, ids: Sequence[str], now: datetime) -> None:
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == Status.PENDING)
        .values(locked_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.problems import NotFound
from app.models import Operator, PushSubscription


async def get_operator(session: AsyncSession, tenant_id: str, operator_id: str) -> Operator:
    operator = (
        await session.execute(select(Operator).where(Operator.id == operator_id, Operator.tenant_id == tenant_id))
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound(f"No operator {operator_id} in this tenant.")
    return operator


async def find_operators(session: AsyncSession, tenant_id: str, ids: Sequence[str]) -> dict[str, Operator]:
    if not ids:
        return {}
    rows = await session.execute(select(Operator).where(Operator.tenant_id == tenant_id, Operator.id.in_(ids)))
    return {o.id: o for o in rows.scalars()}


async def list_operators(session: AsyncSession, tenant_id: str) -> list[Operator]:
    rows = await session.execute(select(Operator).where(Operator.tenant_id == tenant_id).order_by(Operator.id))
    return list(rows.scalars())


async def subscription_counts(session: AsyncSession, operator_ids: Sequence[str]) -> dict[str, int]:
    if not operator_ids:
        return {}
    rows = await session.execute(
        select(PushSubscription.operator_id, func.count())
        .where(PushSubscription.operator_id.in_(operator_ids))
        .group_by(PushSubscription.operator_id)
    )
    return {operator_id: int(count) for operator_id, count in rows.all()}


async def subscriptions_of(session: AsyncSession, operator_id: str) -> list[PushSubscription]:
    rows = await session.execute(
        select(PushSubscription).where(PushSubscription.operator_id == operator_id).order_by(PushSubscription.id)
    )
    return list(rows.scalars())


async def find_subscription(session: AsyncSession, operator_id: str, endpoint: str) -> PushSubscription | None:
    return (
        await session.execute(
            select(PushSubscription).where(
                PushSubscription.operator_id == operator_id, PushSubscription.endpoint == endpoint
            )
        )
    ).scalar_one_or_none()

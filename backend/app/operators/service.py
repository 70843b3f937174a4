from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.ids import new_id
from app.kit.problems import Conflict, NotFound, Unprocessable
from app.kit.timeutil import utcnow
from app.models import EscalationChain, Operator, PushSubscription
from app.operators import repository
from app.operators.schemas import (
    OperatorCreate,
    OperatorOut,
    OperatorUpdate,
    PushSubscriptionIn,
    missing_contact,
)


def operator_out(operator: Operator, subscriptions: int) -> OperatorOut:
    return OperatorOut(
        id=operator.id,
        name=operator.name,
        email=operator.email,
        phone=operator.phone,
        channels=list(operator.channels),
        on_duty=operator.on_duty,
        push_subscriptions=subscriptions,
        created_at=operator.created_at,
        updated_at=operator.updated_at,
    )


async def create_operator(session: AsyncSession, tenant_id: str, body: OperatorCreate) -> Operator:
    now = utcnow()
    operator = Operator(
        id=new_id("operator"),
        tenant_id=tenant_id,
        name=body.name,
        email=body.email,
        phone=body.phone,
        channels=body.channels,
        on_duty=body.on_duty,
        created_at=now,
        updated_at=now,
    )
    session.add(operator)
    await session.flush()
    return operator


async def update_operator(session: AsyncSession, tenant_id: str, operator_id: str, body: OperatorUpdate) -> Operator:
    operator = await repository.get_operator(session, tenant_id, operator_id)
    changes = body.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field in ("name", "channels", "on_duty"):
            raise Unprocessable(f"{field} cannot be null.", field=field)
        setattr(operator, field, value)
    try:
        missing_contact(list(operator.channels), phone=operator.phone, email=operator.email)
    except ValueError as exc:
        raise Unprocessable(str(exc)) from exc
    operator.updated_at = utcnow()
    return operator


async def delete_operator(
    session: AsyncSession, tenant_id: str, operator_id: str, chains: list[EscalationChain]
) -> None:
    operator = await repository.get_operator(session, tenant_id, operator_id)
    using = [c.id for c in chains if any(step.get("operator_id") == operator_id for step in c.steps)]
    if using:
        raise Conflict(
            f"Operator {operator_id} is a step of escalation chain(s) {', '.join(using)}; remove it there first.",
            chains=using,
        )
    await session.execute(delete(PushSubscription).where(PushSubscription.operator_id == operator.id))
    await session.delete(operator)


async def register_subscription(
    session: AsyncSession, tenant_id: str, operator_id: str, body: PushSubscriptionIn
) -> PushSubscription:
    """Idempotent per (operator, endpoint): a phone re-registering refreshes its keys."""
    await repository.get_operator(session, tenant_id, operator_id)
    existing = await repository.find_subscription(session, operator_id, body.endpoint)
    if existing is not None:
        existing.p256dh, existing.auth = body.keys.p256dh, body.keys.auth
        return existing
    subscription = PushSubscription(
        id=new_id("push_subscription"),
        tenant_id=tenant_id,
        operator_id=operator_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        created_at=utcnow(),
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def remove_subscription(session: AsyncSession, tenant_id: str, operator_id: str, subscription_id: str) -> None:
    await repository.get_operator(session, tenant_id, operator_id)
    result = await session.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.operator_id == operator_id
        )
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound(f"No push subscription {subscription_id} for operator {operator_id}.")

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.auth.principal import Admin, Operator, SessionDep
from app.escalation.repository import list_chains
from app.kit.problems import Conflict
from app.operators import repository, service
from app.operators.schemas import (
    OperatorCreate,
    OperatorId,
    OperatorOut,
    OperatorUpdate,
    PushSubscriptionIn,
    PushSubscriptionOut,
    VapidKeyOut,
)
from app.policies.service import list_policies, policies_routing_to
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/operators", tags=["operators"])
push_router = APIRouter(prefix="/push", tags=["operators"])


def _subscription_out(row: object) -> PushSubscriptionOut:
    return PushSubscriptionOut.model_validate(row, from_attributes=True)


@router.post("", status_code=201, response_model=OperatorOut)
async def create_operator(body: OperatorCreate, principal: Admin, session: SessionDep) -> OperatorOut:
    """Add an operator."""
    operator = await service.create_operator(session, principal.tenant_id, body)
    return service.operator_out(operator, 0)


@router.get("", response_model=list[OperatorOut])
async def list_operators(principal: Admin, session: SessionDep) -> list[OperatorOut]:
    """List the tenant's operators."""
    operators = await repository.list_operators(session, principal.tenant_id)
    counts = await repository.subscription_counts(session, [o.id for o in operators])
    return [service.operator_out(o, counts.get(o.id, 0)) for o in operators]


@router.post("/me/push-subscriptions", status_code=201, response_model=PushSubscriptionOut)
async def register_my_subscription(
    body: PushSubscriptionIn, principal: Operator, session: SessionDep
) -> PushSubscriptionOut:
    """Register this phone for push alerts (from the mobile page's operator session)."""
    if principal.operator_id is None:
        raise Conflict(
            "This link was not issued to a named operator, so there is nobody to subscribe. "
            "Ask an admin to add you as an operator."
        )
    row = await service.register_subscription(session, principal.tenant_id, principal.operator_id, body)
    return _subscription_out(row)


@router.get("/{operator_id}", response_model=OperatorOut)
async def get_operator(operator_id: OperatorId, principal: Admin, session: SessionDep) -> OperatorOut:
    """Fetch one operator."""
    operator = await repository.get_operator(session, principal.tenant_id, operator_id)
    counts = await repository.subscription_counts(session, [operator.id])
    return service.operator_out(operator, counts.get(operator.id, 0))


@router.patch("/{operator_id}", response_model=OperatorOut)
async def update_operator(
    operator_id: OperatorId, body: OperatorUpdate, principal: Admin, session: SessionDep
) -> OperatorOut:
    """Change an operator (contacts, channels, on/off duty)."""
    operator = await service.update_operator(session, principal.tenant_id, operator_id, body)
    counts = await repository.subscription_counts(session, [operator.id])
    return service.operator_out(operator, counts.get(operator.id, 0))


@router.delete("/{operator_id}", status_code=204)
async def delete_operator(operator_id: OperatorId, principal: Admin, session: SessionDep) -> Response:
    """Remove an operator who is in no escalation chain."""
    using = policies_routing_to(await list_policies(session, principal.tenant_id), operator_id=operator_id)
    if using:
        raise Conflict(f"Policy {', '.join(using)} routes to operator {operator_id}; change it first.", policies=using)
    chains = await list_chains(session, principal.tenant_id)
    await service.delete_operator(session, principal.tenant_id, operator_id, chains)
    return Response(status_code=204)


@router.get("/{operator_id}/push-subscriptions", response_model=list[PushSubscriptionOut])
async def list_subscriptions(
    operator_id: OperatorId, principal: Admin, session: SessionDep
) -> list[PushSubscriptionOut]:
    """List an operator's registered devices."""
    await repository.get_operator(session, principal.tenant_id, operator_id)
    return [_subscription_out(s) for s in await repository.subscriptions_of(session, operator_id)]


@router.post("/{operator_id}/push-subscriptions", status_code=201, response_model=PushSubscriptionOut)
async def register_subscription(
    operator_id: OperatorId, body: PushSubscriptionIn, principal: Admin, session: SessionDep
) -> PushSubscriptionOut:
    """Register a device for an operator."""
    row = await service.register_subscription(session, principal.tenant_id, operator_id, body)
    return _subscription_out(row)


@router.delete("/{operator_id}/push-subscriptions/{subscription_id}", status_code=204)
async def remove_subscription(
    operator_id: OperatorId, subscription_id: str, principal: Admin, session: SessionDep
) -> Response:
    """Forget a device."""
    await service.remove_subscription(session, principal.tenant_id, operator_id, subscription_id)
    return Response(status_code=204)


@push_router.get("/vapid-public-key", response_model=VapidKeyOut)
async def vapid_public_key(runtime: Annotated[Runtime, Depends(get_runtime)]) -> VapidKeyOut:
    """The server's VAPID public key (applicationServerKey)."""
    return VapidKeyOut(public_key=runtime.vapid.public_key_b64url)

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from app.auth.principal import Admin, SessionDep
from app.policies import service
from app.policies.evaluate import Subject, evaluate
from app.policies.schemas import Decision, DryRunIn, DryRunOut, PolicyCreate, PolicyId, PolicyOut, PolicyUpdate
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/policies", tags=["policies"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@router.post("", status_code=201, response_model=PolicyOut)
async def create_policy(body: PolicyCreate, principal: Admin, session: SessionDep, runtime: RuntimeDep) -> PolicyOut:
    """Create a routing / auto-resolve / TTL policy."""
    return service.policy_out(await service.create_policy(session, runtime.cipher, principal.tenant_id, body))


@router.get("", response_model=list[PolicyOut])
async def list_policies(principal: Admin, session: SessionDep) -> list[PolicyOut]:
    """List policies in evaluation order."""
    return [service.policy_out(p) for p in await service.list_policies(session, principal.tenant_id)]


@router.post("/dry-run", response_model=DryRunOut)
async def dry_run(body: DryRunIn, principal: Admin, session: SessionDep) -> DryRunOut:
    """Show what the policies would decide for a handoff, without creating one."""
    outcome = evaluate(
        await service.list_policies(session, principal.tenant_id),
        Subject(body.interruption_type, body.domain.lower(), body.agent_id),
    )
    return DryRunOut(
        decisions=[Decision.model_validate(d) for d in outcome.decisions],
        route=outcome.route,
        ttl_s=outcome.ttl_s,
        auto_resolve=str(outcome.auto_resolve.action.get("mode")) if outcome.auto_resolve else None,
    )


@router.get("/{policy_id}", response_model=PolicyOut)
async def get_policy(policy_id: PolicyId, principal: Admin, session: SessionDep) -> PolicyOut:
    """Fetch one policy."""
    return service.policy_out(await service.get_policy(session, principal.tenant_id, policy_id))


@router.patch("/{policy_id}", response_model=PolicyOut)
async def update_policy(
    policy_id: PolicyId, body: PolicyUpdate, principal: Admin, session: SessionDep, runtime: RuntimeDep
) -> PolicyOut:
    """Change a policy."""
    policy = await service.update_policy(session, runtime.cipher, principal.tenant_id, policy_id, body)
    return service.policy_out(policy)


@router.delete("/{policy_id}", status_code=204)
async def delete_policy(policy_id: PolicyId, principal: Admin, session: SessionDep) -> Response:
    """Delete a policy."""
    await session.delete(await service.get_policy(session, principal.tenant_id, policy_id))
    return Response(status_code=204)

from fastapi import APIRouter, Response

from app.auth.principal import Admin, SessionDep
from app.escalation import repository, service
from app.escalation.schemas import ChainCreate, ChainId, ChainOut, ChainUpdate
from app.kit.problems import Conflict
from app.policies.service import list_policies, policies_routing_to

router = APIRouter(prefix="/escalation-chains", tags=["escalation"])


@router.post("", status_code=201, response_model=ChainOut)
async def create_chain(body: ChainCreate, principal: Admin, session: SessionDep) -> ChainOut:
    """Create an escalation chain."""
    return service.chain_out(await service.create_chain(session, principal.tenant_id, body))


@router.get("", response_model=list[ChainOut])
async def list_chains(principal: Admin, session: SessionDep) -> list[ChainOut]:
    """List escalation chains."""
    return [service.chain_out(c) for c in await repository.list_chains(session, principal.tenant_id)]


@router.get("/{chain_id}", response_model=ChainOut)
async def get_chain(chain_id: ChainId, principal: Admin, session: SessionDep) -> ChainOut:
    """Fetch one escalation chain."""
    return service.chain_out(await repository.get_chain(session, principal.tenant_id, chain_id))


@router.patch("/{chain_id}", response_model=ChainOut)
async def update_chain(chain_id: ChainId, body: ChainUpdate, principal: Admin, session: SessionDep) -> ChainOut:
    """Change a chain; handoffs already in flight keep the chain they froze with."""
    return service.chain_out(await service.update_chain(session, principal.tenant_id, chain_id, body))


@router.delete("/{chain_id}", status_code=204)
async def delete_chain(chain_id: ChainId, principal: Admin, session: SessionDep) -> Response:
    """Delete a chain; handoffs already in flight keep their snapshot."""
    chain = await repository.get_chain(session, principal.tenant_id, chain_id)
    using = policies_routing_to(await list_policies(session, principal.tenant_id), chain_id=chain.id)
    if using:
        raise Conflict(f"Policy {', '.join(using)} routes to chain {chain.id}; change it first.", policies=using)
    await session.delete(chain)
    return Response(status_code=204)

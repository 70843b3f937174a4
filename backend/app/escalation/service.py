from sqlalchemy.ext.asyncio import AsyncSession

from app.escalation import repository
from app.escalation.schemas import ChainCreate, ChainOut, ChainUpdate, Step
from app.kit.ids import new_id
from app.kit.problems import Unprocessable
from app.kit.timeutil import utcnow
from app.models import EscalationChain
from app.operators.repository import find_operators


def chain_out(chain: EscalationChain) -> ChainOut:
    return ChainOut(
        id=chain.id,
        name=chain.name,
        steps=[Step.model_validate(s) for s in chain.steps],
        repeat=chain.repeat,
        is_default=chain.is_default,
        created_at=chain.created_at,
        updated_at=chain.updated_at,
    )


async def _check_operators(session: AsyncSession, tenant_id: str, steps: list[Step]) -> None:
    wanted = [s.operator_id for s in steps]
    found = await find_operators(session, tenant_id, wanted)
    missing = [o for o in wanted if o not in found]
    if missing:
        raise Unprocessable(f"Unknown operator(s) in steps: {', '.join(dict.fromkeys(missing))}.", field="steps")


async def create_chain(session: AsyncSession, tenant_id: str, body: ChainCreate) -> EscalationChain:
    await _check_operators(session, tenant_id, body.steps)
    if body.is_default:
        await repository.clear_default(session, tenant_id)
    now = utcnow()
    chain = EscalationChain(
        id=new_id("chain"),
        tenant_id=tenant_id,
        name=body.name,
        steps=[s.model_dump() for s in body.steps],
        repeat=body.repeat,
        is_default=body.is_default,
        created_at=now,
        updated_at=now,
    )
    session.add(chain)
    await session.flush()
    return chain


async def update_chain(session: AsyncSession, tenant_id: str, chain_id: str, body: ChainUpdate) -> EscalationChain:
    chain = await repository.get_chain(session, tenant_id, chain_id)
    if body.steps is not None:
        await _check_operators(session, tenant_id, body.steps)
        chain.steps = [s.model_dump() for s in body.steps]
    if body.name is not None:
        chain.name = body.name
    if body.repeat is not None:
        chain.repeat = body.repeat
    if body.is_default is not None:
        if body.is_default and not chain.is_default:
            await repository.clear_default(session, tenant_id)
        chain.is_default = body.is_default
    chain.updated_at = utcnow()
    return chain

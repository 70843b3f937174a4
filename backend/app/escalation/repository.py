from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.problems import NotFound
from app.models import EscalationChain


async def get_chain(session: AsyncSession, tenant_id: str, chain_id: str) -> EscalationChain:
    chain = (
        await session.execute(
            select(EscalationChain).where(EscalationChain.id == chain_id, EscalationChain.tenant_id == tenant_id)
        )
    ).scalar_one_or_none()
    if chain is None:
        raise NotFound(f"No escalation chain {chain_id} in this tenant.")
    return chain


async def list_chains(session: AsyncSession, tenant_id: str) -> list[EscalationChain]:
    rows = await session.execute(
        select(EscalationChain).where(EscalationChain.tenant_id == tenant_id).order_by(EscalationChain.id)
    )
    return list(rows.scalars())


async def default_chain(session: AsyncSession, tenant_id: str) -> EscalationChain | None:
    return (
        await session.execute(
            select(EscalationChain)
            .where(EscalationChain.tenant_id == tenant_id, EscalationChain.is_default.is_(True))
            .limit(1)
        )
    ).scalar_one_or_none()


async def clear_default(session: AsyncSession, tenant_id: str) -> None:
    await session.execute(
        update(EscalationChain)
        .where(EscalationChain.tenant_id == tenant_id, EscalationChain.is_default.is_(True))
        .values(is_default=False)
    )

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.chain import GENESIS_HASH
from app.kit.ids import new_id
from app.kit.problems import NotFound
from app.kit.timeutil import utcnow
from app.models import ChainHead, Tenant


async def create_tenant(session: AsyncSession, name: str) -> Tenant:
    tenant = Tenant(id=new_id("tenant"), name=name, snapshot_key_version=1, created_at=utcnow())
    session.add(tenant)
    await session.flush()
    session.add(ChainHead(tenant_id=tenant.id, seq=0, head_hash=GENESIS_HASH))
    await session.flush()
    return tenant


async def get_tenant(session: AsyncSession, tenant_id: str) -> Tenant:
    tenant = await session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"No tenant {tenant_id}.")
    return tenant


async def find_tenant_by_name(session: AsyncSession, name: str) -> Tenant | None:
    return (
        await session.execute(select(Tenant).where(Tenant.name == name).order_by(Tenant.created_at).limit(1))
    ).scalar_one_or_none()


async def count_tenants(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Tenant))).scalar_one())


async def rotate_snapshot_key(session: AsyncSession, tenant_id: str) -> int:
    """New snapshots use the next key version; older blobs name their version and still decrypt."""
    tenant = await get_tenant(session, tenant_id)
    tenant.snapshot_key_version += 1
    return tenant.snapshot_key_version

import hashlib
import secrets
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.models import ApiKey

API_KEY_PREFIX = "bp_live_"


class Scope(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


async def create_api_key(session: AsyncSession, tenant_id: str, scope: Scope, name: str) -> tuple[str, ApiKey]:
    """Returns the plaintext (shown once, never stored) and the stored row (hash only)."""
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=new_id("api_key"),
        tenant_id=tenant_id,
        name=name,
        scope=str(scope),
        key_hash=hash_api_key(plaintext),
        display_prefix=plaintext[: len(API_KEY_PREFIX) + 6],
        created_at=utcnow(),
        revoked_at=None,
    )
    session.add(row)
    await session.flush()
    return plaintext, row


async def find_active_key(session: AsyncSession, plaintext: str) -> ApiKey | None:
    row = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_api_key(plaintext)))).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return row

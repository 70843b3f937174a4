"""Minting and redeeming operator links, and the sessions they become."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.ids import new_id
from app.kit.problems import Gone
from app.kit.timeutil import utcnow
from app.mobile.tokens import LinkClaims, LinkSigner
from app.models import MobileLink, OperatorSession

SESSION_TOKEN_PREFIX = "bpo_"  # noqa: S105 (a prefix, not a secret)


class LinkAlreadyUsed(Gone):
    slug, title = "link-used", "Link already used"


@dataclass(frozen=True)
class MintedLink:
    url: str
    token: str
    expires_at: datetime
    jti: str


def mobile_url(public_url: str, handoff_id: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/m/{handoff_id}?t={token}"


async def mint_link(
    session: AsyncSession,
    signer: LinkSigner,
    *,
    public_url: str,
    tenant_id: str,
    handoff_id: str,
    operator_id: str | None,
    ttl_s: int,
) -> MintedLink:
    now = utcnow()
    claims = LinkClaims(handoff_id, operator_id, now + timedelta(seconds=ttl_s), new_id("link"))
    session.add(
        MobileLink(
            jti=claims.jti,
            tenant_id=tenant_id,
            handoff_id=handoff_id,
            operator_id=operator_id,
            created_at=now,
            expires_at=claims.expires_at,
            used_at=None,
        )
    )
    token = signer.sign(claims)
    return MintedLink(mobile_url(public_url, handoff_id, token), token, claims.expires_at, claims.jti)


async def consume_link(session: AsyncSession, claims: LinkClaims, tenant_id: str) -> None:
    """Mark the link used, atomically: of two concurrent redeemers exactly one gets past this line."""
    result = await session.execute(
        update(MobileLink)
        .where(
            MobileLink.jti == claims.jti,
            MobileLink.tenant_id == tenant_id,
            MobileLink.handoff_id == claims.handoff_id,
            MobileLink.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if getattr(result, "rowcount", 0) != 1:
        raise LinkAlreadyUsed("This link was already used. Each link opens the handoff once.")


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(
    session: AsyncSession, *, tenant_id: str, handoff_id: str, operator_id: str | None, ttl_s: int
) -> tuple[str, OperatorSession]:
    token = SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = OperatorSession(
        id=new_id("session"),
        token_hash=hash_session_token(token),
        tenant_id=tenant_id,
        handoff_id=handoff_id,
        operator_id=operator_id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.add(row)
    return token, row


async def find_session(session: AsyncSession, token: str) -> OperatorSession | None:
    row = (
        await session.execute(select(OperatorSession).where(OperatorSession.token_hash == hash_session_token(token)))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= utcnow():
        return None
    return row


async def find_link(session: AsyncSession, tenant_id: str, jti: str) -> MobileLink | None:
    return (
        await session.execute(select(MobileLink).where(MobileLink.jti == jti, MobileLink.tenant_id == tenant_id))
    ).scalar_one_or_none()

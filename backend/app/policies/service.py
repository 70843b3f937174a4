from typing import Any

import pyotp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.snapshots import SnapshotCipher
from app.escalation.repository import get_chain
from app.kit.ids import new_id
from app.kit.problems import NotFound
from app.kit.timeutil import utcnow
from app.models import Policy
from app.operators.repository import get_operator
from app.policies.schemas import Action, AutoResolveAction, PolicyCreate, PolicyOut, PolicyUpdate, RouteAction, Trigger

SECRET_KEY_VERSION = 1


def policy_out(policy: Policy) -> PolicyOut:
    action = dict(policy.action)
    if action.get("mode") == "totp":
        action["totp_secret_set"] = policy.secret_blob is not None
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        priority=policy.priority,
        enabled=policy.enabled,
        trigger=Trigger.model_validate(policy.trigger),
        action=action,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


async def list_policies(session: AsyncSession, tenant_id: str) -> list[Policy]:
    rows = await session.execute(
        select(Policy).where(Policy.tenant_id == tenant_id).order_by(Policy.priority, Policy.id)
    )
    return list(rows.scalars())


async def get_policy(session: AsyncSession, tenant_id: str, policy_id: str) -> Policy:
    policy = (
        await session.execute(select(Policy).where(Policy.id == policy_id, Policy.tenant_id == tenant_id))
    ).scalar_one_or_none()
    if policy is None:
        raise NotFound(f"No policy {policy_id} in this tenant.")
    return policy


async def _check_targets(session: AsyncSession, tenant_id: str, action: Action) -> None:
    if isinstance(action, RouteAction):
        if action.chain_id:
            await get_chain(session, tenant_id, action.chain_id)
        if action.operator_id:
            await get_operator(session, tenant_id, action.operator_id)


def _apply_action(policy: Policy, action: Action, cipher: SnapshotCipher) -> None:
    """Store the action without its secret; the TOTP seed is sealed under the tenant's key."""
    stored: dict[str, Any] = action.model_dump(exclude_none=True, exclude={"totp_secret"})
    policy.action = stored
    if isinstance(action, AutoResolveAction) and action.totp_secret:
        policy.secret_blob = cipher.encrypt(
            policy.tenant_id, policy.id, SECRET_KEY_VERSION, action.totp_secret.encode()
        )
    else:
        policy.secret_blob = None


async def create_policy(session: AsyncSession, cipher: SnapshotCipher, tenant_id: str, body: PolicyCreate) -> Policy:
    await _check_targets(session, tenant_id, body.action)
    now = utcnow()
    policy = Policy(
        id=new_id("policy"),
        tenant_id=tenant_id,
        name=body.name,
        priority=body.priority,
        enabled=body.enabled,
        trigger=body.trigger.model_dump(exclude_none=True),
        action={},
        secret_blob=None,
        created_at=now,
        updated_at=now,
    )
    _apply_action(policy, body.action, cipher)
    session.add(policy)
    await session.flush()
    return policy


async def update_policy(
    session: AsyncSession, cipher: SnapshotCipher, tenant_id: str, policy_id: str, body: PolicyUpdate
) -> Policy:
    policy = await get_policy(session, tenant_id, policy_id)
    if body.name is not None:
        policy.name = body.name
    if body.priority is not None:
        policy.priority = body.priority
    if body.enabled is not None:
        policy.enabled = body.enabled
    if body.trigger is not None:
        policy.trigger = body.trigger.model_dump(exclude_none=True)
    if body.action is not None:
        await _check_targets(session, tenant_id, body.action)
        _apply_action(policy, body.action, cipher)
    policy.updated_at = utcnow()
    return policy


def totp_code(policy: Policy, cipher: SnapshotCipher) -> str:
    assert policy.secret_blob is not None
    secret = cipher.decrypt(policy.tenant_id, policy.id, policy.secret_blob).decode()
    return pyotp.TOTP(
        secret, digits=int(policy.action.get("totp_digits", 6)), interval=int(policy.action.get("totp_period_s", 30))
    ).now()


def policies_routing_to(
    policies: list[Policy], *, chain_id: str | None = None, operator_id: str | None = None
) -> list[str]:
    found = []
    for policy in policies:
        action = policy.action
        if action.get("type") != "route":
            continue
        if (chain_id and action.get("chain_id") == chain_id) or (
            operator_id and action.get("operator_id") == operator_id
        ):
            found.append(policy.id)
    return found

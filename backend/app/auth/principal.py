"""Who is calling: an agent or admin API key, or an operator session bound to one handoff."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import API_KEY_PREFIX, Scope, find_active_key
from app.db import get_session
from app.kit.problems import Forbidden, NotFound, Unauthorized
from app.lifecycle.states import ActorType
from app.lifecycle.transition import Actor
from app.mobile.service import SESSION_TOKEN_PREFIX, find_session

OPERATOR_COOKIE = "bp_operator"

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    kind: ActorType  # AGENT, ADMIN or OPERATOR
    key_id: str | None = None
    operator_id: str | None = None
    session_id: str | None = None
    handoff_id: str | None = None
    """For an operator session: the one handoff it may act on."""

    @property
    def actor(self) -> Actor:
        if self.kind is ActorType.OPERATOR:
            return Actor(ActorType.OPERATOR, self.operator_id or self.session_id)
        return Actor(self.kind, self.key_id)

    def ensure_handoff(self, handoff_id: str) -> None:
        """An operator session sees its own handoff only; any other id is simply not found."""
        if self.handoff_id is not None and self.handoff_id != handoff_id:
            raise NotFound(f"No handoff {handoff_id} in this tenant.")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.")
    return token.strip()


async def _resolve(request: Request, session: AsyncSession) -> Principal | None:
    token = _bearer(request)
    if token is None:
        token = request.cookies.get(OPERATOR_COOKIE)
    if token is None:
        return None
    if token.startswith(API_KEY_PREFIX):
        key = await find_active_key(session, token)
        if key is None:
            raise Unauthorized("This API key is unknown or revoked.")
        kind = ActorType.ADMIN if key.scope == Scope.ADMIN else ActorType.AGENT
        return Principal(tenant_id=key.tenant_id, kind=kind, key_id=key.id)
    if token.startswith(SESSION_TOKEN_PREFIX):
        row = await find_session(session, token)
        if row is None:
            raise Unauthorized("This operator session is unknown or expired; open the handoff link again.")
        return Principal(
            tenant_id=row.tenant_id,
            kind=ActorType.OPERATOR,
            operator_id=row.operator_id,
            session_id=row.id,
            handoff_id=row.handoff_id,
        )
    raise Unauthorized("Unrecognised credential: expected an API key (bp_live_…) or an operator session.")


def requires(*kinds: ActorType) -> object:
    allowed = frozenset(kinds)

    async def dependency(request: Request, session: SessionDep) -> Principal:
        principal = await _resolve(request, session)
        if principal is None:
            raise Unauthorized("Authentication required: send 'Authorization: Bearer <API key>'.")
        if principal.kind not in allowed:
            names = " or ".join(sorted(str(k) for k in allowed))
            raise Forbidden(f"This endpoint needs {names} credentials; this credential is {principal.kind}.")
        return principal

    return Depends(dependency)


AgentOrAdmin = Annotated[Principal, requires(ActorType.AGENT, ActorType.ADMIN)]
Admin = Annotated[Principal, requires(ActorType.ADMIN)]
Operator = Annotated[Principal, requires(ActorType.OPERATOR)]
AnyPrincipal = Annotated[Principal, requires(ActorType.AGENT, ActorType.ADMIN, ActorType.OPERATOR)]

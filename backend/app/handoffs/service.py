import hashlib
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.handoffs import repository
from app.handoffs.pipeline import advance_new_handoff
from app.handoffs.retention import public_resolution, purge_ended
from app.handoffs.schemas import (
    CompletedBody,
    FailBody,
    HandoffCreate,
    HandoffCreated,
    HandoffOut,
    ResolutionAction,
)
from app.handoffs.snapshot_checks import check_snapshot
from app.kit.ids import new_id
from app.kit.problems import NotFound, Unprocessable
from app.kit.timeutil import utcnow
from app.lifecycle.states import ActorType, State
from app.lifecycle.transition import SERVER, Actor, RequestContext, begin_lifecycle, transition
from app.mobile.service import consume_link, open_session
from app.models import Handoff, IdempotencyKey, OperatorSession, Tenant
from app.runtime import Runtime


def handoff_out(handoff: Handoff) -> HandoffOut:
    return HandoffOut(
        id=handoff.id,
        state=State(handoff.state),
        agent_id=handoff.agent_id,
        interruption_type=handoff.interruption_type,
        domain=handoff.domain,
        url=handoff.url,
        task=handoff.task,
        metadata=handoff.extra,
        operator_id=handoff.operator_id,
        failure_reason=handoff.failure_reason,
        task_outcome=handoff.task_outcome,
        version=handoff.version,
        created_at=handoff.created_at,
        updated_at=handoff.updated_at,
        expires_at=handoff.expires_at,
    )


class IdempotencyMismatch(Unprocessable):
    slug, title = "idempotency-key-reused", "Idempotency-Key reused"


def _request_fingerprint(body: HandoffCreate) -> str:
    return hashlib.sha256(orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()


class HandoffService:
    def __init__(self, session: AsyncSession, runtime: Runtime, context: RequestContext) -> None:
        self.session = session
        self.runtime = runtime
        self.bus = runtime.bus
        self.context = context

    async def create(
        self, principal: Principal, body: HandoffCreate, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        """Create, classify, freeze and notify; replays the stored response for a repeated Idempotency-Key."""
        tenant = await self.session.get(Tenant, principal.tenant_id)
        if tenant is None:
            raise NotFound("This API key's tenant no longer exists.")
        fingerprint = _request_fingerprint(body) if idempotency_key else ""
        if idempotency_key:
            replay = await self._claim_idempotency_key(tenant.id, idempotency_key, fingerprint)
            if replay is not None:
                return replay

        check_snapshot(body.snapshot, self.runtime.settings.snapshot_max_bytes)
        now = utcnow()
        handoff = Handoff(
            id=new_id("handoff"),
            tenant_id=tenant.id,
            agent_id=body.agent_id,
            interruption_type=body.interruption_type,
            domain=body.domain,
            url=body.url,
            task=body.task,
            extra=body.metadata,
            failure_reason=None,
            operator_id=None,
            opened_at=None,
            resolution=None,
            task_outcome=None,
            created_at=now,
            updated_at=now,
            expires_at=now + timedelta(seconds=self.runtime.settings.handoff_ttl_s),
        )
        await begin_lifecycle(
            self.session,
            self.bus,
            handoff,
            principal.actor,
            payload={
                "agent_id": body.agent_id,
                "interruption_type": body.interruption_type,
                "domain": body.domain,
            },
            context=self.context,
        )
        result = await advance_new_handoff(self.session, self.runtime, tenant, handoff, body.snapshot, self.context)
        await self.session.flush()  # the response shows the row's final version
        created = HandoffCreated(
            **handoff_out(handoff).model_dump(),
            mobile_url=result.link.url if result.link else None,
            mobile_url_expires_at=result.link.expires_at if result.link else None,
        )
        response = created.model_dump(mode="json")
        if idempotency_key:
            stored = await repository.get_idempotency_key(self.session, tenant.id, idempotency_key)
            assert stored is not None
            stored.status_code = 201
            # The link is a credential: a replay gets the handoff, not a second copy of the link.
            stored.response_body = {**response, "mobile_url": None, "mobile_url_expires_at": None}
        return 201, response

    async def _claim_idempotency_key(
        self, tenant_id: str, key: str, fingerprint: str
    ) -> tuple[int, dict[str, Any]] | None:
        existing = await repository.get_idempotency_key(self.session, tenant_id, key)
        ttl = timedelta(seconds=self.runtime.settings.idempotency_ttl_s)
        if existing is not None and existing.created_at < utcnow() - ttl:
            await self.session.delete(existing)  # remembered for a day (setting), then the key is free again
            await self.session.flush()
            existing = None
        if existing is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(
                        IdempotencyKey(
                            tenant_id=tenant_id,
                            key=key,
                            request_hash=fingerprint,
                            status_code=None,
                            response_body=None,
                            created_at=utcnow(),
                        )
                    )
                return None
            except IntegrityError:
                existing = await repository.get_idempotency_key(self.session, tenant_id, key)
                assert existing is not None
        if existing.request_hash != fingerprint:
            raise IdempotencyMismatch(
                f"Idempotency-Key '{key}' was already used with a different request body.",
                idempotency_key=key,
            )
        if existing.status_code is None or existing.response_body is None:
            raise IdempotencyMismatch(f"A request with Idempotency-Key '{key}' is still being processed; retry.")
        return existing.status_code, existing.response_body

    async def get(self, principal: Principal, handoff_id: str) -> Handoff:
        principal.ensure_handoff(handoff_id)
        return await repository.get_handoff(self.session, principal.tenant_id, handoff_id)

    async def open(self, handoff_id: str, token: str) -> tuple[Handoff, str, OperatorSession]:
        """Redeem a signed link: verify it, consume its jti, move to `opened`, start an operator session."""
        claims = self.runtime.links.verify(token, handoff_id=handoff_id, now=utcnow())
        tenant_id = await repository.find_handoff_tenant(self.session, handoff_id)
        if tenant_id is None:
            raise NotFound(f"No handoff {handoff_id}.")
        await consume_link(self.session, claims, tenant_id)
        operator = Actor(ActorType.OPERATOR, claims.operator_id or f"link:{claims.jti}")
        handoff, _ = await transition(
            self.session, self.bus, tenant_id, handoff_id, State.OPENED, operator,
            payload={"operator_id": claims.operator_id, "link": claims.jti},
            context=self.context,
        )  # fmt: skip
        token_value, operator_session = await open_session(
            self.session,
            tenant_id=tenant_id,
            handoff_id=handoff_id,
            operator_id=claims.operator_id,
            ttl_s=self.runtime.settings.operator_session_ttl_s,
        )
        handoff.operator_id = claims.operator_id
        handoff.opened_at = utcnow()
        await self.session.flush()
        return handoff, token_value, operator_session

    async def _settled(self, handoff: Handoff) -> Handoff:
        """Flush before answering, so the response shows the row's final version."""
        await self.session.flush()
        return handoff

    async def _move(
        self,
        principal: Principal,
        handoff_id: str,
        to: State,
        *,
        reason: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Handoff:
        principal.ensure_handoff(handoff_id)
        handoff, _ = await transition(
            self.session, self.bus, principal.tenant_id, handoff_id, to, principal.actor,
            reason=reason, payload=payload, context=self.context,
        )  # fmt: skip
        return handoff

    async def solving(self, principal: Principal, handoff_id: str) -> Handoff:
        return await self._settled(await self._move(principal, handoff_id, State.SOLVING))

    async def resolve(self, principal: Principal, handoff_id: str, action: ResolutionAction) -> Handoff:
        """solved, then at once resume_requested: the agent's event stream carries the action."""
        resolution = action.model_dump()
        current = await self.get(principal, handoff_id)
        assisted = _seconds_since(current.opened_at or current.created_at)
        handoff = await self._move(
            principal,
            handoff_id,
            State.SOLVED,
            payload={"action": public_resolution(resolution), "human_assist_seconds": assisted},
        )
        handoff.resolution = resolution
        handoff, _ = await transition(
            self.session, self.bus, principal.tenant_id, handoff_id, State.RESUME_REQUESTED, SERVER,
            context=self.context,
        )  # fmt: skip
        return await self._settled(handoff)

    async def expire(self, principal: Principal, handoff_id: str, note: str | None) -> Handoff:
        handoff = await self._move(principal, handoff_id, State.EXPIRED, payload={"note": note} if note else {})
        await purge_ended(self.session, handoff)
        return await self._settled(handoff)

    async def fail(self, principal: Principal, handoff_id: str, body: FailBody) -> Handoff:
        handoff = await self._move(
            principal,
            handoff_id,
            State.FAILED,
            reason=body.reason,
            payload={"detail": body.detail} if body.detail else {},
        )
        handoff.failure_reason = body.reason
        await purge_ended(self.session, handoff)
        return await self._settled(handoff)

    async def resumed(self, principal: Principal, handoff_id: str) -> Handoff:
        handoff = await self._move(principal, handoff_id, State.RESUMED)
        handoff.resolution = None
        return await self._settled(handoff)

    async def completed(self, principal: Principal, handoff_id: str, body: CompletedBody) -> Handoff:
        handoff = await self._move(
            principal,
            handoff_id,
            State.COMPLETED,
            payload={"task_outcome": body.task_outcome, **({"detail": body.detail} if body.detail else {})},
        )
        handoff.task_outcome = body.task_outcome
        await purge_ended(self.session, handoff)
        return await self._settled(handoff)


def _seconds_since(moment: datetime) -> int:
    return max(0, round((utcnow() - moment).total_seconds()))

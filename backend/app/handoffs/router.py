from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from app.audit.trace import trace_record
from app.auth.principal import OPERATOR_COOKIE, Admin, AgentOrAdmin, AnyPrincipal, Operator, SessionDep
from app.handoffs import repository
from app.handoffs.events import handoff_stream
from app.handoffs.schemas import (
    CompletedBody,
    ExpireBody,
    FailBody,
    HandoffCreate,
    HandoffCreated,
    HandoffHistory,
    HandoffId,
    HandoffOut,
    HandoffPage,
    OpenBody,
    OpenedOut,
    ResolveBody,
    TraceRecord,
)
from app.handoffs.service import HandoffService, handoff_out
from app.kit.http import request_context
from app.lifecycle.states import ActorType, State
from app.runtime import Runtime, get_runtime

router = APIRouter(prefix="/handoffs", tags=["handoffs"])

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _service(request: Request, session: SessionDep, runtime: RuntimeDep) -> HandoffService:
    return HandoffService(session, runtime, request_context(request))


ServiceDep = Annotated[HandoffService, Depends(_service)]


@router.post("", status_code=201, response_model=HandoffCreated)
async def create_handoff(
    body: HandoffCreate,
    principal: AgentOrAdmin,
    service: ServiceDep,
    idempotency_key: Annotated[str | None, Header(max_length=255, min_length=1)] = None,
) -> JSONResponse:
    """Report a stuck moment: classify, freeze and notify an operator."""
    status, payload = await service.create(principal, body, idempotency_key)
    return JSONResponse(payload, status_code=status, headers=NO_STORE)


@router.get("", response_model=HandoffPage)
async def list_handoffs(
    principal: AgentOrAdmin,
    session: SessionDep,
    state: Annotated[list[State] | None, Query()] = None,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    interruption_type: Annotated[str | None, Query(pattern="^(captcha|twofa|approval|other)$")] = None,
    domain: Annotated[str | None, Query(max_length=253)] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    cursor: Annotated[str | None, Query(pattern=r"^h_[0-9A-HJKMNP-TV-Z]{26}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> HandoffPage:
    """List handoffs, newest first, with filters and cursor pagination."""
    rows = await repository.list_handoffs(
        session,
        principal.tenant_id,
        states=[str(s) for s in state or []],
        agent_id=agent_id,
        interruption_type=interruption_type,
        domain=domain,
        created_after=created_after,
        created_before=created_before,
        before_id=cursor,
        limit=limit + 1,
    )
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return HandoffPage(items=[handoff_out(h) for h in rows[:limit]], next_cursor=next_cursor)


@router.get("/{handoff_id}", response_model=HandoffOut)
async def get_handoff(handoff_id: HandoffId, principal: AnyPrincipal, service: ServiceDep) -> HandoffOut:
    """Fetch one handoff."""
    return handoff_out(await service.get(principal, handoff_id))


@router.post("/{handoff_id}/open", response_model=OpenedOut)
async def open_handoff(
    handoff_id: HandoffId, body: OpenBody, service: ServiceDep, runtime: RuntimeDep, response: Response
) -> OpenedOut:
    """Redeem a signed single-use link; starts an operator session for this handoff."""
    handoff, token, operator_session = await service.open(handoff_id, body.token)
    response.set_cookie(
        OPERATOR_COOKIE,
        token,
        max_age=runtime.settings.operator_session_ttl_s,
        httponly=True,
        samesite="strict",
        secure=runtime.settings.secure_cookies,
        path="/",
    )
    response.headers.update(NO_STORE)
    return OpenedOut(handoff=handoff_out(handoff), session_token=token, session_expires_at=operator_session.expires_at)


@router.post("/{handoff_id}/solving", response_model=HandoffOut)
async def start_solving(handoff_id: HandoffId, principal: Operator, service: ServiceDep) -> HandoffOut:
    """Mark the operator's first interaction."""
    return handoff_out(await service.solving(principal, handoff_id))


@router.post("/{handoff_id}/resolve", response_model=HandoffOut)
async def resolve_handoff(
    handoff_id: HandoffId, body: ResolveBody, principal: Operator, service: ServiceDep
) -> HandoffOut:
    """Submit the operator's action; the agent is signalled to resume."""
    return handoff_out(await service.resolve(principal, handoff_id, body.action))


@router.post("/{handoff_id}/expire", response_model=HandoffOut)
async def expire_handoff(
    handoff_id: HandoffId, principal: Admin, service: ServiceDep, body: ExpireBody | None = None
) -> HandoffOut:
    """Expire a handoff that has not been solved; its links die."""
    return handoff_out(await service.expire(principal, handoff_id, body.note if body else None))


@router.post("/{handoff_id}/fail", response_model=HandoffOut)
async def fail_handoff(
    handoff_id: HandoffId, body: FailBody, principal: AnyPrincipal, service: ServiceDep
) -> HandoffOut:
    """Fail a handoff with a reason code."""
    return handoff_out(await service.fail(principal, handoff_id, body))


@router.post("/{handoff_id}/resumed", response_model=HandoffOut)
async def acknowledge_resumed(handoff_id: HandoffId, principal: AgentOrAdmin, service: ServiceDep) -> HandoffOut:
    """The agent acknowledges it resumed from the frozen state."""
    return handoff_out(await service.resumed(principal, handoff_id))


@router.post("/{handoff_id}/completed", response_model=HandoffOut)
async def report_completed(
    handoff_id: HandoffId, principal: AgentOrAdmin, service: ServiceDep, body: CompletedBody | None = None
) -> HandoffOut:
    """The agent reports that its original task finished."""
    return handoff_out(await service.completed(principal, handoff_id, body or CompletedBody()))


@router.get("/{handoff_id}/history", response_model=HandoffHistory)
async def handoff_history(handoff_id: HandoffId, principal: AgentOrAdmin, session: SessionDep) -> HandoffHistory:
    """The handoff's fine-grained history: classifier verdict, policy decisions, every notification attempt."""
    await repository.get_handoff(session, principal.tenant_id, handoff_id)
    rows = await repository.trace_of(session, principal.tenant_id, handoff_id)
    return HandoffHistory(items=[TraceRecord.model_validate(trace_record(r)) for r in rows])


@router.get(
    "/{handoff_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def handoff_events(
    handoff_id: HandoffId,
    principal: AnyPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> EventSourceResponse:
    """Stream this handoff's lifecycle events (SSE); ends after a terminal state."""
    principal.ensure_handoff(handoff_id)
    await repository.get_handoff(session, principal.tenant_id, handoff_id)
    return await handoff_stream(
        runtime,
        session,
        tenant_id=principal.tenant_id,
        handoff_id=handoff_id,
        last_event_id=last_event_id,
        with_resolution=principal.kind is not ActorType.OPERATOR,
    )

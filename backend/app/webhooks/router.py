from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from app.auth.principal import Admin, SessionDep
from app.kit.ids import id_pattern
from app.kit.problems import Unprocessable
from app.kit.timeutil import parse_rfc3339
from app.runtime import Runtime, get_runtime
from app.webhooks.schemas import (
    DeliveryDetail,
    DeliveryId,
    DeliveryOut,
    DeliveryPage,
    DeliveryStatus,
    EndpointCreate,
    EndpointCreated,
    EndpointId,
    EndpointOut,
    EndpointPage,
    EndpointUpdate,
    ReplayQueued,
    SecretRotated,
)
from app.webhooks.service import WebhookService, delivery_out, endpoint_out

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NO_STORE = {"Cache-Control": "no-store"}


def _service(principal: Admin, session: SessionDep, runtime: RuntimeDep) -> WebhookService:
    return WebhookService(session, runtime, principal.tenant_id)


ServiceDep = Annotated[WebhookService, Depends(_service)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post("/endpoints", status_code=201, response_model=EndpointCreated)
async def create_endpoint(body: EndpointCreate, service: ServiceDep) -> JSONResponse:
    """Add a webhook endpoint; the response carries its secret, shown this once."""
    endpoint, secret = await service.create(body)
    created = EndpointCreated(**endpoint_out(endpoint).model_dump(), secret=secret)
    return JSONResponse(created.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.get("/endpoints", response_model=EndpointPage)
async def list_endpoints(
    service: ServiceDep,
    cursor: Annotated[str | None, Query(pattern=id_pattern("webhook_endpoint"))] = None,
    limit: Limit = 50,
) -> EndpointPage:
    """List webhook endpoints, newest first."""
    rows = await service.list_endpoints(cursor, limit + 1)
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return EndpointPage(items=[endpoint_out(e) for e in rows[:limit]], next_cursor=next_cursor)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: EndpointId, service: ServiceDep) -> EndpointOut:
    """Fetch one webhook endpoint (never its secret)."""
    return endpoint_out(await service.get(endpoint_id))


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointOut)
async def update_endpoint(endpoint_id: EndpointId, body: EndpointUpdate, service: ServiceDep) -> EndpointOut:
    """Change an endpoint's URL, description, event filter or enabled flag."""
    return endpoint_out(await service.update(endpoint_id, body))


@router.delete("/endpoints/{endpoint_id}", status_code=204)
async def delete_endpoint(endpoint_id: EndpointId, service: ServiceDep) -> Response:
    """Delete an endpoint with its deliveries and attempts."""
    await service.delete(endpoint_id)
    return Response(status_code=204)


@router.post("/endpoints/{endpoint_id}/rotate-secret", response_model=SecretRotated)
async def rotate_secret(endpoint_id: EndpointId, service: ServiceDep) -> JSONResponse:
    """Issue a new secret (shown once); the old one keeps signing for the grace period."""
    endpoint, secret = await service.rotate_secret(endpoint_id)
    rotated = SecretRotated(secret=secret, previous_secret_expires_at=endpoint.previous_secret_expires_at)
    return JSONResponse(rotated.model_dump(mode="json"), headers=NO_STORE)


@router.post("/endpoints/{endpoint_id}/replay", status_code=202, response_model=ReplayQueued)
async def replay_endpoint(
    endpoint_id: EndpointId,
    service: ServiceDep,
    since: Annotated[str, Query(max_length=64, description="RFC 3339; failed deliveries created since.")],
) -> ReplayQueued:
    """Queue again every failed delivery of this endpoint created since a time."""
    try:
        moment: datetime = parse_rfc3339(since)
    except ValueError as exc:
        raise Unprocessable(
            f"'since' must be an RFC 3339 timestamp such as 2026-05-14T03:42:11Z; got '{since}'.", field="since"
        ) from exc
    return ReplayQueued(queued=await service.replay_failed_since(endpoint_id, moment))


@router.get("/deliveries", response_model=DeliveryPage)
async def list_deliveries(
    service: ServiceDep,
    endpoint_id: Annotated[str | None, Query(pattern=id_pattern("webhook_endpoint"))] = None,
    status: DeliveryStatus | None = None,
    cursor: Annotated[str | None, Query(pattern=id_pattern("delivery"))] = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """List deliveries, newest first, by endpoint and status."""
    rows = await service.list_deliveries(endpoint_id, status, cursor, limit + 1)
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return DeliveryPage(items=[delivery_out(d) for d in rows[:limit]], next_cursor=next_cursor)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(delivery_id: DeliveryId, service: ServiceDep) -> DeliveryDetail:
    """Fetch one delivery with every attempt."""
    return await service.delivery_detail(delivery_id)


@router.post("/deliveries/{delivery_id}/replay", status_code=202, response_model=DeliveryOut)
async def replay_delivery(delivery_id: DeliveryId, service: ServiceDep) -> DeliveryOut:
    """Send one delivery again, with the same webhook-id."""
    return delivery_out(await service.replay(delivery_id))

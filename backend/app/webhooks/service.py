"""Endpoint management and replay for one tenant's admins."""

from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit
from app.kit.ids import new_id
from app.kit.problems import Conflict, NotFound, Unprocessable
from app.kit.timeutil import utcnow
from app.models import Tenant, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.runtime import Runtime
from app.webhooks import repository
from app.webhooks.outbox import wake_dispatchers
from app.webhooks.retry import Status
from app.webhooks.schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
)
from app.webhooks.signing import format_secret, generate_secret
from app.webhooks.ssrf import TargetRefused, check_url


class InvalidWebhookUrl(Unprocessable):
    slug, title = "invalid-webhook-url", "Webhook URL refused"


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types or []),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        failing_since=endpoint.failing_since,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    payload: dict[str, Any] = orjson.loads(delivery.payload)
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        handoff_id=delivery.handoff_id,
        status=delivery.status,
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.next_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        payload=payload,
    )


def attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        started_at=attempt.started_at,
        status_code=attempt.status_code,
        latency_ms=attempt.latency_ms,
        response_excerpt=attempt.response_excerpt,
        error=attempt.error,
        outcome=attempt.outcome,
    )


class WebhookService:
    def __init__(self, session: AsyncSession, runtime: Runtime, tenant_id: str) -> None:
        self.session = session
        self.runtime = runtime
        self.settings = runtime.settings
        self.tenant_id = tenant_id

    async def _check_url(self, url: str) -> None:
        try:
            await check_url(
                url,
                allow_http=self.settings.webhook_allow_http,
                allow_private=self.settings.webhook_allow_private_targets,
            )
        except TargetRefused as exc:
            raise InvalidWebhookUrl(
                f"The webhook URL is refused: {exc}.", errors=[{"field": "url", "message": str(exc)}]
            ) from exc

    async def _seal(self, endpoint_id: str, key: bytes) -> bytes:
        tenant = await self.session.get(Tenant, self.tenant_id)
        if tenant is None:
            raise NotFound("This API key's tenant no longer exists.")
        return self.runtime.cipher.encrypt(self.tenant_id, endpoint_id, tenant.snapshot_key_version, key)

    async def create(self, body: EndpointCreate) -> tuple[WebhookEndpoint, str]:
        """A new endpoint and its secret in `whsec_` form: the only time the secret leaves the server."""
        await self._check_url(body.url)
        now = utcnow()
        endpoint_id = new_id("webhook_endpoint")
        key = generate_secret()
        endpoint = WebhookEndpoint(
            id=endpoint_id,
            tenant_id=self.tenant_id,
            url=body.url,
            description=body.description,
            event_types=sorted(set(body.event_types)),
            enabled=body.enabled,
            disabled_reason=None,
            disabled_at=None,
            failing_since=None,
            secret=await self._seal(endpoint_id, key),
            previous_secret=None,
            previous_secret_expires_at=None,
            created_at=now,
            updated_at=now,
        )
        self.session.add(endpoint)
        return endpoint, format_secret(key)

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        return await repository.get_endpoint(self.session, self.tenant_id, endpoint_id)

    async def update(self, endpoint_id: str, body: EndpointUpdate) -> WebhookEndpoint:
        endpoint = await self.get(endpoint_id)
        if body.url is not None and body.url != endpoint.url:
            await self._check_url(body.url)
            endpoint.url = body.url
        if body.description is not None:
            endpoint.description = body.description
        if body.event_types is not None:
            endpoint.event_types = sorted(set(body.event_types))
        if body.enabled is not None and body.enabled != endpoint.enabled:
            endpoint.enabled = body.enabled
            if body.enabled:
                endpoint.disabled_reason = None
                endpoint.disabled_at = None
                endpoint.failing_since = None
            else:
                endpoint.disabled_reason = "disabled by an admin"
                endpoint.disabled_at = utcnow()
        endpoint.updated_at = utcnow()
        return endpoint

    async def delete(self, endpoint_id: str) -> None:
        await repository.delete_endpoint(self.session, await self.get(endpoint_id))

    async def rotate_secret(self, endpoint_id: str) -> tuple[WebhookEndpoint, str]:
        """A new secret signs from now on; the one it replaces also signs for the grace period."""
        endpoint = await self.get(endpoint_id)
        now = utcnow()
        key = generate_secret()
        grace = self.settings.webhook_rotation_grace_s
        if grace > 0:
            endpoint.previous_secret = endpoint.secret
            endpoint.previous_secret_expires_at = now + timedelta(seconds=grace)
        else:
            endpoint.previous_secret = None
            endpoint.previous_secret_expires_at = None
        endpoint.secret = await self._seal(endpoint.id, key)
        endpoint.updated_at = now
        return endpoint, format_secret(key)

    async def list_endpoints(self, before_id: str | None, limit: int) -> list[WebhookEndpoint]:
        return await repository.list_endpoints(self.session, self.tenant_id, before_id=before_id, limit=limit)

    async def list_deliveries(
        self, endpoint_id: str | None, status: str | None, before_id: str | None, limit: int
    ) -> list[WebhookDelivery]:
        if endpoint_id:
            await self.get(endpoint_id)
        return await repository.list_deliveries(
            self.session,
            self.tenant_id,
            endpoint_id=endpoint_id,
            status=status,
            before_id=before_id,
            limit=limit,
        )

    async def delivery_detail(self, delivery_id: str) -> DeliveryDetail:
        delivery = await repository.get_delivery(self.session, self.tenant_id, delivery_id)
        attempts = await repository.attempts_of(self.session, delivery.id)
        return DeliveryDetail(**delivery_out(delivery).model_dump(), attempts=[attempt_out(a) for a in attempts])

    async def replay(self, delivery_id: str) -> WebhookDelivery:
        """Send one delivery again, with the same `webhook-id`, starting the retry schedule afresh."""
        delivery = await repository.get_delivery(self.session, self.tenant_id, delivery_id)
        endpoint = await self.get(delivery.endpoint_id)
        self._ensure_enabled(endpoint)
        now = utcnow()
        if delivery.locked_until is not None and delivery.locked_until > now:
            raise Conflict(
                f"An attempt of {delivery_id} is in flight; replay it once it has finished.",
                delivery_id=delivery_id,
            )
        delivery.status = Status.PENDING
        delivery.schedule_step = 0
        delivery.next_attempt_at = now
        delivery.updated_at = now
        after_commit(self.session, wake_dispatchers(self.runtime.bus))
        return delivery

    async def replay_failed_since(self, endpoint_id: str, since: datetime) -> int:
        """Queue again every failed delivery of the endpoint created at or after `since`."""
        endpoint = await self.get(endpoint_id)
        self._ensure_enabled(endpoint)
        queued = await repository.requeue_failed_since(self.session, endpoint.id, since, utcnow())
        if queued:
            after_commit(self.session, wake_dispatchers(self.runtime.bus))
        return queued

    @staticmethod
    def _ensure_enabled(endpoint: WebhookEndpoint) -> None:
        if not endpoint.enabled:
            raise Conflict(
                f"Webhook endpoint {endpoint.id} is disabled ({endpoint.disabled_reason}); enable it before replaying.",
                endpoint_id=endpoint.id,
            )

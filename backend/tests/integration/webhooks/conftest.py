"""Webhook fixtures: settings that let the dispatcher reach a loopback receiver quickly, the receiver, and an
admin helper that leaves no delivery pending behind it (the database is shared by the whole session)."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from conftest import TenantKeys
from sqlalchemy import update

from app.config import Settings
from app.db import Database
from app.models import WebhookDelivery

from .receiver import Receiver

FAST_WEBHOOKS: dict[str, Any] = {
    "webhook_allow_private_targets": True,
    "webhook_allow_http": True,
    "webhook_retry_scale": 0.001,
    "webhook_poll_s": 0.2,
    "webhook_attempt_timeout_s": 2.0,
    "webhook_lease_s": 1.0,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "webhook_settings(**values): settings this test's app runs with")


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    marker = request.node.get_closest_marker("webhook_settings")
    return settings.model_copy(update={**FAST_WEBHOOKS, **(marker.kwargs if marker else {})})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


class Hooks:
    """The webhooks admin API as one tenant's admin."""

    def __init__(self, client: httpx.AsyncClient, tenant: TenantKeys) -> None:
        self.client = client
        self.tenant = tenant
        self.headers = tenant.admin

    async def create_endpoint(self, url: str, **fields: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/webhooks/endpoints", json={"url": url, **fields}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get_json(self, path: str, **params: Any) -> Any:
        response = await self.client.get(f"/api/v1/webhooks{path}", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def deliveries(self, **params: Any) -> list[dict[str, Any]]:
        page = await self.get_json("/deliveries", limit=200, **params)
        items: list[dict[str, Any]] = page["items"]
        return items

    async def delivery(self, msg_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = await self.get_json(f"/deliveries/{msg_id}")
        return detail

    async def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        endpoint: dict[str, Any] = await self.get_json(f"/endpoints/{endpoint_id}")
        return endpoint


async def settle(database: Database, tenant_id: str) -> None:
    """Fail whatever the test left pending, so no later test's dispatcher sends it to a closed port."""
    async with database.transaction() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.status == "pending")
            .values(status="failed", next_attempt_at=None, last_error="test finished")
        )


@pytest.fixture
async def hooks(client: httpx.AsyncClient, tenant: TenantKeys, database: Database) -> AsyncIterator[Hooks]:
    yield Hooks(client, tenant)
    await settle(database, tenant.tenant_id)

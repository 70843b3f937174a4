"""Endpoint management: CRUD, the secret shown once and stored encrypted, URL checks, tenant isolation."""

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from conftest import TenantKeys, make_tenant
from fastapi import FastAPI

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import WebhookEndpoint
from app.runtime import Runtime

from .conftest import Hooks

ENDPOINTS = "/api/v1/webhooks/endpoints"


async def test_create_returns_the_secret_once_and_never_again(hooks: Hooks) -> None:
    response = await hooks.client.post(
        ENDPOINTS,
        json={"url": "http://127.0.0.1:9/hook", "description": "ops", "event_types": ["handoff.notified"]},
        headers=hooks.headers,
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert created["id"].startswith("whe_")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    assert created["enabled"] is True
    assert created["event_types"] == ["handoff.notified"]

    fetched = await hooks.endpoint(created["id"])
    listed = (await hooks.get_json("/endpoints"))["items"]
    assert "secret" not in fetched
    assert all("secret" not in item for item in listed)
    assert created["secret"].removeprefix("whsec_") not in str(listed) + str(fetched)
    assert [item["id"] for item in listed] == [created["id"]]


async def test_secret_is_stored_encrypted_and_bound_to_its_endpoint(
    hooks: Hooks, database: Database, app: FastAPI
) -> None:
    created = await hooks.create_endpoint("http://127.0.0.1:9/hook")
    key = base64.b64decode(created["secret"].removeprefix("whsec_"))
    async with database.readers() as session:
        row = await session.get(WebhookEndpoint, created["id"])
    assert row is not None
    assert key not in row.secret
    runtime: Runtime = app.state.runtime
    assert runtime.cipher.decrypt(row.tenant_id, row.id, row.secret) == key
    with pytest.raises(Exception, match="does not authenticate"):
        runtime.cipher.decrypt(row.tenant_id, "whe_01JDQ7ZK8X3M9V2N4B6C8D0E1F", row.secret)


async def test_update_and_delete(hooks: Hooks) -> None:
    created = await hooks.create_endpoint("http://127.0.0.1:9/a")
    path = f"{ENDPOINTS}/{created['id']}"
    response = await hooks.client.patch(
        path,
        json={"url": "http://127.0.0.1:9/b", "description": "new", "event_types": ["handoff.solved"]},
        headers=hooks.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["url"], updated["description"], updated["event_types"]) == (
        "http://127.0.0.1:9/b",
        "new",
        ["handoff.solved"],
    )
    disabled = (await hooks.client.patch(path, json={"enabled": False}, headers=hooks.headers)).json()
    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "disabled by an admin")
    enabled = (await hooks.client.patch(path, json={"enabled": True}, headers=hooks.headers)).json()
    assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)

    assert (await hooks.client.delete(path, headers=hooks.headers)).status_code == 204
    assert (await hooks.client.get(path, headers=hooks.headers)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/x", "event_types": ["handoff.exploded"]}, "event_types.0"),
        ({"url": "http://127.0.0.1:9/x", "colour": "red"}, "colour"),
        ({"url": ""}, "url"),
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "http://user:pw@127.0.0.1:9/x"}, "url"),
        ({"url": "http:///nohost"}, "url"),
    ],
)
async def test_invalid_bodies_are_problem_details(hooks: Hooks, body: dict[str, object], field: str) -> None:
    response = await hooks.client.post(ENDPOINTS, json=body, headers=hooks.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert field in [error["field"] for error in problem["errors"]], problem


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, TenantKeys]]:
    """An app with the production defaults: https only, public addresses only."""
    strict = settings.model_copy(
        update={"webhook_allow_private_targets": False, "webhook_allow_http": False, "webhook_dispatcher": False}
    )
    application = create_app(strict)
    async with LifespanManager(application):
        tenant = await make_tenant(application.state.runtime.database, "strict")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, tenant


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "must use https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://localhost:8443/hook", "localhost resolves to"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:127.0.0.1]/hook", "embedding 127.0.0.1"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://100.64.0.1/hook", "not a publicly routable"),
    ],
)
async def test_ssrf_guard_refuses_non_public_targets(
    strict_client: tuple[httpx.AsyncClient, TenantKeys], url: str, reason: str
) -> None:
    client, tenant = strict_client
    response = await client.post(ENDPOINTS, json={"url": url}, headers=tenant.admin)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/invalid-webhook-url")
    assert reason in problem["detail"], problem["detail"]
    assert problem["errors"][0]["field"] == "url"


async def test_ssrf_guard_accepts_a_public_https_address(
    strict_client: tuple[httpx.AsyncClient, TenantKeys],
) -> None:
    client, tenant = strict_client
    response = await client.post(ENDPOINTS, json={"url": "https://93.184.216.34/hook"}, headers=tenant.admin)
    assert response.status_code == 201, response.text
    moved = await client.patch(
        f"{ENDPOINTS}/{response.json()['id']}", json={"url": "https://10.0.0.1/"}, headers=tenant.admin
    )
    assert moved.status_code == 422
    assert "private" in moved.json()["detail"]
    await client.delete(f"{ENDPOINTS}/{response.json()['id']}", headers=tenant.admin)


async def test_another_tenants_endpoint_is_404(
    hooks: Hooks, other_tenant: TenantKeys, client: httpx.AsyncClient
) -> None:
    theirs = await Hooks(client, other_tenant).create_endpoint("http://127.0.0.1:9/theirs")
    path = f"{ENDPOINTS}/{theirs['id']}"
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"description": "mine now"}),
        ("DELETE", "", None),
        ("POST", "/rotate-secret", None),
        ("POST", "/replay?since=2020-01-01T00:00:00Z", None),
    ):
        response = await client.request(method, path + suffix, json=body, headers=hooks.headers)
        assert response.status_code == 404, (method, suffix, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    listed = await client.get(ENDPOINTS, headers=hooks.headers)
    assert listed.json()["items"] == []
    deliveries = await client.get(
        "/api/v1/webhooks/deliveries", params={"endpoint_id": theirs["id"]}, headers=hooks.headers
    )
    assert deliveries.status_code == 404
    still = await client.get(path, headers=other_tenant.admin)
    assert still.json()["description"] == ""


async def test_agent_keys_cannot_manage_webhooks(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.post(ENDPOINTS, json={"url": "http://127.0.0.1:9/x"}, headers=tenant.agent)
    assert response.status_code == 403
    assert (await client.get(ENDPOINTS)).status_code == 401


async def test_endpoint_listing_paginates(hooks: Hooks) -> None:
    ids = [(await hooks.create_endpoint(f"http://127.0.0.1:9/{n}"))["id"] for n in range(3)]
    first = await hooks.get_json("/endpoints", limit=2)
    second = await hooks.get_json("/endpoints", limit=2, cursor=first["next_cursor"])
    assert [e["id"] for e in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None

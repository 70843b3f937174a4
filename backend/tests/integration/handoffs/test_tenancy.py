"""Every handoff route answers 404 for another tenant's handoff, exactly as for a missing one."""

import httpx
import pytest
from conftest import TenantKeys
from support.flows import create_handoff, link_token

ROUTES = [
    ("GET", "", None, ("agent", "admin")),
    ("POST", "/expire", None, ("admin",)),
    ("POST", "/fail", {"reason": "internal_error"}, ("agent", "admin")),
    ("POST", "/resumed", None, ("agent",)),
    ("POST", "/completed", {"task_outcome": "success"}, ("agent",)),
    ("GET", "/events", None, ("agent", "admin")),
]


@pytest.mark.parametrize(("method", "suffix", "body", "callers"), ROUTES)
async def test_another_tenants_handoff_is_404(
    client: httpx.AsyncClient,
    tenant: TenantKeys,
    other_tenant: TenantKeys,
    method: str,
    suffix: str,
    body: dict[str, object] | None,
    callers: tuple[str, ...],
) -> None:
    theirs = await create_handoff(client, other_tenant.agent)
    for caller in callers:
        headers = tenant.agent if caller == "agent" else tenant.admin
        response = await client.request(method, f"/api/v1/handoffs/{theirs['id']}{suffix}", json=body, headers=headers)
        assert response.status_code == 404, (suffix, caller, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    state = (await client.get(f"/api/v1/handoffs/{theirs['id']}", headers=other_tenant.agent)).json()["state"]
    assert state == "notified"


async def test_listing_shows_only_own_handoffs(
    client: httpx.AsyncClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    mine = await create_handoff(client, tenant.agent)
    await create_handoff(client, other_tenant.agent)
    listed = (await client.get("/api/v1/handoffs", headers=tenant.agent)).json()["items"]
    assert [h["id"] for h in listed] == [mine["id"]]


async def test_operator_of_another_tenant_cannot_reach_the_handoff(
    client: httpx.AsyncClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    mine = await create_handoff(client, tenant.agent)
    theirs = await create_handoff(client, other_tenant.agent)
    opened = await client.post(
        f"/api/v1/handoffs/{theirs['id']}/open", json={"token": link_token(theirs["mobile_url"])}
    )
    client.cookies.clear()
    operator = {"Authorization": f"Bearer {opened.json()['session_token']}"}
    for suffix in ("/solving", "/resolve"):
        response = await client.post(
            f"/api/v1/handoffs/{mine['id']}{suffix}", json={"action": {"type": "approve"}}, headers=operator
        )
        assert response.status_code == 404


async def test_audit_export_is_per_tenant(
    client: httpx.AsyncClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    await create_handoff(client, tenant.agent)
    theirs = await create_handoff(client, other_tenant.agent)
    export = await client.get("/api/v1/audit/export.jsonl", headers=tenant.admin)
    assert theirs["id"] not in export.text
    assert other_tenant.tenant_id not in export.text

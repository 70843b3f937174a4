from datetime import timedelta

import httpx
import pytest
from conftest import TenantKeys
from support.flows import create_handoff, drive_to_completed, link_token, open_handoff

from app.kit.timeutil import utcnow
from app.mobile.tokens import LinkClaims


async def test_full_happy_path_reaches_completed(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    final = await drive_to_completed(client, tenant.agent, created)
    assert final["state"] == "completed"
    assert final["task_outcome"] == "success"


async def test_resolve_moves_on_to_resume_requested(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    operator = await open_handoff(client, created)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/resolve", json={"action": {"type": "approve"}}, headers=operator
    )
    assert response.json()["state"] == "resume_requested"


async def test_illegal_transition_is_409_naming_the_current_state(
    client: httpx.AsyncClient, tenant: TenantKeys
) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.post(f"/api/v1/handoffs/{created['id']}/resumed", headers=tenant.agent)
    assert response.status_code == 409
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["current_state"] == "notified"
    assert "'notified'" in problem["detail"]
    assert problem["allowed_targets"]


async def test_completed_handoff_cannot_be_failed(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    await drive_to_completed(client, tenant.agent, created)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/fail", json={"reason": "internal_error"}, headers=tenant.agent
    )
    assert response.status_code == 409
    assert response.json()["current_state"] == "completed"


async def test_link_works_once(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    await open_handoff(client, created)
    again = await client.post(
        f"/api/v1/handoffs/{created['id']}/open", json={"token": link_token(created["mobile_url"])}
    )
    assert again.status_code == 410
    assert again.json()["detail"].startswith("This link was already used")


async def test_tampered_link_is_401(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    token = link_token(created["mobile_url"])
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = await client.post(f"/api/v1/handoffs/{created['id']}/open", json={"token": forged})
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


async def test_link_for_another_handoff_is_401(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    first = await create_handoff(client, tenant.agent)
    second = await create_handoff(client, tenant.agent)
    response = await client.post(
        f"/api/v1/handoffs/{second['id']}/open", json={"token": link_token(first["mobile_url"])}
    )
    assert response.status_code == 401
    assert "different handoff" in response.json()["detail"]


async def test_expired_link_is_410(client: httpx.AsyncClient, tenant: TenantKeys, app: object) -> None:
    created = await create_handoff(client, tenant.agent)
    signer = app.state.runtime.links  # type: ignore[attr-defined]
    stale = signer.sign(LinkClaims(created["id"], None, utcnow() - timedelta(seconds=1), "lnk_x"))
    response = await client.post(f"/api/v1/handoffs/{created['id']}/open", json={"token": stale})
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


async def test_open_sets_a_strict_httponly_session_cookie(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/open", json={"token": link_token(created["mobile_url"])}
    )
    cookie = response.headers["set-cookie"]
    assert "bp_operator=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert response.headers["cache-control"] == "no-store"
    solving = await client.post(f"/api/v1/handoffs/{created['id']}/solving")  # the cookie alone
    assert solving.status_code == 200


async def test_operator_session_only_reaches_its_own_handoff(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    first = await create_handoff(client, tenant.agent)
    second = await create_handoff(client, tenant.agent)
    operator = await open_handoff(client, first)
    assert (await client.get(f"/api/v1/handoffs/{second['id']}", headers=operator)).status_code == 404
    response = await client.post(f"/api/v1/handoffs/{second['id']}/solving", headers=operator)
    assert response.status_code == 404


async def test_agent_cannot_resolve_its_own_handoff(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/resolve",
        json={"action": {"type": "approve"}},
        headers=tenant.agent,
    )
    assert response.status_code == 403


async def test_expire_needs_admin_and_kills_the_link(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    hid = created["id"]
    assert (await client.post(f"/api/v1/handoffs/{hid}/expire", headers=tenant.agent)).status_code == 403
    expired = await client.post(f"/api/v1/handoffs/{hid}/expire", json={"note": "stale"}, headers=tenant.admin)
    assert expired.json()["state"] == "expired"
    response = await client.post(f"/api/v1/handoffs/{hid}/open", json={"token": link_token(created["mobile_url"])})
    assert response.status_code == 409
    assert response.json()["current_state"] == "expired"


@pytest.mark.parametrize("reason", ["operator_declined", "resume_failed", "domain_changed", "agent_cancelled"])
async def test_fail_records_the_reason(client: httpx.AsyncClient, tenant: TenantKeys, reason: str) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/fail", json={"reason": reason, "detail": "x"}, headers=tenant.agent
    )
    assert response.json()["state"] == "failed"
    assert response.json()["failure_reason"] == reason


async def test_fail_with_an_unknown_reason_is_422(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/fail", json={"reason": "bored"}, headers=tenant.agent
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


async def test_resolve_rejects_a_malformed_action(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    created = await create_handoff(client, tenant.agent)
    operator = await open_handoff(client, created)
    response = await client.post(
        f"/api/v1/handoffs/{created['id']}/resolve",
        json={"action": {"type": "otp", "code": "12; DROP"}},
        headers=operator,
    )
    assert response.status_code == 422


async def test_unknown_handoff_id_and_malformed_id(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    missing = await client.get("/api/v1/handoffs/h_01ARZ3NDEKTSV4RRFFQ69G5FAV", headers=tenant.agent)
    assert missing.status_code == 404
    malformed = await client.get("/api/v1/handoffs/not-an-id", headers=tenant.agent)
    assert malformed.status_code == 422


async def test_healthz_checks_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_responses_carry_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"].startswith("req_")


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"

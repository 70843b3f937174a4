"""Operators, escalation chains and policies: validation, tenancy, and the rules that keep them consistent."""

import httpx
import pyotp
import pytest
from conftest import TenantKeys


async def _op(client: httpx.AsyncClient, keys: TenantKeys, **fields: object) -> dict[str, object]:
    response = await client.post(
        "/api/v1/operators", json={"name": "jordan", "channels": ["console"], **fields}, headers=keys.admin
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "415-555-0100", "channels": ["sms"]}, "E.164"),
        ({"channels": ["sms"]}, "need a phone number"),
        ({"channels": ["email"]}, "needs an email"),
        ({"channels": ["pigeon"]}, "unknown channel"),
        ({"channels": ["console", "console"]}, "once"),
        ({"email": "not-an-email"}, "email address"),
        ({"nickname": "x"}, "Extra inputs"),
    ],
)
async def test_operator_validation(
    client: httpx.AsyncClient, tenant: TenantKeys, fields: dict[str, object], message: str
) -> None:
    response = await client.post(
        "/api/v1/operators", json={"name": "x", "channels": ["console"], **fields}, headers=tenant.admin
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.text


async def test_operator_crud(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    op = await _op(client, tenant, phone="+14155550100", channels=["sms", "console"])
    assert str(op["id"]).startswith("op_")
    listed = (await client.get("/api/v1/operators", headers=tenant.admin)).json()
    assert [o["id"] for o in listed] == [op["id"]]
    patched = await client.patch(f"/api/v1/operators/{op['id']}", json={"on_duty": False}, headers=tenant.admin)
    assert patched.json()["on_duty"] is False
    cleared = await client.patch(f"/api/v1/operators/{op['id']}", json={"phone": None}, headers=tenant.admin)
    assert cleared.status_code == 422  # sms still needs the phone
    assert (await client.delete(f"/api/v1/operators/{op['id']}", headers=tenant.admin)).status_code == 204
    assert (await client.get(f"/api/v1/operators/{op['id']}", headers=tenant.admin)).status_code == 404


async def test_operators_need_admin_and_are_per_tenant(
    client: httpx.AsyncClient, tenant: TenantKeys, other_tenant: TenantKeys
) -> None:
    op = await _op(client, tenant)
    assert (await client.get("/api/v1/operators", headers=tenant.agent)).status_code == 403
    theirs = await client.get(f"/api/v1/operators/{op['id']}", headers=other_tenant.admin)
    assert theirs.status_code == 404
    chain = await client.post(
        "/api/v1/escalation-chains",
        json={"name": "steal", "steps": [{"operator_id": op["id"], "timeout_s": 5}]},
        headers=other_tenant.admin,
    )
    assert chain.status_code == 422
    assert "Unknown operator" in chain.json()["detail"]


async def test_chain_crud_and_single_default(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    op = await _op(client, tenant)
    body = {"name": "a", "steps": [{"operator_id": op["id"], "timeout_s": 30}], "is_default": True}
    first = (await client.post("/api/v1/escalation-chains", json=body, headers=tenant.admin)).json()
    second = (await client.post("/api/v1/escalation-chains", json={**body, "name": "b"}, headers=tenant.admin)).json()
    chains = {c["id"]: c for c in (await client.get("/api/v1/escalation-chains", headers=tenant.admin)).json()}
    assert chains[first["id"]]["is_default"] is False
    assert chains[second["id"]]["is_default"] is True
    in_use = await client.delete(f"/api/v1/operators/{op['id']}", headers=tenant.admin)
    assert in_use.status_code == 409
    assert first["id"] in in_use.json()["detail"]
    bad = await client.post(
        "/api/v1/escalation-chains",
        json={"name": "x", "steps": [{"operator_id": op["id"], "timeout_s": 0}], "repeat": 9},
        headers=tenant.admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"steps.0.timeout_s", "repeat"}


async def test_chain_used_by_a_policy_cannot_be_deleted(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    op = await _op(client, tenant)
    chain = (
        await client.post(
            "/api/v1/escalation-chains",
            json={"name": "c", "steps": [{"operator_id": op["id"]}]},
            headers=tenant.admin,
        )
    ).json()
    policy = await client.post(
        "/api/v1/policies",
        json={"name": "p", "action": {"type": "route", "chain_id": chain["id"]}},
        headers=tenant.admin,
    )
    assert policy.status_code == 201
    response = await client.delete(f"/api/v1/escalation-chains/{chain['id']}", headers=tenant.admin)
    assert response.status_code == 409
    assert policy.json()["id"] in response.json()["detail"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"type": "route"}, "exactly one of chain_id or operator_id"),
        ({"type": "route", "chain_id": "chn_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "No escalation chain"),
        ({"type": "auto_resolve", "mode": "totp"}, "needs totp_secret"),
        ({"type": "auto_resolve", "mode": "totp", "totp_secret": "not base32 at all!!"}, "base32"),
        ({"type": "ttl", "seconds": 1}, "greater than or equal to 10"),
        ({"type": "teleport"}, "type"),
    ],
)
async def test_policy_validation(
    client: httpx.AsyncClient, tenant: TenantKeys, action: dict[str, object], message: str
) -> None:
    response = await client.post("/api/v1/policies", json={"name": "p", "action": action}, headers=tenant.admin)
    assert response.status_code in (404, 422), response.text
    assert message in response.text


async def test_dry_run_explains_every_decision(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    op = await _op(client, tenant)
    bodies = [
        {"name": "sf route", "priority": 1, "trigger": {"domain": "*.salesforce.com"},
         "action": {"type": "route", "operator_id": op["id"]}},
        {"name": "sf totp", "priority": 2, "trigger": {"interruption_type": "twofa", "agent_id": "agent_sf_*"},
         "action": {"type": "auto_resolve", "mode": "totp", "totp_secret": pyotp.random_base32()}},
        {"name": "other route", "priority": 3, "trigger": {}, "action": {"type": "route", "operator_id": op["id"]}},
        {"name": "captcha ttl", "priority": 4, "trigger": {"interruption_type": "captcha"},
         "action": {"type": "ttl", "seconds": 60}},
    ]  # fmt: skip
    for body in bodies:
        assert (await client.post("/api/v1/policies", json=body, headers=tenant.admin)).status_code == 201
    result = (
        await client.post(
            "/api/v1/policies/dry-run",
            json={"interruption_type": "twofa", "domain": "eu.salesforce.com", "agent_id": "agent_sf_7"},
            headers=tenant.admin,
        )
    ).json()
    assert result["route"]["operator_id"] == op["id"]
    assert result["auto_resolve"] == "totp"
    assert result["ttl_s"] is None
    assert [(d["name"], d["matched"], d["applied"]) for d in result["decisions"]] == [
        ("sf route", True, True),
        ("sf totp", True, True),
        ("other route", True, False),
        ("captcha ttl", False, False),
    ]
    assert "shadowed" in result["decisions"][2]["why"]
    assert "interruption_type is twofa" in result["decisions"][3]["why"]


async def test_policies_are_per_tenant(client: httpx.AsyncClient, tenant: TenantKeys, other_tenant: TenantKeys) -> None:
    body = {"name": "p", "action": {"type": "ttl", "seconds": 60}}
    policy = (await client.post("/api/v1/policies", json=body, headers=tenant.admin)).json()
    assert (await client.get(f"/api/v1/policies/{policy['id']}", headers=other_tenant.admin)).status_code == 404
    assert (await client.get("/api/v1/policies", headers=other_tenant.admin)).json() == []


async def test_vapid_key_is_public_and_stable(client: httpx.AsyncClient) -> None:
    first = (await client.get("/api/v1/push/vapid-public-key")).json()["public_key"]
    second = (await client.get("/api/v1/push/vapid-public-key")).json()["public_key"]
    assert first == second
    assert len(first) == 87  # 65-byte uncompressed P-256 point, base64url without padding


async def test_an_operator_session_registers_its_own_phone(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    from support.flows import create_handoff, open_handoff

    created = await create_handoff(client, tenant.agent)  # console route: a link for no named operator
    operator = await open_handoff(client, created)
    subscription = {
        "endpoint": "https://push.example.net/abc",
        "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
    }
    response = await client.post("/api/v1/operators/me/push-subscriptions", json=subscription, headers=operator)
    assert response.status_code == 409
    assert "not issued to a named operator" in response.json()["detail"]

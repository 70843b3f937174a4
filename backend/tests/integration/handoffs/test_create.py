import base64
import re
from datetime import timedelta

import httpx
from conftest import TenantKeys
from sqlalchemy import select
from support.flows import create_handoff
from support.payloads import PLAIN_ARTICLE, handoff_body

from app.db import Database
from app.models import IdempotencyKey, Snapshot

ULID_ID = re.compile(r"^h_[0-9A-HJKMNP-TV-Z]{26}$")


async def test_create_runs_the_pipeline_to_notified_with_a_signed_link(
    client: httpx.AsyncClient, tenant: TenantKeys
) -> None:
    created = await create_handoff(client, tenant.agent)

    assert ULID_ID.match(created["id"])
    assert created["state"] == "notified"
    assert created["mobile_url"].startswith(f"http://testserver/m/{created['id']}?t=")
    assert created["mobile_url_expires_at"] is not None
    assert created["expires_at"] > created["created_at"]


async def test_create_records_every_pipeline_step_in_the_event_stream(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database
) -> None:
    created = await create_handoff(client, tenant.agent)
    response = await client.get("/api/v1/audit/export.jsonl", headers=tenant.admin)
    states = [line for line in response.text.splitlines() if created["id"] in line]
    assert [s.split('"to_state":"')[1].split('"')[0] for s in states] == [
        "created",
        "detected",
        "frozen",
        "notified",
    ]


async def test_snapshot_is_stored_encrypted(client: httpx.AsyncClient, tenant: TenantKeys, database: Database) -> None:
    created = await create_handoff(client, tenant.agent)
    async with database.readers() as session:
        snapshot = (await session.execute(select(Snapshot).where(Snapshot.handoff_id == created["id"]))).scalar_one()
    assert snapshot.blob is not None
    assert b"s3cr3t" not in snapshot.blob
    assert b"one-time-code" not in snapshot.blob
    assert snapshot.viewport == {"width": 1280, "height": 800, "device_scale_factor": 1.0}


async def test_a_page_with_no_human_only_blocker_is_rejected_by_the_classifier(
    client: httpx.AsyncClient, tenant: TenantKeys
) -> None:
    body = handoff_body()
    body["snapshot"]["dom"] = PLAIN_ARTICLE
    response = await client.post("/api/v1/handoffs", json=body, headers=tenant.agent)
    assert response.status_code == 201
    assert response.json()["state"] == "failed"
    assert response.json()["failure_reason"] == "classifier_rejected"
    assert response.json()["mobile_url"] is None


async def test_snapshot_with_a_password_value_is_refused(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    body = handoff_body()
    body["snapshot"]["dom"] += '<input type="password" name="pw" value="hunter2">'
    response = await client.post("/api/v1/handoffs", json=body, headers=tenant.agent)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "password" in response.json()["detail"]
    assert "hunter2" not in response.text


async def test_snapshot_over_the_size_limit_is_413(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    body = handoff_body()
    body["snapshot"]["dom"] += "<!--" + "x" * (9 * 1024 * 1024) + "-->"
    response = await client.post("/api/v1/handoffs", json=body, headers=tenant.agent)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 8 * 1024 * 1024


async def test_screenshot_that_is_not_an_image_is_422(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    body = handoff_body()
    body["snapshot"]["screenshot"] = base64.b64encode(b"not an image").decode()
    response = await client.post("/api/v1/handoffs", json=body, headers=tenant.agent)
    assert response.status_code == 422
    assert "PNG, JPEG or WebP" in response.json()["detail"]


async def test_invalid_body_names_every_bad_field(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    body = handoff_body(interruption_type="sudoku", url="ftp://x")
    del body["agent_id"]
    response = await client.post("/api/v1/handoffs", json=body, headers=tenant.agent)
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/unprocessable")
    fields = {e["field"] for e in problem["errors"]}
    assert {"agent_id", "interruption_type", "url"} <= fields


async def test_url_outside_the_declared_domain_is_422(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.post(
        "/api/v1/handoffs", json=handoff_body(url="https://evil.test/2fa"), headers=tenant.agent
    )
    assert response.status_code == 422
    assert "not within domain" in response.text


async def test_malformed_json_is_a_problem(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    response = await client.post(
        "/api/v1/handoffs",
        content=b"{not json",
        headers={**tenant.agent, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_missing_or_wrong_api_key_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/handoffs", json=handoff_body())).status_code == 401
    response = await client.post(
        "/api/v1/handoffs", json=handoff_body(), headers={"Authorization": "Bearer bp_live_nope"}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_idempotency_key_replays_the_same_handoff(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    headers = {**tenant.agent, "Idempotency-Key": "run-42-step-7"}
    first = await client.post("/api/v1/handoffs", json=handoff_body(), headers=headers)
    second = await client.post("/api/v1/handoffs", json=handoff_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    listing = await client.get("/api/v1/handoffs", headers=tenant.agent)
    assert len(listing.json()["items"]) == 1


async def test_idempotency_key_with_a_different_body_is_refused(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    headers = {**tenant.agent, "Idempotency-Key": "k1"}
    await client.post("/api/v1/handoffs", json=handoff_body(), headers=headers)
    response = await client.post("/api/v1/handoffs", json=handoff_body(task="other"), headers=headers)
    assert response.status_code == 422
    assert "different request body" in response.json()["detail"]


async def test_list_filters_and_paginates_newest_first(client: httpx.AsyncClient, tenant: TenantKeys) -> None:
    ids = [(await create_handoff(client, tenant.agent, agent_id=f"agent_{i % 2}"))["id"] for i in range(5)]
    page = (await client.get("/api/v1/handoffs?limit=2", headers=tenant.agent)).json()
    assert [h["id"] for h in page["items"]] == ids[::-1][:2]
    seen = [h["id"] for h in page["items"]]
    while page["next_cursor"]:
        page = (await client.get(f"/api/v1/handoffs?limit=2&cursor={page['next_cursor']}", headers=tenant.agent)).json()
        seen += [h["id"] for h in page["items"]]
    assert seen == ids[::-1]
    only = (await client.get("/api/v1/handoffs?agent_id=agent_1&state=notified", headers=tenant.agent)).json()
    assert {h["id"] for h in only["items"]} == {ids[1], ids[3]}
    bad = await client.get("/api/v1/handoffs?state=nonsense", headers=tenant.agent)
    assert bad.status_code == 422


async def test_an_oversized_request_body_is_refused_before_parsing(
    client: httpx.AsyncClient, tenant: TenantKeys
) -> None:
    response = await client.post(
        "/api/v1/handoffs",
        content=b"{" + b" " * (12 * 1024 * 1024) + b"}",
        headers={**tenant.agent, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "request body is over" in response.json()["detail"]


async def test_idempotency_key_is_forgotten_after_its_ttl(
    client: httpx.AsyncClient, tenant: TenantKeys, database: Database
) -> None:
    headers = {**tenant.agent, "Idempotency-Key": "old-key"}
    first = (await client.post("/api/v1/handoffs", json=handoff_body(), headers=headers)).json()
    async with database.transaction() as session:
        row = await session.get(IdempotencyKey, (tenant.tenant_id, "old-key"))
        assert row is not None
        row.created_at = row.created_at - timedelta(days=2)
    second = (await client.post("/api/v1/handoffs", json=handoff_body(task="new"), headers=headers)).json()
    assert second["id"] != first["id"]

"""Real deliveries to a local receiver, verified with the public `standardwebhooks` package."""

import asyncio
import time
from typing import Any

import httpx
import pytest
import standardwebhooks
from asgi_lifespan import LifespanManager
from conftest import make_tenant
from fastapi import FastAPI
from sqlalchemy import select
from support.flows import create_handoff, drive_to_completed

from app.config import Settings
from app.db import Database
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.main import create_app
from app.models import HandoffEvent, TraceEvent, WebhookDelivery, WebhookEndpoint
from app.runtime import Runtime

from .conftest import Hooks, settle
from .receiver import Received, Receiver, Reply

CREATION_EVENTS = ["handoff.created", "handoff.detected", "handoff.frozen", "handoff.notified"]
THIN_KEYS = {"handoff_id", "state", "from_state", "occurred_at"}


def events_of(received: list[Received], secret: str) -> list[dict[str, Any]]:
    return [r.verify(secret) for r in received]


async def test_a_handoff_is_delivered_signed_in_order_with_the_documented_payloads(
    hooks: Hooks, receiver: Receiver, database: Database
) -> None:
    endpoint = await hooks.create_endpoint(receiver.url("/all"))
    created = await create_handoff(hooks.client, hooks.tenant.agent)

    received = await receiver.wait_count("/all", 4)
    events = events_of(received, endpoint["secret"])
    assert sorted(e["type"] for e in events) == sorted(CREATION_EVENTS)
    by_type = {e["type"]: e for e in events}
    for request in received:
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == "BatonPass-Webhooks/1"
        assert request.headers["webhook-id"].startswith("msg_")
        assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
        assert request.headers["webhook-signature"].startswith("v1,")
    assert len({r.headers["webhook-id"] for r in received}) == 4

    assert by_type["handoff.created"]["data"] == {
        "handoff_id": created["id"],
        "agent_id": "agent_outbound_sf",
        "interruption_type": "twofa",
        "domain": "example.com",
        "created_at": by_type["handoff.created"]["data"]["created_at"],
    }
    async with database.readers() as session:
        notified_event = (
            await session.execute(
                select(HandoffEvent).where(
                    HandoffEvent.handoff_id == created["id"], HandoffEvent.to_state == "notified"
                )
            )
        ).scalar_one()
    notified = by_type["handoff.notified"]
    assert notified["data"] == {
        "handoff_id": created["id"],
        "operator_id": notified_event.payload.get("operator_id"),
        "channel": notified_event.payload["channel"],
        "notified_at": notified_event.occurred_at,
    }
    assert notified["timestamp"] == notified_event.occurred_at
    assert by_type["handoff.frozen"]["data"].keys() == THIN_KEYS
    assert by_type["handoff.frozen"]["data"]["from_state"] == "detected"
    body = b"".join(r.body for r in received)
    assert b"s3cr3t" not in body
    assert b"<html" not in body.lower()

    deliveries = await hooks.deliveries(endpoint_id=endpoint["id"])
    assert {d["id"] for d in deliveries} == {r.headers["webhook-id"] for r in received}
    msg_id = received[0].headers["webhook-id"]
    detail = await _wait_status(hooks, msg_id, "delivered")
    assert detail["attempt_count"] == 1
    [attempt] = detail["attempts"]
    assert (attempt["number"], attempt["status_code"], attempt["outcome"]) == (1, 200, "delivered")
    assert attempt["response_excerpt"] == "ok"
    assert attempt["latency_ms"] > 0
    assert detail["payload"] == received[0].verify(endpoint["secret"])

    async with database.readers() as session:
        traces = (
            await session.execute(
                select(TraceEvent).where(TraceEvent.handoff_id == created["id"], TraceEvent.kind == "webhook.attempt")
            )
        ).scalars()
        assert {t.data["delivery_id"] for t in traces} >= {msg_id}


async def _wait_status(hooks: Hooks, msg_id: str, status: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The receiver sees a request before its outcome is written: wait for the record."""
    deadline = time.monotonic() + timeout_s
    while True:
        detail = await hooks.delivery(msg_id)
        if detail["status"] == status:
            return detail
        assert time.monotonic() < deadline, f"{msg_id} stayed {detail['status']}: {detail}"
        await _sleep()


async def _sleep() -> None:
    await asyncio.sleep(0.02)


async def test_the_whole_lifecycle_reaches_the_receiver(hooks: Hooks, receiver: Receiver) -> None:
    endpoint = await hooks.create_endpoint(receiver.url("/life"))
    created = await create_handoff(hooks.client, hooks.tenant.agent)
    await drive_to_completed(hooks.client, hooks.tenant.agent, created)
    expired = await create_handoff(hooks.client, hooks.tenant.agent)
    assert (
        await hooks.client.post(f"/api/v1/handoffs/{expired['id']}/expire", headers=hooks.headers)
    ).status_code == 200
    failed = await create_handoff(hooks.client, hooks.tenant.agent)
    response = await hooks.client.post(
        f"/api/v1/handoffs/{failed['id']}/fail", json={"reason": "agent_cancelled"}, headers=hooks.tenant.agent
    )
    assert response.status_code == 200

    # 4 + opened, solving, solved, resume_requested, resumed, completed; 4 + expired; 4 + failed.
    received = await receiver.wait_count("/life", 20)
    events = events_of(received, endpoint["secret"])
    by_type = {(e["data"]["handoff_id"], e["type"]): e for e in events}

    solved = by_type[(created["id"], "handoff.solved")]["data"]
    assert solved.keys() == {"handoff_id", "operator_id", "human_assist_seconds", "solved_at"}
    assert isinstance(solved["human_assist_seconds"], int)
    assert by_type[(created["id"], "handoff.completed")]["data"] == {
        "handoff_id": created["id"],
        "task_outcome": "success",
        "completed_at": by_type[(created["id"], "handoff.completed")]["timestamp"],
    }
    assert by_type[(expired["id"], "handoff.expired")]["data"] == {
        "handoff_id": expired["id"],
        "timeout_chain_exhausted": False,
        "expired_at": by_type[(expired["id"], "handoff.expired")]["timestamp"],
    }
    failure = by_type[(failed["id"], "handoff.failed")]["data"]
    assert failure == {
        "handoff_id": failed["id"],
        "state": "failed",
        "from_state": "notified",
        "occurred_at": by_type[(failed["id"], "handoff.failed")]["timestamp"],
        "reason": "agent_cancelled",
    }
    for state in ("opened", "solving", "resume_requested", "resumed"):
        assert by_type[(created["id"], f"handoff.{state}")]["data"].keys() == THIN_KEYS
    body = b"".join(r.body for r in received)
    assert b"123456" not in body, "an operator's OTP code must never leave in a webhook"


async def test_event_filter_and_disabled_endpoints(hooks: Hooks, receiver: Receiver) -> None:
    only = await hooks.create_endpoint(receiver.url("/only"), event_types=["handoff.notified"])
    await hooks.create_endpoint(receiver.url("/off"), enabled=False)
    await create_handoff(hooks.client, hooks.tenant.agent)
    [request] = await receiver.wait_count("/only", 1)
    assert request.verify(only["secret"])["type"] == "handoff.notified"
    assert len(await hooks.deliveries(endpoint_id=only["id"])) == 1
    assert receiver.requests("/off") == []
    everything = await hooks.deliveries()
    assert [d["endpoint_id"] for d in everything] == [only["id"]]


async def test_failures_are_retried_with_the_same_id_on_the_schedule(hooks: Hooks, receiver: Receiver) -> None:
    receiver.plan("/flaky", Reply(500, body=b"boom"), Reply(500, body=b"boom again"))
    endpoint = await hooks.create_endpoint(receiver.url("/flaky"), event_types=["handoff.created"])
    await create_handoff(hooks.client, hooks.tenant.agent)

    received = await receiver.wait_count("/flaky", 3)
    assert len({r.headers["webhook-id"] for r in received}) == 1
    for request in received:
        request.verify(endpoint["secret"])
    # Schedule × 0.001: 5 s → 5 ms, 5 min → 300 ms (±20 %).
    assert received[2].at - received[1].at >= 0.3 * 0.8 - 0.01
    detail = await _wait_status(hooks, received[0].headers["webhook-id"], "delivered")
    attempts = detail["attempts"]
    assert [(a["number"], a["status_code"], a["outcome"]) for a in attempts] == [
        (1, 500, "retrying"),
        (2, 500, "retrying"),
        (3, 200, "delivered"),
    ]
    assert attempts[0]["response_excerpt"] == "boom"
    assert detail["attempt_count"] == 3
    assert (await hooks.endpoint(endpoint["id"]))["failing_since"] is None


async def test_retry_after_is_honoured_for_throttling(hooks: Hooks, receiver: Receiver) -> None:
    receiver.plan("/busy", Reply(503, headers={"Retry-After": "1"}))
    await hooks.create_endpoint(receiver.url("/busy"), event_types=["handoff.created"])
    await create_handoff(hooks.client, hooks.tenant.agent)
    first, second = await receiver.wait_count("/busy", 2)
    assert second.at - first.at >= 0.95


@pytest.mark.webhook_settings(webhook_concurrency=1)
async def test_410_disables_the_endpoint_and_fails_its_pending_deliveries(
    hooks: Hooks, receiver: Receiver, database: Database
) -> None:
    # One request at a time. When the 410 comes back the next delivery may already be claimed (its request
    # held open for 0.5 s) or not, whichever wins the race with recording the 410; the rest are never sent.
    receiver.plan("/gone", Reply(410), *[Reply(200, delay_s=0.5)] * 3)
    endpoint = await hooks.create_endpoint(receiver.url("/gone"))
    created = await create_handoff(hooks.client, hooks.tenant.agent)

    deadline = time.monotonic() + 10
    while True:  # settled: nothing pending and every request that went out has its attempt recorded
        deliveries = await hooks.deliveries(endpoint_id=endpoint["id"])
        recorded = sum(d["attempt_count"] for d in deliveries)
        if all(d["status"] != "pending" for d in deliveries) and recorded == len(receiver.requests("/gone")):
            break
        assert time.monotonic() < deadline, deliveries
        await _sleep()
    state = await hooks.endpoint(endpoint["id"])
    assert state["enabled"] is False
    assert state["disabled_reason"] == "the receiver answered 410 Gone"
    assert state["disabled_at"] is not None
    sent = [r.headers["webhook-id"] for r in receiver.requests("/gone")]
    assert 1 <= len(sent) <= 2
    by_id = {d["id"]: d for d in deliveries}
    assert (by_id[sent[0]]["status"], by_id[sent[0]]["last_status_code"]) == ("failed", 410)
    never_sent = [d for d in deliveries if d["id"] not in sent]
    assert len(never_sent) == 4 - len(sent)
    for delivery in never_sent:
        assert (delivery["status"], delivery["attempt_count"]) == ("failed", 0)
        assert delivery["last_error"] == "endpoint disabled: the receiver answered 410 Gone"

    await hooks.client.post(f"/api/v1/handoffs/{created['id']}/expire", headers=hooks.headers)
    assert len(await hooks.deliveries(endpoint_id=endpoint["id"])) == 4, "a disabled endpoint gets no new rows"
    async with database.readers() as session:
        disabled = (
            await session.execute(select(TraceEvent).where(TraceEvent.kind == "webhook.endpoint_disabled"))
        ).scalars()
        assert endpoint["id"] in {t.data["endpoint_id"] for t in disabled}


@pytest.mark.webhook_settings(webhook_retry_scale=0.0002, webhook_disable_after_s=0.3)
async def test_an_endpoint_failing_for_the_whole_period_is_disabled(hooks: Hooks, receiver: Receiver) -> None:
    receiver.plan("/down", *[Reply(500)] * 20)
    endpoint = await hooks.create_endpoint(receiver.url("/down"), event_types=["handoff.created"])
    await create_handoff(hooks.client, hooks.tenant.agent)
    [delivery] = await _until_none_pending(hooks, endpoint["id"])
    state = await hooks.endpoint(endpoint["id"])
    assert state["enabled"] is False
    assert state["disabled_reason"].startswith("every attempt has failed since")
    detail = await hooks.delivery(delivery["id"])
    assert detail["status"] == "failed"
    assert 2 <= detail["attempt_count"] < 8
    assert [a["outcome"] for a in detail["attempts"]][-1] == "failed"
    assert {a["status_code"] for a in detail["attempts"]} == {500}


@pytest.mark.webhook_settings(webhook_attempt_timeout_s=0.3)
async def test_a_slow_receiver_times_out_and_is_retried(hooks: Hooks, receiver: Receiver) -> None:
    receiver.plan("/slow", Reply(200, delay_s=1.0))
    await hooks.create_endpoint(receiver.url("/slow"), event_types=["handoff.created"])
    await create_handoff(hooks.client, hooks.tenant.agent)
    first, _second = await receiver.wait_count("/slow", 2)
    detail = await _wait_status(hooks, first.headers["webhook-id"], "delivered")
    timed_out, delivered = detail["attempts"]
    assert timed_out["status_code"] is None
    assert timed_out["error"] == "no complete response within 0.3 s"
    assert 250 < timed_out["latency_ms"] < 1000
    assert delivered["status_code"] == 200


@pytest.mark.webhook_settings(webhook_allow_private_targets=False)
async def test_a_send_to_a_private_address_is_refused_at_send_time(
    hooks: Hooks, receiver: Receiver, app: FastAPI, database: Database
) -> None:
    """Saved while allowed (or a DNS answer changed since): the dispatcher checks again when it connects."""
    runtime: Runtime = app.state.runtime
    endpoint_id = new_id("webhook_endpoint")
    now = utcnow()
    async with database.transaction() as session:
        session.add(
            WebhookEndpoint(
                id=endpoint_id,
                tenant_id=hooks.tenant.tenant_id,
                url=receiver.url("/private"),
                description="",
                event_types=["handoff.created"],
                enabled=True,
                secret=runtime.cipher.encrypt(hooks.tenant.tenant_id, endpoint_id, 1, b"k" * 32),
                created_at=now,
                updated_at=now,
            )
        )
    await create_handoff(hooks.client, hooks.tenant.agent)
    deadline = time.monotonic() + 10
    while not (attempts := (await hooks.delivery((await hooks.deliveries())[0]["id"]))["attempts"]):
        assert time.monotonic() < deadline
        await _sleep()
    assert attempts[0]["error"] == "refused: 127.0.0.1 is a loopback address"
    assert attempts[0]["outcome"] == "retrying"
    assert receiver.requests("/private") == []


async def _until_none_pending(hooks: Hooks, endpoint_id: str, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        deliveries = await hooks.deliveries(endpoint_id=endpoint_id)
        if all(d["status"] != "pending" for d in deliveries):
            return deliveries
        assert time.monotonic() < deadline, deliveries
        await _sleep()


async def test_rotation_signs_with_both_secrets_during_the_grace_period(
    hooks: Hooks, receiver: Receiver, database: Database
) -> None:
    endpoint = await hooks.create_endpoint(receiver.url("/rotate"), event_types=["handoff.created"])
    rotated = await hooks.client.post(
        f"/api/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret", headers=hooks.headers
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None

    await create_handoff(hooks.client, hooks.tenant.agent)
    [during] = await receiver.wait_count("/rotate", 1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.verify(new_secret) == during.verify(endpoint["secret"])

    async with database.transaction() as session:
        assert await session.get(WebhookDelivery, during.headers["webhook-id"]) is not None
        stored = await session.get(WebhookEndpoint, endpoint["id"])
        assert stored is not None
        stored.previous_secret_expires_at = stored.created_at  # the grace period is over
    await create_handoff(hooks.client, hooks.tenant.agent)
    after = (await receiver.wait_count("/rotate", 2))[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    after.verify(new_secret)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        after.verify(endpoint["secret"])


@pytest.mark.webhook_settings(webhook_retry_scale=0.00001)
async def test_replay_one_delivery_and_all_failed_since(hooks: Hooks, receiver: Receiver) -> None:
    # 8 attempts each, the whole schedule in ≈ 1 s at this scale: every delivery ends failed.
    receiver.plan("/replay", *[Reply(500)] * 32)
    endpoint = await hooks.create_endpoint(receiver.url("/replay"))
    await create_handoff(hooks.client, hooks.tenant.agent)
    deliveries = await _until_none_pending(hooks, endpoint["id"])
    assert {(d["status"], d["attempt_count"]) for d in deliveries} == {("failed", 8)}
    assert {d["last_error"] for d in deliveries} == {"gave up after 8 attempts"}
    assert (await hooks.endpoint(endpoint["id"]))["enabled"] is True
    sent = len(receiver.requests("/replay"))
    assert sent == 32

    path = f"/api/v1/webhooks/endpoints/{endpoint['id']}"
    bad = await hooks.client.post(f"{path}/replay", params={"since": "yesterday"}, headers=hooks.headers)
    assert bad.status_code == 422
    later = {"since": "2999-01-01T00:00:00Z"}
    assert (await hooks.client.post(f"{path}/replay", params=later, headers=hooks.headers)).json() == {"queued": 0}
    await hooks.client.patch(path, json={"enabled": False}, headers=hooks.headers)
    one = deliveries[0]["id"]
    refused = await hooks.client.post(f"/api/v1/webhooks/deliveries/{one}/replay", headers=hooks.headers)
    assert refused.status_code == 409, "a disabled endpoint must be enabled before a replay"
    await hooks.client.patch(path, json={"enabled": True}, headers=hooks.headers)

    queued = await hooks.client.post(f"{path}/replay", params={"since": "2000-01-01T00:00:00Z"}, headers=hooks.headers)
    assert queued.status_code == 202
    assert queued.json() == {"queued": 4}
    replayed = (await receiver.wait_count("/replay", sent + 4))[sent:]
    assert {r.headers["webhook-id"] for r in replayed} == {d["id"] for d in deliveries}
    for request in replayed:
        request.verify(endpoint["secret"])
    await _until_none_pending(hooks, endpoint["id"])

    again = await hooks.client.post(f"/api/v1/webhooks/deliveries/{one}/replay", headers=hooks.headers)
    assert again.status_code == 202, again.text
    assert again.json()["id"] == one
    latest = await receiver.wait_count("/replay", sent + 5)
    assert latest[-1].headers["webhook-id"] == one
    detail = await _wait_status(hooks, one, "delivered")
    assert [a["status_code"] for a in detail["attempts"]] == [500] * 8 + [200, 200]
    assert [a["number"] for a in detail["attempts"]] == list(range(1, 11))


async def test_delivery_listing_filters_and_paginates(hooks: Hooks, receiver: Receiver) -> None:
    receiver.plan("/list", Reply(410))
    gone = await hooks.create_endpoint(receiver.url("/list"))
    fine = await hooks.create_endpoint(receiver.url("/fine"))
    await create_handoff(hooks.client, hooks.tenant.agent)
    await _until_none_pending(hooks, gone["id"])
    await _until_none_pending(hooks, fine["id"])
    assert {d["status"] for d in await hooks.deliveries(endpoint_id=fine["id"])} == {"delivered"}
    assert {d["endpoint_id"] for d in await hooks.deliveries(status="failed")} == {gone["id"]}
    first = await hooks.get_json("/deliveries", endpoint_id=fine["id"], limit=3)
    second = await hooks.get_json("/deliveries", endpoint_id=fine["id"], limit=3, cursor=first["next_cursor"])
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 4
    assert ids == sorted(ids, reverse=True)
    bad = await hooks.client.get("/api/v1/webhooks/deliveries", params={"status": "lost"}, headers=hooks.headers)
    assert bad.status_code == 422


async def test_deleting_an_endpoint_removes_its_deliveries(hooks: Hooks, receiver: Receiver) -> None:
    endpoint = await hooks.create_endpoint(receiver.url("/bye"))
    await create_handoff(hooks.client, hooks.tenant.agent)
    deliveries = await _until_none_pending(hooks, endpoint["id"])
    response = await hooks.client.delete(f"/api/v1/webhooks/endpoints/{endpoint['id']}", headers=hooks.headers)
    assert response.status_code == 204
    gone = await hooks.client.get(f"/api/v1/webhooks/deliveries/{deliveries[0]['id']}", headers=hooks.headers)
    assert gone.status_code == 404


async def test_another_tenants_delivery_is_404(
    hooks: Hooks, receiver: Receiver, client: httpx.AsyncClient, other_tenant: Any
) -> None:
    theirs = Hooks(client, other_tenant)
    endpoint = await theirs.create_endpoint(receiver.url("/theirs"), event_types=["handoff.created"])
    await create_handoff(client, other_tenant.agent)
    [delivery] = await _until_none_pending(theirs, endpoint["id"])
    for method, suffix in (("GET", ""), ("POST", "/replay")):
        response = await client.request(
            method, f"/api/v1/webhooks/deliveries/{delivery['id']}{suffix}", headers=hooks.headers
        )
        assert response.status_code == 404, response.text
    assert await hooks.deliveries() == []


async def test_a_clean_shutdown_releases_the_leases_of_requests_it_cut_short(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.plan("/hang", *[Reply(200, delay_s=5.0)] * 4)
    # The attempts may take 10 s; shutdown waits 2 s for them, then cancels them and frees their rows.
    application = create_app(settings.model_copy(update={"webhook_attempt_timeout_s": 10.0}))
    async with LifespanManager(application, shutdown_timeout=10):
        database: Database = application.state.runtime.database
        tenant = await make_tenant(database, "shutdown")
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            endpoint = await Hooks(http, tenant).create_endpoint(receiver.url("/hang"))
            await create_handoff(http, tenant.agent)
            await receiver.wait_count("/hang", 4)  # all four are in flight, each held for 5 s
    async with database.readers() as session:
        rows = (
            await session.execute(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"]))
        ).scalars()
        assert [(r.status, r.locked_until, r.attempt_count) for r in rows] == [("pending", None, 0)] * 4
    await settle(database, tenant.tenant_id)

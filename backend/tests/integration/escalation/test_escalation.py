"""Escalation end to end through the API, the durable timer worker and real channel protocols."""

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from conftest import TenantKeys, app_client, make_tenant
from sqlalchemy import select
from support.flows import create_handoff
from support.servers import FakeBland, FakePushService, FakeTwilio, serve, smtp_server
from support.waiting import audit_records, eventually, states_of

from app.config import Settings
from app.models import Handoff

LINK = re.compile(r"https?://\S+/m/h_\w+\?t=[\w.\-]+")


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


async def _operator(client: httpx.AsyncClient, keys: TenantKeys, name: str, **fields: Any) -> str:
    body = {"name": name, "channels": ["console"], **fields}
    response = await client.post("/api/v1/operators", json=body, headers=keys.admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _chain(client: httpx.AsyncClient, keys: TenantKeys, steps: list[dict[str, Any]], **fields: Any) -> str:
    body = {"name": "on-call", "steps": steps, "is_default": True, **fields}
    response = await client.post("/api/v1/escalation-chains", json=body, headers=keys.admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _twilio_settings(settings: Settings, base: str, twilio: FakeTwilio) -> Settings:
    return settings.model_copy(
        update={"twilio_base_url": base, "twilio_account_sid": twilio.sid, "twilio_auth_token": twilio.token,
                "twilio_from": "+14155550000"}
    )  # fmt: skip


async def test_three_operators_escalate_until_the_second_opens_and_solves(settings: Settings) -> None:
    twilio = FakeTwilio()
    async with serve(twilio.app()) as base, app_client(_twilio_settings(settings, base, twilio)) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        ops = [await _operator(client, keys, f"op{i}", phone=f"+1415555010{i}", channels=["sms"]) for i in (1, 2, 3)]
        await _chain(client, keys, [{"operator_id": op, "timeout_s": 1} for op in ops])

        created = await create_handoff(client, keys.agent)
        assert created["state"] == "frozen"  # routed handoffs are notified by the worker, not inline
        hid = created["id"]

        await eventually(lambda: _count(client, keys, hid, "notified", 2), within_s=10)
        assert [m["To"] for m in twilio.messages[:2]] == ["+14155550101", "+14155550102"]
        op2_link = LINK.search(twilio.messages[1]["Body"])
        assert op2_link is not None
        opened = await client.post(f"/api/v1/handoffs/{hid}/open", json={"token": _token(op2_link.group())})
        assert opened.status_code == 200, opened.text
        assert opened.json()["handoff"]["operator_id"] == ops[1]
        operator = {"Authorization": f"Bearer {opened.json()['session_token']}"}
        client.cookies.clear()
        resolved = await client.post(
            f"/api/v1/handoffs/{hid}/resolve", json={"action": {"type": "otp", "code": "424242"}}, headers=operator
        )
        assert resolved.status_code == 200

        records = await audit_records(client, keys.admin, hid)
        states = [r["to_state"] for r in records]
        assert states[:9] == [
            "created", "detected", "frozen", "notified", "escalated", "notified", "opened", "solved",
            "resume_requested",
        ]  # fmt: skip
        escalated = records[4]
        assert escalated["actor"]["type"] == "timer"
        assert escalated["payload"]["from_operator"] == ops[0]
        assert escalated["payload"]["to_operator"] == ops[1]
        assert records[3]["payload"]["channel"] == "sms"
        assert records[5]["payload"]["operator_id"] == ops[1]
        # opening acknowledged the escalation: op3 is never alerted
        assert len(twilio.messages) == 2


async def _count(client: httpx.AsyncClient, keys: TenantKeys, hid: str, state: str, n: int) -> bool:
    return (await states_of(client, keys.admin, hid)).count(state) >= n


async def test_exhausted_chain_expires_with_the_flag(settings: Settings) -> None:
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        op1, op2 = await _operator(client, keys, "a"), await _operator(client, keys, "b")
        await _chain(client, keys, [{"operator_id": op1, "timeout_s": 1}, {"operator_id": op2, "timeout_s": 1}])
        hid = (await create_handoff(client, keys.agent))["id"]

        await eventually(lambda: _count(client, keys, hid, "expired", 1), within_s=10)
        records = await audit_records(client, keys.admin, hid)
        assert [r["to_state"] for r in records] == [
            "created", "detected", "frozen", "notified", "escalated", "notified", "expired",
        ]  # fmt: skip
        assert records[-1]["payload"] == {"timeout_chain_exhausted": True}
        assert records[-1]["actor"]["type"] == "timer"
        handoff = (await client.get(f"/api/v1/handoffs/{hid}", headers=keys.agent)).json()
        assert handoff["state"] == "expired"


async def test_repeat_runs_the_chain_again(settings: Settings) -> None:
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        op1 = await _operator(client, keys, "solo")
        await _chain(client, keys, [{"operator_id": op1, "timeout_s": 1}], repeat=1)
        hid = (await create_handoff(client, keys.agent))["id"]
        await eventually(lambda: _count(client, keys, hid, "expired", 1), within_s=10)
        states = await states_of(client, keys.admin, hid)
        assert states.count("notified") == 2
        assert states.count("escalated") == 1


async def test_totp_policy_resolves_a_2fa_handoff_without_a_human(settings: Settings) -> None:
    secret = pyotp.random_base32()
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        policy = await client.post(
            "/api/v1/policies",
            json={"name": "sf totp", "trigger": {"interruption_type": "twofa", "domain": "*example.com"},
                  "action": {"type": "auto_resolve", "mode": "totp", "totp_secret": secret}},
            headers=keys.admin,
        )  # fmt: skip
        assert policy.status_code == 201, policy.text
        assert "totp_secret" not in policy.json()["action"]
        assert secret not in policy.text
        assert policy.json()["action"]["totp_secret_set"] is True

        created = await create_handoff(client, keys.agent)
        assert created["state"] == "resume_requested"
        assert created["mobile_url"] is None
        async with app.state.runtime.database.readers() as session:
            handoff = (await session.execute(select(Handoff).where(Handoff.id == created["id"]))).scalar_one()
        assert handoff.resolution is not None
        assert pyotp.TOTP(secret).verify(handoff.resolution["code"], valid_window=1)
        records = await audit_records(client, keys.admin, created["id"])
        solved = next(r for r in records if r["to_state"] == "solved")
        assert solved["actor"]["type"] == "server"
        assert solved["payload"]["auto_resolved_by"] == policy.json()["id"]
        assert handoff.resolution["code"] not in str(records)  # the code never reaches the audit log


async def test_sms_outage_falls_through_to_email(settings: Settings) -> None:
    twilio = FakeTwilio(fail_with=503)
    with smtp_server() as (smtp_port, mails):
        async with (
            serve(twilio.app()) as base,
            app_client(
                _twilio_settings(settings, base, twilio).model_copy(
                    update={"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False}
                )
            ) as (app, client),
        ):
            keys = await make_tenant(app.state.runtime.database)
            op = await _operator(
                client, keys, "jordan", phone="+14155550199", email="jordan@example.com", channels=["sms", "email"]
            )
            await _chain(client, keys, [{"operator_id": op, "timeout_s": 30}])
            hid = (await create_handoff(client, keys.agent))["id"]
            await eventually(lambda: _count(client, keys, hid, "notified", 1))

            notified = next(r for r in await audit_records(client, keys.admin, hid) if r["to_state"] == "notified")
            assert notified["payload"]["channel"] == "email"
            assert mails[0]["to"] == ["jordan@example.com"]
            assert LINK.search(mails[0]["data"].replace("=\n", ""))
            trace = await _trace(client, keys, hid, "notify.attempt")
            assert [(t["channel"], t["ok"]) for t in trace] == [("sms", False), ("email", True)]
            assert "503" in trace[0]["error"]


async def _trace(client: httpx.AsyncClient, keys: TenantKeys, hid: str, kind: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/handoffs/{hid}/history", headers=keys.admin)
    assert response.status_code == 200, response.text
    return [r["data"] for r in response.json()["items"] if r["kind"] == kind]


async def test_web_push_is_encrypted_signed_and_gone_subscriptions_are_dropped(settings: Settings) -> None:
    push = FakePushService()
    async with serve(push.app()) as base, app_client(settings) as (app, client):
        push.base_url = base
        keys = await make_tenant(app.state.runtime.database)
        op = await _operator(client, keys, "maria", channels=["webpush", "console"])
        phone, tablet = push.new_device("phone"), push.new_device("tablet")
        for device in (phone, tablet):
            response = await client.post(
                f"/api/v1/operators/{op}/push-subscriptions", json=device.subscription(), headers=keys.admin
            )
            assert response.status_code == 201, response.text
        push.gone.add("tablet")
        await _chain(client, keys, [{"operator_id": op, "timeout_s": 30}])
        hid = (await create_handoff(client, keys.agent))["id"]
        await eventually(lambda: _count(client, keys, hid, "notified", 1))

        [message] = push.received
        assert message["device"] == "phone"
        assert message["payload"]["handoff_id"] == hid
        assert LINK.match(message["payload"]["url"])
        assert message["urgency"] == "high"
        assert message["topic"] == hid
        assert 0 < message["ttl"] <= settings.handoff_ttl_s
        remaining = (await client.get(f"/api/v1/operators/{op}/push-subscriptions", headers=keys.admin)).json()
        assert [s["endpoint"] for s in remaining] == [phone.endpoint]


async def test_voice_call_goes_to_bland(settings: Settings) -> None:
    bland = FakeBland()
    async with serve(bland.app()) as base:
        custom = settings.model_copy(update={"bland_base_url": base, "bland_api_key": bland.key})
        async with app_client(custom) as (app, client):
            keys = await make_tenant(app.state.runtime.database)
            op = await _operator(client, keys, "sam", phone="+14155550123", channels=["voice"])
            await _chain(client, keys, [{"operator_id": op, "timeout_s": 30}])
            hid = (await create_handoff(client, keys.agent))["id"]
            await eventually(lambda: _count(client, keys, hid, "notified", 1))
    [call] = bland.calls
    assert call["phone_number"] == "+14155550123"
    assert call["metadata"]["handoff_id"] == hid
    assert "example.com" in call["task"]


async def test_off_duty_operator_is_skipped(settings: Settings) -> None:
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        resting = await _operator(client, keys, "resting", on_duty=False)
        awake = await _operator(client, keys, "awake")
        await _chain(client, keys, [{"operator_id": resting, "timeout_s": 30}, {"operator_id": awake, "timeout_s": 30}])
        hid = (await create_handoff(client, keys.agent))["id"]
        await eventually(lambda: _count(client, keys, hid, "notified", 1))
        notified = [r for r in await audit_records(client, keys.admin, hid) if r["to_state"] == "notified"]
        assert notified[0]["payload"]["operator_id"] == awake


async def test_policy_routes_to_a_single_operator_and_sets_ttl(settings: Settings) -> None:
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        op = await _operator(client, keys, "captcha-desk")
        for body in (
            {"name": "captchas to desk", "priority": 1, "trigger": {"interruption_type": "twofa"},
             "action": {"type": "route", "operator_id": op, "timeout_s": 45}},
            {"name": "short ttl", "priority": 2, "trigger": {"agent_id": "agent_*"},
             "action": {"type": "ttl", "seconds": 120}},
        ):  # fmt: skip
            assert (await client.post("/api/v1/policies", json=body, headers=keys.admin)).status_code == 201
        created = await create_handoff(client, keys.agent)
        await eventually(lambda: _count(client, keys, created["id"], "notified", 1))
        handoff = (await client.get(f"/api/v1/handoffs/{created['id']}", headers=keys.agent)).json()
        assert handoff["operator_id"] == op
        from datetime import datetime

        lifetime = datetime.fromisoformat(handoff["expires_at"]) - datetime.fromisoformat(handoff["created_at"])
        assert lifetime.total_seconds() == 120
        decisions = await _trace(client, keys, created["id"], "policy.decisions")
        assert [d["applied"] for d in decisions[0]["decisions"]] == [True, True]


async def test_handoff_ttl_expires_an_unopened_handoff(settings: Settings) -> None:
    async with app_client(settings) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        body = {"name": "fast", "trigger": {}, "action": {"type": "ttl", "seconds": 10}}
        assert (await client.post("/api/v1/policies", json=body, headers=keys.admin)).status_code == 201
        hid = (await create_handoff(client, keys.agent))["id"]
        await eventually(lambda: _count(client, keys, hid, "expired", 1), within_s=20)
        records = await audit_records(client, keys.admin, hid)
        assert records[-1]["payload"] == {"timeout_chain_exhausted": False}
        assert records[-1]["reason"] == "ttl"


async def test_an_earlier_operators_unexpired_link_still_acknowledges_after_escalation(settings: Settings) -> None:
    twilio = FakeTwilio()
    async with serve(twilio.app()) as base, app_client(_twilio_settings(settings, base, twilio)) as (app, client):
        keys = await make_tenant(app.state.runtime.database)
        ops = [await _operator(client, keys, f"op{i}", phone=f"+1415555020{i}", channels=["sms"]) for i in (1, 2)]
        await _chain(client, keys, [{"operator_id": op, "timeout_s": 1} for op in ops] + [
            {"operator_id": ops[1], "timeout_s": 30}
        ])  # fmt: skip
        hid = (await create_handoff(client, keys.agent))["id"]
        await eventually(lambda: _count(client, keys, hid, "notified", 2))
        first_link = LINK.search(twilio.messages[0]["Body"])
        assert first_link is not None
        opened = await client.post(f"/api/v1/handoffs/{hid}/open", json={"token": _token(first_link.group())})
        assert opened.status_code == 200, opened.text
        assert opened.json()["handoff"]["operator_id"] == ops[0]
        second_link = LINK.search(twilio.messages[1]["Body"])
        assert second_link is not None
        late = await client.post(f"/api/v1/handoffs/{hid}/open", json={"token": _token(second_link.group())})
        assert late.status_code == 409
        assert late.json()["current_state"] == "opened"

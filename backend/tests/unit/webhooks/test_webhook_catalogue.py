"""The six documented payloads carry exactly the docs page's keys; the rest a thin record; no secrets."""

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from app.lifecycle.states import State
from app.models import Handoff, HandoffEvent
from app.webhooks.catalogue import CATALOGUE, EVENT_TYPES, envelope

CREATED_AT = datetime(2026, 5, 14, 3, 42, 11, tzinfo=UTC)
OCCURRED = "2026-05-14T03:42:13.000000Z"

DOCUMENTED = {
    "handoff.created": {"handoff_id", "agent_id", "interruption_type", "domain", "created_at"},
    "handoff.notified": {"handoff_id", "operator_id", "channel", "notified_at"},
    "handoff.solved": {"handoff_id", "operator_id", "human_assist_seconds", "solved_at"},
    "handoff.completed": {"handoff_id", "task_outcome", "completed_at"},
    "handoff.expired": {"handoff_id", "timeout_chain_exhausted", "expired_at"},
    "handoff.escalated": {"handoff_id", "from_operator", "to_operator", "escalated_at"},
}


def _handoff() -> Handoff:
    return Handoff(
        id="h_01HXYZ001",
        tenant_id="ten_1",
        agent_id="agent_outbound_sf",
        interruption_type="twofa",
        domain="salesforce.com",
        url="https://login.salesforce.com/?cookie=s3cr3t",
        task="secret task",
        extra={"token": "s3cr3t"},
        operator_id="op_jordan",
        resolution={"type": "otp", "code": "123456"},
        created_at=CREATED_AT,
    )


def _event(to: State, payload: dict[str, Any] | None = None, reason: str | None = None) -> HandoffEvent:
    return HandoffEvent(
        event_id="evt_1",
        tenant_id="ten_1",
        handoff_id="h_01HXYZ001",
        seq=1,
        occurred_at=OCCURRED,
        actor_type="server",
        from_state="notified",
        to_state=str(to),
        reason=reason,
        payload=payload or {},
    )


def _data(to: State, payload: dict[str, Any] | None = None, reason: str | None = None) -> Any:
    body = orjson.loads(envelope(_handoff(), _event(to, payload, reason)))
    assert body.keys() == {"type", "timestamp", "data"}
    assert body["type"] == f"handoff.{to}"
    assert body["timestamp"] == OCCURRED
    return body["data"]


def test_one_event_type_per_state() -> None:
    assert tuple(f"handoff.{state}" for state in State) == EVENT_TYPES
    assert len(CATALOGUE) == 13
    assert all(spec.description for spec in CATALOGUE.values())


def test_documented_shapes_match_the_docs_page_exactly() -> None:
    assert _data(State.CREATED) == {
        "handoff_id": "h_01HXYZ001",
        "agent_id": "agent_outbound_sf",
        "interruption_type": "twofa",
        "domain": "salesforce.com",
        "created_at": "2026-05-14T03:42:11.000000Z",
    }
    assert _data(State.NOTIFIED, {"channel": "bland_ai", "operator_id": "op_jordan", "link": "x"}) == {
        "handoff_id": "h_01HXYZ001",
        "operator_id": "op_jordan",
        "channel": "bland_ai",
        "notified_at": OCCURRED,
    }
    assert _data(State.SOLVED, {"human_assist_seconds": 5, "action": {"type": "otp"}}) == {
        "handoff_id": "h_01HXYZ001",
        "operator_id": "op_jordan",
        "human_assist_seconds": 5,
        "solved_at": OCCURRED,
    }
    assert _data(State.COMPLETED, {"task_outcome": "success", "detail": "x"}) == {
        "handoff_id": "h_01HXYZ001",
        "task_outcome": "success",
        "completed_at": OCCURRED,
    }
    assert _data(State.EXPIRED, {"timeout_chain_exhausted": True}) == {
        "handoff_id": "h_01HXYZ001",
        "timeout_chain_exhausted": True,
        "expired_at": OCCURRED,
    }
    assert _data(State.ESCALATED, {"from_operator": "op_maria", "to_operator": "op_jordan"}) == {
        "handoff_id": "h_01HXYZ001",
        "from_operator": "op_maria",
        "to_operator": "op_jordan",
        "escalated_at": OCCURRED,
    }


@pytest.mark.parametrize("event_type", sorted(DOCUMENTED))
def test_documented_keys_even_with_an_empty_payload(event_type: str) -> None:
    assert _data(State(event_type.removeprefix("handoff."))).keys() == DOCUMENTED[event_type]


def test_expired_is_not_exhausted_unless_said_so() -> None:
    assert _data(State.EXPIRED)["timeout_chain_exhausted"] is False
    assert _data(State.EXPIRED, {"timeout_chain_exhausted": "yes"})["timeout_chain_exhausted"] is False


@pytest.mark.parametrize(
    "state",
    [State.DETECTED, State.FROZEN, State.OPENED, State.SOLVING, State.RESUME_REQUESTED, State.RESUMED],
)
def test_other_states_are_thin(state: State) -> None:
    assert _data(state, {"cookies": "s3cr3t", "code": "123456"}) == {
        "handoff_id": "h_01HXYZ001",
        "state": str(state),
        "from_state": "notified",
        "occurred_at": OCCURRED,
    }


def test_failed_carries_its_reason() -> None:
    assert _data(State.FAILED, {"detail": "s3cr3t"}, reason="resume_failed") == {
        "handoff_id": "h_01HXYZ001",
        "state": "failed",
        "from_state": "notified",
        "occurred_at": OCCURRED,
        "reason": "resume_failed",
    }


@pytest.mark.parametrize("state", list(State))
def test_no_payload_carries_secrets(state: State) -> None:
    payload = {"cookies": "s3cr3t", "code": "123456", "dom": "<html>", "snapshot_bytes": 9}
    text = envelope(_handoff(), _event(state, payload))
    for secret in ("s3cr3t", "123456", "<html>", "secret task", "login.salesforce.com"):
        assert secret not in text

"""The webhook event catalogue: one event type per lifecycle state, each with the `data` it carries.

Six shapes are a published contract (the docs page): created, notified, solved, completed, expired and
escalated carry exactly those keys. The other states carry a thin record. No builder reads the snapshot,
cookies, the operator's action or codes: only ids, states, times and the few facts named here.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from app.kit.timeutil import rfc3339
from app.lifecycle.states import State
from app.models import Handoff, HandoffEvent

DataBuilder = Callable[[Handoff, HandoffEvent], dict[str, Any]]


@dataclass(frozen=True)
class EventSpec:
    type: str
    description: str
    build: DataBuilder


def _payload(event: HandoffEvent) -> dict[str, Any]:
    return event.payload if isinstance(event.payload, dict) else {}


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _created(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "agent_id": handoff.agent_id,
        "interruption_type": handoff.interruption_type,
        "domain": handoff.domain,
        "created_at": rfc3339(handoff.created_at),
    }


def _notified(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    payload = _payload(event)
    return {
        "handoff_id": handoff.id,
        "operator_id": _str_or_none(payload.get("operator_id")),
        "channel": _str_or_none(payload.get("channel")),
        "notified_at": event.occurred_at,
    }


def _solved(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    payload = _payload(event)
    seconds = payload.get("human_assist_seconds")
    return {
        "handoff_id": handoff.id,
        "operator_id": _str_or_none(payload.get("operator_id") or handoff.operator_id),
        "human_assist_seconds": int(seconds) if isinstance(seconds, int | float) else None,
        "solved_at": event.occurred_at,
    }


def _completed(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "task_outcome": _str_or_none(_payload(event).get("task_outcome") or handoff.task_outcome),
        "completed_at": event.occurred_at,
    }


def _expired(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    return {
        "handoff_id": handoff.id,
        "timeout_chain_exhausted": _payload(event).get("timeout_chain_exhausted") is True,
        "expired_at": event.occurred_at,
    }


def _escalated(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    payload = _payload(event)
    return {
        "handoff_id": handoff.id,
        "from_operator": _str_or_none(payload.get("from_operator")),
        "to_operator": _str_or_none(payload.get("to_operator")),
        "escalated_at": event.occurred_at,
    }


def _thin(handoff: Handoff, event: HandoffEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "handoff_id": handoff.id,
        "state": event.to_state,
        "from_state": event.from_state,
        "occurred_at": event.occurred_at,
    }
    if event.to_state == State.FAILED:
        data["reason"] = event.reason
    return data


_SPECS: list[tuple[State, str, DataBuilder]] = [
    (State.CREATED, "An agent reported it is stuck and the handoff record was created.", _created),
    (State.DETECTED, "The classifier confirmed the interruption needs a human.", _thin),
    (State.FROZEN, "The browser state was stored, encrypted.", _thin),
    (State.NOTIFIED, "An operator's phone was alerted (push, SMS, voice, email or console).", _notified),
    (State.OPENED, "The operator opened the signed link.", _thin),
    (State.SOLVING, "The operator started interacting with the page.", _thin),
    (State.SOLVED, "The operator submitted the action; the agent is about to resume.", _solved),
    (State.RESUME_REQUESTED, "The agent host was signalled to resume.", _thin),
    (State.RESUMED, "The agent acknowledged it resumed.", _thin),
    (State.COMPLETED, "The original task finished after the handoff.", _completed),
    (State.EXPIRED, "No operator acted within the timeout window; the link is dead.", _expired),
    (State.FAILED, "The handoff failed; `reason` is one of the failure codes.", _thin),
    (State.ESCALATED, "The handoff escalated to the next operator in the chain.", _escalated),
]

CATALOGUE: dict[str, EventSpec] = {
    f"handoff.{state}": EventSpec(f"handoff.{state}", description, build) for state, description, build in _SPECS
}
EVENT_TYPES: tuple[str, ...] = tuple(CATALOGUE)


def event_type_of(event: HandoffEvent) -> str:
    return f"handoff.{event.to_state}"


def envelope(handoff: Handoff, event: HandoffEvent) -> str:
    """The exact JSON text that is stored, signed and sent: `{type, timestamp, data}`."""
    spec = CATALOGUE[event_type_of(event)]
    body = {"type": spec.type, "timestamp": event.occurred_at, "data": spec.build(handoff, event)}
    return orjson.dumps(body).decode()

"""The API's shapes as frozen dataclasses; each keeps the JSON it came from in `raw`."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "TERMINAL_STATES",
    "Frame",
    "Handoff",
    "HandoffEvent",
    "HandoffPage",
    "InterruptionType",
    "RelayAction",
    "Snapshot",
    "StreamEvent",
    "StreamMessage",
    "Viewport",
]

InterruptionType = Literal["captcha", "twofa", "approval", "other"]
TERMINAL_STATES = frozenset({"completed", "expired", "failed"})


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _str(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Viewport:
    """CSS pixels of the agent's viewport, and its device scale factor."""

    width: int
    height: int
    device_scale_factor: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "device_scale_factor": self.device_scale_factor}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Viewport:
        return cls(int(data["width"]), int(data["height"]), float(data.get("device_scale_factor") or 1.0))


@dataclass(frozen=True)
class Snapshot:
    """The frozen browser state sent with a new handoff. `dom` must carry no password value: the server
    refuses one with 422 (the wrapper strips them in the page before they leave it)."""

    dom: str
    screenshot: bytes
    viewport: Viewport
    cookies: Sequence[Mapping[str, Any]] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "cookies": [dict(c) for c in self.cookies],
            "dom": self.dom,
            "screenshot": base64.b64encode(self.screenshot).decode("ascii"),
            "viewport": self.viewport.to_json(),
        }


@dataclass(frozen=True)
class Handoff:
    """One stuck moment (`h_<ULID>`). `mobile_url` is set only on the response that created it: the signed,
    single-use operator link (a replayed create, or a GET, never carries it again)."""

    id: str
    state: str
    agent_id: str
    interruption_type: str
    domain: str
    url: str
    task: str | None
    metadata: Mapping[str, Any]
    operator_id: str | None
    failure_reason: str | None
    task_outcome: str | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None
    mobile_url: str | None = None
    mobile_url_expires_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Handoff:
        return cls(
            id=str(data["id"]),
            state=str(data["state"]),
            agent_id=str(data.get("agent_id", "")),
            interruption_type=str(data.get("interruption_type", "")),
            domain=str(data.get("domain", "")),
            url=str(data.get("url", "")),
            task=_str(data.get("task")),
            metadata=dict(data.get("metadata") or {}),
            operator_id=_str(data.get("operator_id")),
            failure_reason=_str(data.get("failure_reason")),
            task_outcome=_str(data.get("task_outcome")),
            version=int(data.get("version") or 0),
            created_at=_time(data.get("created_at")),
            updated_at=_time(data.get("updated_at")),
            expires_at=_time(data.get("expires_at")),
            mobile_url=_str(data.get("mobile_url")),
            mobile_url_expires_at=_time(data.get("mobile_url_expires_at")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class HandoffPage:
    """One page of `list_handoffs`; pass `next_cursor` back as `cursor` for the next (None: last page)."""

    items: list[Handoff]
    next_cursor: str | None


@dataclass(frozen=True)
class Frame:
    """A live image of the agent's page as the server stored it."""

    frame_id: int
    handoff_id: str
    seq: int
    media_type: str
    size_bytes: int
    viewport: Viewport | None
    url: str
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Frame:
        viewport = data.get("viewport")
        return cls(
            frame_id=int(data["frame_id"]),
            handoff_id=str(data["handoff_id"]),
            seq=int(data["seq"]),
            media_type=str(data.get("media_type", "")),
            size_bytes=int(data.get("size_bytes") or 0),
            viewport=Viewport.from_json(viewport) if isinstance(viewport, Mapping) else None,
            url=str(data.get("url", "")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class HandoffEvent:
    """A lifecycle event from the handoff's SSE stream (`handoff.<state>`). On `solved`, the agent's stream
    carries the operator's action in `resolution` (e.g. `{"type": "otp", "code": "123456"}`)."""

    id: str
    name: str
    state: str
    data: Mapping[str, Any]
    resolution: Mapping[str, Any] | None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES


@dataclass(frozen=True)
class RelayAction:
    """One operator input to apply to the live page (`relay.action`), in `seq` order: `{"type": "click", "x",
    "y"}` in CSS pixels of the viewport, `{"type": "type", "text"}` or `{"type": "press", "key"}`. A reconnect
    re-sends every action no frame has acknowledged yet, so consumers skip a `seq` they already applied."""

    seq: int
    action: Mapping[str, Any]
    created_at: str | None


@dataclass(frozen=True)
class StreamMessage:
    """Any other SSE message (e.g. `relay.frame` on an operator's stream)."""

    name: str
    id: str | None
    data: Any


StreamEvent = HandoffEvent | RelayAction | StreamMessage

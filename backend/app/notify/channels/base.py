from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from app.config import Settings
from app.notify.vapid import VapidKey

INTERRUPTION_WORDS = {
    "captcha": "a CAPTCHA",
    "twofa": "a 2FA code",
    "approval": "an approval",
    "other": "a human step",
}


@dataclass(frozen=True)
class PushTarget:
    subscription_id: str
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Notification:
    """Everything a channel may say: who, what, where to tap. Never cookies, DOM or codes."""

    handoff_id: str
    tenant_id: str
    agent_id: str
    interruption_type: str
    domain: str
    task: str | None
    operator_id: str | None
    operator_name: str | None
    phone: str | None
    email: str | None
    push_targets: tuple[PushTarget, ...]
    link_url: str
    link_expires_at: datetime
    seconds_left: int
    """Until the handoff itself expires: the longest a late alert is still worth delivering."""

    @property
    def headline(self) -> str:
        what = INTERRUPTION_WORDS.get(self.interruption_type, "a human step")
        return f"Agent {self.agent_id} needs {what} on {self.domain}"

    def text(self) -> str:
        return f"Baton Pass: {self.headline}. Open within 60 s: {self.link_url}"


@dataclass
class ChannelResult:
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    gone_subscriptions: list[str] = field(default_factory=list)
    """Push subscriptions the push service said no longer exist (404/410): the caller deletes them."""


@dataclass(frozen=True)
class ChannelContext:
    http: httpx.AsyncClient
    settings: Settings
    vapid: VapidKey


class Channel(Protocol):
    name: str
    needs: str | None
    """The operator field the channel cannot work without ("phone", "email", "push") or None."""

    async def send(self, note: Notification, ctx: ChannelContext) -> ChannelResult: ...


def http_error(response: httpx.Response) -> str:
    return f"HTTP {response.status_code}: {response.text[:300]}"

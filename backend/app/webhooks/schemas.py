from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.ids import id_pattern
from app.webhooks.catalogue import EVENT_TYPES

EndpointId = Annotated[str, Field(pattern=id_pattern("webhook_endpoint"), examples=["whe_01JDQ7ZK8X3M9V2N4B6C8D0E1F"])]
DeliveryId = Annotated[str, Field(pattern=id_pattern("delivery"), examples=["msg_01JDQ7ZK8X3M9V2N4B6C8D0E1F"])]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
DeliveryStatus = Literal["pending", "delivered", "failed"]
WebhookUrl = Annotated[str, Field(min_length=1, max_length=2048, examples=["https://hooks.example.com/batonpass"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointCreate(Strict):
    url: WebhookUrl
    description: str = Field("", max_length=500)
    event_types: list[EventType] = Field(
        default_factory=list, max_length=len(EVENT_TYPES), description="Event types to send; empty = all."
    )
    enabled: bool = True


class EndpointUpdate(Strict):
    url: WebhookUrl | None = None
    description: str | None = Field(None, max_length=500)
    event_types: list[EventType] | None = Field(None, max_length=len(EVENT_TYPES))
    enabled: bool | None = Field(None, description="Enabling again clears the disabled reason.")


class EndpointOut(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, deliveries are signed with the old secret too."
    )
    created_at: datetime
    updated_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="`whsec_…`: shown once, keep it; it verifies every delivery.")


class EndpointPage(BaseModel):
    items: list[EndpointOut]
    next_cursor: str | None


class SecretRotated(BaseModel):
    secret: str = Field(description="The new `whsec_…` secret, shown once.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries carry a signature with the old secret as well."
    )


class ReplayQueued(BaseModel):
    queued: int


class AttemptOut(BaseModel):
    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: float
    response_excerpt: str | None
    error: str | None
    outcome: str


class DeliveryOut(BaseModel):
    id: str = Field(description="The `webhook-id` header: the same on every attempt and replay.")
    endpoint_id: str
    event_type: str
    event_id: str
    handoff_id: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryDetail(DeliveryOut):
    attempts: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None

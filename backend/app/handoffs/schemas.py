import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.kit.ids import id_pattern
from app.lifecycle.states import FailureReason, State

InterruptionType = Literal["captcha", "twofa", "approval", "other"]
HandoffId = Annotated[str, Field(pattern=id_pattern("handoff"), examples=["h_01JDQ7ZK8X3M9V2N4B6C8D0E1F"])]

_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Viewport(Strict):
    width: int = Field(ge=1, le=16384)
    height: int = Field(ge=1, le=16384)
    device_scale_factor: float = Field(1.0, gt=0, le=10)


class Cookie(BaseModel):
    """A cookie as Playwright's `context.cookies()` returns it; unknown keys are kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    name: str = Field(min_length=1, max_length=4096)
    value: str = Field(max_length=8192)
    domain: str = Field(max_length=253)
    path: str = Field("/", max_length=2048)
    expires: float | None = None
    http_only: bool = Field(False, alias="httpOnly")
    secure: bool = False
    same_site: str | None = Field(None, alias="sameSite")


class SnapshotIn(Strict):
    cookies: list[Cookie] = Field(default_factory=list, max_length=1000)
    dom: str = Field(description="The page's HTML with password values stripped.")
    screenshot: str = Field(description="Base64 of a PNG, JPEG or WebP image of the viewport.")
    viewport: Viewport


class HandoffCreate(Strict):
    agent_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/-]+$")
    interruption_type: InterruptionType
    domain: str = Field(min_length=1, max_length=253, examples=["accounts.example.com"])
    url: str = Field(min_length=1, max_length=8192, examples=["https://accounts.example.com/2fa"])
    task: str | None = Field(None, max_length=4000, description="What the agent was doing, for the operator.")
    snapshot: SnapshotIn
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("domain")
    @classmethod
    def _domain_is_hostname(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if not _HOSTNAME.match(value):
            raise ValueError("must be a hostname such as accounts.example.com")
        return value

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_is_small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(repr(value)) > 16384:
            raise ValueError("must be under 16 KiB")
        return value

    @model_validator(mode="after")
    def _url_within_domain(self) -> "HandoffCreate":
        host = (urlsplit(self.url).hostname or "").lower()
        if host != self.domain and not host.endswith("." + self.domain):
            raise ValueError(f"url host '{host}' is not within domain '{self.domain}'")
        return self


class OpenBody(Strict):
    token: str = Field(min_length=10, max_length=2048, description="The `t` parameter of the mobile link.")


class OtpAction(Strict):
    type: Literal["otp"]
    code: str = Field(pattern=r"^[A-Za-z0-9]{4,12}$")


class DecisionAction(Strict):
    type: Literal["approve", "deny"]


class DoneAction(Strict):
    type: Literal["done"]
    note: str | None = Field(None, max_length=500)


class TextAction(Strict):
    type: Literal["text"]
    text: str = Field(min_length=1, max_length=2000)


ResolutionAction = Annotated[OtpAction | DecisionAction | DoneAction | TextAction, Field(discriminator="type")]


class ResolveBody(Strict):
    action: ResolutionAction


class FailBody(Strict):
    reason: FailureReason
    detail: str | None = Field(None, max_length=1000)


class ExpireBody(Strict):
    note: str | None = Field(None, max_length=1000)


class CompletedBody(Strict):
    task_outcome: Literal["success", "failure", "partial"] = "success"
    detail: str | None = Field(None, max_length=1000)


class HandoffOut(BaseModel):
    id: str
    state: State
    agent_id: str
    interruption_type: InterruptionType
    domain: str
    url: str
    task: str | None
    metadata: dict[str, Any]
    operator_id: str | None
    failure_reason: FailureReason | None
    task_outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


class HandoffCreated(HandoffOut):
    mobile_url: str | None = Field(
        description="Signed, single-use operator link for the current attempt (absent if none was sent)."
    )
    mobile_url_expires_at: datetime | None


class OpenedOut(BaseModel):
    handoff: HandoffOut
    session_token: str = Field(description="Operator session for this handoff (also set as an HttpOnly cookie).")
    session_expires_at: datetime


class HandoffPage(BaseModel):
    items: list[HandoffOut]
    next_cursor: str | None


class TraceRecord(BaseModel):
    id: str
    tenant_id: str
    handoff_id: str | None
    kind: str
    occurred_at: str
    duration_ms: float | None
    data: dict[str, Any]


class HandoffHistory(BaseModel):
    items: list[TraceRecord]

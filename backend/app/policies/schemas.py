import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.kit.ids import id_pattern

PolicyId = Annotated[str, Field(pattern=id_pattern("policy"))]
Glob = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9*?.\-_:@/\[\]!]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trigger(Strict):
    interruption_type: Literal["captcha", "twofa", "approval", "other"] | None = None
    domain: Glob | None = Field(None, description="Glob over the handoff's domain, e.g. *.salesforce.com.")
    agent_id: Glob | None = Field(None, description="Glob over the agent id, e.g. agent_outbound_*.")


class RouteAction(Strict):
    type: Literal["route"]
    chain_id: str | None = Field(None, pattern=id_pattern("chain"))
    operator_id: str | None = Field(None, pattern=id_pattern("operator"))
    timeout_s: int | None = Field(None, ge=1, le=86400, description="For operator routes: the step timeout.")

    @model_validator(mode="after")
    def _one_target(self) -> "RouteAction":
        if (self.chain_id is None) == (self.operator_id is None):
            raise ValueError("route needs exactly one of chain_id or operator_id")
        return self


class AutoResolveAction(Strict):
    type: Literal["auto_resolve"]
    mode: Literal["approve", "totp"]
    totp_secret: str | None = Field(
        None, min_length=16, max_length=128, description="Base32 TOTP seed (mode totp); stored encrypted, never shown."
    )
    totp_digits: int = Field(6, ge=6, le=8)
    totp_period_s: int = Field(30, ge=15, le=120)

    @field_validator("totp_secret")
    @classmethod
    def _base32(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = value.replace(" ", "").upper()
        try:
            base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("must be a base32 TOTP secret") from exc
        return cleaned

    @model_validator(mode="after")
    def _secret_matches_mode(self) -> "AutoResolveAction":
        if self.mode == "totp" and not self.totp_secret:
            raise ValueError("mode totp needs totp_secret")
        if self.mode == "approve" and self.totp_secret:
            raise ValueError("mode approve takes no totp_secret")
        return self


class TtlAction(Strict):
    type: Literal["ttl"]
    seconds: int = Field(ge=10, le=7 * 86400)


Action = Annotated[RouteAction | AutoResolveAction | TtlAction, Field(discriminator="type")]


class PolicyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    priority: int = Field(100, ge=0, le=100000, description="Lower runs first.")
    enabled: bool = True
    trigger: Trigger = Field(default_factory=Trigger)
    action: Action


class PolicyUpdate(Strict):
    name: str | None = Field(None, min_length=1, max_length=200)
    priority: int | None = Field(None, ge=0, le=100000)
    enabled: bool | None = None
    trigger: Trigger | None = None
    action: Action | None = None


class PolicyOut(BaseModel):
    id: str
    name: str
    priority: int
    enabled: bool
    trigger: Trigger
    action: dict[str, object] = Field(description="As created, with any TOTP secret replaced by totp_secret_set.")
    created_at: datetime
    updated_at: datetime


class DryRunIn(Strict):
    interruption_type: Literal["captcha", "twofa", "approval", "other"]
    domain: str = Field(min_length=1, max_length=253)
    agent_id: str = Field(min_length=1, max_length=200)


class Decision(BaseModel):
    policy_id: str
    name: str
    matched: bool
    applied: bool
    action: str
    why: str


class DryRunOut(BaseModel):
    decisions: list[Decision]
    route: dict[str, object] | None
    ttl_s: int | None
    auto_resolve: str | None

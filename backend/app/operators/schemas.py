import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.kit.ids import id_pattern
from app.notify.channels import CHANNELS

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OperatorId = Annotated[str, Field(pattern=id_pattern("operator"))]


def check_channels(channels: list[str]) -> list[str]:
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(CHANNELS)}")
    if len(set(channels)) != len(channels):
        raise ValueError("each channel may appear once")
    return channels


class OperatorFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone_is_e164(cls, value: str | None) -> str | None:
        if value is not None and not E164.match(value):
            raise ValueError("must be E.164, e.g. +14155550123")
        return value

    @field_validator("email", check_fields=False)
    @classmethod
    def _email_is_plausible(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError("must be an email address")
        return value

    @field_validator("channels", check_fields=False)
    @classmethod
    def _channels_are_known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_channels(value)


class OperatorCreate(OperatorFields):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=16)
    channels: list[str] = Field(default_factory=lambda: ["webpush", "sms"], min_length=1, max_length=5)
    on_duty: bool = True

    @model_validator(mode="after")
    def _contacts_for_channels(self) -> "OperatorCreate":
        missing_contact(self.channels, phone=self.phone, email=self.email)
        return self


class OperatorUpdate(OperatorFields):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=16)
    channels: list[str] | None = Field(None, min_length=1, max_length=5)
    on_duty: bool | None = None


def missing_contact(channels: list[str], *, phone: str | None, email: str | None) -> None:
    if {"sms", "voice"} & set(channels) and not phone:
        raise ValueError("channels sms and voice need a phone number")
    if "email" in channels and not email:
        raise ValueError("channel email needs an email address")


class OperatorOut(BaseModel):
    id: str
    name: str
    email: str | None
    phone: str | None
    channels: list[str]
    on_duty: bool
    push_subscriptions: int
    created_at: datetime
    updated_at: datetime


class PushKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p256dh: str = Field(min_length=80, max_length=200, pattern=r"^[A-Za-z0-9_-]+=*$")
    auth: str = Field(min_length=16, max_length=100, pattern=r"^[A-Za-z0-9_-]+=*$")


class PushSubscriptionIn(BaseModel):
    """Exactly what the browser's `PushSubscription.toJSON()` produces (`expirationTime` is accepted)."""

    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(min_length=10, max_length=2048, pattern=r"^https?://")
    keys: PushKeys
    expirationTime: float | None = None


class PushSubscriptionOut(BaseModel):
    id: str
    operator_id: str
    endpoint: str
    created_at: datetime


class VapidKeyOut(BaseModel):
    public_key: str = Field(description="applicationServerKey for PushManager.subscribe (base64url).")

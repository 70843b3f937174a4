from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.ids import id_pattern
from app.operators.schemas import check_channels

ChainId = Annotated[str, Field(pattern=id_pattern("chain"))]
MAX_REPEAT = 5


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator_id: str = Field(pattern=id_pattern("operator"))
    channels: list[str] | None = Field(
        None, min_length=1, max_length=5, description="Override of the operator's own channel order."
    )
    timeout_s: int = Field(60, ge=1, le=86400, description="Escalate if the link is not opened within this.")

    @field_validator("channels")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_channels(value)


class ChainCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    steps: list[Step] = Field(min_length=1, max_length=20)
    repeat: int = Field(0, ge=0, le=MAX_REPEAT, description="Run the whole chain again this many times.")
    is_default: bool = Field(False, description="Route handoffs that no policy routes here.")


class ChainUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    steps: list[Step] | None = Field(None, min_length=1, max_length=20)
    repeat: int | None = Field(None, ge=0, le=MAX_REPEAT)
    is_default: bool | None = None


class ChainOut(BaseModel):
    id: str
    name: str
    steps: list[Step]
    repeat: int
    is_default: bool
    created_at: datetime
    updated_at: datetime

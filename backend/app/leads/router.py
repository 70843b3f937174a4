from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.auth.principal import SessionDep
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.models.lead import Lead
from app.operators.schemas import EMAIL

router = APIRouter(prefix="/leads", tags=["public"])


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=EMAIL.pattern)
    name: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=200)
    message: str | None = Field(None, max_length=4000)
    source: str | None = Field(None, max_length=200, description="Where the form was, e.g. 'docs'.")


class LeadOut(BaseModel):
    id: str
    created_at: datetime


@router.post("", status_code=201, response_model=LeadOut)
async def create_lead(body: LeadIn, session: SessionDep) -> LeadOut:
    """Ask to be contacted (public)."""
    lead = Lead(id=new_id("lead"), created_at=utcnow(), **body.model_dump())
    session.add(lead)
    return LeadOut(id=lead.id, created_at=lead.created_at)

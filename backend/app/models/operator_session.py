from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class OperatorSession(Base):
    """What a redeemed link becomes: access to one handoff for one operator, stored hashed."""

    __tablename__ = "operator_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str] = mapped_column(String(40), index=True)
    operator_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]

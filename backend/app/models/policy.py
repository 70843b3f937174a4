from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Policy(Base):
    """`trigger` → `action`, evaluated in priority order when a handoff freezes. A TOTP secret lives only
    encrypted in `secret_blob`."""

    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(default=100)
    enabled: Mapped[bool] = mapped_column(default=True)
    trigger: Mapped[dict[str, Any]]
    action: Mapped[dict[str, Any]]
    secret_blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Snapshot(Base):
    """The frozen browser state: one AES-256-GCM blob (see app.crypto); the viewport is not secret."""

    __tablename__ = "snapshots"

    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    key_version: Mapped[int]
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    viewport: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]

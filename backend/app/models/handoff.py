from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Handoff(Base):
    """One stuck moment. `state` and `version` are written only by `app.lifecycle.transition`."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_tenant_created", "tenant_id", "id"),
        Index("ix_handoffs_tenant_state", "tenant_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    agent_id: Mapped[str] = mapped_column(String(200), index=True)
    interruption_type: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(253))
    url: Mapped[str] = mapped_column(Text)
    task: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(40))
    operator_id: Mapped[str | None] = mapped_column(String(40))
    resolution: Mapped[dict[str, Any] | None]
    task_outcome: Mapped[str | None] = mapped_column(String(40))
    escalation: Mapped[dict[str, Any] | None]
    """The routing decided at freeze: chain snapshot, position and the active fence token."""
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    # The ORM compare-and-sets `version` on every UPDATE: a writer holding a stale copy fails loudly.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)

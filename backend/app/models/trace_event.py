from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import AutoIncrementId, Base


class TraceEvent(Base):
    """Fine-grained, non-chained record: classifier verdicts, step durations, notification attempts."""

    __tablename__ = "trace_events"
    __table_args__ = (
        Index("ix_trace_events_tenant_pos", "tenant_id", "pos"),
        Index("ix_trace_events_handoff", "handoff_id"),
    )

    pos: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[str] = mapped_column(String(32))
    duration_ms: Mapped[float | None]
    data: Mapped[dict[str, Any]]

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Timer(Base):
    """A durable timer: survives restarts, is claimed with a lease (SKIP LOCKED on PostgreSQL) and fires at
    most once — its effect and `status = done` commit together, and `fence` must still match the handoff's
    active token, so stale or duplicate firings do nothing."""

    __tablename__ = "timers"
    __table_args__ = (
        Index("ix_timers_due", "status", "due_at"),
        Index("ix_timers_handoff", "handoff_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    fence: Mapped[str | None] = mapped_column(String(40))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]

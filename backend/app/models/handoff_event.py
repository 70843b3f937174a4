from typing import Any

from sqlalchemy import BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class HandoffEvent(Base):
    """One link of a tenant's audit hash chain; exactly the record of DESIGN §6 plus its hash.

    `occurred_at` is stored as the RFC 3339 text that was hashed, so an export reproduces it byte for byte.
    """

    __tablename__ = "handoff_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq", name="uq_handoff_events_tenant_seq"),
        Index("ix_handoff_events_handoff_seq", "handoff_id", "seq"),
        Index("ix_handoff_events_tenant_time", "tenant_id", "occurred_at"),
    )

    event_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    handoff_id: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[str] = mapped_column(String(32))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(60))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import AutoIncrementId, Base


class RelayAction(Base):
    """One operator input (tap, text, key) for the agent to apply to its live page.

    `seq` rises by exactly 1 per handoff; a frame that reflects `seq` acknowledges every action up to it.
    Unacknowledged actions are delivered again when the agent reconnects.
    """

    __tablename__ = "relay_actions"
    __table_args__ = (
        UniqueConstraint("handoff_id", "seq", name="uq_relay_actions_handoff_seq"),
        Index("ix_relay_actions_tenant_handoff", "tenant_id", "handoff_id"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]]
    operator_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    acked_at: Mapped[datetime | None]

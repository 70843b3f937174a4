from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import AutoIncrementId, Base


class RelayFrame(Base):
    """A fresh image of the agent's live page, AES-256-GCM encrypted like snapshots; only the last few kept.

    `seq` is the last relay action the page reflects (0: none yet); `id` orders frames.
    """

    __tablename__ = "relay_frames"
    __table_args__ = (Index("ix_relay_frames_tenant_handoff", "tenant_id", "handoff_id", "id"),)

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(32))
    key_version: Mapped[int]
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    size_bytes: Mapped[int]
    viewport: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]

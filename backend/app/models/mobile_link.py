from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class MobileLink(Base):
    """The single-use half of a signed operator link: its `jti` is consumed exactly once."""

    __tablename__ = "mobile_links"

    jti: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(40))
    handoff_id: Mapped[str] = mapped_column(String(40), index=True)
    operator_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

"""The development channel: the operator link goes to the server log (and, later, the console UI)."""

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit
from app.models import Handoff

log = logging.getLogger("batonpass.notify.console")

CHANNEL = "console"


def send_console_notification(session: AsyncSession, handoff: Handoff, url: str) -> None:
    """Log the link once the transaction commits, so a rolled-back handoff never announces itself."""
    message = (
        f"handoff {handoff.id} needs an operator: {handoff.interruption_type} on {handoff.domain} "
        f"(agent {handoff.agent_id}) → open {url}"
    )

    async def emit() -> None:
        log.warning(message)

    after_commit(session, emit)

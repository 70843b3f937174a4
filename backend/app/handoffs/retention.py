"""What a handoff keeps once it has ended, and what an operator's action may leave in the audit log."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.handoffs.repository import get_snapshot
from app.kit.timeutil import utcnow
from app.lifecycle.states import TERMINAL_STATES, State
from app.models import Handoff


def public_resolution(action: dict[str, Any]) -> dict[str, Any]:
    """The type and shape of an operator's action, never the code or text itself."""
    summary: dict[str, Any] = {"type": action["type"]}
    if "code" in action:
        summary["code_length"] = len(action["code"])
    if "text" in action:
        summary["text_length"] = len(action["text"])
    return summary


async def purge_ended(session: AsyncSession, handoff: Handoff) -> None:
    """An ended handoff keeps no operator secret and no browser state (cookies are credentials)."""
    if State(handoff.state) not in TERMINAL_STATES:
        return
    handoff.resolution = None
    snapshot = await get_snapshot(session, handoff.tenant_id, handoff.id)
    if snapshot is not None and snapshot.blob is not None:
        snapshot.blob = None
        snapshot.purged_at = utcnow()

"""The relay's wire shapes: what the SSE streams carry and where frames are fetched."""

from typing import Any

from app.handoffs.schemas import Viewport
from app.kit.timeutil import rfc3339
from app.models import RelayAction, RelayFrame
from app.relay.schemas import FrameOut


def frame_url(handoff_id: str, frame_id: int) -> str:
    # `v` only makes each frame's URL distinct for the <img>; the endpoint always serves the newest frame.
    return f"/api/v1/handoffs/{handoff_id}/frames/latest?v={frame_id}"


def frame_out(frame: RelayFrame) -> FrameOut:
    return FrameOut(
        frame_id=frame.id,
        handoff_id=frame.handoff_id,
        seq=frame.seq,
        media_type=frame.media_type,
        size_bytes=frame.size_bytes,
        viewport=Viewport(**frame.viewport) if frame.viewport else None,
        created_at=frame.created_at,
        url=frame_url(frame.handoff_id, frame.id),
    )


def action_message(row: RelayAction) -> dict[str, Any]:
    """The `relay.action` SSE payload, as the agent SDK reads it."""
    return {
        "handoff_id": row.handoff_id,
        "seq": row.seq,
        "action": row.payload,
        "created_at": rfc3339(row.created_at),
    }


def frame_message(frame: RelayFrame) -> dict[str, Any]:
    """The `relay.frame` SSE payload, as the phone reads it."""
    return frame_out(frame).model_dump(mode="json")

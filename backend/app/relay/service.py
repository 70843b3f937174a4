"""The relay: operator actions become ordered rows the agent reads over SSE; agent frames come back encrypted.

Ordering: `seq` is allocated under the handoff's row lock, so it rises by exactly 1 per handoff.
Acknowledgement: a frame carrying `seq` acknowledges every action up to it. A reconnecting agent is sent
every action not yet acknowledged (it dedupes by seq), so a dropped connection never loses a tap.
"""

import base64
import binascii
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trace import record_trace
from app.auth.principal import Principal
from app.crypto.snapshots import SnapshotDecryptionError
from app.db import after_commit
from app.events.bus import EventBus, handoff_channel
from app.handoffs import repository as handoffs_repository
from app.handoffs.schemas import Viewport
from app.handoffs.service import handoff_out
from app.handoffs.snapshot_checks import decode_screenshot
from app.kit.problems import Conflict, Gone, NotFound, PayloadTooLarge, Problem, Unprocessable
from app.kit.timeutil import utcnow
from app.lifecycle.states import TERMINAL_STATES, State
from app.lifecycle.transition import RequestContext, register_outbox_hook, transition
from app.models import Handoff, HandoffEvent, RelayAction, RelayFrame, Tenant
from app.relay import repository
from app.relay.messages import frame_out
from app.relay.schemas import ClickAction, FrameOut, OperatorView, RelayActionIn, RelayActionOut
from app.runtime import Runtime

ACTION_STATES = frozenset({State.OPENED, State.SOLVING})


class RelayClosed(Conflict):
    slug, title = "relay-closed", "Relay closed"

    def __init__(self, handoff: Handoff, accepted: frozenset[State] | None = None) -> None:
        detail = f"Handoff {handoff.id} is '{handoff.state}'; "
        detail += (
            f"actions are accepted only while it is {' or '.join(sorted(accepted))}."
            if accepted
            else "it has ended, so it takes no more frames."
        )
        super().__init__(detail, handoff_id=handoff.id, current_state=handoff.state)


class OffScreen(Unprocessable):
    slug, title = "tap-off-screen", "Tap outside the page"


class NoFrame(NotFound):
    slug, title = "no-frame", "No frame yet"


class ScreenPurged(Gone):
    slug, title = "screen-purged", "Captured screen purged"


class UnreadableScreen(Problem):
    status, slug, title = 500, "unreadable-screen", "Captured screen unreadable"


def frame_subject(handoff_id: str) -> str:
    """The AAD subject of a frame: bound to tenant and handoff, and never interchangeable with a snapshot."""
    return f"{handoff_id}/frames"


@dataclass(frozen=True)
class FrameImage:
    frame: RelayFrame
    image: bytes


class RelayService:
    def __init__(self, session: AsyncSession, runtime: Runtime, context: RequestContext) -> None:
        self.session = session
        self.runtime = runtime
        self.context = context

    def _wake_after_commit(self, handoff_id: str) -> None:
        bus = self.runtime.bus

        async def wake() -> None:
            await bus.publish(handoff_channel(handoff_id))

        after_commit(self.session, wake)

    async def _viewport(self, tenant_id: str, handoff_id: str) -> Viewport | None:
        frame = await repository.latest_frame(self.session, tenant_id, handoff_id)
        if frame is not None and frame.viewport:
            return Viewport(**frame.viewport)
        snapshot = await handoffs_repository.get_snapshot(self.session, tenant_id, handoff_id)
        return Viewport(**snapshot.viewport) if snapshot is not None else None

    async def post_action(self, principal: Principal, handoff_id: str, action: RelayActionIn) -> RelayActionOut:
        principal.ensure_handoff(handoff_id)
        tenant_id = principal.tenant_id
        handoff = await repository.lock_handoff(self.session, tenant_id, handoff_id)
        if handoff is None:
            raise NotFound(f"No handoff {handoff_id} in this tenant.")
        if State(handoff.state) not in ACTION_STATES:
            raise RelayClosed(handoff, ACTION_STATES)
        if isinstance(action, ClickAction):
            viewport = await self._viewport(tenant_id, handoff_id)
            if viewport is not None and (action.x > viewport.width or action.y > viewport.height):
                raise OffScreen(
                    f"({action.x}, {action.y}) is outside the {viewport.width}×{viewport.height} viewport.",
                    viewport=viewport.model_dump(),
                )
        if State(handoff.state) is State.OPENED:
            handoff, _ = await transition(
                self.session, self.runtime.bus, tenant_id, handoff_id, State.SOLVING, principal.actor,
                payload={"first_action": action.type}, context=self.context,
            )  # fmt: skip
        seq = await repository.last_action_seq(self.session, handoff_id) + 1
        row = RelayAction(
            tenant_id=tenant_id,
            handoff_id=handoff_id,
            seq=seq,
            type=action.type,
            payload=action.model_dump(mode="json"),
            operator_id=principal.operator_id,
            created_at=utcnow(),
            acked_at=None,
        )
        self.session.add(row)
        await self.session.flush()
        record_trace(
            self.session, self.runtime.bus, tenant_id, handoff_id, "relay.action",
            {"seq": seq, "type": action.type},
        )  # fmt: skip
        self._wake_after_commit(handoff_id)
        return RelayActionOut(
            handoff_id=handoff_id,
            seq=seq,
            action=action,
            created_at=row.created_at,
            handoff_state=str(handoff.state),
        )

    async def upload_frame(
        self,
        principal: Principal,
        handoff_id: str,
        *,
        image: bytes,
        seq: int,
        viewport: Viewport | None,
    ) -> FrameOut:
        principal.ensure_handoff(handoff_id)
        tenant_id = principal.tenant_id
        handoff = await handoffs_repository.get_handoff(self.session, tenant_id, handoff_id)
        if State(handoff.state) in TERMINAL_STATES:
            raise RelayClosed(handoff)
        limit = self.runtime.settings.relay_frame_max_bytes
        if len(image) > limit:
            raise PayloadTooLarge(
                f"The frame is {len(image)} bytes; the limit is {limit}. Send a JPEG of the viewport.",
                size_bytes=len(image),
                limit_bytes=limit,
            )
        media_type = _media_type(image)
        last_seq = await repository.last_action_seq(self.session, handoff_id)
        if seq > last_seq:
            raise Unprocessable(
                f"The frame claims to reflect action {seq}, but the last action sent is {last_seq}.",
                field="seq",
                last_action_seq=last_seq,
            )
        tenant = await self.session.get(Tenant, tenant_id)
        if tenant is None:
            raise NotFound("This API key's tenant no longer exists.")
        version = tenant.snapshot_key_version
        now = utcnow()
        frame = RelayFrame(
            tenant_id=tenant_id,
            handoff_id=handoff_id,
            seq=seq,
            media_type=media_type,
            key_version=version,
            blob=self.runtime.cipher.encrypt(tenant_id, frame_subject(handoff_id), version, image),
            size_bytes=len(image),
            viewport=viewport.model_dump() if viewport else None,
            created_at=now,
        )
        self.session.add(frame)
        await self.session.flush()
        acked_before = await repository.acked_seq(self.session, handoff_id)
        if seq > acked_before:
            oldest = await repository.actions_after(self.session, tenant_id, handoff_id, acked_before, limit=1)
            await repository.acknowledge(self.session, handoff_id, seq, now)
            record_trace(
                self.session, self.runtime.bus, tenant_id, handoff_id, "relay.ack",
                {"seq": seq, "acked": seq - acked_before, "frame_id": frame.id},
                duration_ms=(now - oldest[0].created_at).total_seconds() * 1000 if oldest else None,
            )  # fmt: skip
        await repository.prune_frames(self.session, tenant_id, handoff_id, self.runtime.settings.relay_frames_kept)
        self._wake_after_commit(handoff_id)
        return frame_out(frame)

    async def latest_frame(self, principal: Principal, handoff_id: str) -> FrameImage:
        principal.ensure_handoff(handoff_id)
        await handoffs_repository.get_handoff(self.session, principal.tenant_id, handoff_id)
        frame = await repository.latest_frame(self.session, principal.tenant_id, handoff_id)
        if frame is None:
            raise NoFrame(f"The agent has not sent a frame for handoff {handoff_id} yet.")
        try:
            image = self.runtime.cipher.decrypt(frame.tenant_id, frame_subject(handoff_id), frame.blob)
        except SnapshotDecryptionError as exc:
            raise UnreadableScreen("The stored frame does not decrypt for this handoff.") from exc
        return FrameImage(frame, image)

    async def screenshot(self, principal: Principal, handoff_id: str) -> tuple[bytes, str]:
        """The captured screen alone: operators never receive the snapshot's cookies or DOM."""
        principal.ensure_handoff(handoff_id)
        await handoffs_repository.get_handoff(self.session, principal.tenant_id, handoff_id)
        snapshot = await handoffs_repository.get_snapshot(self.session, principal.tenant_id, handoff_id)
        if snapshot is None:
            raise NotFound(f"Handoff {handoff_id} has no captured screen.")
        if snapshot.blob is None:
            raise ScreenPurged("The captured screen was deleted when the handoff ended.")
        try:
            plaintext = self.runtime.cipher.decrypt(snapshot.tenant_id, handoff_id, snapshot.blob)
        except SnapshotDecryptionError as exc:
            raise UnreadableScreen("The stored snapshot does not decrypt for this handoff.") from exc
        encoded = orjson.loads(plaintext).get("screenshot", "")
        return decode_screenshot(encoded)

    async def view(self, principal: Principal, handoff_id: str) -> OperatorView:
        principal.ensure_handoff(handoff_id)
        handoff = await handoffs_repository.get_handoff(self.session, principal.tenant_id, handoff_id)
        snapshot = await handoffs_repository.get_snapshot(self.session, principal.tenant_id, handoff_id)
        frame = await repository.latest_frame(self.session, principal.tenant_id, handoff_id)
        return OperatorView(
            handoff=handoff_out(handoff),
            viewport=Viewport(**snapshot.viewport) if snapshot is not None else None,
            screenshot_url=(
                f"/api/v1/handoffs/{handoff_id}/screenshot"
                if snapshot is not None and snapshot.blob is not None
                else None
            ),
            latest_frame=frame_out(frame) if frame is not None else None,
            last_action_seq=await repository.last_action_seq(self.session, handoff_id),
            acked_seq=await repository.acked_seq(self.session, handoff_id),
        )


_FRAME_MAGIC = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def decode_frame_image(encoded: str) -> bytes:
    if encoded.startswith("data:") and "," in encoded[:64]:
        encoded = encoded.split(",", 1)[1]
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable("image is not valid base64.", field="image") from exc


def _media_type(image: bytes) -> str:
    for magic, media_type in _FRAME_MAGIC.items():
        if image.startswith(magic):
            return media_type
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    raise Unprocessable("A frame must be a JPEG, PNG or WebP image.", field="image")


async def purge_relay_on_end(
    session: AsyncSession, _bus: EventBus | None, handoff: Handoff, event: HandoffEvent
) -> None:
    """Outbox hook: when a handoff ends, its frames are deleted and typed text is reduced to its length."""
    if State(event.to_state) not in TERMINAL_STATES:
        return
    for row in await repository.purge(session, handoff.tenant_id, handoff.id):
        text = row.payload.get("text")
        if isinstance(text, str):
            row.payload = {"type": row.type, "text_length": len(text), "redacted": True}


register_outbox_hook(purge_relay_on_end)

"""Delivery rows written inside the transition's own transaction, and the wake-up after it commits.

The rows commit or roll back with the state change, so an event is never sent for a transition that did not
happen and never lost for one that did. After the commit the dispatchers are woken through the event bus
(with Redis, dispatchers in other processes too); their polling is only the fallback.
"""

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit
from app.events.bus import EventBus
from app.kit.ids import new_id
from app.kit.timeutil import utcnow
from app.lifecycle.transition import register_outbox_hook
from app.models import Handoff, HandoffEvent, WebhookDelivery
from app.webhooks import repository
from app.webhooks.catalogue import envelope, event_type_of
from app.webhooks.retry import Status

WAKE_CHANNEL = "webhooks:due"
_SUBSCRIPTIONS_KEY = "webhooks.subscriptions"
_WAKE_KEY = "webhooks.wake_pending"


def wake_dispatchers(bus: EventBus) -> Callable[[], Awaitable[None]]:
    """An after-commit hook that wakes every dispatcher listening on `bus` (other processes too, with Redis)."""

    async def wake() -> None:
        await bus.publish(WAKE_CHANNEL)

    return wake


async def _subscriptions(session: AsyncSession, tenant_id: str) -> list[tuple[str, list[str]]]:
    """The tenant's enabled endpoints, read once per transaction (a handoff's pipeline makes four
    transitions in one)."""
    cache: dict[str, list[tuple[str, list[str]]]] | None = session.info.get(_SUBSCRIPTIONS_KEY)
    if cache is None:
        cache = session.info[_SUBSCRIPTIONS_KEY] = {}

        async def forget() -> None:
            session.info.pop(_SUBSCRIPTIONS_KEY, None)

        after_commit(session, forget)
    if tenant_id not in cache:
        cache[tenant_id] = await repository.subscriptions(session, tenant_id)
    return cache[tenant_id]


async def write_deliveries(session: AsyncSession, bus: EventBus | None, handoff: Handoff, event: HandoffEvent) -> None:
    event_type = event_type_of(event)
    endpoints = [
        endpoint_id
        for endpoint_id, types in await _subscriptions(session, handoff.tenant_id)
        if not types or event_type in types
    ]
    if not endpoints:
        return
    body = envelope(handoff, event)
    now = utcnow()
    for endpoint_id in endpoints:
        session.add(
            WebhookDelivery(
                id=new_id("delivery"),
                tenant_id=handoff.tenant_id,
                endpoint_id=endpoint_id,
                event_id=event.event_id,
                handoff_id=handoff.id,
                event_type=event_type,
                payload=body,
                status=Status.PENDING,
                attempt_count=0,
                schedule_step=0,
                next_attempt_at=now,
                locked_until=None,
                last_status_code=None,
                last_error=None,
                created_at=now,
                updated_at=now,
                delivered_at=None,
            )
        )
    if bus is not None and not session.info.get(_WAKE_KEY):
        session.info[_WAKE_KEY] = True
        after_commit(session, wake_dispatchers(bus))


register_outbox_hook(write_deliveries)

"""What the server does with a new handoff, in its creating transaction: classify (created → detected, or
failed), freeze the snapshot encrypted (→ frozen), then route it (app.escalation.engine)."""

import asyncio
import time
from dataclasses import dataclass
from functools import partial

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trace import record_trace
from app.classifier import classify
from app.escalation.engine import route_at_freeze
from app.handoffs.schemas import SnapshotIn
from app.kit.timeutil import utcnow
from app.lifecycle.states import FailureReason, State
from app.lifecycle.transition import SERVER, RequestContext, transition
from app.mobile.service import MintedLink
from app.models import Handoff, Snapshot, Tenant
from app.runtime import Runtime

INLINE_CLASSIFY_MAX_CHARS = 32 * 1024


@dataclass(frozen=True)
class PipelineResult:
    link: MintedLink | None


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def advance_new_handoff(
    session: AsyncSession,
    runtime: Runtime,
    tenant: Tenant,
    handoff: Handoff,
    snapshot: SnapshotIn,
    context: RequestContext,
) -> PipelineResult:
    bus, settings = runtime.bus, runtime.settings

    started = time.perf_counter()
    detector = handoff.extra.get("detector") if isinstance(handoff.extra, dict) else None
    classify_call = partial(
        classify,
        dom=snapshot.dom,
        url=handoff.url,
        interruption_type=handoff.interruption_type,
        detector=detector if isinstance(detector, dict) else None,
        threshold=settings.classifier_threshold,
    )
    # Parsing costs ~0.15 ms per KB of HTML: a large page is classified off the event loop.
    large = len(snapshot.dom) > INLINE_CLASSIFY_MAX_CHARS
    verdict = await asyncio.to_thread(classify_call) if large else classify_call()
    record_trace(
        session,
        bus,
        tenant.id,
        handoff.id,
        "classifier.verdict",
        verdict.to_dict(),
        duration_ms=_ms_since(started),
    )
    if not verdict.confirmed:
        await transition(
            session, bus, tenant.id, handoff.id, State.FAILED, SERVER,
            reason=FailureReason.CLASSIFIER_REJECTED,
            payload={"score": verdict.score, "threshold": verdict.threshold},
            context=context,
        )  # fmt: skip
        handoff.failure_reason = FailureReason.CLASSIFIER_REJECTED
        return PipelineResult(link=None)
    await transition(
        session, bus, tenant.id, handoff.id, State.DETECTED, SERVER,
        payload={"category": verdict.category, "score": verdict.score},
        context=context,
    )  # fmt: skip

    started = time.perf_counter()
    plaintext = orjson.dumps(snapshot.model_dump(mode="json", by_alias=True))
    blob = runtime.cipher.encrypt(tenant.id, handoff.id, tenant.snapshot_key_version, plaintext)
    session.add(
        Snapshot(
            handoff_id=handoff.id,
            tenant_id=tenant.id,
            key_version=tenant.snapshot_key_version,
            blob=blob,
            size_bytes=len(plaintext),
            viewport=snapshot.viewport.model_dump(),
            created_at=utcnow(),
            purged_at=None,
        )
    )
    await transition(
        session, bus, tenant.id, handoff.id, State.FROZEN, SERVER,
        payload={"snapshot_bytes": len(plaintext), "key_version": tenant.snapshot_key_version},
        context=context,
    )  # fmt: skip
    record_trace(
        session, bus, tenant.id, handoff.id, "pipeline.freeze",
        {"snapshot_bytes": len(plaintext), "cookies": len(snapshot.cookies)},
        duration_ms=_ms_since(started),
    )  # fmt: skip

    routed = await route_at_freeze(session, runtime, tenant, handoff, context)
    return PipelineResult(link=routed.link)

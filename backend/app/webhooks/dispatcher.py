"""The webhook dispatcher: claims due deliveries, sends them concurrently, records every attempt.

Claims are leases (`locked_until`), taken with SKIP LOCKED on PostgreSQL, so several dispatchers never send
the same attempt at once, and a dispatcher that dies mid-send has its deliveries sent again once the lease
runs out: delivery is at least once, and receivers dedupe on `webhook-id`. Outcomes are written in batches (one
transaction for many attempts), because a commit costs far more than an HTTP round trip on loopback.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trace import record_trace
from app.config import Settings
from app.crypto.snapshots import SnapshotDecryptionError
from app.events.bus import Subscription
from app.kit.timeutil import rfc3339, utcnow
from app.models import WebhookDelivery, WebhookEndpoint
from app.runtime import Runtime
from app.webhooks import repository
from app.webhooks.outbox import WAKE_CHANNEL
from app.webhooks.retry import Status, decide, parse_retry_after
from app.webhooks.signing import webhook_headers
from app.webhooks.ssrf import ShardedTransport, TargetRefused, parse_target

log = logging.getLogger("batonpass.webhooks")

EXCERPT_BYTES = 1024
DRAIN_BYTES = 64 * 1024
"""Read this much of a response so the connection can be reused; a longer body closes it instead."""
RECORD_BATCH = 500
CONTENDED_WAIT_S = 0.05
STOP_GRACE_S = 2.0


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    tenant_id: str
    endpoint_id: str
    handoff_id: str
    event_type: str
    url: str
    body: bytes
    keys: tuple[bytes, ...]
    step: int
    number: int


@dataclass(frozen=True)
class AttemptResult:
    claim: Claim
    started_at: datetime
    status_code: int | None
    latency_ms: float
    excerpt: str | None
    error: str | None
    retry_after_s: float | None


def make_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client of a dispatcher process: pooled, SSRF-guarded, no redirects, no env proxies."""
    transport = ShardedTransport(
        allow_private=settings.webhook_allow_private_targets, connections=settings.webhook_concurrency
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(settings.webhook_attempt_timeout_s),
        follow_redirects=False,
        trust_env=False,
    )


async def _read_excerpt(response: httpx.Response) -> str | None:
    kept = bytearray()
    read = 0
    async for chunk in response.aiter_bytes():
        if len(kept) < EXCERPT_BYTES:
            kept += chunk[: EXCERPT_BYTES - len(kept)]
        read += len(chunk)
        if read > DRAIN_BYTES:
            break
    return kept.decode("utf-8", errors="replace") if kept else None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def send_attempt(client: httpx.AsyncClient, claim: Claim, *, timeout_s: float, allow_http: bool) -> AttemptResult:
    """POST the signed body once. Never raises for the receiver's failures: they are the result."""
    started_at = utcnow()
    began = time.perf_counter()
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None
    try:
        if not claim.keys:
            raise TargetRefused("the endpoint's secret cannot be decrypted with the current master key")
        parse_target(claim.url, allow_http=allow_http)
        headers = webhook_headers(claim.keys, claim.delivery_id, int(time.time()), claim.body)
        async with (
            asyncio.timeout(timeout_s),
            client.stream("POST", claim.url, content=claim.body, headers=headers) as response,
        ):
            status_code = response.status_code
            retry_after = parse_retry_after(response.headers.get("retry-after"), utcnow())
            excerpt = await _read_excerpt(response)
    except TargetRefused as exc:
        error = f"refused: {exc}"
    except TimeoutError:
        error = f"no complete response within {timeout_s:g} s"
    except httpx.HTTPError as exc:
        error = _describe(exc)
    except Exception as exc:
        log.exception("webhook %s: unexpected error while sending", claim.delivery_id)
        error = f"unexpected error: {_describe(exc)}"
    return AttemptResult(
        claim=claim,
        started_at=started_at,
        status_code=status_code,
        latency_ms=(time.perf_counter() - began) * 1000,
        excerpt=excerpt,
        error=error,
        retry_after_s=retry_after,
    )


class Dispatcher:
    """One loop of cycles: each cycle records the attempts that finished since the last one and claims due
    deliveries into the free slots, in a single transaction (one commit, and no second writer to wait for on
    SQLite); the claimed requests then run concurrently while the next cycle commits. A finished request
    wakes the loop, so under load a cycle carries many outcomes and many claims."""

    def __init__(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        self._runtime = runtime
        self._settings = runtime.settings
        self._client = client
        self._skip_locked = runtime.database.dialect == "postgresql"
        timeout = self._settings.webhook_attempt_timeout_s
        self._lease = timedelta(seconds=max(self._settings.webhook_lease_s, timeout + 1))
        # Claim in batches: a claim is a commit, so one free slot does not earn one while others are busy.
        self._claim_at_least = max(1, self._settings.webhook_concurrency // 8)
        self._sending = 0
        self._unrecorded: dict[str, Claim] = {}
        """Claimed by this dispatcher and not yet recorded (sending, or finished and waiting for a cycle);
        released on shutdown so a restart need not wait for their leases."""
        self._sends: set[asyncio.Task[None]] = set()
        self._results: list[AttemptResult] = []
        self._wake: Subscription | None = None

    async def run(self, stop: asyncio.Event) -> None:
        async with self._runtime.bus.subscribe(WAKE_CHANNEL) as wake:
            self._wake = wake

            async def wake_on_stop() -> None:
                await stop.wait()
                wake.wake()

            watcher = asyncio.create_task(wake_on_stop())
            try:
                while not stop.is_set():
                    try:
                        sleep_s = await self._cycle(claim=True)
                    except Exception:
                        # Unrecorded outcomes keep their leases; when those run out the deliveries go again.
                        log.exception("webhook dispatcher: a cycle failed; trying again")
                        sleep_s = self._settings.webhook_poll_s
                    if sleep_s > 0 and not stop.is_set():
                        await wake.wait(sleep_s)
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
                await self._shutdown()

    async def _cycle(self, *, claim: bool) -> float:
        """Record finished attempts and claim into free slots; return how long to sleep unless woken."""
        poll = self._settings.webhook_poll_s
        results, self._results = self._results[:RECORD_BATCH], self._results[RECORD_BATCH:]
        room = self._settings.webhook_concurrency - self._sending
        claim = claim and (room >= self._claim_at_least or (room > 0 and self._sending == 0))
        if not results:
            if not claim:
                return poll  # a finished request wakes us
            async with self._runtime.database.readers() as session:
                due = await repository.next_due(session, utcnow())
            if due is None:
                return poll
            if (wait_s := (due - utcnow()).total_seconds()) > 0:
                return min(poll, wait_s)
        now = utcnow()
        picked: list[tuple[WebhookDelivery, WebhookEndpoint]] = []
        examined = 0
        next_due: datetime | None = None
        try:
            async with self._runtime.database.transaction() as session:
                if results:
                    await self._record(session, results, now)
                if claim:
                    picked, examined = await self._claim(session, now, room)
                    if examined < room:
                        next_due = await repository.next_due(session, now)
        finally:
            for result in results:
                self._unrecorded.pop(result.claim.delivery_id, None)
        for delivery, endpoint in picked:
            self._start(self._to_claim(delivery, endpoint, now))
        if self._results:
            return 0.0
        if not claim:
            return poll  # a finished request wakes us
        if examined == room:
            # Slots full: a finished request wakes us. Some rows were for disabled endpoints: look again.
            return poll if len(picked) == room else 0.0
        if next_due is None:
            return poll
        # Still due but not claimed: another dispatcher's transaction holds those rows right now.
        return min(poll, max(CONTENDED_WAIT_S, (next_due - utcnow()).total_seconds()))

    async def _claim(
        self, session: AsyncSession, now: datetime, limit: int
    ) -> tuple[list[tuple[WebhookDelivery, WebhookEndpoint]], int]:
        """Lease up to `limit` due deliveries; fail those whose endpoint is disabled. Returns the leased ones
        and how many rows were examined."""
        lease_until = now + self._lease
        picked: list[tuple[WebhookDelivery, WebhookEndpoint]] = []
        rows = await repository.claim_due(session, now, limit, skip_locked=self._skip_locked)
        for delivery, endpoint in rows:
            delivery.updated_at = now
            if not endpoint.enabled:
                delivery.status = Status.FAILED
                delivery.next_attempt_at = None
                delivery.last_error = "endpoint disabled" + (
                    f": {endpoint.disabled_reason}" if endpoint.disabled_reason else ""
                )
                continue
            delivery.locked_until = lease_until
            picked.append((delivery, endpoint))
        return picked, len(rows)

    def _to_claim(self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> Claim:
        cipher = self._runtime.cipher
        blobs = [endpoint.secret]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret is not None and expires is not None and expires > now:
            blobs.append(endpoint.previous_secret)
        try:
            keys = tuple(cipher.decrypt(endpoint.tenant_id, endpoint.id, blob) for blob in blobs)
        except SnapshotDecryptionError:
            log.exception("webhook endpoint %s: secret does not decrypt", endpoint.id)
            keys = ()
        return Claim(
            delivery_id=delivery.id,
            tenant_id=delivery.tenant_id,
            endpoint_id=endpoint.id,
            handoff_id=delivery.handoff_id,
            event_type=delivery.event_type,
            url=endpoint.url,
            body=delivery.payload.encode(),
            keys=keys,
            step=delivery.schedule_step,
            number=delivery.attempt_count + 1,
        )

    def _start(self, claim: Claim) -> None:
        self._sending += 1
        self._unrecorded[claim.delivery_id] = claim
        task = asyncio.create_task(self._send(claim), name=f"webhook-{claim.delivery_id}")
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self, claim: Claim) -> None:
        try:
            result = await send_attempt(
                self._client,
                claim,
                timeout_s=self._settings.webhook_attempt_timeout_s,
                allow_http=self._settings.webhook_allow_http,
            )
            self._results.append(result)
        finally:
            self._sending -= 1
            if self._wake is not None:
                self._wake.wake()

    async def _record(self, session: AsyncSession, batch: list[AttemptResult], now: datetime) -> None:
        settings = self._settings
        endpoints = await repository.endpoints_by_id(session, list({r.claim.endpoint_id for r in batch}))
        updates: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        disabled: dict[str, WebhookEndpoint] = {}
        for result in batch:
            claim = result.claim
            endpoint = endpoints.get(claim.endpoint_id)
            if endpoint is None:
                continue  # deleted while the attempt was in flight, and its deliveries with it
            decision = decide(
                step=claim.step,
                status_code=result.status_code,
                retry_after_s=result.retry_after_s,
                now=now,
                failing_since=endpoint.failing_since,
                scale=settings.webhook_retry_scale,
                disable_after_s=settings.webhook_disable_after_s,
            )
            error = "; ".join(part for part in (result.error, decision.note) if part) or None
            updates.append(
                {
                    "id": claim.delivery_id,
                    "status": str(decision.status),
                    "attempt_count": claim.number,
                    "schedule_step": decision.schedule_step,
                    "next_attempt_at": decision.next_attempt_at,
                    "last_status_code": result.status_code,
                    "last_error": error,
                    "updated_at": now,
                    "delivered_at": now if decision.status is Status.DELIVERED else None,
                }
            )
            attempts.append(
                {
                    "delivery_id": claim.delivery_id,
                    "tenant_id": claim.tenant_id,
                    "endpoint_id": claim.endpoint_id,
                    "number": claim.number,
                    "started_at": result.started_at,
                    "status_code": result.status_code,
                    "latency_ms": round(result.latency_ms, 3),
                    "response_excerpt": result.excerpt,
                    "error": result.error,
                    "outcome": decision.outcome,
                }
            )
            if endpoint.failing_since != decision.failing_since:
                endpoint.failing_since = decision.failing_since
            if decision.disable_reason is not None and endpoint.enabled:
                endpoint.enabled = False
                endpoint.disabled_reason = decision.disable_reason
                endpoint.disabled_at = now
                endpoint.updated_at = now
                disabled[endpoint.id] = endpoint
            self._trace(session, claim, result, decision.outcome, error, decision.next_attempt_at)
        await repository.record_outcomes(session, updates)
        await repository.insert_attempts(session, attempts)
        for endpoint in disabled.values():
            reason = endpoint.disabled_reason or "disabled"
            await repository.fail_pending(session, endpoint.id, f"endpoint disabled: {reason}", now)
            record_trace(
                session,
                self._runtime.bus,
                endpoint.tenant_id,
                None,
                "webhook.endpoint_disabled",
                {"endpoint_id": endpoint.id, "reason": reason},
            )

    def _trace(
        self,
        session: AsyncSession,
        claim: Claim,
        result: AttemptResult,
        outcome: str,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> None:
        record_trace(
            session,
            self._runtime.bus,
            claim.tenant_id,
            claim.handoff_id,
            "webhook.attempt",
            {
                "delivery_id": claim.delivery_id,
                "endpoint_id": claim.endpoint_id,
                "event_type": claim.event_type,
                "attempt": claim.number,
                "status_code": result.status_code,
                "outcome": outcome,
                "error": error,
                "next_attempt_at": rfc3339(next_attempt_at) if next_attempt_at else None,
            },
            duration_ms=result.latency_ms,
        )

    async def _shutdown(self) -> None:
        """Let requests in flight finish briefly and record them; release the leases of the rest."""
        if self._sends:
            _, pending = await asyncio.wait(set(self._sends), timeout=STOP_GRACE_S)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            while self._results:
                await self._cycle(claim=False)
        except Exception:
            log.exception("webhook dispatcher: recording on shutdown failed")
        unsent = list(self._unrecorded)
        if unsent:
            try:
                async with self._runtime.database.transaction() as session:
                    await repository.release_leases(session, unsent, utcnow())
            except Exception:
                log.exception("webhook dispatcher: could not release %d leases", len(unsent))


async def run_dispatcher(runtime: Runtime, stop_event: asyncio.Event) -> None:
    """Send webhooks until `stop_event` is set: the server's lifespan runs this, and so can a worker."""
    client = make_client(runtime.settings)
    try:
        await Dispatcher(runtime, client).run(stop_event)
    finally:
        await client.aclose()


@asynccontextmanager
async def running_webhooks(runtime: Runtime) -> AsyncIterator[None]:
    """The webhooks part of the app's lifespan: the dispatcher, unless turned off."""
    stop = asyncio.Event()
    task = (
        asyncio.create_task(run_dispatcher(runtime, stop), name="batonpass-webhook-dispatcher")
        if runtime.settings.webhook_dispatcher
        else None
    )
    try:
        yield
    finally:
        stop.set()
        if task is not None:
            try:
                await task
            except Exception:
                log.exception("webhook dispatcher ended with an error")

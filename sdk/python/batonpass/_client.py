"""`BatonPass`: the async client for the agent API (one `httpx.AsyncClient` per instance)."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, Literal

import httpx

from batonpass._errors import APIConnectionError, APIError, ConflictError, error_for
from batonpass._models import (
    Frame,
    Handoff,
    HandoffEvent,
    HandoffPage,
    InterruptionType,
    RelayAction,
    Snapshot,
    StreamEvent,
    StreamMessage,
    Viewport,
)
from batonpass._sse import ServerSentEvent, SSEDecoder

__all__ = ["DEFAULT_BASE_URL", "BatonPass", "FailureReason", "TaskOutcome"]

log = logging.getLogger("batonpass")

VERSION: Final = "0.1.0"
DEFAULT_BASE_URL: Final = "http://127.0.0.1:8069"
API_PREFIX: Final = "/api/v1"
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})

TaskOutcome = Literal["success", "failure", "partial"]
FailureReason = Literal[
    "classifier_rejected",
    "operator_declined",
    "resume_failed",
    "state_corrupted",
    "domain_changed",
    "agent_cancelled",
    "internal_error",
]


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None, error: APIError | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.error = error


class BatonPass:
    """Async client for the Baton Pass agent API.

    ```python
    async with BatonPass("http://127.0.0.1:8069", api_key) as bp:
        handoff = await bp.get_handoff("h_01…")
    ```

    Requests that fail with a connection error, a 5xx or a 429 are retried up to `max_retries` times with
    exponential backoff and jitter (`Retry-After` is honoured, capped at `backoff_max`). Retrying is safe
    because every write is idempotent here: `create_handoff` sends one `Idempotency-Key` per logical call and
    reuses it on each retry (the server replays the first answer), and a lifecycle step whose retry finds the
    handoff already in the target state (409 with that `current_state`) returns the handoff. 4xx answers
    raise the matching `APIError` subclass at once.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        *,
        timeout: float = 15.0,
        max_retries: int = 4,
        backoff_base: float = 0.25,
        backoff_max: float = 8.0,
        stream_read_timeout: float = 45.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required (a `bp_live_…` key with the agent scope)")
        root = base_url.rstrip("/")
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self.base_url = root
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stream_read_timeout = stream_read_timeout
        self._http = httpx.AsyncClient(
            base_url=root + API_PREFIX,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"batonpass-python/{VERSION}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )

    async def __aenter__(self) -> BatonPass:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- handoffs ------------------------------------------------------------------------------------------

    async def create_handoff(
        self,
        *,
        agent_id: str,
        interruption_type: InterruptionType,
        domain: str,
        url: str,
        snapshot: Snapshot,
        task: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Handoff:
        """Report a stuck moment; the server classifies, freezes and notifies an operator.

        The answer's `state` is normally `notified` (with `mobile_url`), `failed` when the classifier rejected
        the claim (`failure_reason == "classifier_rejected"`), or already `resume_requested` when a policy
        auto-resolved it. One `Idempotency-Key` (yours, or a fresh UUID) covers every retry of this call.
        """
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "interruption_type": interruption_type,
            "domain": domain,
            "url": url,
            "snapshot": snapshot.to_json(),
            "metadata": dict(metadata or {}),
        }
        if task is not None:
            body["task"] = task
        key = idempotency_key or f"bp-{uuid.uuid4()}"
        data = await self._request("POST", "/handoffs", json_body=body, headers={"Idempotency-Key": key})
        return Handoff.from_json(data)

    async def get_handoff(self, handoff_id: str) -> Handoff:
        return Handoff.from_json(await self._request("GET", f"/handoffs/{handoff_id}"))

    async def list_handoffs(
        self,
        *,
        state: str | Sequence[str] | None = None,
        agent_id: str | None = None,
        interruption_type: InterruptionType | None = None,
        domain: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> HandoffPage:
        """One page, newest first. Pass the page's `next_cursor` as `cursor` to continue."""
        params: list[tuple[str, str]] = [("limit", str(limit))]
        states = [state] if isinstance(state, str) else list(state or [])
        params += [("state", s) for s in states]
        for name, value in (
            ("agent_id", agent_id),
            ("interruption_type", interruption_type),
            ("domain", domain),
            ("cursor", cursor),
            ("created_after", created_after.isoformat() if created_after else None),
            ("created_before", created_before.isoformat() if created_before else None),
        ):
            if value is not None:
                params.append((name, value))
        data = await self._request("GET", "/handoffs", params=params)
        return HandoffPage(
            items=[Handoff.from_json(item) for item in data.get("items", [])],
            next_cursor=data.get("next_cursor"),
        )

    async def iter_handoffs(self, **filters: Any) -> AsyncGenerator[Handoff, None]:
        """Every handoff matching the `list_handoffs` filters, following the cursor."""
        cursor: str | None = filters.pop("cursor", None)
        while True:
            page = await self.list_handoffs(cursor=cursor, **filters)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def history(self, handoff_id: str) -> list[dict[str, Any]]:
        """The handoff's fine-grained trace: classifier verdict, routing, notification attempts, relay acks."""
        data = await self._request("GET", f"/handoffs/{handoff_id}/history")
        return list(data.get("items", []))

    async def resumed(self, handoff_id: str) -> Handoff:
        """Acknowledge that the agent continues from the frozen state (`resume_requested` → `resumed`)."""
        return await self._step(handoff_id, "resumed", "resumed", None)

    async def completed(
        self, handoff_id: str, *, task_outcome: TaskOutcome = "success", detail: str | None = None
    ) -> Handoff:
        """Report that the agent's original task finished (`resumed` → `completed`)."""
        body: dict[str, Any] = {"task_outcome": task_outcome}
        if detail:
            body["detail"] = detail[:1000]
        return await self._step(handoff_id, "completed", "completed", body)

    async def fail(self, handoff_id: str, reason: FailureReason, *, detail: str | None = None) -> Handoff:
        """Fail the handoff with a reason code (from any non-terminal state)."""
        body: dict[str, Any] = {"reason": reason}
        if detail:
            body["detail"] = detail[:1000]
        return await self._step(handoff_id, "fail", "failed", body)

    async def upload_frame(
        self,
        handoff_id: str,
        image: bytes,
        *,
        seq: int,
        viewport: Viewport | None = None,
        media_type: str = "image/jpeg",
    ) -> Frame:
        """Upload a live image of the page that reflects the operator's actions up to `seq` (0: none yet);
        the frame acknowledges them, so a reconnecting stream does not send them again."""
        params: dict[str, str] = {"seq": str(seq)}
        if viewport is not None:
            params.update(
                width=str(viewport.width),
                height=str(viewport.height),
                device_scale_factor=str(viewport.device_scale_factor),
            )
        data = await self._request(
            "POST",
            f"/handoffs/{handoff_id}/frames",
            params=params,
            content=image,
            headers={"Content-Type": media_type},
        )
        return Frame.from_json(data)

    # --- the event stream -------------------------------------------------------------------------------------

    async def events(
        self, handoff_id: str, *, last_event_id: str | None = None, max_reconnects: int = 8
    ) -> AsyncGenerator[StreamEvent, None]:
        """The handoff's SSE stream: lifecycle events (`HandoffEvent`, replayed from the start or after
        `last_event_id`) and relay actions (`RelayAction`) in order; it ends after a terminal state.

        A dropped connection (or a stream that ends early) is reopened with `Last-Event-ID` after a backoff,
        so no lifecycle event is lost; relay actions that no frame acknowledged are sent again (skip a `seq`
        you already applied). More than `max_reconnects` failed attempts in a row raise `APIConnectionError`.
        Close the iterator (`contextlib.aclosing`) if you stop early.
        """
        failures = 0
        path = f"/handoffs/{handoff_id}/events"
        timeout = httpx.Timeout(self._http.timeout.connect or 5.0, read=self.stream_read_timeout)
        while True:
            headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
            if last_event_id:
                headers["Last-Event-ID"] = last_event_id
            reason = "the stream ended before the handoff did"
            retry_after: float | None = None
            try:
                async with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
                    if response.status_code != 200:
                        await response.aread()
                        error = self._error(response)
                        if response.status_code not in RETRY_STATUSES:
                            raise error
                        reason, retry_after = str(error), _retry_after(response)
                    else:
                        decoder = SSEDecoder()
                        async for line in response.aiter_lines():
                            message = decoder.feed(line)
                            if message is None:
                                continue
                            failures = 0
                            if message.id:
                                last_event_id = message.id
                            event = _stream_event(message)
                            yield event
                            if isinstance(event, HandoffEvent) and event.terminal:
                                return
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            failures += 1
            if failures > max_reconnects:
                raise APIConnectionError(f"event stream of {handoff_id} lost: {reason}")
            delay = retry_after if retry_after is not None else self._backoff(failures - 1)
            log.info("batonpass: event stream of %s interrupted (%s); reconnecting in %.2fs", handoff_id, reason, delay)
            await asyncio.sleep(delay)

    # --- plumbing ---------------------------------------------------------------------------------------------

    async def _step(self, handoff_id: str, action: str, target: str, body: Mapping[str, Any] | None) -> Handoff:
        try:
            data = await self._request("POST", f"/handoffs/{handoff_id}/{action}", json_body=body)
        except ConflictError as exc:
            # Already there (a retry whose first attempt went through, or a second report): not an error.
            if exc.current_state == target:
                return await self.get_handoff(handoff_id)
            raise
        return Handoff.from_json(data)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt, 30))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _error(self, response: httpx.Response) -> APIError:
        try:
            problem = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            problem = None
        if not isinstance(problem, dict):
            problem = {"title": response.reason_phrase, "detail": response.text[:500]}
        return error_for(response.status_code, problem, method=response.request.method, url=str(response.url))

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    method,
                    path,
                    json=json_body,
                    content=content,
                    params=params,
                    headers=headers,
                )
                if response.status_code in RETRY_STATUSES:
                    raise _Retryable(f"HTTP {response.status_code}", _retry_after(response), self._error(response))
                if response.status_code >= 400:
                    error = self._error(response)
                    if _still_processing(error):
                        raise _Retryable("the first attempt is still being processed", None, error)
                    raise error
                if response.status_code == 204 or not response.content:
                    return {}
                data = response.json()
                return data if isinstance(data, dict) else {"items": data}
            except (httpx.TransportError, _Retryable) as exc:
                if attempt >= self.max_retries:
                    if isinstance(exc, _Retryable) and exc.error is not None:
                        raise exc.error from None
                    raise APIConnectionError(f"{method} {path} failed after {attempt + 1} attempts: {exc}") from exc
                delay = self._backoff(attempt)
                if isinstance(exc, _Retryable) and exc.retry_after is not None:
                    delay = min(self.backoff_max, exc.retry_after)
                log.debug("batonpass: %s %s: %s; retry %d in %.2fs", method, path, exc, attempt + 1, delay)
                attempt += 1
                await asyncio.sleep(delay)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _still_processing(error: APIError) -> bool:
    return error.status == 422 and error.slug == "idempotency-key-reused" and "still being processed" in error.detail


def _stream_event(message: ServerSentEvent) -> StreamEvent:
    try:
        data: Any = json.loads(message.data)
    except json.JSONDecodeError:
        data = message.data
    if message.event.startswith("handoff.") and isinstance(data, dict):
        resolution = data.get("resolution")
        return HandoffEvent(
            id=message.id or str(data.get("event_id", "")),
            name=message.event,
            state=str(data.get("state") or data.get("to_state") or message.event.removeprefix("handoff.")),
            data=data,
            resolution=resolution if isinstance(resolution, dict) else None,
        )
    if message.event == "relay.action" and isinstance(data, dict) and isinstance(data.get("action"), dict):
        created = data.get("created_at")
        return RelayAction(seq=int(data["seq"]), action=data["action"], created_at=str(created) if created else None)
    return StreamMessage(message.event, message.id, data)

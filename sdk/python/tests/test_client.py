"""The client's retry, error and stream semantics, against a scripted server on httpx's MockTransport (the
network is replaced, nothing of ours is). The same calls against the real server: e2e/sdk/test_client_live.py."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from batonpass import (
    APIConnectionError,
    BatonPass,
    ConflictError,
    HandoffEvent,
    NotFoundError,
    RelayAction,
    ServerError,
    Snapshot,
    UnprocessableEntityError,
    Viewport,
)

HANDOFF_ID = "h_01JDQ7ZK8X3M9V2N4B6C8D0E1F"
HANDOFF: dict[str, Any] = {
    "id": HANDOFF_ID,
    "state": "notified",
    "agent_id": "agent-1",
    "interruption_type": "twofa",
    "domain": "example.com",
    "url": "https://example.com/2fa",
    "task": None,
    "metadata": {},
    "operator_id": None,
    "failure_reason": None,
    "task_outcome": None,
    "version": 4,
    "created_at": "2024-11-25T17:00:00Z",
    "updated_at": "2024-11-25T17:00:00Z",
    "expires_at": "2024-11-25T17:15:00Z",
    "mobile_url": "http://127.0.0.1:8069/m/h_01JDQ7ZK8X3M9V2N4B6C8D0E1F?t=abc",
    "mobile_url_expires_at": "2024-11-25T17:01:00Z",
}
SNAPSHOT = Snapshot(dom="<p>x</p>", screenshot=b"\xff\xd8\xff\xe0jpeg", viewport=Viewport(1280, 800, 2.0))


def problem(status: int, slug: str, detail: str, **extra: Any) -> httpx.Response:
    body = {"type": f"https://batonpass.dev/problems/{slug}", "title": slug, "status": status, "detail": detail}
    return httpx.Response(status, json={**body, **extra}, headers={"content-type": "application/problem+json"})


class Server:
    """Answers each request with the next scripted reply and keeps the requests it saw."""

    def __init__(self, *replies: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    def client(self, **options: Any) -> BatonPass:
        options.setdefault("backoff_base", 0.001)
        options.setdefault("backoff_max", 0.01)
        return BatonPass("http://bp.test", "bp_live_test", transport=httpx.MockTransport(self), **options)


async def create(bp: BatonPass) -> Any:
    return await bp.create_handoff(
        agent_id="agent-1", interruption_type="twofa", domain="example.com", url="https://example.com/2fa",
        snapshot=SNAPSHOT, metadata={"detector": {"category": "twofa", "score": 1.0, "features": {}}},
    )  # fmt: skip


class TestCreateHandoff:
    async def test_retries_a_5xx_with_the_same_idempotency_key(self) -> None:
        server = Server(problem(503, "unavailable", "db restarting"), httpx.Response(201, json=HANDOFF))
        async with server.client() as bp:
            handoff = await create(bp)

        assert handoff.id == HANDOFF["id"]
        assert handoff.mobile_url == HANDOFF["mobile_url"]
        keys = [r.headers["idempotency-key"] for r in server.requests]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert keys[0].startswith("bp-")

    async def test_each_logical_call_gets_its_own_key(self) -> None:
        server = Server(httpx.Response(201, json=HANDOFF))
        async with server.client() as bp:
            await create(bp)
            await create(bp)
        assert server.requests[0].headers["idempotency-key"] != server.requests[1].headers["idempotency-key"]

    async def test_retries_connection_errors_then_succeeds(self) -> None:
        server = Server(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(201, json=HANDOFF))
        async with server.client() as bp:
            assert (await create(bp)).state == "notified"
        assert len(server.requests) == 3

    async def test_sends_the_snapshot_as_the_api_expects(self) -> None:
        server = Server(httpx.Response(201, json=HANDOFF))
        async with server.client() as bp:
            await create(bp)
        body = json.loads(server.requests[0].content)
        assert body["snapshot"]["viewport"] == {"width": 1280, "height": 800, "device_scale_factor": 2.0}
        assert body["snapshot"]["screenshot"] == "/9j/4GpwZWc="
        assert server.requests[0].headers["authorization"] == "Bearer bp_live_test"
        assert str(server.requests[0].url) == "http://bp.test/api/v1/handoffs"

    async def test_a_request_still_being_processed_is_retried(self) -> None:
        busy = problem(422, "idempotency-key-reused", "Idempotency-Key 'k' is still being processed; retry.")
        server = Server(busy, httpx.Response(201, json=HANDOFF))
        async with server.client() as bp:
            await create(bp)
        assert len(server.requests) == 2

    async def test_a_validation_error_is_raised_at_once_with_its_problem_fields(self) -> None:
        refused = problem(422, "unprocessable", "The DOM snapshot still carries a password value", field="snapshot.dom")
        server = Server(refused)
        async with server.client() as bp:
            with pytest.raises(UnprocessableEntityError) as caught:
                await create(bp)
        assert len(server.requests) == 1
        error = caught.value
        assert (error.status, error.slug, error.extensions["field"]) == (422, "unprocessable", "snapshot.dom")
        assert "password" in error.detail


class TestRetryBudget:
    async def test_gives_up_on_a_persistent_5xx_with_the_server_error(self) -> None:
        server = Server(problem(500, "internal-error", "boom", request_id="req-1"))
        async with server.client(max_retries=2) as bp:
            with pytest.raises(ServerError) as caught:
                await bp.get_handoff(HANDOFF_ID)
        assert len(server.requests) == 3
        assert caught.value.status == 500
        assert caught.value.extensions["request_id"] == "req-1"

    async def test_gives_up_on_a_dead_server(self) -> None:
        server = Server(httpx.ConnectError("refused"))
        async with server.client(max_retries=3) as bp:
            with pytest.raises(APIConnectionError, match="after 4 attempts"):
                await bp.get_handoff(HANDOFF_ID)
        assert len(server.requests) == 4

    async def test_honours_retry_after(self) -> None:
        server = Server(httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(200, json=HANDOFF))
        async with server.client() as bp:
            await bp.get_handoff(HANDOFF_ID)
        assert len(server.requests) == 2


class TestLifecycleSteps:
    async def test_conflict_carries_the_current_state(self) -> None:
        refused = problem(409, "illegal-transition", "notified → resumed is not allowed", current_state="notified")
        server = Server(refused)
        async with server.client() as bp:
            with pytest.raises(ConflictError) as caught:
                await bp.resumed(HANDOFF_ID)
        assert caught.value.current_state == "notified"
        assert caught.value.status == 409

    async def test_a_retried_step_that_already_happened_returns_the_handoff(self) -> None:
        resumed = {**HANDOFF, "state": "resumed"}
        server = Server(
            problem(502, "bad-gateway", "upstream reset"),
            problem(409, "illegal-transition", "already resumed", current_state="resumed"),
            httpx.Response(200, json=resumed),
        )
        async with server.client() as bp:
            handoff = await bp.resumed(HANDOFF_ID)
        assert handoff.state == "resumed"
        assert [r.method for r in server.requests] == ["POST", "POST", "GET"]

    async def test_completed_and_fail_bodies(self) -> None:
        server = Server(lambda request: httpx.Response(200, json={**HANDOFF, "state": "completed"}))
        async with server.client() as bp:
            await bp.completed(HANDOFF_ID, task_outcome="partial", detail="2 of 3 invoices")
            await bp.fail(HANDOFF_ID, "agent_cancelled", detail="stopped")
        assert json.loads(server.requests[0].content) == {"task_outcome": "partial", "detail": "2 of 3 invoices"}
        assert json.loads(server.requests[1].content) == {"reason": "agent_cancelled", "detail": "stopped"}
        assert server.requests[1].url.path.endswith("/fail")


class TestFramesAndListing:
    async def test_upload_frame_sends_raw_jpeg_with_its_seq_and_viewport(self) -> None:
        frame = {"frame_id": 3, "handoff_id": HANDOFF["id"], "seq": 2, "media_type": "image/jpeg", "size_bytes": 9,
                 "viewport": {"width": 1280, "height": 800, "device_scale_factor": 2.0}, "created_at": "x",
                 "url": "/api/v1/handoffs/h/frames/latest?v=3"}  # fmt: skip
        server = Server(httpx.Response(201, json=frame))
        async with server.client() as bp:
            out = await bp.upload_frame(HANDOFF_ID, b"\xff\xd8\xffjpeg", seq=2, viewport=Viewport(1280, 800, 2.0))
        request = server.requests[0]
        assert request.headers["content-type"] == "image/jpeg"
        assert request.content == b"\xff\xd8\xffjpeg"
        assert dict(request.url.params) == {"seq": "2", "width": "1280", "height": "800", "device_scale_factor": "2.0"}
        assert out.seq == 2
        assert out.viewport == Viewport(1280, 800, 2.0)

    async def test_iter_handoffs_follows_the_cursor_and_repeats_state_filters(self) -> None:
        second = {**HANDOFF, "id": "h_01JDQ7ZK8X3M9V2N4B6C8D0E1G"}
        server = Server(
            httpx.Response(200, json={"items": [HANDOFF], "next_cursor": HANDOFF["id"]}),
            httpx.Response(200, json={"items": [second], "next_cursor": None}),
        )
        async with server.client() as bp:
            ids = [h.id async for h in bp.iter_handoffs(state=["notified", "opened"], limit=1)]
        assert ids == [HANDOFF["id"], second["id"]]
        assert server.requests[0].url.params.get_list("state") == ["notified", "opened"]
        assert server.requests[1].url.params["cursor"] == HANDOFF["id"]


def sse(*events: tuple[str | None, str, dict[str, Any]]) -> bytes:
    chunks = [": ping\n\n"]
    for event_id, name, data in events:
        chunks.append((f"id: {event_id}\n" if event_id else "") + f"event: {name}\ndata: {json.dumps(data)}\n\n")
    return "".join(chunks).encode()


def lifecycle(event_id: str, state: str, **extra: Any) -> tuple[str, str, dict[str, Any]]:
    return event_id, f"handoff.{state}", {"event_id": event_id, "state": state, **extra}


def action(seq: int) -> tuple[None, str, dict[str, Any]]:
    return None, "relay.action", {"handoff_id": HANDOFF["id"], "seq": seq, "action": {"type": "click", "x": 1, "y": 2}}


class TestEvents:
    async def test_reconnects_with_last_event_id_after_a_dropped_stream(self) -> None:
        first = sse(lifecycle("evt_1", "notified"), lifecycle("evt_2", "opened"), action(1))
        second = sse(
            action(1),
            lifecycle("evt_3", "solving"),
            lifecycle("evt_4", "solved", resolution={"type": "otp", "code": "123456"}),
            lifecycle("evt_5", "resume_requested"),
            lifecycle("evt_6", "failed", reason="agent_cancelled"),
            lifecycle("evt_7", "never_sent_after_terminal"),
        )
        server = Server(
            httpx.Response(200, content=first, headers={"content-type": "text/event-stream"}),
            httpx.ConnectError("reset"),
            httpx.Response(200, content=second, headers={"content-type": "text/event-stream"}),
        )
        async with server.client() as bp:
            events = [e async for e in bp.events(HANDOFF_ID)]

        assert [r.headers.get("last-event-id") for r in server.requests] == [None, "evt_2", "evt_2"]
        names = [e.state if isinstance(e, HandoffEvent) else f"action {e.seq}" for e in events]  # type: ignore[union-attr]
        assert names == [
            "notified", "opened", "action 1", "action 1", "solving", "solved", "resume_requested", "failed"
        ]  # fmt: skip
        solved = next(e for e in events if isinstance(e, HandoffEvent) and e.state == "solved")
        assert solved.resolution == {"type": "otp", "code": "123456"}
        assert isinstance(events[2], RelayAction)
        assert events[2].action == {"type": "click", "x": 1, "y": 2}

    async def test_gives_up_after_too_many_failed_reconnects(self) -> None:
        server = Server(httpx.ConnectError("refused"))
        async with server.client() as bp:
            with pytest.raises(APIConnectionError, match="event stream"):
                [e async for e in bp.events(HANDOFF_ID, max_reconnects=2)]
        assert len(server.requests) == 3

    async def test_a_4xx_on_the_stream_is_raised(self) -> None:
        server = Server(problem(404, "not-found", "No handoff h_… in this tenant."))
        async with server.client() as bp:
            with pytest.raises(NotFoundError):
                [e async for e in bp.events(HANDOFF_ID)]

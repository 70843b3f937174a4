"""The client against the real server: every agent endpoint, problem+json errors, idempotency, the event
stream resumed with Last-Event-ID, the relay (an operator action in, a frame acknowledging it out)."""

import base64
import re
from collections.abc import AsyncIterator
from contextlib import aclosing

import httpx
import pytest
from batonpass import (
    AuthenticationError,
    BatonPass,
    ConflictError,
    Handoff,
    HandoffEvent,
    NotFoundError,
    RelayAction,
    Snapshot,
    StreamEvent,
    UnprocessableEntityError,
    Viewport,
)

from harness import Backend, Keys
from sdk.support import ApiOperator

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")
TWOFA_DOM = (
    "<title>Sign in</title><h1>2-Step Verification</h1><p>Enter the 6-digit code from your authenticator app</p>"
    "<input name=otp autocomplete=one-time-code inputmode=numeric maxlength=6>"
)
DETECTOR = {"category": "twofa", "score": 1.6, "features": {"otp_autocomplete": 0.7, "otp_text": 0.3}}


def snapshot(dom: str = TWOFA_DOM) -> Snapshot:
    cookies = [{"name": "sid", "value": "s3cr3t", "domain": "login.example.com", "path": "/", "httpOnly": True}]
    return Snapshot(dom=dom, screenshot=PNG, viewport=Viewport(1280, 800, 1.0), cookies=cookies)


async def create(
    bp: BatonPass, *, agent_id: str = "live-agent", key: str | None = None, dom: str = TWOFA_DOM
) -> Handoff:
    return await bp.create_handoff(
        agent_id=agent_id, interruption_type="twofa", domain="example.com", url="https://login.example.com/2fa",
        task="Export the Q3 report", snapshot=snapshot(dom), metadata={"detector": DETECTOR}, idempotency_key=key,
    )  # fmt: skip


class TestHandoffs:
    async def test_create_get_and_list(self, bp: BatonPass) -> None:
        created = await create(bp, agent_id="lister")
        assert re.match(r"^h_[0-9A-HJKMNP-TV-Z]{26}$", created.id)
        assert created.state == "notified"
        assert created.mobile_url
        assert f"/m/{created.id}?t=" in created.mobile_url
        assert created.metadata["detector"] == DETECTOR

        fetched = await bp.get_handoff(created.id)
        assert (fetched.id, fetched.state, fetched.mobile_url) == (created.id, "notified", None)
        other = await create(bp, agent_id="lister")
        page = await bp.list_handoffs(agent_id="lister", state="notified", limit=1)
        assert [h.id for h in page.items] == [other.id]
        assert page.next_cursor == other.id
        assert [h.id async for h in bp.iter_handoffs(agent_id="lister", limit=1)] == [other.id, created.id]

    async def test_a_repeated_idempotency_key_replays_the_same_handoff_without_the_link(self, bp: BatonPass) -> None:
        first = await create(bp, key="attempt-42")
        again = await create(bp, key="attempt-42")
        assert again.id == first.id
        assert again.mobile_url is None

    async def test_a_dom_still_carrying_a_password_is_refused(self, bp: BatonPass) -> None:
        with pytest.raises(UnprocessableEntityError) as caught:
            await create(bp, dom=TWOFA_DOM + '<input type="password" name="pw" value="hunter2">')
        assert caught.value.extensions["field"] == "snapshot.dom"
        assert "password" in caught.value.detail

    async def test_errors_carry_the_problem_fields(self, backend: Backend, bp: BatonPass) -> None:
        created = await create(bp)
        with pytest.raises(ConflictError) as caught:
            await bp.resumed(created.id)
        assert caught.value.current_state == "notified"
        assert caught.value.status == 409
        assert caught.value.detail
        with pytest.raises(NotFoundError):
            await bp.get_handoff("h_01JDQ7ZK8X3M9V2N4B6C8D0E1F")
        async with BatonPass(backend.url, "bp_live_not-a-real-key", max_retries=0) as stranger:
            with pytest.raises(AuthenticationError):
                await stranger.get_handoff(created.id)


class TestLifecycleAndRelay:
    async def test_relay_then_resolution_then_resumed_and_completed(self, backend: Backend, bp: BatonPass) -> None:
        created = await create(bp)
        async with ApiOperator(backend, created) as operator, aclosing(bp.events(created.id)) as stream:
            seen: list[str] = []
            async for event in stream:
                if isinstance(event, HandoffEvent):
                    seen.append(event.state)
                    if event.state == "notified":
                        await operator.act({"type": "click", "x": 10, "y": 20})
                    if event.state == "solved":
                        assert event.resolution == {"type": "otp", "code": "123456"}
                        break
                elif isinstance(event, RelayAction):
                    assert (event.seq, event.action) == (1, {"type": "click", "x": 10.0, "y": 20.0})
                    seen.append("action")
                    frame = await bp.upload_frame(created.id, PNG, seq=1, viewport=Viewport(1280, 800, 2.0))
                    assert (frame.seq, frame.media_type, frame.viewport) == (1, "image/png", Viewport(1280, 800, 2.0))
                    with pytest.raises(UnprocessableEntityError) as ahead:
                        await bp.upload_frame(created.id, PNG, seq=5)
                    assert ahead.value.extensions["last_action_seq"] == 1
                    await operator.resolve({"type": "otp", "code": "123456"})
        assert seen[:6] == ["created", "detected", "frozen", "notified", "opened", "solving"]
        assert "action" in seen
        assert seen[-1] == "solved"

        assert (await bp.resumed(created.id)).state == "resumed"
        assert (await bp.resumed(created.id)).state == "resumed", "a repeated acknowledgement is not an error"
        done = await bp.completed(created.id, task_outcome="partial", detail="2 of 3 reports")
        assert (done.state, done.task_outcome) == ("completed", "partial")
        with pytest.raises(ConflictError) as late:
            await bp.fail(created.id, "agent_cancelled")
        assert late.value.current_state == "completed"

    async def test_the_stream_resumes_after_last_event_id(self, bp: BatonPass, keys: Keys, backend: Backend) -> None:
        created = await create(bp)
        async with aclosing(bp.events(created.id)) as stream:
            replayed = [e async for e in _until(stream, "notified")]
        last = replayed[-1]
        assert isinstance(last, HandoffEvent)
        async with httpx.AsyncClient(base_url=f"{backend.url}/api/v1", headers=keys.admin) as admin:
            (await admin.post(f"/handoffs/{created.id}/expire")).raise_for_status()
        async with aclosing(bp.events(created.id, last_event_id=last.id)) as stream:
            rest = [e.state async for e in stream if isinstance(e, HandoffEvent)]
        assert rest == ["expired"], "only what came after Last-Event-ID, and the stream ends at a terminal state"

    async def test_fail_with_a_reason(self, bp: BatonPass) -> None:
        created = await create(bp)
        failed = await bp.fail(created.id, "agent_cancelled", detail="the run was stopped")
        assert (failed.state, failed.failure_reason) == ("failed", "agent_cancelled")


async def _until(stream: AsyncIterator[StreamEvent], state: str) -> AsyncIterator[StreamEvent]:
    async for event in stream:
        yield event
        if isinstance(event, HandoffEvent) and event.state == state:
            return

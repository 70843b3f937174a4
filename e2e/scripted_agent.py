"""A scripted agent: the protocol the SDK implements, in ~150 lines, driving a real Chromium page.

It creates a handoff from its live page (screenshot, DOM, viewport), reads its handoff's SSE stream, applies
each `relay.action` to the page in seq order (deduping by seq), uploads a frame reflecting that seq, and on
`handoff.solved` applies the operator's resolution, uploads a last frame and acknowledges `resumed`, then
`completed`. It reconnects with Last-Event-ID if the stream drops.
"""

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import aconnect_sse
from playwright.async_api import Page

TERMINAL = {"completed", "expired", "failed"}


@dataclass
class AppliedAction:
    seq: int
    action: dict[str, Any]
    received_at: float
    applied_at: float
    frame_posted_at: float


@dataclass
class ScriptedAgent:
    base_url: str
    headers: dict[str, str]
    page: Page
    agent_id: str = "agent_e2e"
    applied: list[AppliedAction] = field(default_factory=list)
    resolution: dict[str, Any] | None = None
    states: list[str] = field(default_factory=list)
    handoff_id: str = ""
    last_seq: int = 0
    on_resolution: Callable[[Page, dict[str, Any]], Awaitable[None]] | None = None
    complete: bool = True
    connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def _frame(self, http: httpx.AsyncClient, seq: int) -> None:
        image = await self.page.screenshot(type="jpeg", quality=60)
        size = self.page.viewport_size or {"width": 1280, "height": 800}
        response = await http.post(
            f"/api/v1/handoffs/{self.handoff_id}/frames",
            json={
                "seq": seq,
                "image": base64.b64encode(image).decode(),
                "viewport": {"width": size["width"], "height": size["height"], "device_scale_factor": 1},
            },
        )
        response.raise_for_status()

    async def create_handoff(
        self,
        interruption_type: str,
        *,
        domain: str = "example.com",
        url: str | None = None,
        task: str = "",
        dom_extra: str = "",
    ) -> dict[str, Any]:
        size = self.page.viewport_size or {"width": 1280, "height": 800}
        screenshot = await self.page.screenshot(type="jpeg", quality=70)
        body = {
            "agent_id": self.agent_id,
            "interruption_type": interruption_type,
            "domain": domain,
            "url": url or f"https://login.{domain}/challenge",
            "task": task or "Export the Q3 pipeline report",
            "snapshot": {
                "cookies": [{"name": "sid", "value": "agent-session", "domain": f"login.{domain}", "path": "/"}],
                "dom": await self.page.content() + dom_extra,
                "screenshot": base64.b64encode(screenshot).decode(),
                "viewport": {"width": size["width"], "height": size["height"], "device_scale_factor": 1},
            },
        }
        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=20) as http:
            response = await http.post("/api/v1/handoffs", json=body)
            response.raise_for_status()
        created: dict[str, Any] = response.json()
        self.handoff_id = created["id"]
        return created

    async def _apply(self, action: dict[str, Any]) -> None:
        kind = action["type"]
        if kind == "click":
            await self.page.mouse.click(action["x"], action["y"])
        elif kind == "type":
            await self.page.keyboard.insert_text(action["text"])
        elif kind == "press":
            await self.page.keyboard.press(action["key"])

    async def _resolve(self, resolution: dict[str, Any]) -> None:
        if self.on_resolution is not None:
            await self.on_resolution(self.page, resolution)
            return
        kind = resolution["type"]
        if kind == "otp":
            await self.page.fill("input[autocomplete=one-time-code]", resolution["code"])
            await self.page.click("button[type=submit]")
        elif kind in ("approve", "deny"):
            await self.page.click(f"[data-{kind}]")

    async def run(self) -> None:
        """Serve the handoff until its stream ends (terminal state)."""
        last_event_id: str | None = None
        async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=30) as http:
            while True:
                headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
                try:
                    async with aconnect_sse(
                        http, "GET", f"/api/v1/handoffs/{self.handoff_id}/events", headers=headers
                    ) as source:
                        self.connected.set()
                        async for event in source.aiter_sse():
                            data = json.loads(event.data)
                            if event.event == "relay.action":
                                await self._on_action(http, data)
                                continue
                            last_event_id = event.id or last_event_id
                            if await self._on_lifecycle(http, data):
                                return
                    if self.states and self.states[-1] in TERMINAL:
                        return
                except httpx.TransportError:
                    await asyncio.sleep(0.2)

    async def _on_action(self, http: httpx.AsyncClient, data: dict[str, Any]) -> None:
        received = time.perf_counter()
        seq = int(data["seq"])
        if seq <= self.last_seq:  # a redelivery after a reconnect: already applied
            return
        await self._apply(data["action"])
        applied = time.perf_counter()
        self.last_seq = seq
        await self._frame(http, seq)
        self.applied.append(AppliedAction(seq, data["action"], received, applied, time.perf_counter()))

    async def _on_lifecycle(self, http: httpx.AsyncClient, data: dict[str, Any]) -> bool:
        state = data["state"]
        self.states.append(state)
        if state == "solved":
            self.resolution = data.get("resolution")
            if self.resolution:
                await self._resolve(self.resolution)
            await self.page.wait_for_timeout(50)
            await self._frame(http, self.last_seq)
            (await http.post(f"/api/v1/handoffs/{self.handoff_id}/resumed")).raise_for_status()
        elif state == "resumed" and self.complete:
            outcome = await self.page.evaluate("document.body.dataset.outcome || ''")
            body = {"task_outcome": "success" if outcome else "partial", "detail": outcome or None}
            (await http.post(f"/api/v1/handoffs/{self.handoff_id}/completed", json=body)).raise_for_status()
        return state in TERMINAL

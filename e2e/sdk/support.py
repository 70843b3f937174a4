"""What the SDK's end-to-end tests use to play the operator: the phone page as a person uses it (page object over
the mobile PWA), an API-driven operator for the flows the phone UI does not cover, and audit checks."""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from batonpass import Handoff
from playwright.async_api import Browser, Page, expect

from harness import BACKEND, Backend, Keys, phone_context, wait_for
from sites.fixture_site import FixtureSite

ARTIFACTS = BACKEND.parent / "test-artifacts" / "sdk"
SITE_PASSWORD = "correct horse battery staple"


@dataclass
class Site:
    """The fixture site as the tests see it: its URL, its server-side state, and its TOTP secret."""

    url: str
    site: FixtureSite
    secret: str

    def code(self) -> str:
        return pyotp.TOTP(self.secret).now()


class Handoffs:
    """`on_handoff` for the wrapper: hands each created handoff to whoever plays the operator."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Handoff] = asyncio.Queue()
        self.seen: list[Handoff] = []

    def __call__(self, handoff: Handoff) -> None:
        self.seen.append(handoff)
        self.queue.put_nowait(handoff)

    async def next(self, within_s: float = 30) -> Handoff:
        return await asyncio.wait_for(self.queue.get(), within_s)


class PhoneOperator:
    """The operator's phone page (/m/{id}) as a person uses it: page object over the mobile PWA."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []

    @classmethod
    async def open(cls, browser: Browser, backend: Backend, mobile_url: str) -> "PhoneOperator":
        context = await phone_context(browser, backend.url)
        phone = cls(await context.new_page())
        phone.page.on("pageerror", lambda error: phone.errors.append(str(error)))
        await phone.page.goto(mobile_url)
        await expect(phone.page.get_by_test_id("handoff")).to_be_visible(timeout=15_000)
        await expect(phone.page.get_by_test_id("screen-image")).to_be_visible(timeout=15_000)
        return phone

    async def type_code(self, code: str) -> None:
        for digit in code:
            await self.page.get_by_test_id(f"otp-key-{digit}").tap()
        await self.page.get_by_test_id("otp-submit").tap()

    async def approve(self) -> None:
        await self.page.get_by_test_id("approve").tap()

    async def deny(self) -> None:
        await self.page.get_by_test_id("deny").tap()

    async def tap_page_point(self, x: float, y: float, viewport_width: float) -> None:
        """Tap the captured screen where the agent's page point (x, y) is drawn."""
        image = self.page.get_by_test_id("screen-image")
        box = await image.bounding_box()
        assert box is not None
        scale = box["width"] / viewport_width
        await image.tap(position={"x": x * scale, "y": y * scale})

    async def frame_seq(self) -> int:
        value = await self.page.get_by_test_id("screen").get_attribute("data-frame-seq")
        return int(value or 0)

    async def wait_for_frame(self, seq: int, within_s: float = 15) -> None:
        async def shown() -> bool:
            return await self.frame_seq() >= seq

        await wait_for(shown, within_s)

    async def done(self) -> None:
        await self.page.get_by_test_id("done").tap()

    async def wait_until_agent_resumed(self) -> None:
        await expect(self.page.get_by_test_id("done-card")).to_be_visible(timeout=20_000)

    async def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


class ApiOperator:
    """An operator driven through the API with the link's session (for the flows the phone UI does not cover)."""

    def __init__(self, backend: Backend, handoff: Handoff) -> None:
        assert handoff.mobile_url, "the create response carries the operator's link"
        self.handoff_id = handoff.id
        self.token = parse_qs(urlsplit(handoff.mobile_url).query)["t"][0]
        self.http = httpx.AsyncClient(base_url=f"{backend.url}/api/v1", timeout=10)

    async def __aenter__(self) -> "ApiOperator":
        opened = await self.http.post(f"/handoffs/{self.handoff_id}/open", json={"token": self.token})
        opened.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {opened.json()['session_token']}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def act(self, action: dict[str, Any]) -> int:
        response = await self.http.post(f"/handoffs/{self.handoff_id}/actions", json=action)
        response.raise_for_status()
        return int(response.json()["seq"])

    async def resolve(self, action: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(f"/handoffs/{self.handoff_id}/resolve", json={"action": action})
        response.raise_for_status()
        return dict(response.json())


async def audit_chain_verifies(backend: Backend, keys: Keys, tmp_path: Path) -> str:
    """The server verifies the tenant's chain, and `batonpass audit verify` verifies the export offline."""
    async with httpx.AsyncClient(base_url=f"{backend.url}/api/v1", headers=keys.admin, timeout=30) as admin:
        verdict = (await admin.get("/audit/verify")).json()
        assert verdict["ok"] is True, verdict
        export = await admin.get("/audit/export.jsonl")
        export.raise_for_status()
    path = tmp_path / "audit.jsonl"
    path.write_bytes(export.content)
    cli = BACKEND / ".venv" / "bin" / "batonpass"
    process = await asyncio.create_subprocess_exec(
        str(cli), "audit", "verify", str(path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, out.decode() + err.decode()
    assert out.decode().startswith("OK:"), out.decode()
    return out.decode().strip()


async def history_states(backend: Backend, keys: Keys, handoff_id: str) -> list[str]:
    """The handoff's transitions in order, from the admin's audit export."""
    async with httpx.AsyncClient(base_url=f"{backend.url}/api/v1", headers=keys.admin, timeout=30) as admin:
        export = await admin.get("/audit/export.jsonl")
    records = [json.loads(line) for line in export.text.splitlines() if line.strip()]
    return [r["to_state"] for r in records if r["handoff_id"] == handoff_id]

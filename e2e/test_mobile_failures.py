"""Every way a link can fail gets a clear, human, phone-sized page — never a stack trace."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import httpx
from app.kit.timeutil import utcnow
from playwright.async_api import Page, expect

from harness import Backend, Keys, PhoneFactory

Shot = Callable[[Page, str], Awaitable[Path]]
TWOFA_DOM = (
    "<h1>2-Step Verification</h1><p>Enter the 6-digit code from your authenticator app</p>"
    "<input name=otp autocomplete=one-time-code inputmode=numeric maxlength=6>"
)
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


async def _handoff(backend: Backend, keys: Keys) -> dict[str, str]:
    body = {
        "agent_id": "agent_e2e",
        "interruption_type": "twofa",
        "domain": "example.com",
        "url": "https://login.example.com/2fa",
        "snapshot": {
            "cookies": [],
            "dom": TWOFA_DOM,
            "screenshot": PNG_1PX,
            "viewport": {"width": 1280, "height": 800, "device_scale_factor": 1},
        },
    }
    async with httpx.AsyncClient(base_url=backend.url, headers=keys.agent) as http:
        response = await http.post("/api/v1/handoffs", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, str] = response.json()
    return created


async def _expect_failure(page: Page, kind: str, title: str) -> None:
    failure = page.get_by_test_id("failure")
    await expect(failure).to_have_attribute("data-kind", kind)
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    text = await page.locator("body").inner_text()
    assert "Traceback" not in text
    assert "problem" not in text.lower()
    assert len(text) < 400, "a short human message, not a dump"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "fits a 360 px phone without sideways scrolling"


async def test_a_used_link_says_so_on_another_phone(
    backend: Backend, keys: Keys, phone: PhoneFactory, shot: Shot
) -> None:
    created = await _handoff(backend, keys)
    first = await phone()
    await first.goto(created["mobile_url"])
    await expect(first.get_by_test_id("otp")).to_be_visible()

    second = await phone()
    await second.goto(created["mobile_url"])
    await _expect_failure(second, "link-used", "This link was already used")
    await shot(second, "20-link-already-used")


async def test_an_expired_link_asks_for_a_new_one(
    backend: Backend, keys: Keys, phone: PhoneFactory, shot: Shot
) -> None:
    created = await _handoff(backend, keys)
    expired = backend.forge_link(created["id"], utcnow() - timedelta(seconds=5))
    page = await phone()
    await page.goto(expired)
    await _expect_failure(page, "link-expired", "This link expired — ask for a new one.")
    assert "t=" not in page.url
    await shot(page, "21-link-expired")


async def test_a_tampered_link_is_not_valid(backend: Backend, keys: Keys, phone: PhoneFactory, shot: Shot) -> None:
    created = await _handoff(backend, keys)
    url = created["mobile_url"]
    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    page = await phone()
    await page.goto(tampered)
    await _expect_failure(page, "invalid-link", "This link isn't valid")
    await shot(page, "22-link-invalid")


async def test_another_handoffs_link_is_not_valid_here(backend: Backend, keys: Keys, phone: PhoneFactory) -> None:
    one, two = await _handoff(backend, keys), await _handoff(backend, keys)
    token = one["mobile_url"].split("?t=", 1)[1]
    page = await phone()
    await page.goto(f"/m/{two['id']}?t={token}")
    await _expect_failure(page, "invalid-link", "This link isn't valid")


async def test_without_a_link_the_page_asks_for_one(
    backend: Backend, keys: Keys, phone: PhoneFactory, shot: Shot
) -> None:
    created = await _handoff(backend, keys)
    page = await phone()
    await page.goto(f"/m/{created['id']}")
    await _expect_failure(page, "no-session", "Open the link from your alert")
    await shot(page, "23-no-session")


async def test_an_unknown_address_is_not_found(backend: Backend, phone: PhoneFactory) -> None:
    page = await phone()
    await page.goto("/m/not-a-handoff")
    await _expect_failure(page, "not-found", "Handoff not found")


async def test_an_expired_handoff_says_it_expired(
    backend: Backend, keys: Keys, phone: PhoneFactory, shot: Shot
) -> None:
    created = await _handoff(backend, keys)
    page = await phone()
    await page.goto(created["mobile_url"])
    await expect(page.get_by_test_id("otp")).to_be_visible()
    async with httpx.AsyncClient(base_url=backend.url, headers=keys.admin) as http:
        response = await http.post(f"/api/v1/handoffs/{created['id']}/expire", json={"note": "e2e"})
        assert response.status_code == 200, response.text
    await _expect_failure(page, "handoff-expired", "This handoff expired")
    await shot(page, "24-handoff-expired-live")

"""The whole operator flow at phone size in real Chromium, against a scripted agent driving a real page."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from harness import Backend, Keys, PhoneFactory
from pages import APPROVAL_PAGE, CAPTCHA_PAGE, TWOFA_CODE, TWOFA_PAGE
from scripted_agent import ScriptedAgent

Shot = Callable[[Page, str], Awaitable[Path]]
HCAPTCHA_FRAME = (
    '<iframe src="https://newassets.hcaptcha.com/captcha/v1/x/static/hcaptcha.html#frame=challenge"></iframe>'
)


async def _tap_on_screen(phone: Page, agent_page: Page, selector: str) -> tuple[float, float]:
    """Tap the phone's picture where `selector` is on the agent's page; returns the page point aimed at."""
    target = await agent_page.locator(selector).bounding_box()
    image = await phone.get_by_test_id("screen-image").bounding_box()
    assert target is not None
    assert image is not None
    x, y = target["x"] + target["width"] / 2, target["y"] + target["height"] / 2
    await phone.touchscreen.tap(image["x"] + x / 1280 * image["width"], image["y"] + y / 800 * image["height"])
    return x, y


async def _state(backend: Backend, keys: Keys, handoff_id: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=backend.url, headers=keys.agent) as http:
        body: dict[str, object] = (await http.get(f"/api/v1/handoffs/{handoff_id}")).json()
    return body


async def _start(agent: ScriptedAgent) -> "asyncio.Task[None]":
    runner = asyncio.create_task(agent.run())
    await asyncio.wait_for(agent.connected.wait(), 10)
    return runner


async def test_twofa_open_tap_type_code_resolve_and_confetti(
    backend: Backend, keys: Keys, agent_page: Page, phone: PhoneFactory, shot: Shot
) -> None:
    await agent_page.set_content(TWOFA_PAGE)
    agent = ScriptedAgent(backend.url, keys.agent, agent_page)
    created = await agent.create_handoff("twofa")
    runner = await _start(agent)

    operator = await phone()
    await operator.goto(created["mobile_url"])
    await expect(operator.get_by_test_id("screen-image")).to_be_visible()
    assert "t=" not in operator.url, "the single-use token is stripped from the address bar"
    await expect(operator.get_by_test_id("domain")).to_have_text("example.com")
    await expect(operator.get_by_test_id("agent")).to_have_text("agent_e2e")
    await expect(operator.get_by_test_id("interruption-type")).to_have_text("Verification code")
    await expect(operator.get_by_test_id("countdown")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    await shot(operator, "01-twofa-opened")

    # A tap on the picture becomes a click on the agent's live page; its frame comes back to the phone.
    aimed = await _tap_on_screen(operator, agent_page, "#otp")
    await expect(operator.get_by_test_id("screen")).to_have_attribute("data-frame-seq", "1")
    (click,) = agent.applied
    assert click.action["type"] == "click"
    assert abs(click.action["x"] - aimed[0]) < 3
    assert abs(click.action["y"] - aimed[1]) < 3
    assert await agent_page.evaluate("document.activeElement.id") == "otp"
    assert (await _state(backend, keys, created["id"]))["state"] == "solving"
    await expect(operator.get_by_test_id("pending")).to_be_hidden()
    await shot(operator, "02-twofa-live-frame")

    for digit in TWOFA_CODE:
        await operator.get_by_test_id(f"otp-key-{digit}").tap()
    await operator.get_by_test_id("otp-key-9").tap()
    await operator.get_by_test_id("otp-backspace").tap()
    await expect(operator.get_by_test_id("otp-display")).to_have_attribute("aria-label", "Code: 4 2 4 2 4 2")
    await shot(operator, "03-twofa-code-typed")
    frame_before = await operator.get_by_test_id("screen").get_attribute("data-src")

    await operator.get_by_test_id("otp-submit").tap()
    await expect(operator.get_by_test_id("confetti")).to_be_visible(timeout=15000)
    await expect(operator.get_by_test_id("done-card")).to_be_visible()
    await expect(operator.get_by_test_id("screen")).not_to_have_attribute("data-src", frame_before or "")
    await shot(operator, "04-twofa-done-confetti")

    await asyncio.wait_for(runner, 15)
    assert agent.resolution == {"type": "otp", "code": TWOFA_CODE}
    assert await agent_page.evaluate("document.body.dataset.outcome") == "dashboard"
    final = await _state(backend, keys, created["id"])
    assert final["state"] == "completed"
    assert final["task_outcome"] == "success"


async def test_captcha_by_remote_taps_text_and_keys(
    backend: Backend, keys: Keys, agent_page: Page, phone: PhoneFactory, shot: Shot
) -> None:
    await agent_page.set_content(CAPTCHA_PAGE)
    agent = ScriptedAgent(backend.url, keys.agent, agent_page)
    # The fixture cannot load a vendor's widget offline; its snapshot carries the challenge frame's markup so
    # the server's classifier confirms a CAPTCHA, as it would for the real thing.
    created = await agent.create_handoff(
        "captcha", domain="shop.example.com", url="https://shop.example.com/verify", dom_extra=HCAPTCHA_FRAME
    )
    runner = await _start(agent)

    operator = await phone()
    await operator.goto(created["mobile_url"])
    await expect(operator.get_by_test_id("remote")).to_be_visible()
    await expect(operator.get_by_test_id("interruption-type")).to_have_text("CAPTCHA")
    await shot(operator, "05-captcha-opened")

    await _tap_on_screen(operator, agent_page, "#tile-4")
    await expect(operator.get_by_test_id("screen")).to_have_attribute("data-frame-seq", "1")
    await _tap_on_screen(operator, agent_page, "#word")
    await expect(operator.get_by_test_id("screen")).to_have_attribute("data-frame-seq", "2")
    await operator.get_by_test_id("type-input").fill("baton")
    await operator.get_by_test_id("type-send").tap()
    await expect(operator.get_by_test_id("screen")).to_have_attribute("data-frame-seq", "3")
    await operator.get_by_test_id("press-Enter").tap()
    await expect(operator.get_by_test_id("screen")).to_have_attribute("data-frame-seq", "4")
    await shot(operator, "06-captcha-solved-remotely")
    assert [a.action["type"] for a in agent.applied] == ["click", "click", "type", "press"]
    assert await agent_page.evaluate("document.body.dataset.outcome") == "verified"

    await operator.get_by_test_id("done").tap()
    await expect(operator.get_by_test_id("confetti")).to_be_visible(timeout=15000)
    await asyncio.wait_for(runner, 15)
    assert agent.resolution == {"type": "done", "note": None}
    assert (await _state(backend, keys, created["id"]))["state"] == "completed"


async def test_approval_in_dark_mode(
    backend: Backend, keys: Keys, agent_page: Page, phone: PhoneFactory, shot: Shot
) -> None:
    await agent_page.set_content(APPROVAL_PAGE)
    agent = ScriptedAgent(backend.url, keys.agent, agent_page)
    created = await agent.create_handoff("approval", domain="pay.example.com", url="https://pay.example.com/confirm")
    runner = await _start(agent)

    operator = await phone(color_scheme="dark")
    await operator.goto(created["mobile_url"])
    await expect(operator.get_by_test_id("approve")).to_be_visible()
    background = await operator.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 18, 32)", "dark mode follows prefers-color-scheme"
    for button in ("approve", "deny"):
        box = await operator.get_by_test_id(button).bounding_box()
        assert box is not None
        assert box["height"] >= 48
        assert box["y"] > 640 / 2, "primary controls sit in the bottom half, under the thumb"
    await shot(operator, "07-approval-dark")

    await operator.get_by_test_id("approve").tap()
    await expect(operator.get_by_test_id("done-card")).to_be_visible(timeout=15000)
    await shot(operator, "08-approval-done-dark")
    await asyncio.wait_for(runner, 15)
    assert agent.resolution == {"type": "approve"}
    assert await agent_page.evaluate("document.body.dataset.outcome") == "paid"


async def test_reload_keeps_working_from_the_session_cookie(
    backend: Backend, keys: Keys, agent_page: Page, phone: PhoneFactory
) -> None:
    await agent_page.set_content(TWOFA_PAGE)
    agent = ScriptedAgent(backend.url, keys.agent, agent_page)
    created = await agent.create_handoff("twofa")
    operator = await phone()
    await operator.goto(created["mobile_url"])
    await expect(operator.get_by_test_id("otp")).to_be_visible()
    cookies = await operator.context.cookies()
    (session,) = [c for c in cookies if c["name"] == "bp_operator"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert await operator.evaluate("document.cookie") == "", "the session cookie is invisible to scripts"

    await operator.reload()
    await expect(operator.get_by_test_id("otp")).to_be_visible()
    # Even re-opening the original link on the same phone finds the session instead of "already used".
    await operator.goto(created["mobile_url"])
    await expect(operator.get_by_test_id("otp")).to_be_visible()

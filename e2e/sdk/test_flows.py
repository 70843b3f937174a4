"""The whole promise, for real: an agent in headless Chromium (through the SDK) hits a human-only step on the
fixture site → a handoff (ULID, signed link) → an operator in a second Chromium at phone size opens the link
on the real phone page and clears it → the agent resumes on the same page and gets through → `completed`,
and the tenant's audit chain verifies (server-side and offline with `batonpass audit verify`)."""

import asyncio
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

from batonpass import BatonPass, Handoff, wrap_with_baton_pass
from playwright.async_api import Browser, Page, expect

from harness import ROOT, Backend, Keys
from sdk.support import SITE_PASSWORD, Handoffs, PhoneOperator, Site, audit_chain_verifies, history_states

ULID_ID = re.compile(r"^h_[0-9A-HJKMNP-TV-Z]{26}$")
LIFECYCLE = ["created", "detected", "frozen", "notified", "opened", "solving", "solved", "resume_requested",
             "resumed", "completed"]  # fmt: skip
DOCUMENT = "() => ({timeOrigin: performance.timeOrigin, type: performance.getEntriesByType('navigation')[0].type})"


def quickstart() -> ModuleType:
    path = ROOT / "examples" / "quickstart_agent.py"
    spec = importlib.util.spec_from_file_location("quickstart_agent", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_signed_link(handoff: Handoff, backend: Backend) -> None:
    assert ULID_ID.match(handoff.id), handoff.id
    assert handoff.state == "notified"
    assert handoff.mobile_url is not None
    assert handoff.mobile_url.startswith(f"{backend.url}/m/{handoff.id}?t=")


async def finished(bp: BatonPass, handoff_id: str) -> Handoff:
    handoff = await bp.get_handoff(handoff_id)
    assert (handoff.state, handoff.task_outcome) == ("completed", "success"), handoff
    return handoff


class TestTwoFactor:
    async def test_the_quickstart_agent_gets_through_2fa_with_a_code_typed_on_the_phone(
        self, backend: Backend, keys: Keys, site: Site, bp: BatonPass, operator_browser: Browser, tmp_path: Path
    ) -> None:
        handoffs = Handoffs()

        async def operator() -> PhoneOperator:
            handoff = await handoffs.next()
            assert_signed_link(handoff, backend)
            assert handoff.interruption_type == "twofa"
            phone = await PhoneOperator.open(operator_browser, backend, handoff.mobile_url or "")
            await expect(phone.page.get_by_test_id("interruption-type")).to_have_text("Verification code")
            await expect(phone.page.get_by_test_id("otp-display").locator(".otp-box")).to_have_count(6)
            await phone.screenshot("2fa-phone-keypad")
            await phone.type_code(site.code())
            await phone.wait_until_agent_resumed()
            await phone.screenshot("2fa-phone-done")
            return phone

        phone_task = asyncio.create_task(operator())
        result = await quickstart().run_agent(
            site.url, base_url=backend.url, api_key=keys.agent_key, password=SITE_PASSWORD, on_handoff=handoffs
        )
        phone = await phone_task

        assert result == "All clear."
        (handoff,) = handoffs.seen
        await finished(bp, handoff.id)
        passed = [s for s in site.site.sessions.values() if s.user == "agent@northwind.example"]
        assert any("2fa" in s.passed for s in passed), "the site's server saw a valid TOTP for the agent's session"
        assert await history_states(backend, keys, handoff.id) == LIFECYCLE
        assert phone.errors == []
        await audit_chain_verifies(backend, keys, tmp_path)

    async def test_split_code_boxes_are_filled_and_the_agent_resumes_on_the_same_page(
        self, backend: Backend, keys: Keys, site: Site, bp: BatonPass, agent_page: Page, operator_browser: Browser
    ) -> None:
        handoffs = Handoffs()
        frozen: dict[str, Any] = {}

        async def on_handoff(handoff: Handoff) -> None:
            frozen["cookies"] = await agent_page.context.cookies()
            frozen["url"] = agent_page.url
            handoffs(handoff)

        async def operator() -> None:
            handoff = await handoffs.next()
            phone = await PhoneOperator.open(operator_browser, backend, handoff.mobile_url or "")
            await phone.type_code(site.code())
            await phone.wait_until_agent_resumed()

        phone_task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="split-agent", on_handoff=on_handoff) as agent:
            await agent.goto(f"{site.url}/login?layout=split")
            await agent.fill("#username", "split@northwind.example")
            await agent.fill("#password", SITE_PASSWORD)
            await agent.click("#sign-in")

            assert agent.page is agent_page
            assert frozen["url"].endswith("/2fa?layout=split")
            await expect(agent_page.get_by_test_id("passed-2fa")).to_be_visible()
            (record,) = agent.handoffs
            assert record.detection.otp is not None
            assert len(record.detection.otp.inputs) == 6
            assert record.handoff.metadata["detector"]["otp_length"] == 6
            assert (record.resolution_type, record.resume_outcome, record.state) == ("otp", "navigated", "resumed")
            session_cookie = next(c for c in frozen["cookies"] if c["name"] == "site_session")
            now = {c["name"]: c["value"] for c in await agent_page.context.cookies()}
            assert now["site_session"] == session_cookie["value"], "the same site session carried on"
        await phone_task
        await finished(bp, record.id)


class TestApproval:
    async def test_the_operator_approves_the_modal_and_the_agent_clicks_approve(
        self, backend: Backend, keys: Keys, site: Site, bp: BatonPass, agent_page: Page, operator_browser: Browser,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        handoffs = Handoffs()

        async def operator() -> None:
            handoff = await handoffs.next()
            assert_signed_link(handoff, backend)
            assert handoff.interruption_type == "approval"
            phone = await PhoneOperator.open(operator_browser, backend, handoff.mobile_url or "")
            await expect(phone.page.get_by_test_id("decision")).to_be_visible()
            await phone.screenshot("approval-phone")
            await phone.approve()
            await phone.wait_until_agent_resumed()
            assert phone.errors == []

        phone_task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="payments-agent", on_handoff=handoffs) as agent:
            await agent.goto(f"{site.url}/transfer")
            await agent.click("#send-transfer")  # the approval modal opens: held until the phone decides

            await expect(agent_page.get_by_test_id("passed-approval")).to_be_visible()
            (record,) = agent.handoffs
            assert (record.resolution_type, record.resume_outcome) == ("approve", "navigated")
        await phone_task
        await finished(bp, record.id)
        await audit_chain_verifies(backend, keys, tmp_path)


class TestCaptcha:
    async def test_the_operator_solves_the_widget_with_remote_taps_and_the_agent_continues(
        self, backend: Backend, keys: Keys, site: Site, bp: BatonPass, agent_page: Page, operator_browser: Browser,
        tmp_path: Path,
    ) -> None:  # fmt: skip
        handoffs = Handoffs()
        document: dict[str, Any] = {}

        async def on_handoff(handoff: Handoff) -> None:
            document.update(await agent_page.evaluate(DOCUMENT))
            handoffs(handoff)

        async def operator() -> None:
            handoff = await handoffs.next()
            assert handoff.interruption_type == "captcha"
            phone = await PhoneOperator.open(operator_browser, backend, handoff.mobile_url or "")
            await expect(phone.page.get_by_test_id("remote")).to_be_visible()
            # The operator looks at the picture: where are the stars? (The test reads it from the agent's page.)
            widget = next(f for f in agent_page.frames if f.url.endswith("/captcha/widget"))
            sid = next(c["value"] for c in await agent_page.context.cookies() if c["name"] == "site_session")
            targets = [f'[data-cell="{i}"]' for i in sorted(site.site.sessions[sid].stars)] + ["#captcha-verify"]
            for seq, selector in enumerate(targets, start=1):
                box = await widget.locator(selector).bounding_box()
                assert box is not None
                await phone.tap_page_point(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 1280)
                await phone.wait_for_frame(seq)
            await expect(widget.locator("#done")).to_be_visible()
            await phone.screenshot("captcha-phone-solved")
            await phone.done()
            await phone.wait_until_agent_resumed()
            assert phone.errors == []

        phone_task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="signup-agent", on_handoff=on_handoff) as agent:
            await agent.goto(f"{site.url}/captcha")  # held here while the operator taps the squares

            (record,) = agent.handoffs
            assert (record.resolution_type, record.resume_outcome, record.actions_applied) == ("done", "same", 4)
            assert await agent_page.evaluate(DOCUMENT) == document, "same document: never reloaded"
            await agent.click("#captcha-continue")
            await expect(agent_page.get_by_test_id("passed-captcha")).to_be_visible()
        await phone_task
        await finished(bp, record.id)
        await audit_chain_verifies(backend, keys, tmp_path)

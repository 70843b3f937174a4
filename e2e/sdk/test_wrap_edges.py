"""The wrapper's other outcomes against the live backend, with the operator driven through the API (the phone
page is exercised in test_flows.py): a denial, remote typing, expiry, a page that changed under the operator,
a password that must not leave the page, a claim the server rejects, and an agent that crashes afterwards."""

import asyncio
import re
from typing import Any

import httpx
import pytest
from batonpass import BatonPass, HandoffExpiredError, ResumeFailedError, wrap_with_baton_pass
from playwright.async_api import Page, Route, expect

from harness import Backend, Keys
from sdk.support import SITE_PASSWORD, ApiOperator, Handoffs, Site


async def sign_in(agent: Any, site: Site, user: str) -> None:
    await agent.goto(f"{site.url}/login")
    await agent.fill("#username", user)
    await agent.fill("#password", SITE_PASSWORD)


class TestOperatorOutcomes:
    async def test_deny_clicks_deny_and_nothing_is_approved(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def operator() -> None:
            async with ApiOperator(backend, await handoffs.next()) as op:
                await op.resolve({"type": "deny"})

        task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="deny-agent", on_handoff=handoffs) as agent:
            await agent.goto(f"{site.url}/transfer")
            await agent.click("#send-transfer")
            await expect(agent_page.get_by_test_id("transfer-cancelled")).to_be_visible()
            (record,) = agent.handoffs
            assert (record.resolution_type, record.resume_outcome) == ("deny", "navigated")
        await task
        sid = next(c["value"] for c in await agent_page.context.cookies() if c["name"] == "site_session")
        assert "approval" not in site.site.sessions[sid].passed
        assert (await bp.get_handoff(record.id)).state == "completed"

    async def test_the_operator_types_the_code_remotely_and_the_agent_follows(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def operator() -> None:
            async with ApiOperator(backend, await handoffs.next()) as op:
                box = await agent_page.locator("#otp").bounding_box()  # what the operator sees on the picture
                assert box is not None
                await op.act({"type": "click", "x": box["x"] + 20, "y": box["y"] + box["height"] / 2})
                await op.act({"type": "type", "text": site.code()})
                await op.act({"type": "press", "key": "Enter"})
                await expect(agent_page.get_by_test_id("passed-2fa")).to_be_visible()
                await op.resolve({"type": "done"})

        task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="remote-agent", on_handoff=handoffs) as agent:
            await sign_in(agent, site, "remote@northwind.example")
            await agent.click("#sign-in")
            (record,) = agent.handoffs
            assert (record.actions_applied, record.resolution_type, record.resume_outcome) == (3, "done", "navigated")
            assert agent_page.url.endswith("/dashboard")
        await task
        frames = [t for t in await bp.history(record.id) if t["kind"] == "relay.ack"]
        assert [f["data"]["seq"] for f in frames] == [1, 2, 3], "a frame acknowledged each action in order"


class TestEndsBadly:
    async def test_an_expired_handoff_raises_in_the_agent(
        self, backend: Backend, keys: Keys, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def admin_expires() -> None:
            handoff = await handoffs.next()
            async with httpx.AsyncClient(base_url=f"{backend.url}/api/v1", headers=keys.admin) as admin:
                (await admin.post(f"/handoffs/{handoff.id}/expire", json={"note": "nobody on call"})).raise_for_status()

        async def agent_run() -> None:
            async with wrap_with_baton_pass(agent_page, bp, agent_id="late-agent", on_handoff=handoffs) as agent:
                await agent.goto(f"{site.url}/transfer")
                await agent.click("#send-transfer")

        task = asyncio.create_task(admin_expires())
        with pytest.raises(HandoffExpiredError, match="expired"):
            await agent_run()
        await task
        (handoff,) = handoffs.seen
        assert (await bp.get_handoff(handoff.id)).state == "expired"

    async def test_a_page_reloaded_while_the_operator_worked_is_not_resumed(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def operator() -> None:
            handoff = await handoffs.next()
            await agent_page.reload()  # something else touched the agent's page
            async with ApiOperator(backend, handoff) as op:
                await op.resolve({"type": "otp", "code": site.code()})

        async def agent_run() -> None:
            async with wrap_with_baton_pass(agent_page, bp, agent_id="reload-agent", on_handoff=handoffs) as agent:
                await sign_in(agent, site, "reload@northwind.example")
                await agent.click("#sign-in")

        task = asyncio.create_task(operator())
        with pytest.raises(ResumeFailedError, match="reloaded"):
            await agent_run()
        await task
        (handoff,) = handoffs.seen
        failed = await bp.get_handoff(handoff.id)
        assert (failed.state, failed.failure_reason) == ("failed", "resume_failed")
        assert agent_page.url.endswith("/2fa?layout=single"), "the code was never typed into the reloaded page"

    async def test_lost_cookies_stop_the_resume_before_anything_is_clicked(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()
        await agent_page.context.add_cookies([{"name": "agent_pref", "value": "1", "url": site.url}])

        async def operator() -> None:
            handoff = await handoffs.next()
            await agent_page.context.clear_cookies()
            async with ApiOperator(backend, handoff) as op:
                await op.resolve({"type": "approve"})

        async def agent_run() -> None:
            async with wrap_with_baton_pass(agent_page, bp, agent_id="cookie-agent", on_handoff=handoffs) as agent:
                await agent.goto(f"{site.url}/transfer")
                await agent.click("#send-transfer")

        task = asyncio.create_task(operator())
        with pytest.raises(ResumeFailedError, match="cookies lost since the freeze: agent_pref, site_session"):
            await agent_run()
        await task
        assert await agent_page.locator("#approve-modal").is_visible(), "Approve was never clicked"
        (handoff,) = handoffs.seen
        assert (await bp.get_handoff(handoff.id)).failure_reason == "resume_failed"

    async def test_an_agent_that_fails_after_resuming_reports_agent_cancelled(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def operator() -> None:
            async with ApiOperator(backend, await handoffs.next()) as op:
                await op.resolve({"type": "approve"})

        async def agent_run() -> None:
            async with wrap_with_baton_pass(agent_page, bp, agent_id="crashy-agent", on_handoff=handoffs) as agent:
                await agent.goto(f"{site.url}/transfer")
                await agent.click("#send-transfer")
                raise RuntimeError("the agent's own bug")

        task = asyncio.create_task(operator())
        with pytest.raises(RuntimeError, match="the agent's own bug"):
            await agent_run()
        await task
        (handoff,) = handoffs.seen
        failed = await bp.get_handoff(handoff.id)
        assert (failed.state, failed.failure_reason) == ("failed", "agent_cancelled")


REAUTH = """<!doctype html><html><head><title>Confirm payment</title></head><body>
<form><label for="pw">Password</label><input id="pw" name="password" type="password" value="hunter2-in-the-markup">
<button type="button" id="pay">Pay $90</button></form>
<div id="m" role="alertdialog" aria-modal="true" hidden style="position:fixed;inset:10% 20%;background:#fff">
<h2>Authorize payment</h2><p>$90 will be charged to your card.</p>
<button onclick="document.getElementById('m').hidden = true">Deny</button><button>Approve</button></div>
<script>document.getElementById('pay').onclick = () => { document.getElementById('m').hidden = false; };</script>
</body></html>"""


class TestWhatLeavesThePage:
    async def test_password_values_are_stripped_in_the_page_and_the_server_accepts_the_snapshot(
        self, backend: Backend, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()

        async def page(route: Route) -> None:
            await route.fulfill(content_type="text/html", body=REAUTH)

        await agent_page.route(f"{site.url}/reauth", page)

        async def operator() -> None:
            async with ApiOperator(backend, await handoffs.next()) as op:
                await op.resolve({"type": "deny"})

        task = asyncio.create_task(operator())
        async with wrap_with_baton_pass(agent_page, bp, agent_id="reauth-agent", on_handoff=handoffs) as agent:
            await agent.goto(f"{site.url}/reauth")
            await agent.fill("#pw", "typed-secret")
            await agent.click("#pay")
            assert await agent_page.input_value("#pw") == "typed-secret", "the live page keeps its password"
            assert await agent_page.get_attribute("#pw", "value") == "hunter2-in-the-markup"
        await task
        (handoff,) = handoffs.seen
        assert handoff.state == "notified", "accepted: a snapshot still carrying a password value gets 422"

    async def test_a_claim_the_server_rejects_lets_the_agent_continue_and_is_not_repeated(
        self, site: Site, bp: BatonPass, agent_page: Page
    ) -> None:
        handoffs = Handoffs()
        # Evidence only inside a child frame: the SDK sees it, the server's DOM snapshot (main frame) does not.
        framed = "<iframe style='width:400px;height:300px' srcdoc=\"<p id='px-captcha' style='height:80px'>ok</p>\">"

        async def page(route: Route) -> None:
            await route.fulfill(content_type="text/html", body=f"<title>Shop</title><h1>Shop</h1>{framed}</iframe>")

        await agent_page.route(re.compile(r".*/odd$"), page)
        async with wrap_with_baton_pass(agent_page, bp, agent_id="odd-agent", on_handoff=handoffs) as agent:
            await agent.goto(f"{site.url}/odd")
            assert await agent.check_now() is None, "the same evidence is not handed off again"
            (record,) = agent.handoffs
        assert (record.state, record.handoff.failure_reason) == ("failed", "classifier_rejected")
        assert len(handoffs.seen) == 1

"""A browser agent that signs in to a site behind 2FA: when the code prompt appears, a person types the code on
their phone and the agent carries on, on the same page.

    BATONPASS_URL=http://127.0.0.1:8069 BATONPASS_API_KEY=bp_live_… \\
    SITE_URL=http://127.0.0.1:8070 SITE_PASSWORD='correct horse battery staple' \\
    backend/.venv/bin/python examples/quickstart_agent.py

The region between the `--8<--` markers is the README's "Playwright integration (Python)" snippet (a test keeps
them identical) and `e2e/sdk/test_flows.py` runs this file's `run_agent` against the fixture site.
"""

import asyncio
import logging
import os
import sys

from playwright.async_api import async_playwright

from batonpass import BatonPass, Handoff, HandoffCallback, wrap_with_baton_pass

CHROMIUM = os.environ.get("BATONPASS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip

log = logging.getLogger("quickstart")


# --8<-- [start:quickstart]
async def run_agent(
    site_url: str, *, base_url: str, api_key: str, password: str, on_handoff: HandoffCallback | None = None
) -> str:
    async with BatonPass(base_url, api_key) as bp, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})

        async with wrap_with_baton_pass(
            page, bp, agent_id="quickstart-agent", task="Open the ops dashboard", on_handoff=on_handoff
        ) as agent:
            await agent.goto(f"{site_url}/login")
            await agent.fill("#username", "agent@northwind.example")
            await agent.fill("#password", password)
            # The 2FA page appears: this call returns once a person typed the code on their phone
            # and the agent resumed on the same page (no reload, same cookies).
            await agent.click("#sign-in")
            await agent.wait_for_url("**/dashboard")
            result = await agent.get_by_test_id("dashboard-ok").inner_text()
        # Leaving the block reported the handoff `completed` (an exception would report `failed`).
        await browser.close()
        return result


# --8<-- [end:quickstart]


def log_operator_link(handoff: Handoff) -> None:
    log.info("handoff %s: open %s on your phone", handoff.id, handoff.mobile_url)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        result = asyncio.run(
            run_agent(
                os.environ.get("SITE_URL", "http://127.0.0.1:8070"),
                base_url=os.environ.get("BATONPASS_URL", "http://127.0.0.1:8069"),
                api_key=os.environ["BATONPASS_API_KEY"],
                password=os.environ.get("SITE_PASSWORD", "correct horse battery staple"),
                on_handoff=log_operator_link,
            )
        )
    except KeyError as missing:
        sys.stderr.write(f"set {missing} (an agent-scope key: `make run` prints one on first start)\n")
        return 2
    log.info("agent finished: %s", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

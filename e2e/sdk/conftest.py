"""Fixtures for the SDK's end-to-end tests. From e2e/conftest.py (the mobile suite's): the live `backend` (uvicorn
subprocess serving the built phone app), a fresh tenant per test (`keys`), the agent's Chromium (`agent_page`,
1280×800). Here: the fixture site (one per session, on 127.0.0.1), a second Chromium for the operator's phone,
and the SDK client."""

from collections.abc import AsyncIterator, Iterator

import pyotp
import pytest
from batonpass import BatonPass
from playwright.async_api import Browser, async_playwright

from harness import Backend, Keys, launch_chromium
from sdk.support import SITE_PASSWORD, Site
from sites.fixture_site import FixtureSite, serve_in_thread


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    secret = pyotp.random_base32()
    fixture = FixtureSite(secret, SITE_PASSWORD)
    with serve_in_thread(fixture) as url:
        yield Site(url, fixture, secret)


@pytest.fixture
async def operator_browser() -> AsyncIterator[Browser]:
    """A second Chromium, separate from the agent's: the operator's phone."""
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        yield browser
        await browser.close()


@pytest.fixture
async def bp(backend: Backend, keys: Keys) -> AsyncIterator[BatonPass]:
    async with BatonPass(backend.url, keys.agent_key) as client:
        yield client

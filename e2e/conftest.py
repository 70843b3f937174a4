"""End-to-end fixtures: one live backend per session, a fresh tenant per test, Chromium, phone pages."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from harness import (
    ARTIFACTS,
    Backend,
    Keys,
    PhoneFactory,
    launch_chromium,
    new_tenant,
    phone_context,
    start_backend,
)


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    server = start_backend(tmp_path_factory.mktemp("e2e-backend"))
    yield server
    server.stop()


@pytest.fixture
async def keys(backend: Backend) -> Keys:
    return await new_tenant(backend.database_url)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        yield chromium
        await chromium.close()


@pytest.fixture
async def agent_page(browser: Browser) -> AsyncIterator[Page]:
    """The agent's own browser: a desktop viewport, as an agent would run."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
async def phone(browser: Browser, backend: Backend) -> AsyncIterator[PhoneFactory]:
    """Factory of phone pages (each its own context: its own cookies); uncaught page errors fail the test."""
    contexts = []
    errors: list[str] = []

    async def make(**overrides: Any) -> Page:
        context = await phone_context(browser, backend.url, **overrides)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        await context.close()
    assert errors == [], f"uncaught errors on the phone page: {errors}"


@pytest.fixture
def shot() -> Callable[[Page, str], Awaitable[Path]]:
    """Save a phone-size screenshot under test-artifacts/mobile/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def save(page: Page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        await page.screenshot(path=str(path))
        return path

    return save
